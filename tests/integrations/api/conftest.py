"""API fixtures: the records fixtures, tokens made through the service, a JSON client."""

import json

import pytest
from django.test import Client as HttpClient

from integrations.api.models import SCOPES
from integrations.api.services import create_token
from tests.records.conftest import (  # noqa: F401
    acme,
    contact,
    deal,
    defaults,
    pipeline,
    price,
    stages,
    ticket,
)


@pytest.fixture(autouse=True)
def generous_rate(settings):
    """Tests make many requests; the rate limit test sets its own."""
    settings.API_RATE_LIMIT = "100000/minute"


class Api:
    """A JSON client sending one token (or none): ``api.get("/api/clients/")``."""

    def __init__(self, secret: str | None = None, client: HttpClient | None = None):
        self.http = client or HttpClient()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def _send(self, method, path, body=None, headers=None, raw=None):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs = {"headers": self.headers | (headers or {})}
        if data is not None:
            kwargs |= {"data": data, "content_type": "application/json"}
        return getattr(self.http, method)(path, **kwargs)

    def get(self, path, **kwargs):
        return self.http.get(path, kwargs or None, headers=self.headers)

    def post(self, path, body=None, **kwargs):
        return self._send("post", path, body, **kwargs)

    def patch(self, path, body=None, **kwargs):
        return self._send("patch", path, body, **kwargs)

    def delete(self, path, **kwargs):
        return self._send("delete", path, **kwargs)


def token_for(user, scopes=SCOPES, **kwargs) -> str:
    return create_token(actor=user, name="test", scopes=list(scopes), **kwargs)[1]


@pytest.fixture
def api(member):
    """The member's token with every scope."""
    return Api(token_for(member))


@pytest.fixture
def api_for():
    """``api_for(user, scopes=...)``: a client with a fresh token of ``user``."""

    def make(user, scopes=SCOPES, **kwargs):
        return Api(token_for(user, scopes, **kwargs))

    return make
