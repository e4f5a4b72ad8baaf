"""The channels report and a campaign's results: sources credited by their touches."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from marketing.attribution import attributing, record_touch
from marketing.channels import channels, source_key
from marketing.models import Campaign, Touch, WebForm
from marketing.selectors.roi import campaign_results
from records import services
from tests.reports.helpers import filters_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def this_year():
    today = timezone.localdate()
    return date(today.year, 1, 1), date(today.year, 12, 31)


@pytest.fixture
def spring(admin):
    return Campaign.objects.create(
        name="Spring launch", cost=Decimal(1000), started_at=timezone.now()
    )


@pytest.fixture
def demo_form(member, sales):
    return WebForm.objects.create(name="Demo request", department=sales, fallback_owner=member)


def won(actor, client, amount, **fields):
    deal = services.create_deal(
        actor=actor, client=client, title="Licences", amount=Decimal(amount), **fields
    )
    return services.win_deal(actor=actor, deal=deal)


def by_source(report) -> dict[str, dict]:
    return {row["source"]: row for row in report.rows}


def test_sources_are_credited_first_and_latest_touch(
    member, admin, acme, spring, demo_form, this_year
):
    with attributing(Touch.Channel.FORM, form=demo_form):
        ada = services.create_contact(actor=member, client=acme, name="Ada Park")
    record_touch(contact=ada, channel=Touch.Channel.CAMPAIGN, campaign=spring)
    won(member, acme, 3000)

    report = channels(filters_for(admin, *this_year))

    rows = by_source(report)
    assert rows["Demo request"]["new_contacts"] == 1
    assert rows["Spring launch"]["deals_opened"] == 1
    assert rows["Demo request"]["won_first"] == Decimal(3000)
    assert rows["Spring launch"]["won_latest"] == Decimal(3000)
    assert rows["Spring launch"]["cost"] == Decimal(1000)
    assert rows["Spring launch"]["roi"] == 200
    assert report.totals["won_latest"] == Decimal(3000)
    assert report.totals["roi"] is None
    assert {figure.label: figure.value for figure in report.figures}[
        "Return on campaign spend"
    ] == 200


def test_a_member_sees_only_their_departments_numbers(
    member, support_member, admin, acme, this_year
):
    services.create_contact(actor=member, client=acme, name="Ada Park")

    assert (
        by_source(channels(filters_for(admin, *this_year)))["Added by staff"]["new_contacts"] == 1
    )
    assert channels(filters_for(support_member, *this_year)).rows == []


def test_marketing_sees_the_whole_company_unless_it_picks_a_department(
    member, marketer, support, acme, this_year
):
    services.create_contact(actor=member, client=acme, name="Ada Park")
    won(member, acme, 900)

    rows = by_source(channels(filters_for(marketer, *this_year)))
    assert rows["Added by staff"]["new_contacts"] == 1
    assert rows["Added by staff"]["won_latest"] == Decimal(900)
    assert channels(filters_for(marketer, *this_year, department=support)).rows == []


def test_utm_sources_are_their_own_rows(member, admin, acme, demo_form, this_year):
    with attributing(Touch.Channel.FORM, form=demo_form, utm_source="google", utm_medium="cpc"):
        services.create_contact(actor=member, client=acme, name="Ada Park")

    assert by_source(channels(filters_for(admin, *this_year)))["google / cpc"]["new_contacts"] == 1


def test_source_keys_prefer_campaign_then_utm_then_form_then_channel():
    touch = {"channel": "form", "campaign": 4, "form": 2, "utm_source": "x", "utm_medium": ""}
    assert source_key(touch) == ("campaign", 4)
    assert source_key(touch | {"campaign": None}) == ("utm", "x", "")
    assert source_key(touch | {"campaign": None, "utm_source": ""}) == ("form", 2)
    assert source_key({**touch, "campaign": None, "utm_source": "", "form": None}) == (
        "channel",
        "form",
    )


def test_campaign_results_count_leads_deals_and_roi(member, acme, spring):
    ada = services.create_contact(actor=member, client=acme, name="Ada Park")
    record_touch(contact=ada, channel=Touch.Channel.CAMPAIGN, campaign=spring)
    won(member, acme, 2500)
    won(member, acme, 700, currency="USD")
    services.create_deal(actor=member, client=acme, title="Open one", amount=Decimal(5))

    results = campaign_results(spring)

    assert (results.leads, results.new_leads) == (1, 0)
    assert (results.deals, results.won_deals) == (3, 2)
    assert results.won_revenue == Decimal(2500)
    assert results.other_currencies == {"USD": Decimal(700)}
    assert results.roi == Decimal("150.0")


def test_a_free_campaign_has_no_roi(member, acme):
    free = Campaign.objects.create(name="Newsletter")

    assert campaign_results(free).roi is None
