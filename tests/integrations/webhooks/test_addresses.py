"""SSRF: endpoints must be HTTPS and resolve to public addresses, at save and at send time."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from integrations.webhooks import addresses, services
from integrations.webhooks.models import Delivery
from integrations.webhooks.tasks import deliver


@pytest.mark.parametrize(
    "url",
    [
        "https://localhost/hooks",  # a host name resolving to loopback
        "https://127.0.0.1/hooks",
        "https://[::1]/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.0.10/hooks",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata (link-local)
        "https://224.0.0.1/hooks",
        "https://0.0.0.0/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
    ],
)
def test_private_addresses_are_refused_at_save_time(admin, url):
    with pytest.raises(ValidationError) as refused:
        services.create_endpoint(actor=admin, url=url, kinds=["client.created"])
    assert "webhooks go to public addresses only" in str(refused.value.message_dict["url"])


def test_a_public_address_passes():
    assert addresses.resolve("https://93.184.215.14:8443/x") == (
        "93.184.215.14",
        8443,
        "93.184.215.14",
    )


def test_plain_http_and_unknown_kinds_are_refused(admin, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    with pytest.raises(ValidationError) as refused:
        services.create_endpoint(actor=admin, url="http://127.0.0.1/hooks", kinds=["nope"])
    assert refused.value.message_dict == {
        "url": ["Webhooks are sent over HTTPS only: use https://…"],
        "kinds": ["Unknown event kinds: nope."],
    }


def test_an_address_allowed_when_saved_is_checked_again_at_send_time(
    endpoint, member, receiver, settings
):
    from records import services as records

    records.create_client(actor=member, name="Initech")
    delivery = Delivery.objects.get(kind="client.created")
    settings.WEBHOOKS_ALLOW_PRIVATE = False  # e.g. its name now resolves somewhere private
    assert deliver.call(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert "127.0.0.1" in delivery.error and "public addresses only" in delivery.error
    assert receiver.requests == []


def test_only_admins_manage_endpoints(manager_or_member):
    with pytest.raises(PermissionDenied):
        services.create_endpoint(
            actor=manager_or_member, url="https://93.184.215.14/", kinds=["client.created"]
        )


@pytest.fixture(params=["sales_manager", "member"])
def manager_or_member(request):
    return request.getfixturevalue(request.param)
