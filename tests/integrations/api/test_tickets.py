"""Tickets over the API: support's rules (who may edit), status through set_ticket_status."""

import pytest

from records import services
from tests.integrations.api.conftest import Api, token_for
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db


def test_anyone_opens_a_ticket_and_support_sets_its_status(member, support_member, acme):
    opened = Api(token_for(member)).post(
        "/api/tickets/", {"client": acme.pk, "subject": "Cannot  log in", "priority": "high"}
    )
    assert opened.status_code == 201, opened.json()
    assert opened.json()["subject"] == "Cannot log in"
    path = f"/api/tickets/{opened.json()['id']}/status/"
    refused = Api(token_for(member)).post(path, {"status": "solved"})
    assert refused.status_code == 403
    with capture_events() as events:
        solved = Api(token_for(support_member)).post(path, {"status": "solved"})
    assert solved.status_code == 200 and solved.json()["status"] == "solved"
    assert solved.json()["resolved_at"] is not None
    assert any(event.kind.startswith("ticket.") for event in events)


def test_an_unknown_status_is_400(support_member, ticket):
    response = Api(token_for(support_member)).post(
        f"/api/tickets/{ticket.pk}/status/", {"status": "done"}
    )
    assert response.status_code == 400 and "status" in response.json()


def test_tickets_list_in_constant_queries(
    support_member, acme, ticket, django_assert_max_num_queries
):
    for number in range(5):
        services.create_ticket(actor=support_member, client=acme, subject=f"Issue {number}")
    api = Api(token_for(support_member, ["tickets:read"]))
    with django_assert_max_num_queries(5):
        rows = api.get("/api/tickets/", expand="client,assignee").json()["results"]
    assert len(rows) == 6 and rows[0]["client"]["name"] == acme.name


def test_patching_a_ticket_goes_through_update_field(support_member, ticket):
    api = Api(token_for(support_member))
    path = f"/api/tickets/{ticket.pk}/"
    response = api.patch(path, {"priority": "urgent"}, headers={"If-Match": api.get(path)["ETag"]})
    assert response.status_code == 200 and response.json()["priority"] == "urgent"
    assert response.json()["sla_due"] != api.get(f"/api/tickets/{ticket.pk}/").json()["created_at"]


@pytest.mark.parametrize(
    ("moment", "listed"),
    [
        ("2000-01-01T00:00:00+18:32", 1),  # ISO allows it, PostgreSQL not: compared in UTC
        ("2000-01-01T00:00:00-15:59", 1),
        ("2999-01-01T00:00:00Z", 0),
    ],
)
def test_updated_after_takes_any_iso_offset(support_member, ticket, moment, listed):
    response = Api(token_for(support_member)).get("/api/tickets/", updated_after=moment)
    assert response.status_code == 200
    assert len(response.json()["results"]) == listed


def test_an_updated_after_out_of_range_is_400(support_member, ticket):
    response = Api(token_for(support_member)).get(
        "/api/tickets/", updated_after="0001-01-01T00:00:00+18:00"
    )
    assert response.status_code == 400
    assert "updated_after" in response.json()
