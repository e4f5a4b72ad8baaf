"""Sales reports on small hand-made datasets; every expected number is worked out by hand.

The default pipeline's stages (records' seed): Qualification 10 %, Needs analysis 25 %,
Proposal 50 %, Negotiation 75 %, Won, Lost. Times are UTC; every deal is made through
the services with the clock moved by ``at``.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from records import services
from records.models import LossReason
from reports import catalog
from reports.selectors import sales
from tests.factories import UserFactory
from tests.reports.helpers import filters_for

pytestmark = pytest.mark.django_db

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def build(slug, viewer, start, end, **filters):
    """Report ``slug`` as ``viewer`` sees it for ``start`` to ``end`` (UTC)."""
    return catalog.get(slug).build(filters_for(viewer, start, end, **filters))


def column(report, key):
    return [row[key] for row in report.rows]


def figures(report):
    return {figure.label: figure.value for figure in report.figures}


@pytest.fixture
def colleague(sales):
    return UserFactory(full_name="Zoe Colleague", departments=[sales])


@pytest.fixture
def open_deal(admin, acme):
    """``open_deal("Title", amount, owner=…, stage=…, …)``: a deal opened now by an admin."""

    def make(title, amount, **fields):
        return services.create_deal(
            actor=admin, client=acme, title=title, amount=Decimal(amount), **fields
        )

    return make


# --- Funnel ------------------------------------------------------------------------------


@pytest.fixture
def funnel_deals(at, open_deal, member, stages, price):
    """A: Qualification 2 d → Proposal 5 d → Won.  B: Qualification 2 d → Lost.
    C: opened in Needs analysis, 10 d so far.  E: Qualification 1 d → Negotiation 1 d →
    back to Qualification, 12 d so far.  D: opened in February (not counted)."""
    at(2026, 2, 20, 9)
    open_deal("D", 100, owner=member)
    at(2026, 3, 2, 9)
    a = open_deal("A", 100, owner=member)
    at(2026, 3, 3, 9)
    b = open_deal("B", 100, owner=member)
    at(2026, 3, 4, 9)
    services.move_deal(actor=member, deal=a, stage=stages["Proposal"])
    at(2026, 3, 5, 9)
    services.lose_deal(actor=member, deal=b, loss_reason=price)
    at(2026, 3, 6, 9)
    e = open_deal("E", 100, owner=member)
    at(2026, 3, 7, 9)
    services.move_deal(actor=member, deal=e, stage=stages["Negotiation"])
    at(2026, 3, 8, 9)
    services.move_deal(actor=member, deal=e, stage=stages["Qualification"])
    at(2026, 3, 9, 9)
    services.win_deal(actor=member, deal=a)
    at(2026, 3, 10, 9)
    open_deal("C", 100, owner=member, stage=stages["Needs analysis"])
    at(2026, 3, 20, 9)


def test_funnel_counts_deals_that_reached_each_stage(funnel_deals, admin):
    report = build("sales-funnel", admin, *MARCH)
    assert column(report, "stage") == [
        "Qualification",
        "Needs analysis",
        "Proposal",
        "Negotiation",
        "Won",
    ]
    # Qualification: A B C E (C started later on); Needs analysis: A C E (A and E went past
    # it); Proposal and Negotiation: A E (E reached Negotiation before going back); Won: A.
    assert column(report, "reached") == [4, 3, 2, 2, 1]
    # 3/4, 2/3, 2/2, 1/2
    assert column(report, "conversion") == [None, 75.0, 66.7, 100.0, 50.0]
    # Qualification: A 2 d, B 2 d, E 1 + 12 d → 17 / 3 deals; Needs analysis: C 10 d;
    # Proposal: A 5 d; Negotiation: E 1 d.
    assert column(report, "days") == [5.7, 10.0, 5.0, 1.0, None]
    # 1 won of 4 opened
    assert figures(report) == {"Deals opened": 4, "Won": 1, "Opened → won": 25.0}
    assert report.chart.kind == "hbar"


def test_funnel_of_an_empty_period_says_so(funnel_deals, admin):
    report = build("sales-funnel", admin, date(2025, 1, 1), date(2025, 1, 31))
    assert report.rows == []
    assert figures(report)["Deals opened"] == 0


# --- Forecast ----------------------------------------------------------------------------


def test_forecast_by_expected_close_month(at, open_deal, member, stages, price):
    at(2026, 3, 2, 9)
    won = open_deal("Won", 1500, owner=member)
    lost = open_deal("Lost", 9000, owner=member, expected_close=date(2026, 3, 31))
    at(2026, 3, 10, 9)
    services.win_deal(actor=member, deal=won)
    services.lose_deal(actor=member, deal=lost, loss_reason=price)
    at(2026, 3, 15, 9)
    open_deal("March", 1000, owner=member, expected_close=date(2026, 3, 20))
    open_deal("April", 2000, stage=stages["Proposal"], expected_close=date(2026, 4, 10))
    open_deal("April end", 400, stage=stages["Negotiation"], expected_close=date(2026, 4, 30))
    open_deal("Undated", 500, stage=stages["Needs analysis"])
    open_deal("July", 800, expected_close=date(2026, 7, 1))
    open_deal("Dollars", 300, currency="USD", expected_close=date(2026, 3, 20))

    report = build("sales-forecast", member, date(2026, 3, 1), date(2026, 5, 31))

    assert report.rows == [
        # March: 1000 x 10 %; won 1500 on 10 March
        {"month": date(2026, 3, 1), "open": 1, "amount": 1000, "weighted": 100, "won": 1500},
        # April: 2000 x 50 % + 400 x 75 % = 1000 + 300
        {"month": date(2026, 4, 1), "open": 2, "amount": 2400, "weighted": 1300, "won": 0},
        {"month": date(2026, 5, 1), "open": 0, "amount": 0, "weighted": 0, "won": 0},
        # 500 x 25 %
        {"month": "No date", "open": 1, "amount": 500, "weighted": 125, "won": 0},
    ]
    # 1000 + 2400 + 500; 100 + 1300 + 125
    assert report.totals == {
        "month": "Total",
        "open": 4,
        "amount": 3900,
        "weighted": 1525,
        "won": 1500,
    }
    assert report.currency == "EUR"
    assert report.notes[0] == (
        "1 deal should close after this period: pick a later end to see them."
    )
    assert report.notes[-1] == "1 deal in USD is not counted: pick USD above."


# --- Loss reasons ------------------------------------------------------------------------


def test_loss_reasons_count_and_value(at, open_deal, member, price):
    budget = LossReason.objects.get(name="No budget")
    timing = LossReason.objects.get(name="Timing")
    at(2026, 2, 1, 9)
    deals = {
        "Feb": (open_deal("Feb", 50, owner=member), price),
        "P1": (open_deal("P1", 1000, owner=member), price),
        "P2": (open_deal("P2", 500, owner=member), price),
        "B": (open_deal("B", 700, owner=member), budget),
        "USD": (open_deal("USD", 300, owner=member, currency="USD"), timing),
    }
    at(2026, 2, 10, 9)
    services.lose_deal(actor=member, deal=deals.pop("Feb")[0], loss_reason=price)
    at(2026, 3, 10, 9)
    for deal, reason in deals.values():
        services.lose_deal(actor=member, deal=deal, loss_reason=reason)

    report = build("sales-loss-reasons", member, *MARCH)

    assert report.rows == [
        # Price: P1 + P2 = 1000 + 500, 2 of 3 lost deals
        {"reason": "Price", "lost": 2, "share": 66.7, "value": 1500},
        {"reason": "No budget", "lost": 1, "share": 33.3, "value": 700},
    ]
    assert report.totals == {"reason": "Total", "lost": 3, "share": 100, "value": 2200}
    assert figures(report) == {"Deals lost": 3, "Value lost": 2200, "Main reason": "Price"}
    assert report.chart.kind == "doughnut"
    assert report.notes == ["1 deal in USD is not counted: pick USD above."]


# --- Owners and velocity -----------------------------------------------------------------


@pytest.fixture
def closed_march(at, open_deal, member, colleague, price):
    """member: won 1000 after 10 d, won 3000 after 4 d, lost one.
    colleague: won 600 after 2 d, lost one."""
    at(2026, 3, 1, 9)
    m1 = open_deal("M1", 1000, owner=member)
    at(2026, 3, 2, 9)
    m2 = open_deal("M2", 3000, owner=member)
    m3 = open_deal("M3", 800, owner=member)
    at(2026, 3, 3, 9)
    c1 = open_deal("C1", 600, owner=colleague)
    c2 = open_deal("C2", 200, owner=colleague)
    at(2026, 3, 5, 9)
    services.win_deal(actor=colleague, deal=c1)
    services.lose_deal(actor=colleague, deal=c2, loss_reason=price)
    at(2026, 3, 6, 9)
    services.win_deal(actor=member, deal=m2)
    at(2026, 3, 8, 9)
    services.lose_deal(actor=member, deal=m3, loss_reason=price)
    at(2026, 3, 11, 9)
    services.win_deal(actor=member, deal=m1)


def test_owners_win_rate_size_and_cycle(closed_march, sales_manager, member, colleague):
    report = build("sales-owners", sales_manager, *MARCH)
    by_owner = {row["owner"]: row for row in report.rows}
    assert set(by_owner) == {member.full_name, colleague.full_name}
    member_row = by_owner[member.full_name]
    # 2 won of 3; (1000 + 3000) / 2; (10 d + 4 d) / 2
    assert (member_row["won"], member_row["lost"], member_row["closed"]) == (2, 1, 3)
    assert (member_row["win_rate"], member_row["average_won"]) == (66.7, 2000)
    assert member_row["cycle_days"] == 7.0
    colleague_row = by_owner[colleague.full_name]
    assert (colleague_row["won"], colleague_row["lost"], colleague_row["win_rate"]) == (1, 1, 50)
    assert (colleague_row["average_won"], colleague_row["cycle_days"]) == (600, 2.0)
    # 3 won of 5; 4600 / 3; (10 + 4 + 2) d / 3
    totals = report.totals
    assert (totals["won"], totals["lost"], totals["win_rate"]) == (3, 2, 60.0)
    assert (totals["average_won"], totals["cycle_days"]) == (Decimal("1533.33"), 5.3)
    assert figures(report) == {
        "Win rate": 60.0,
        "Average won deal": Decimal("1533.33"),
        "Average sales cycle": 5.3,
    }


def test_member_sees_own_row_and_the_others_folded(closed_march, member, colleague):
    report = build("sales-owners", member, *MARCH)
    assert column(report, "owner") == [member.full_name, "Others"]
    others = report.rows[1]
    assert (others["won"], others["lost"], others["average_won"]) == (1, 1, 600)
    assert colleague.full_name not in str(report.rows)
    assert report.totals["closed"] == 5


def test_velocity_per_owner_and_in_total(
    closed_march, at, open_deal, sales_manager, member, colleague
):
    at(2026, 3, 20, 9)
    open_deal("Open 1", 10, owner=member)
    open_deal("Open 2", 10, owner=member)
    open_deal("Open 3", 10, owner=colleague)
    open_deal("Open in USD", 10, owner=colleague, currency="USD")

    report = build("sales-velocity", sales_manager, *MARCH)

    by_owner = {row["owner"]: row for row in report.rows}
    # member: 2 open x 2/3 x 2000 / 7 d = 8000 / 21
    assert by_owner[member.full_name]["velocity"] == Decimal("380.95")
    # colleague: 1 open x 1/2 x 600 / 2 d
    assert by_owner[colleague.full_name]["velocity"] == Decimal("150.00")
    # everyone: 3 open x 3/5 x 4600/3 / (16/3 d) = 2760 x 3 / 16
    assert report.totals["open"] == 3
    assert figures(report) == {"Velocity per day": Decimal("517.50")}
    assert "Velocity = open deals times win rate" in report.notes[0]
    assert report.notes[1] == "1 deal in USD is not counted: pick USD above."


# --- Stuck deals -------------------------------------------------------------------------


@pytest.fixture
def stuck_deals(at, open_deal, member, stages):
    """Seen on 30 April at noon: "Idle" in Qualification since 1 March (60 d), "Slow" in Proposal
    since 20 March (41 d), "Recent" moved on 10 April (20 d), "Closed" won in February."""
    at(2026, 1, 1, 9)
    slow = open_deal("Slow", 2000, owner=member)
    recent = open_deal("Recent", 300, owner=member)
    open_deal("Dollars", 900, owner=member, currency="USD")
    at(2026, 2, 1, 9)
    closed = open_deal("Closed", 100, owner=member)
    at(2026, 2, 10, 9)
    services.win_deal(actor=member, deal=closed)
    at(2026, 3, 1, 9)
    idle = open_deal("Idle", 500, owner=member)
    at(2026, 3, 20, 9)
    services.move_deal(actor=member, deal=slow, stage=stages["Proposal"])
    at(2026, 4, 10, 9)
    services.move_deal(actor=member, deal=recent, stage=stages["Needs analysis"])
    at(2026, 4, 30, 12)
    return idle, slow


def test_stuck_lists_the_longest_first(stuck_deals, member, acme):
    idle, slow = stuck_deals
    report = build("sales-stuck", member, *MARCH, days=30)
    assert report.rows == [
        {
            "deal": "Idle",
            "link": reverse("records:deal_detail", args=[idle.pk]),
            "client": acme.name,
            "owner": member.full_name,
            "stage": "Qualification",
            "days": 60,  # 1 March → 30 April: 31 + 29
            "amount": 500,
        },
        {
            "deal": "Slow",
            "link": reverse("records:deal_detail", args=[slow.pk]),
            "client": acme.name,
            "owner": member.full_name,
            "stage": "Proposal",
            "days": 41,  # 20 March → 30 April: 11 + 30
            "amount": 2000,
        },
    ]
    assert report.row_link == "link"
    assert report.notes == ["1 deal in USD is not counted: pick USD above."]
    # "Recent" has been in Needs analysis 20 days
    assert column(build("sales-stuck", member, *MARCH, days=15), "deal") == [
        "Idle",
        "Slow",
        "Recent",
    ]


def test_stuck_list_is_capped_with_a_note(stuck_deals, member, monkeypatch):
    monkeypatch.setattr(sales, "STUCK_ROWS", 1)
    report = build("sales-stuck", member, *MARCH, days=30)
    assert column(report, "deal") == ["Idle"]
    assert figures(report) == {"Stuck deals": 2}
    assert report.notes[0].startswith("Showing the 1 longest stuck of 2 deals")


# --- Won and lost ------------------------------------------------------------------------


def test_won_and_lost_leaves_other_currencies_out_and_says_so(closed_march, at, open_deal):
    at(2026, 3, 12, 9)
    dollars = open_deal("Dollars", 50, currency="USD")
    services.win_deal(actor=dollars.owner, deal=dollars)
    report = build("sales-won-lost", dollars.owner, *MARCH)
    # M1, M2, C1 won; M3, C2 lost; 1000 + 3000 + 600
    assert report.rows == [{"month": date(2026, 3, 1), "won": 3, "lost": 2, "won_value": 4600}]
    assert report.notes == ["1 deal in USD is not counted: pick USD above."]


# --- Query counts ------------------------------------------------------------------------

# Each: the people in scope (a member's department), then the report's own queries.
QUERIES = {
    "sales-won-lost": 3,  # by month, other currencies
    "sales-loss-reasons": 3,  # by reason, other currencies
    "sales-funnel": 5,  # default pipeline, its stages, deals, their stage moves
    "sales-forecast": 4,  # open by month, won by month, other currencies
    "sales-owners": 3,  # closed by owner, other currencies
    "sales-velocity": 4,  # closed by owner, open by owner, other currencies
    "sales-stuck": 3,  # the deals, other currencies
}


@pytest.mark.parametrize("slug", QUERIES)
def test_query_count_does_not_grow_with_the_data(
    slug, funnel_deals, closed_march, at, open_deal, member, stages, django_assert_num_queries
):
    report = catalog.get(slug).build
    filters = filters_for(member, *MARCH)
    report(filters)  # warms the content types' cache
    with django_assert_num_queries(QUERIES[slug]):
        report(filters)
    at(2026, 3, 21, 9)
    for number in range(5):
        deal = open_deal(f"More {number}", 100, owner=member)
        services.move_deal(actor=member, deal=deal, stage=stages["Proposal"])
        services.win_deal(actor=member, deal=deal)
    with django_assert_num_queries(QUERIES[slug]):
        report(filters)


# --- Pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", QUERIES)
def test_every_sales_report_renders_and_exports(slug, client, admin, closed_march, stuck_deals):
    client.force_login(admin)
    page = reverse("reports:report", args=[slug])
    assert client.get(page, {"period": "this_year"}).status_code == 200
    response = client.get(page, {"period": "this_year", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
