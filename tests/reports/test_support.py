"""Support reports on a hand-made March 2026 (UTC), the answers worked out by hand.

SLA hours (the seeded defaults): urgent 4, high 8, normal 24, low 72.
Percentiles are nearest-rank: of n sorted values, the p-th is the ⌈p·n/100⌉-th
(so the median of an even count is the lower middle value).

The tickets (answered = first response, solved = resolution, "-" = unassigned; agent A
is ``support_member``, agent B is in Support and Success; due = opened + SLA hours):

    T1  urgent A opened 2 Mar 09:00, answered 10:00 (1 h), solved 12:00 (3 h; due 13:00,
        met), rated 5
    T2  urgent A opened 3 Mar 09:00, answered 11:00 (2 h), solved 15:00 (6 h; due 13:00,
        late), rated 3
    T3  high   B opened 3 Mar 10:00, answered 14:00 (4 h), solved 4 Mar 10:00 (24 h; due
        18:00, late), rated 4
    T4  normal B opened 4 Mar 09:00, answered 09:30 (0.5 h), solved 21:00 (12 h; due 5 Mar
        09:00, met)
    T5  low    - opened 5 Mar 08:00, answered 14:00 (6 h), open (due 8 Mar: past due now)
    T6  normal A opened 20 Feb 09:00, answered 10:00, solved 2 Mar 09:00 (8 + 2 days = 240 h;
        due 21 Feb, late), rated 2
    T7  high   A opened 6 Mar 09:00, never answered, open (due 6 Mar 17:00: past due now)
    T8  low    B opened 31 Mar 20:00, solved 1 Apr 10:00 (so answered then: 14 h)
    T9  urgent A opened 10 Apr 10:00, open (due 14:00: not yet)
    T10 low    B opened 8 Apr 12:00, open (due 11 Apr: not yet)
    T11 high   - opened 5 Apr 12:00, open (due 5 Apr 20:00: past due now)
    T12 normal A opened 2 Apr 12:00, open (due 3 Apr: past due now)

"Now" is 10 Apr 2026 12:00 UTC.
"""

from dataclasses import replace
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from records import services
from records.models import Ticket
from reports.selectors import support
from tests.factories import DepartmentFactory, UserFactory
from tests.reports.helpers import filters_for, march

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
NOW = (2026, 4, 10, 12, 0)


def on(month, day, hour, minute=0) -> tuple:
    """A moment of 2026 (UTC), for ``at``."""
    return (2026, month, day, hour, minute)


@pytest.fixture
def success(db):
    return DepartmentFactory(name="Success", slug="success")


@pytest.fixture
def agent_b(support, success):
    return UserFactory(full_name="Zoe Zander", departments=[support, success])


@pytest.fixture
def make_ticket(at, support_member, acme):
    """``make_ticket(opened, priority, assignee, answered=, solved=, rating=)``: a ticket
    taken through the services at those moments (tuples for ``at``)."""

    def make(opened, priority, assignee, *, answered=None, solved=None, rating=None):
        at(*opened)
        ticket = services.create_ticket(
            actor=support_member, client=acme, subject="Help", priority=priority, assignee=assignee
        )
        for moment, status in ((answered, Ticket.Status.OPEN), (solved, Ticket.Status.SOLVED)):
            if moment:
                at(*moment)
                ticket = services.set_ticket_status(
                    actor=support_member, ticket=ticket, status=status
                )
        if rating:
            services.rate_ticket(actor=support_member, ticket=ticket, satisfaction=rating)
        return ticket

    return make


@pytest.fixture
def march_tickets(make_ticket, support_member, agent_b, at):
    a, b = support_member, agent_b
    make_ticket(on(3, 2, 9), "urgent", a, answered=on(3, 2, 10), solved=on(3, 2, 12), rating=5)
    make_ticket(on(3, 3, 9), "urgent", a, answered=on(3, 3, 11), solved=on(3, 3, 15), rating=3)
    make_ticket(on(3, 3, 10), "high", b, answered=on(3, 3, 14), solved=on(3, 4, 10), rating=4)
    make_ticket(on(3, 4, 9), "normal", b, answered=on(3, 4, 9, 30), solved=on(3, 4, 21))
    make_ticket(on(3, 5, 8), "low", None, answered=on(3, 5, 14))
    make_ticket(on(2, 20, 9), "normal", a, answered=on(2, 20, 10), solved=on(3, 2, 9), rating=2)
    make_ticket(on(3, 6, 9), "high", a)
    make_ticket(on(3, 31, 20), "low", b, solved=on(4, 1, 10))
    make_ticket(on(4, 10, 10), "urgent", a)
    make_ticket(on(4, 8, 12), "low", b)
    make_ticket(on(4, 5, 12), "high", None)
    make_ticket(on(4, 2, 12), "normal", a)
    at(*NOW)


