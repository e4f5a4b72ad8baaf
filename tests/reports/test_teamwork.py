"""Teamwork reports on small hand-made datasets: each figure worked out by hand.

Every dataset lives in March 2026 (the viewers are in Europe/Berlin); the
report is read for that month unless a test says otherwise.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.models import Role
from chat.services import messages as chat_messages
from chat.services import rooms
from records import services
from reports.filters import read_filters
from reports.selectors import teamwork
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
MARCH = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def march(viewer, **params):
    filters, form = read_filters(viewer, MARCH | params, today=date(2026, 3, 20))
    assert form.is_valid(), form.errors
    return filters


def rows_by(report, key: str) -> dict:
    return {row[key]: row for row in report.rows}


def pick(row: dict, *keys) -> tuple:
    return tuple(row[key] for key in keys)


@pytest.fixture
def finance(db):
    return DepartmentFactory(name="Finance", slug="finance")


@pytest.fixture
def accountant(finance):
    return UserFactory(role=Role.MEMBER, departments=[finance], full_name="Fay Finance")


@pytest.fixture
def clients(member, acme):
    """acme, beta and gamma, all owned by ``member``."""
    make = services.create_client
    return {
        "acme": acme,
        "beta": make(actor=member, name="Beta AG", domain="beta.example"),
        "gamma": make(actor=member, name="Gamma SA", domain="gamma.example"),
        "delta": make(actor=member, name="Delta Ltd", domain="delta.example"),
    }


def hand(at, when, actor, client, to_department, **extra):
    at(*when)
    return services.hand_off(
        actor=actor, client=client, note="Please call them.", to_department=to_department, **extra
    )


@pytest.fixture
def march_handoffs(at, member, support_member, accountant, clients, sales, support):
    """Sales → Support: answered after 4 h (accepted), 10 h (declined) and, escalated first,
    30 h (accepted). Support → Sales: one still open. Finance → Support: one still open.
    One more Sales → Support in April, outside the period."""
    first = hand(at, (2026, 3, 2, 9), member, clients["acme"], support)
    at(2026, 3, 2, 13)
    services.accept_handoff(actor=support_member, handoff=first)
    second = hand(at, (2026, 3, 3, 9), member, clients["beta"], support)
    at(2026, 3, 3, 19)
    services.decline_handoff(actor=support_member, handoff=second, reason="Not ours.")
    third = hand(at, (2026, 3, 4, 9), member, clients["gamma"], support)
    at(2026, 3, 5, 10)
    assert services.escalate_handoff(handoff_id=third.pk) is not None
    at(2026, 3, 5, 15)
    services.accept_handoff(actor=support_member, handoff=third)
    hand(at, (2026, 3, 6, 9), support_member, clients["acme"], sales)
    hand(at, (2026, 3, 7, 9), accountant, clients["delta"], support)
    hand(at, (2026, 4, 2, 9), member, clients["beta"], support)
    at(2026, 4, 10, 9)


HANDOFF_COLUMNS = ("sent", "accepted", "declined", "escalated", "open", "median_hours")


def test_handoffs_per_department_pair(admin, march_handoffs):
    report = teamwork.handoffs(march(admin))
    assert [row["pair"] for row in report.rows] == [
        "Finance → Support",
        "Sales → Support",
        "Support → Sales",
    ]
    rows = rows_by(report, "pair")
    # Sales → Support: 3 sent (April's is outside), 2 accepted, 1 declined, 1 escalated,
    # answered after 4, 10 and 30 hours: the median is 10.
    assert pick(rows["Sales → Support"], *HANDOFF_COLUMNS) == (3, 2, 1, 1, 0, 10.0)
    assert pick(rows["Support → Sales"], *HANDOFF_COLUMNS) == (1, 0, 0, 0, 1, None)
    assert pick(rows["Finance → Support"], *HANDOFF_COLUMNS) == (1, 0, 0, 0, 1, None)
    # 3 + 1 + 1 sent; 2 open; the answered ones are Sales → Support's (median 10 h).
    assert pick(report.totals, *HANDOFF_COLUMNS) == (5, 2, 1, 1, 2, 10.0)
    assert [figure.value for figure in report.figures] == [5, 1, 10.0]


def test_handoffs_seen_by_a_member_touch_their_departments(member, support_member, march_handoffs):
    sales_pairs = [row["pair"] for row in teamwork.handoffs(march(member)).rows]
    assert sales_pairs == ["Sales → Support", "Support → Sales"]
    support_pairs = [row["pair"] for row in teamwork.handoffs(march(support_member)).rows]
    assert support_pairs == ["Finance → Support", "Sales → Support", "Support → Sales"]


def test_department_filter_keeps_pairs_on_either_side(admin, finance, sales, march_handoffs):
    by_finance = teamwork.handoffs(march(admin, department=finance.pk))
    assert [row["pair"] for row in by_finance.rows] == ["Finance → Support"]
    by_sales = teamwork.handoffs(march(admin, department=sales.pk))
    assert [row["pair"] for row in by_sales.rows] == ["Sales → Support", "Support → Sales"]


def test_no_handoffs_says_so(admin):
    report = teamwork.handoffs(march(admin))
    assert report.rows == [] and report.totals is None
    assert report.empty == "No handoffs were sent in this period."


def deal_at(at, when, member, client, amount, currency="EUR", won=False):
    at(*when)
    deal = services.create_deal(
        actor=member, client=client, title="Deal", amount=Decimal(amount), currency=currency
    )
    if won:
        services.win_deal(actor=member, deal=deal)
    return deal


@pytest.fixture
def deals_after_handoffs(at, member, clients, march_handoffs):
    """acme: a EUR deal won, opened after both its handoffs. beta: a USD deal won. gamma: a
    deal opened before its handoff. delta: a deal opened 100 days after its handoff."""
    deal_at(at, (2026, 3, 10, 9), member, clients["acme"], 1000, won=True)
    deal_at(at, (2026, 3, 12, 9), member, clients["beta"], 500, "USD", won=True)
    deal_at(at, (2026, 2, 20, 9), member, clients["gamma"], 800, won=True)
    deal_at(at, (2026, 6, 15, 9), member, clients["delta"], 300, won=True)
    at(2026, 7, 1, 9)


CONVERSION_COLUMNS = ("sent", "followed", "rate", "won", "won_value")


def test_conversion_per_pair_in_the_chosen_currency(admin, deals_after_handoffs):
    report = teamwork.conversion(march(admin))
    rows = rows_by(report, "pair")
    # Finance → Support (delta, 7 Mar): its deal came 100 days later, past the 90 days.
    assert pick(rows["Finance → Support"], *CONVERSION_COLUMNS) == (1, 0, 0, 0, 0)
    # Sales → Support: acme (EUR deal, won) and beta (USD deal) followed; gamma's deal came
    # before its handoff: 2 of 3 = 67 %; won in EUR: acme's 1000.
    assert pick(rows["Sales → Support"], *CONVERSION_COLUMNS) == (3, 2, 67, 1, Decimal(1000))
    # Support → Sales (acme, 6 Mar): acme's deal of 10 Mar followed it too.
    assert pick(rows["Support → Sales"], *CONVERSION_COLUMNS) == (1, 1, 100, 1, Decimal(1000))
    # 5 sent, 3 followed (60 %); acme's deal is one deal, counted once in the total.
    assert pick(report.totals, *CONVERSION_COLUMNS) == (5, 3, 60, 1, Decimal(1000))
    assert report.currency == "EUR"
    assert "1 won deal in USD is not counted: pick USD above." in report.notes


def test_conversion_in_another_currency(admin, deals_after_handoffs):
    report = teamwork.conversion(march(admin, currency="USD"))
    # Only beta's 500 USD deal, after a Sales → Support handoff.
    assert pick(report.totals, *CONVERSION_COLUMNS) == (5, 3, 60, 1, Decimal(500))
    assert rows_by(report, "pair")["Support → Sales"]["won"] == 0
    assert "1 won deal in EUR is not counted: pick EUR above." in report.notes


@pytest.fixture
def colleague(sales):
    return UserFactory(role=Role.MEMBER, departments=[sales], full_name="Ben Sales")


def task_for(at, person, due, done_at=None, cancel=False):
    at(2026, 3, 1, 8)
    task = services.create_task(actor=person, title="Call", due_at=utc(*due))
    if done_at or cancel:
        at(*(done_at or (2026, 3, 1, 9)))
        status = "cancelled" if cancel else "done"
        services.set_task_status(actor=person, task=task, status=status)
    return task


@pytest.fixture
def march_tasks(at, member, colleague, support_member):
    """Read on 20 March. Ann (member): on time, late, overdue, not yet due, and one due in
    April. Ben: on time, overdue, cancelled. Cy (support): late."""
    member.full_name, support_member.full_name = "Ann Sales", "Cy Support"
    member.save(update_fields=["full_name"])
    support_member.save(update_fields=["full_name"])
    task_for(at, member, (2026, 3, 5, 10), done_at=(2026, 3, 4, 10))
    task_for(at, member, (2026, 3, 6, 10), done_at=(2026, 3, 8, 10))
    task_for(at, member, (2026, 3, 10, 10))
    task_for(at, member, (2026, 3, 25, 10))
    task_for(at, member, (2026, 4, 5, 10))
    task_for(at, colleague, (2026, 3, 11, 12), done_at=(2026, 3, 11, 9))
    task_for(at, colleague, (2026, 3, 12, 10))
    task_for(at, colleague, (2026, 3, 13, 10), cancel=True)
    task_for(at, support_member, (2026, 3, 14, 10), done_at=(2026, 3, 15, 10))
    at(2026, 3, 20, 12)


TASK_COLUMNS = ("level", "on_time", "late", "overdue", "not_due", "on_time_rate")


def test_tasks_per_department_and_person(admin, march_tasks):
    report = teamwork.tasks(march(admin))
    assert {row["name"]: pick(row, *TASK_COLUMNS) for row in report.rows} == {
        # Ann 1/1/1/1 + Ben 1/0/1/0: 2 of 3 done on time = 67 %.
        "Sales": ("Department", 2, 1, 2, 1, 67),
        "Support": ("Department", 0, 1, 0, 0, 0),
        "Ann Sales": ("Person", 1, 1, 1, 1, 50),
        "Ben Sales": ("Person", 1, 0, 1, 0, 100),
        "Cy Support": ("Person", 0, 1, 0, 0, 0),
    }
    assert [row["name"] for row in report.rows] == [
        "Sales",
        "Support",
        "Ann Sales",
        "Ben Sales",
        "Cy Support",
    ]
    # Ben's cancelled task and Ann's April one are not counted: 2 + 2 + 2 + 1 = 7 due.
    assert pick(report.totals, *TASK_COLUMNS[1:]) == (2, 2, 2, 1, 50)
    assert [figure.value for figure in report.figures] == [7, 2, 50]


def test_member_sees_their_departments_and_only_their_own_row(member, march_tasks):
    report = teamwork.tasks(march(member))
    assert {row["name"]: pick(row, *TASK_COLUMNS) for row in report.rows} == {
        "Sales": ("Department", 2, 1, 2, 1, 67),
        "Ann Sales": ("Person", 1, 1, 1, 1, 50),
        "Others": ("People", 1, 0, 1, 0, 100),  # Ben, folded
    }


def test_manager_sees_each_person_of_their_departments(sales_manager, march_tasks):
    report = teamwork.tasks(march(sales_manager))
    assert [row["name"] for row in report.rows] == ["Sales", "Ann Sales", "Ben Sales"]


def test_person_filter_shows_that_person_alone(admin, colleague, march_tasks):
    report = teamwork.tasks(march(admin, person=colleague.pk))
    assert [pick(row, "name", *TASK_COLUMNS) for row in report.rows] == [
        ("Ben Sales", "Person", 1, 0, 1, 0, 100)
    ]


@pytest.fixture
def conversations(at, member, colleague, support_member, clients, ticket):
    """acme: 2 comments by Ann, 1 by Cy on its ticket, 2 chat messages by Ann, a deleted
    comment. beta: 1 comment on its deal. gamma: 1 comment on a task for it, by Ben.
    February's comment on delta is outside the period."""
    at(2026, 2, 20, 9)
    services.post_comment(actor=member, target=clients["delta"], body="Old news")
    at(2026, 3, 2, 9)
    for body in ("Called them", "Sent the offer"):
        services.post_comment(actor=member, target=clients["acme"], body=body)
    services.post_comment(actor=support_member, target=ticket, body="Password reset")
    gone = services.post_comment(actor=member, target=clients["acme"], body="Oops")
    services.delete_comment(actor=member, comment=gone)
    room = rooms.open_client_room(client=clients["acme"])
    for body in ("Any news?", "They signed"):
        chat_messages.post_message(actor=member, room=room, body=body)
    deal = services.create_deal(actor=member, client=clients["beta"], title="Beta deal")
    services.post_comment(actor=member, target=deal, body="Discount?")
    task = services.create_task(actor=colleague, title="Visit", target=clients["gamma"])
    services.post_comment(actor=colleague, target=task, body="Booked")
    at(2026, 3, 20, 9)


