"""Deals over the API: create, stage moves, won and lost, delete — the board's services."""

from decimal import Decimal

import pytest

from records import services
from records.models import Deal
from tests.integrations.api.conftest import Api, token_for
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db


def test_deals_list_with_expanded_relations_in_constant_queries(
    api, member, acme, deal, django_assert_max_num_queries
):
    for number in range(5):
        services.create_deal(actor=member, client=acme, title=f"Deal {number}")
    with django_assert_max_num_queries(5):
        response = api.get("/api/deals/", expand="client,owner,stage", page_size=200)
    rows = response.json()["results"]
    assert len(rows) == 6
    assert rows[-1]["client"] == {"id": acme.pk, "name": acme.name}
    assert rows[-1]["stage"]["name"] == deal.stage.name


def test_deals_filter_by_status_and_client(api, member, acme, deal):
    assert api.get("/api/deals/", status="won").json()["results"] == []
    assert [row["id"] for row in api.get("/api/deals/", client=acme.pk).json()["results"]] == [
        deal.pk
    ]


def test_creating_a_deal_in_a_stage(api, acme, stages):
    response = api.post(
        "/api/deals/",
        {
            "client": acme.pk,
            "title": "Expansion",
            "amount": "2500.00",
            "stage": stages["Proposal"].pk,
        },
    )
    assert response.status_code == 201, response.json()
    created = Deal.objects.get(pk=response.json()["id"])
    assert created.amount == Decimal("2500.00") and created.stage == stages["Proposal"]


def test_a_new_deal_cannot_start_won(api, acme, stages):
    response = api.post("/api/deals/", {"client": acme.pk, "title": "X", "stage": stages["Won"].pk})
    assert response.status_code == 400
    assert "open stage" in str(response.json()["stage"])


def test_moving_a_deal_publishes_like_the_board(api, deal, stages):
    with capture_events() as events:
        response = api.post(f"/api/deals/{deal.pk}/move/", {"stage": stages["Proposal"].pk})
    assert response.status_code == 200
    assert response.json()["stage"] == stages["Proposal"].pk
    assert "deal.moved" in {event.kind for event in events}


def test_a_move_from_a_stage_one_did_not_see_is_409(api, member, deal, stages):
    seen = deal.stage_id
    services.move_deal(actor=member, deal=deal, stage=stages["Proposal"])
    response = api.post(
        f"/api/deals/{deal.pk}/move/", {"stage": stages["Negotiation"].pk, "seen_stage": seen}
    )
    assert response.status_code == 409
    body = response.json()
    assert body["field"] == "stage" and body["current"] == stages["Proposal"].pk
    assert body["changed_by"]["id"] == member.pk


def test_winning_and_losing(api, member, acme, deal, price):
    won = api.post(f"/api/deals/{deal.pk}/win/", {})
    assert won.status_code == 200 and won.json()["status"] == "won"
    other = services.create_deal(actor=member, client=acme, title="Other")
    missing = api.post(f"/api/deals/{other.pk}/lose/", {})
    assert missing.status_code == 400 and "loss_reason" in missing.json()
    lost = api.post(
        f"/api/deals/{other.pk}/lose/", {"loss_reason": price.pk, "loss_note": "Cheaper"}
    )
    assert lost.status_code == 200 and lost.json()["status"] == "lost"


def test_patching_the_amount_needs_the_current_version(api, deal):
    path = f"/api/deals/{deal.pk}/"
    seen = api.get(path)["ETag"]
    first = api.patch(path, {"amount": "1200.50"}, headers={"If-Match": seen})
    assert first.status_code == 200 and first.json()["amount"] == "1200.50"
    stale = api.patch(path, {"amount": "99"}, headers={"If-Match": seen})
    assert stale.status_code == 409
    assert stale.json()["fields"]["amount"]["current"] == "1200.50"


def test_deleting_is_for_the_owner_managers_and_admins(deal, support_member):
    outsider = Api(token_for(support_member))
    response = outsider.delete(f"/api/deals/{deal.pk}/")
    assert response.status_code == 403
    assert "Only the deal's owner" in response.json()["detail"]
    assert Deal.objects.filter(pk=deal.pk).exists()


def test_the_owner_deletes_a_deal(api, deal):
    with capture_events() as events:
        assert api.delete(f"/api/deals/{deal.pk}/").status_code == 204
    assert not Deal.objects.filter(pk=deal.pk).exists()
    assert "deal.deleted" in {event.kind for event in events}


def test_people_and_departments_are_read_only(api, member, sales, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        people = api.get("/api/people/", expand="").json()["results"]
    assert member.pk in {row["id"] for row in people}
    departments = api.get("/api/departments/").json()["results"]
    assert {"id": sales.pk, "name": "Sales", "slug": "sales", "description": ""} in departments
    assert api.post("/api/people/", {"email": "x@example.com"}).status_code == 405
