"""The deal page, opening a deal, winning, losing and deleting one."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Role
from records import services
from records.models import Deal, FieldChange, TimelineEntry
from tests.factories import UserFactory
from tests.live_helpers import capture_events
from tests.records.queries import count_queries

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def outsider(db):
    return UserFactory(role=Role.MEMBER)


def detail_url(deal) -> str:
    return reverse("records:deal_detail", args=[deal.pk])


def new_url(client_record=None) -> str:
    url = reverse("records:deal_new")
    return f"{url}?client={client_record.pk}" if client_record else url


# --- The page ---------------------------------------------------------------------------


def test_deal_page_full_and_htmx(client, member, deal, stages):
    services.move_deal(actor=member, deal=deal, stage=stages["Proposal"])
    client.force_login(member)
    html = client.get(detail_url(deal)).content.decode()
    assert "<html" in html and "Rollout" in html and "Acme GmbH" in html
    assert f'id="deal-head-{deal.pk}"' in html and f'id="deal-stages-{deal.pk}"' in html
    assert f'data-live-topic="deal.{deal.pk}"' in html
    assert 'aria-current="step"' in html
    assert "Qualification</span> to <span" in html  # the stage history
    assert reverse("records:deal_win", args=[deal.pk]) in html  # may close it
    partial = client.get(detail_url(deal), **HTMX).content.decode()
    assert "<html" not in partial and f'id="deal-head-{deal.pk}"' in partial


def test_deal_page_hides_controls_from_who_cannot_use_them(client, outsider, deal):
    client.force_login(outsider)
    html = client.get(detail_url(deal)).content.decode()
    assert "Rollout" in html
    assert reverse("records:deal_win", args=[deal.pk]) not in html
    assert reverse("records:deal_delete", args=[deal.pk]) not in html


def test_deal_page_of_a_missing_deal(client, member, db):
    client.force_login(member)
    assert client.get(reverse("records:deal_detail", args=[999999])).status_code == 404


def test_deal_page_query_budget_is_constant(client, member, deal, stages):
    """One stage move or twelve in the history: the same queries."""
    names = ["Needs analysis", "Proposal", "Qualification"]
    services.move_deal(actor=member, deal=deal, stage=stages[names[0]])
    client.force_login(member)
    few = count_queries(client, detail_url(deal))
    for n in range(1, 12):
        services.move_deal(actor=member, deal=deal, stage=stages[names[n % 3]])
    assert count_queries(client, detail_url(deal)) == few


def test_live_fragments_of_the_deal_page(member, deal, stages, price):
    with capture_events() as events:
        services.move_deal(actor=member, deal=deal, stage=stages["Proposal"])
    html = events[0].html
    assert f'id="deal-head-{deal.pk}" hx-swap-oob="true"' in html
    assert f'id="deal-stages-{deal.pk}" data-status="open" hx-swap-oob="true"' in html
    assert f'hx-swap-oob="afterbegin:#deal-history-{deal.pk}"' in html
    with capture_events() as events:
        services.lose_deal(actor=member, deal=deal, loss_reason=price, loss_note="Too dear")
    assert 'data-status="lost"' in events[0].html and "Too dear" in events[0].html
    with capture_events() as events:
        services.delete_deal(actor=member, deal=deal)
    assert f'id="deal-deleted-{deal.pk}" hx-swap-oob="true"' in events[0].html


# --- Opening a deal ------------------------------------------------------------------------


def test_create_deal(client, member, acme, stages):
    client.force_login(member)
    assert "New deal for Acme GmbH" in client.get(new_url(acme)).content.decode()
    response = client.post(
        new_url(acme),
        {
            "client": acme.pk,
            "title": "Licences",
            "amount": "12500.50",
            "currency": "USD",
            "stage": stages["Proposal"].pk,
            "expected_close": "2030-01-31",
        },
    )
    deal = Deal.objects.get(title="Licences")
    assert response.status_code == 302 and response["Location"] == detail_url(deal)
    assert (deal.client, deal.amount, deal.currency, deal.stage, deal.owner) == (
        acme,
        Decimal("12500.50"),
        "USD",
        stages["Proposal"],
        member,
    )


def test_create_deal_without_a_client_in_the_address_picks_one(client, member, acme):
    client.force_login(member)
    html = client.get(new_url()).content.decode()
    assert "Acme GmbH" in html and 'name="client"' in html


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"amount": "-5"}, "amount", "An amount cannot be negative."),
        ({"amount": "lots"}, "amount", "Enter the amount as a number"),
        ({"stage": "999999"}, "stage", "That stage does not exist in this pipeline."),
        ({"currency": "XYZ"}, "currency", "Pick one of the listed currencies."),
        ({"title": ""}, "title", "This field is required."),
    ],
)
def test_create_deal_bad_input(client, member, acme, stages, change, field, message):
    client.force_login(member)
    data = {"client": acme.pk, "title": "Licences", "amount": "10", "currency": "EUR"}
    data |= {"stage": stages["Qualification"].pk} | change
    with capture_events(0):
        response = client.post(new_url(acme), data)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert not Deal.objects.exists()


def test_create_deal_a_closed_stage_is_refused(client, member, acme, stages):
    client.force_login(member)
    data = {"client": acme.pk, "title": "X", "amount": "1", "currency": "EUR"}
    response = client.post(new_url(acme), data | {"stage": stages["Won"].pk})
    assert "does not exist in this pipeline" in response.content.decode()
    assert not Deal.objects.exists()


def test_create_deal_for_a_client_one_may_not_edit(client, outsider, acme, stages):
    client.force_login(outsider)
    data = {"client": acme.pk, "title": "X", "amount": "1", "currency": "EUR"}
    response = client.post(new_url(acme), data | {"stage": stages["Proposal"].pk})
    assert response.status_code == 200
    assert "You cannot add deals to this client." in response.content.decode()
    assert not Deal.objects.exists()


def test_create_deal_for_a_missing_client(client, member, db):
    client.force_login(member)
    assert client.get(reverse("records:deal_new") + "?client=999999").status_code == 404


# --- Winning, losing, deleting ----------------------------------------------------------------


def test_win_from_the_deal_page(client, member, deal):
    client.force_login(member)
    response = client.post(reverse("records:deal_win", args=[deal.pk]), **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "deal-closed" and response["X-Live-Event"]
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON


def test_win_refused(client, outsider, deal):
    client.force_login(outsider)
    response = client.post(reverse("records:deal_win", args=[deal.pk]), **HTMX)
    assert response.status_code == 403
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN


def test_lose_form_and_lose(client, member, deal, price):
    url = reverse("records:deal_lose", args=[deal.pk])
    client.force_login(member)
    form = client.get(url, **HTMX).content.decode()
    assert "<html" not in form and "Price" in form and 'name="loss_note"' in form
    with capture_events(0):
        response = client.post(url, {"loss_note": "no reason given"}, **HTMX)
    assert "Say why the deal was lost" in response.content.decode()
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN
    response = client.post(url, {"loss_reason": price.pk, "loss_note": "Too dear"}, **HTMX)
    assert response["HX-Trigger"] == "deal-closed"
    deal.refresh_from_db()
    assert (deal.status, deal.loss_reason, deal.loss_note) == ("lost", price, "Too dear")


def test_lose_without_javascript(client, member, deal, price):
    url = reverse("records:deal_lose", args=[deal.pk])
    client.force_login(member)
    assert "<html" in client.get(url).content.decode()
    response = client.post(url, {"loss_reason": price.pk})
    assert response.status_code == 302 and response["Location"] == detail_url(deal)


def test_lose_refused_shows_on_the_form(client, outsider, deal, price):
    client.force_login(outsider)
    url = reverse("records:deal_lose", args=[deal.pk])
    response = client.post(url, {"loss_reason": price.pk}, **HTMX)
    assert "You cannot move this deal." in response.content.decode()
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN


def test_delete_deal(client, member, deal):
    client.force_login(member)
    with capture_events() as events:
        response = client.post(reverse("records:deal_delete", args=[deal.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("records:pipeline_board", args=[deal.pipeline_id])
    assert not Deal.objects.filter(pk=deal.pk).exists()
    assert {event.kind for event in events} == {"deal.deleted"}
    assert TimelineEntry.objects.filter(summary__contains="deleted deal Rollout").exists()


def test_delete_deal_refused(client, outsider, deal):
    client.force_login(outsider)
    changes = FieldChange.objects.count()
    with capture_events(0):
        response = client.post(reverse("records:deal_delete", args=[deal.pk]))
        htmx = client.post(reverse("records:deal_delete", args=[deal.pk]), **HTMX)
    assert response.status_code == 403  # the 403 page, not a redirect to the deal
    assert htmx.status_code == 403 and "can delete it" in htmx.content.decode()
    assert Deal.objects.filter(pk=deal.pk).exists()
    assert FieldChange.objects.count() == changes