CLIENT_COLUMNS = ("client", "comments", "messages", "total", "people")


def test_most_discussed_clients(admin, clients, conversations):
    report = teamwork.clients(march(admin))
    assert [pick(row, *CLIENT_COLUMNS) for row in report.rows] == [
        # acme: 2 + 1 comments (the deleted one left out), 2 messages; Ann and Cy.
        ("Acme GmbH", 3, 2, 5, 2),
        ("Beta AG", 1, 0, 1, 1),  # beta and gamma tie: the older client first
        ("Gamma SA", 1, 0, 1, 1),
    ]
    assert report.rows[0]["url"] == reverse("records:client_detail", args=[clients["acme"].pk])
    assert report.row_link == "url"
    assert [figure.value for figure in report.figures] == [3, 5, 2]


def test_clients_count_the_people_in_scope(member, conversations):
    report = teamwork.clients(march(member))
    # Cy (support) is outside Ann's departments: acme keeps Ann's 2 comments and 2 messages.
    assert [pick(row, *CLIENT_COLUMNS) for row in report.rows] == [
        ("Acme GmbH", 2, 2, 4, 1),
        ("Beta AG", 1, 0, 1, 1),
        ("Gamma SA", 1, 0, 1, 1),  # Ben is in Sales too
    ]


def more_teamwork(at, member, support_member, sales, support, clients, rounds):
    """As much again of everything, ``rounds`` times (for the query counts)."""
    for number in range(rounds):
        at(2026, 3, 8 + number, 9)
        handoff = services.hand_off(
            actor=member, client=clients["acme"], note="More", to_department=support
        )
        services.accept_handoff(actor=support_member, handoff=handoff)
        services.create_deal(actor=member, client=clients["acme"], title=f"More {number}")
        services.create_task(actor=member, title="More", due_at=utc(2026, 3, 9 + number, 9))
        services.post_comment(actor=support_member, target=clients["beta"], body="More")