def by_first_column(report) -> dict:
    first = report.columns[0].key
    return {row[first]: {k: v for k, v in row.items() if k != first} for row in report.rows}


def figures(report) -> dict:
    return {figure.label: figure.value for figure in report.figures}


def test_percentile_is_nearest_rank():
    assert support.percentile([], 50) is None
    assert support.percentile([4.0], 90) == 4.0
    assert support.percentile([3, 1, 2, 4], 50) == 2  # ⌈0.5·4⌉ = 2nd of 1 2 3 4
    assert support.percentile(range(1, 11), 90) == 9  # ⌈0.9·10⌉ = 9th
    assert support.percentile(range(1, 12), 90) == 10  # ⌈0.9·11⌉ = ⌈9.9⌉ = 10th
    assert support.percentile(range(1, 12), 50) == 6  # ⌈5.5⌉ = 6th


def test_volume_counts_opened_and_solved_per_day(admin, march_tickets):
    report = support.volume(march(admin))
    days = by_first_column(report)
    assert len(report.rows) == 31
    # Opened: T1 on the 2nd; T2, T3 on the 3rd; T4 the 4th; T5 the 5th; T7 the 6th; T8 the 31st.
    # Solved: T6 and T1 on the 2nd; T2 the 3rd; T3 and T4 the 4th (T8 was solved in April).
    assert days[date(2026, 3, 2)] == {"opened": 1, "solved": 2}
    assert days[date(2026, 3, 3)] == {"opened": 2, "solved": 1}
    assert days[date(2026, 3, 4)] == {"opened": 1, "solved": 2}
    assert days[date(2026, 3, 31)] == {"opened": 1, "solved": 0}
    assert days[date(2026, 3, 1)] == {"opened": 0, "solved": 0}
    assert report.totals == {"start": "Total", "opened": 7, "solved": 5}  # 1+2+1+1+1+1; 2+1+2
    assert figures(report) == {"Tickets opened": 7, "Tickets solved": 5}


def test_volume_groups_by_week_then_by_month_over_longer_periods(admin, march_tickets):
    weekly = support.volume(filters_for(admin, date(2026, 2, 1), date(2026, 3, 31)))
    assert weekly.columns[0].label == "Week of"
    weeks = by_first_column(weekly)
    # Monday 2 March to Sunday 8: opened T1, T2, T3, T4, T5, T7; solved T6, T1, T2, T3, T4.
    assert weeks[date(2026, 3, 2)] == {"opened": 6, "solved": 5}
    assert weeks[date(2026, 3, 30)] == {"opened": 1, "solved": 0}  # T8 on the 31st
    assert len(weekly.rows) == 10  # the Mondays 26 Jan, 2, 9, 16, 23 Feb, 2, 9, 16, 23, 30 Mar

    monthly = support.volume(filters_for(admin, date(2026, 1, 1), date(2026, 6, 30)))
    assert [row["start"] for row in monthly.rows] == [date(2026, m, 1) for m in range(1, 7)]
    assert by_first_column(monthly)[date(2026, 3, 1)] == {"opened": 7, "solved": 5}


def test_volume_days_are_the_viewers(admin, make_ticket, at):
    make_ticket(on(3, 2, 23, 30), "normal", None)  # 3 Mar 00:30 in Berlin
    report = support.volume(replace(march(admin), tz=ZoneInfo("Europe/Berlin")))
    assert by_first_column(report)[date(2026, 3, 3)]["opened"] == 1


