"""Handoffs over the API: send, accept, decline — the inbox's services and rules."""

import pytest

from records.models import Handoff
from tests.integrations.api.conftest import Api, token_for
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(support_member, acme, ticket, sales):
    response = Api(token_for(support_member, ["handoffs:write"])).post(
        "/api/handoffs/",
        {"client": acme.pk, "ticket": ticket.pk, "to_department": sales.pk, "note": "Wants a call"},
    )
    assert response.status_code == 201, response.json()
    return Handoff.objects.get(pk=response.json()["id"])


def test_sending_needs_a_note(support_member, acme, sales):
    response = Api(token_for(support_member)).post(
        "/api/handoffs/", {"client": acme.pk, "to_department": sales.pk, "note": ""}
    )
    assert response.status_code == 400 and "note" in response.json()


def test_a_member_of_the_department_accepts_and_gets_the_task(sent, member):
    with capture_events() as events:
        response = Api(token_for(member)).post(f"/api/handoffs/{sent.pk}/accept/", {})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "accepted" and body["task"] is not None
    assert any(event.kind.startswith("handoff.") for event in events)


def test_a_second_answer_is_a_conflict(sent, member, sales_manager):
    Api(token_for(member)).post(f"/api/handoffs/{sent.pk}/accept/", {})
    response = Api(token_for(sales_manager)).post(
        f"/api/handoffs/{sent.pk}/decline/", {"reason": "Not ours"}
    )
    assert response.status_code == 409
    assert "already accepted by" in response.json()["detail"]


def test_someone_outside_the_department_cannot_answer(sent, support_member):
    response = Api(token_for(support_member)).post(
        f"/api/handoffs/{sent.pk}/decline/", {"reason": "No"}
    )
    assert response.status_code == 403
    sent.refresh_from_db()
    assert sent.status == Handoff.Status.PENDING


def test_declining_keeps_the_reason(sent, member, django_assert_max_num_queries):
    api = Api(token_for(member))
    assert (
        api.post(f"/api/handoffs/{sent.pk}/decline/", {"reason": "Wrong team"}).status_code == 200
    )
    with django_assert_max_num_queries(5):
        rows = api.get("/api/handoffs/", status="declined", expand="client,from_user").json()
    assert rows["results"][0]["decline_reason"] == "Wrong team"