@pytest.mark.parametrize(
    ("builder", "queries"),
    [
        (teamwork.handoffs, 1),  # the handoffs
        (teamwork.conversion, 2),  # the handoffs (with their EXISTS), the deals
        (teamwork.tasks, 2),  # the tasks, their assignees' departments
        (teamwork.clients, 3),  # comments, chat messages, the top clients' names
    ],
)
def test_query_counts_do_not_grow_with_the_data(
    builder,
    queries,
    at,
    admin,
    member,
    support_member,
    sales,
    support,
    clients,
    django_assert_num_queries,
):
    more_teamwork(at, member, support_member, sales, support, clients, rounds=1)
    filters = march(admin)
    with django_assert_num_queries(queries):
        builder(filters)
    more_teamwork(at, member, support_member, sales, support, clients, rounds=3)
    with django_assert_num_queries(queries):
        builder(filters)


def test_reports_render_as_pages(client, admin, march_handoffs):
    client.force_login(admin)
    for slug in ("teamwork-handoffs", "teamwork-conversion", "teamwork-tasks", "teamwork-clients"):
        response = client.get(reverse("reports:report", args=[slug]), MARCH)
        assert response.status_code == 200, slug
    page = client.get(reverse("reports:report", args=["teamwork-handoffs"]), MARCH)
    assert "Sales → Support" in page.content.decode()