def test_times_by_priority(admin, march_tickets):
    report = support.times(march(admin))
    assert by_first_column(report) == {
        # first responses 1, 2 h; resolutions 3, 6 h: median the 1st of 2, p90 the 2nd (⌈1.8⌉)
        "Urgent": {
            "answered": 2,
            "response_median": 1.0,
            "response_p90": 2.0,
            "resolved": 2,
            "resolution_median": 3.0,
            "resolution_p90": 6.0,
        },
        # T3 answered after 4 h, solved after 24 h; T7 never answered
        "High": {
            "answered": 1,
            "response_median": 4.0,
            "response_p90": 4.0,
            "resolved": 1,
            "resolution_median": 24.0,
            "resolution_p90": 24.0,
        },
        # T4 answered after 0.5 h (T6 was opened in February); resolutions 12 (T4), 240 (T6)
        "Normal": {
            "answered": 1,
            "response_median": 0.5,
            "response_p90": 0.5,
            "resolved": 2,
            "resolution_median": 12.0,
            "resolution_p90": 240.0,
        },
        # T5 answered after 6 h, T8 after 14 h; none solved in March
        "Low": {
            "answered": 2,
            "response_median": 6.0,
            "response_p90": 14.0,
            "resolved": 0,
            "resolution_median": None,
            "resolution_p90": None,
        },
    }
    # All: responses 0.5 1 2 4 6 14: median the 3rd (⌈3⌉) = 2, p90 the 6th (⌈5.4⌉) = 14;
    # resolutions 3 6 12 24 240: median the 3rd (⌈2.5⌉) = 12, p90 the 5th (⌈4.5⌉) = 240.
    assert report.totals == {
        "priority": "All",
        "answered": 6,
        "response_median": 2.0,
        "response_p90": 14.0,
        "resolved": 5,
        "resolution_median": 12.0,
        "resolution_p90": 240.0,
    }
    assert report.notes == ["1 ticket opened in the period had no first response yet."]


def test_sla_met_breached_and_past_due(admin, march_tickets):
    report = support.sla(march(admin))
    assert by_first_column(report) == {
        # T1 met, T2 late; T3 late; T4 met, T6 late; none solved. Past due now: T7 and T11
        # (high), T12 (normal), T5 (low); T9 and T10 are not due yet.
        "Urgent": {"resolved": 2, "met": 1, "breached": 1, "met_share": 50.0, "overdue": 0},
        "High": {"resolved": 1, "met": 0, "breached": 1, "met_share": 0.0, "overdue": 2},
        "Normal": {"resolved": 2, "met": 1, "breached": 1, "met_share": 50.0, "overdue": 1},
        "Low": {"resolved": 0, "met": 0, "breached": 0, "met_share": None, "overdue": 1},
    }
    # 2 met of 5 solved = 40 %
    assert report.totals == {
        "priority": "All",
        "resolved": 5,
        "met": 2,
        "breached": 3,
        "met_share": 40.0,
        "overdue": 4,
    }
    assert figures(report) == {"SLA met": 40.0, "Breached": 3, "Open past due now": 4}


def test_backlog_by_priority_and_age(admin, march_tickets):
    report = support.backlog(march(admin))
    empty = {"under_1d": 0, "d1_3": 0, "d3_7": 0, "d7_30": 0, "over_30d": 0}
    assert by_first_column(report) == {
        "Urgent": empty | {"under_1d": 1, "open": 1},  # T9: 2 h old
        "High": empty | {"d3_7": 1, "over_30d": 1, "open": 2},  # T11: 5 days; T7: 35 days
        "Normal": empty | {"d7_30": 1, "open": 1},  # T12: 8 days
        "Low": empty | {"d1_3": 1, "over_30d": 1, "open": 2},  # T10: 2 days; T5: 36 days
    }
    assert report.totals == {
        "priority": "All",
        "under_1d": 1,
        "d1_3": 1,
        "d3_7": 1,
        "d7_30": 1,
        "over_30d": 2,
        "open": 6,
    }
    assert figures(report) == {"Open tickets": 6, "Open over 7 days": 3}  # T12, T7, T5


def test_backlog_bucket_edges(admin, make_ticket, at):
    make_ticket(on(4, 9, 11, 59), "normal", None)  # 1 day 1 minute old at NOW
    make_ticket(on(4, 9, 12, 1), "normal", None)  # 23 h 59 min old
    make_ticket(on(3, 11, 11, 59), "normal", None)  # 30 days 1 minute old
    at(*NOW)
    totals = support.backlog(march(admin)).totals
    assert (totals["under_1d"], totals["d1_3"], totals["d7_30"], totals["over_30d"]) == (1, 1, 0, 1)


def test_csat_average_and_distribution(admin, march_tickets):
    report = support.csat(march(admin))
    # rated and solved in March: T1 5, T2 3, T3 4, T6 2 (T4 was not rated)
    assert [(row["rating"], row["tickets"], row["share"]) for row in report.rows] == [
        ("1 of 5", 0, 0.0),
        ("2 of 5", 1, 25.0),
        ("3 of 5", 1, 25.0),
        ("4 of 5", 1, 25.0),
        ("5 of 5", 1, 25.0),
    ]
    assert figures(report) == {"Average rating (of 5)": 3.5, "Ratings": 4}  # (5+3+4+2)/4


