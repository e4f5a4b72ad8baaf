"""Reports are live: writes tell report.<area> in their transaction, the topics are
guarded, and a report is computed once per change and filter set, not once per tab."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import Role
from records import services
from reports import catalog
from tests.chat.factories import client_room, direct, post
from tests.factories import UserFactory
from tests.live_helpers import capture_events
from workspace import live

pytestmark = pytest.mark.django_db

SALES = "report.sales"


def report_events(events) -> list[tuple[str, str]]:
    return [(event.topic, event.kind) for event in events if event.topic.startswith("report.")]


def test_a_deal_move_tells_sales_health_and_marketing_in_its_transaction(member, deal, stages):
    with capture_events(derived=True) as events:
        services.move_deal(actor=member, deal=deal, stage=stages["Won"])
    told = [event for event in events if event.payload.get("cause") == "deal.won"]
    assert report_events(told) == [
        ("report.sales", "report.changed"),
        ("report.health", "report.changed"),
        ("report.marketing", "report.changed"),
    ]


def test_a_write_that_rolls_back_tells_no_report(member, deal, stages):
    with (
        capture_events(derived=True) as events,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.move_deal(actor=member, deal=deal, stage=stages["Won"])
        raise RuntimeError("the rest of the request failed")
    assert events == []


def test_a_services_own_events_leave_the_derived_ones_out(member, deal, stages):
    with capture_events() as events:
        services.move_deal(actor=member, deal=deal, stage=stages["Won"])
    assert report_events(events) == []
    assert "deal.won" in {event.kind for event in events}


def test_only_client_rooms_messages_count_for_teamwork(member, sales):
    colleague = UserFactory(departments=[sales])
    with capture_events(derived=True) as events:
        post(member, client_room(member))
    assert ("report.teamwork", "report.changed") in report_events(events)
    with capture_events(derived=True) as events:
        post(member, direct(member, colleague))
    assert report_events(events) == []  # a direct message is in no report, not even its timing


def test_report_topics_are_open_to_staff_and_only_for_real_areas(member):
    assert live.can_subscribe(member, SALES)
    assert live.can_subscribe(member, "report.health")
    assert not live.can_subscribe(member, "report.payroll")
    member.is_active = False
    assert not live.can_subscribe(member, SALES)


@pytest.fixture
def counted_builds(monkeypatch, settings):
    """How many times the sales-won-lost builder ran (the report cache on)."""
    settings.REPORTS_CACHE_SECONDS = 300
    spec = catalog.get("sales-won-lost")
    calls = []

    def build(filters):
        calls.append(filters.scope.key)
        return original(filters)

    original = spec.build
    monkeypatch.setitem(catalog._specs, spec.slug, spec.__class__(**{**vars(spec), "build": build}))
    return calls


def test_tabs_with_the_same_filters_and_scope_share_one_computation(
    client, counted_builds, sales, sales_manager, member, acme, stages
):
    other_manager = UserFactory(role=Role.MANAGER, departments=[sales])
    page = reverse("reports:report", args=["sales-won-lost"]) + "?period=this_month"
    for viewer in (sales_manager, other_manager, sales_manager):
        client.force_login(viewer)
        assert client.get(page).status_code == 200
    assert len(counted_builds) == 1, "three tabs of one scope, one computation"

    client.force_login(member)  # a member's scope differs (their own row only)
    client.get(page)
    assert len(counted_builds) == 2

    deal = services.create_deal(actor=member, client=acme, title="New", amount=Decimal(10))
    services.move_deal(actor=member, deal=deal, stage=stages["Won"])
    client.force_login(sales_manager)
    client.get(page)
    client.force_login(other_manager)
    client.get(page)
    assert len(counted_builds) == 3, "after a change, computed again, once"
