"""Calls fixtures: a signed webhook client, an agent with an extension, a known caller."""

import json
import time

import pytest
from django.urls import reverse

from integrations.telephony import signing
from records import services
from tests.records.conftest import acme, deal, defaults, ticket  # noqa: F401

SECRET = "test-telephony-secret"
JO_NUMBER = "+49301234567"


@pytest.fixture(autouse=True)
def telephony_secret(settings):
    settings.TELEPHONY_WEBHOOK_SECRET = SECRET
    settings.PHONE_DEFAULT_REGION = "DE"
    settings.TELEPHONY_CALLBACK_TASKS = True


@pytest.fixture
def agent(member):
    member.phone_extension = "201"
    member.save(update_fields=["phone_extension"])
    return member


@pytest.fixture
def jo(member, acme):  # noqa: F811 (the imported fixture)
    """A contact at Acme whose number is typed the German way."""
    return services.create_contact(
        actor=member, client=acme, name="Jo Acme", title="Buyer", phones=["030 1234567"]
    )


def event(kind: str, call_id: str = "c-1", **fields) -> dict:
    """A call event as a phone system posts it."""
    return {
        "provider": "asterisk",
        "call_id": call_id,
        "event": kind,
        "direction": "inbound",
        "from": "+49 30 1234567",
        "to": "+49 30 9999000",
        "agent": "201",
        **fields,
    }


@pytest.fixture
def post(client):
    """``post(body)``: the body (a dict, or bytes as sent) signed now (or at ``at``)."""

    def send(body, *, at: float | None = None, secret: str = SECRET, header: str | None = None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        stamp = int(time.time() if at is None else at)
        signature = signing.header_value(raw, secret, stamp) if header is None else header
        return client.post(
            reverse("telephony:webhook"),
            raw,
            content_type="application/json",
            headers={signing.HEADER: signature},
        )

    return send