def test_csat_without_ratings_is_empty(admin):
    report = support.csat(march(admin))
    assert report.rows == []
    assert figures(report)["Average rating (of 5)"] is None


def test_agents_and_teams(admin, support_member, agent_b, march_tickets):
    report = support.agents(march(admin))
    assert by_first_column(report) == {
        # A: solved T1 T2 T6, met T1 only (1/3); responses 1, 2 h -> 1st; ratings 5 3 2
        support_member.full_name: {
            "kind": "Agent",
            "solved": 3,
            "response_median": 1.0,
            "sla_met": 33.3,
            "csat": 3.33,
        },
        # B: solved T3 T4, met T4; responses 0.5 4 14 -> 2nd = 4; rating 4
        "Zoe Zander": {
            "kind": "Agent",
            "solved": 2,
            "response_median": 4.0,
            "sla_met": 50.0,
            "csat": 4.0,
        },
        # T5: answered after 6 h, not solved
        "Unassigned": {
            "kind": "Agent",
            "solved": 0,
            "response_median": 6.0,
            "sla_met": None,
            "csat": None,
        },
        # A and B: 5 solved, 2 met; responses 0.5 1 2 4 14 -> 3rd = 2; (5+3+2+4)/4
        "Support": {
            "kind": "Team",
            "solved": 5,
            "response_median": 2.0,
            "sla_met": 40.0,
            "csat": 3.5,
        },
        # B alone
        "Success": {
            "kind": "Team",
            "solved": 2,
            "response_median": 4.0,
            "sla_met": 50.0,
            "csat": 4.0,
        },
    }
    # everyone: responses 0.5 1 2 4 6 14 -> 3rd = 2
    assert report.totals == {
        "name": "All",
        "kind": "",
        "solved": 5,
        "response_median": 2.0,
        "sla_met": 40.0,
        "csat": 3.5,
    }


def test_a_member_sees_only_their_own_agent_row(support_member, agent_b, march_tickets):
    report = support.agents(march(support_member))
    rows = by_first_column(report)
    assert "Zoe Zander" not in rows
    assert list(rows) == [support_member.full_name, "Others", "Unassigned", "Support"]
    assert rows["Others"]["solved"] == 2  # B's T3 and T4, without B's name
    assert "Success" not in rows  # not the member's department


def test_a_person_filter_leaves_unassigned_tickets_out(admin, agent_b, march_tickets):
    report = support.sla(march(admin, person=agent_b))
    # B: T3 late, T4 met; T10 not due yet; the unassigned T5 and T11 do not count
    assert report.totals["resolved"] == 2
    assert report.totals["met"] == 1
    assert report.totals["overdue"] == 0


def test_another_department_sees_only_unassigned_tickets(member, march_tickets):
    report = support.backlog(march(member))
    assert report.totals["open"] == 2  # T5 and T11, nobody's


# Queries per builder for a manager (one of them finds the manager's departments' people).
QUERIES = {
    support.volume: 3,  # people, opened per day, solved per day
    support.times: 2,  # people, the tickets' facts
    support.sla: 2,  # people, counts by priority
    support.backlog: 2,  # people, counts by priority
    support.csat: 2,  # people, counts by rating
    support.agents: 3,  # people, the tickets' facts, the agents and their departments
}


@pytest.mark.parametrize("build", QUERIES, ids=lambda build: build.__name__)
def test_queries_do_not_grow_with_the_data(
    build, support_manager, support, make_ticket, at, django_assert_num_queries
):
    agent = UserFactory(departments=[support])
    make_ticket(on(3, 2, 9), "high", agent, solved=on(3, 2, 12), rating=4)
    at(*NOW)
    filters = march(support_manager)
    with django_assert_num_queries(QUERIES[build]):
        build(filters)
    for day in range(3, 9):
        other = UserFactory(departments=[support])
        make_ticket(on(3, day, 9), "low", other, answered=on(3, day, 10))
        make_ticket(on(3, day, 11), "urgent", None, solved=on(3, day, 12), rating=5)
    at(*NOW)
    filters = march(support_manager)
    with django_assert_num_queries(QUERIES[build]):
        build(filters)


@pytest.mark.parametrize(
    "slug",
    [
        "support-volume",
        "support-times",
        "support-sla",
        "support-backlog",
        "support-csat",
        "support-agents",
    ],
)
def test_pages_and_csv_render(slug, client, admin, march_tickets):
    client.force_login(admin)
    page = reverse("reports:report", args=[slug])
    params = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}
    assert client.get(page, params).status_code == 200
    assert client.get(page, params | {"format": "csv"})["Content-Type"].startswith("text/csv")
