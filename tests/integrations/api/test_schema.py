"""The OpenAPI schema, fuzzed by schemathesis over every operation with a real token.

Bounded: five examples per operation, derandomized, no deadline (~25 s on
two cores), so CI stays fast and repeatable; what it asserts is that nothing
answers 5xx and every answer matches the schema.
"""

import tempfile

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.integrations.api.conftest import token_for


@pytest.fixture
def wsgi_keeps_the_test_transaction():
    """The WSGI handler closes "old" connections around each request, which ends the
    test's transaction; Django's test client avoids it the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def bearer(wsgi_keeps_the_test_transaction, member, acme, deal, contact):
    return {"Authorization": f"Bearer {token_for(member)}"}


# Hypothesis's caches go to a temporary directory, not .hypothesis/ in the checkout.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="ws-hypothesis-"))

# Loaded at collection: generating the schema touches no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI fails on code, not on luck
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_per_schema(case, bearer):
    case.call_and_validate(headers=bearer, checks=[not_a_server_error, response_schema_conformance])


def test_schema_is_openapi_31(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert {"/api/clients/", "/api/deals/{id}/move/"} <= set(document["paths"])
    assert document["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
