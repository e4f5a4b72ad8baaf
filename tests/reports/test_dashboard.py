"""The home page's "Key numbers" card: a member's own numbers, a manager's departments',
an admin's everyone's; links to the lists behind them; constant queries; live refresh."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.models import Role
from records import services
from reports import home
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
NUMBERS = ("deals", "tasks_due", "tickets_past_sla", "handoffs_waiting")


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def numbers_of(user) -> tuple:
    numbers = home.key_numbers(user)
    return tuple(numbers[key] for key in NUMBERS)


def deals(count, value, others=0) -> dict:
    return {"count": count, "value": Decimal(value), "other_currencies": others}


@pytest.fixture
def colleague(sales):
    return UserFactory(role=Role.MEMBER, departments=[sales])


@pytest.fixture
def beta(member):
    return services.create_client(actor=member, name="Beta AG", domain="beta.example")


@pytest.fixture
def gamma(member):
    return services.create_client(actor=member, name="Gamma SA", domain="gamma.example")


@pytest.fixture
def workload(at, member, colleague, support_member, acme, beta, gamma, sales, support):
    """Read on 10 March 2026 at 12:00 UTC (13:00 in Berlin, everyone's zone).

    Deals: Ann (member) 1000 + 500 EUR and 300 USD open, 400 EUR won; her colleague 700 EUR.
    Tasks due today or overdue: Ann 2 (today 18:00, 5 March; not 12 March nor a done one),
    her colleague 1, Cy (support) 1.
    Tickets past SLA (24 h, opened 1 March): Ann's, an unassigned one, Cy's; a solved one.
    Handoffs waiting: to Ann by name, to Sales, to Support; an answered one to Sales.
    """
    at(2026, 3, 1, 9)
    create_deal = services.create_deal
    create_deal(actor=member, client=acme, title="A", amount=Decimal(1000))
    create_deal(actor=member, client=acme, title="B", amount=Decimal(500))
    create_deal(actor=member, client=acme, title="C", amount=Decimal(300), currency="USD")
    won = create_deal(actor=member, client=acme, title="D", amount=Decimal(400))
    services.win_deal(actor=member, deal=won)
    create_deal(actor=colleague, client=beta, title="E", amount=Decimal(700))

    for person, due in [
        (member, (2026, 3, 10, 18)),
        (member, (2026, 3, 5, 9)),
        (member, (2026, 3, 12, 9)),
        (colleague, (2026, 3, 1, 9)),
        (support_member, (2026, 3, 10, 9)),
    ]:
        services.create_task(actor=person, title="Call", due_at=utc(*due))
    done = services.create_task(actor=member, title="Done", due_at=utc(2026, 3, 9, 9))
    services.set_task_status(actor=member, task=done, status="done")

    for assignee in (member, None, support_member, support_member):
        ticket = services.create_ticket(actor=member, client=acme, subject="Hm", assignee=assignee)
    services.set_ticket_status(actor=support_member, ticket=ticket, status="solved")

    hand = services.hand_off
    hand(actor=support_member, client=acme, note="Hi", to_department=sales, to_user=member)
    hand(actor=support_member, client=beta, note="Hi", to_department=sales)
    hand(actor=member, client=gamma, note="Hi", to_department=support)
    answered = hand(actor=support_member, client=gamma, note="Hi", to_department=sales)
    services.decline_handoff(actor=member, handoff=answered, reason="Not now")
    at(2026, 3, 10, 12)


def test_member_sees_their_own_numbers(member, workload):
    # 1000 + 500 EUR open (the won one is not), 1 in USD; tasks: 2; tickets: theirs;
    # handoffs: the one naming them.
    assert numbers_of(member) == (deals(2, 1500, others=1), 2, 1, 1)


def test_manager_sees_their_departments_totals(sales_manager, workload):
    # Deals: Ann's + her colleague's 700; tasks: 2 + 1; tickets: Ann's and the unassigned
    # one; handoffs: the two to Sales (one names Ann).
    assert numbers_of(sales_manager) == (deals(3, 2200, others=1), 3, 2, 2)


def test_admin_sees_everyone(admin, workload):
    # Tasks: + Cy's; tickets: + Cy's open one (his solved one is not); handoffs: + Support's.
    assert numbers_of(admin) == (deals(3, 2200, others=1), 4, 3, 3)


def test_links_go_to_the_lists_behind_the_numbers(member, sales_manager):
    own = home.key_numbers(member)["links"]
    assert own["deals"] == reverse("records:deal_list") + "?owner=mine&status=open"
    assert own["tasks"] == reverse("records:my_tasks")
    assert own["tickets"] == reverse("records:ticket_list") + "?assignee=mine&sla=breached"
    assert own["handoffs"] == reverse("records:handoff_inbox")
    team = home.key_numbers(sales_manager)["links"]
    assert team["deals"] == reverse("records:deal_list") + "?status=open"
    assert team["tasks"] == reverse("records:team_tasks")
    assert team["tickets"] == reverse("records:ticket_list") + "?sla=breached"


@pytest.mark.parametrize(("viewer", "queries"), [("member", 5), ("sales_manager", 5), ("admin", 4)])
def test_queries_do_not_grow_with_the_data(
    request, viewer, queries, at, member, acme, sales, django_assert_num_queries
):
    user = request.getfixturevalue(viewer)
    with django_assert_num_queries(queries):  # departments (not for admins), then one a number
        home.key_numbers(user)
    at(2026, 3, 1, 9)
    for number in range(5):
        services.create_deal(actor=member, client=acme, title=f"D{number}", amount=Decimal(1))
        services.create_task(actor=member, title="T", due_at=utc(2026, 3, 1, 9))
        services.create_ticket(actor=member, client=acme, subject="T", assignee=member)
    at(2026, 3, 10, 12)
    with django_assert_num_queries(queries):
        home.key_numbers(user)


def test_home_page_shows_the_card_and_follows_the_report_topics(client, member, workload):
    client.force_login(member)
    page = client.get(reverse("home")).content.decode()
    assert '<section class="card key-numbers" id="key-numbers"' in page
    assert f'data-refresh-url="{reverse("reports:dashboard_card")}"' in page
    assert 'data-refresh-topics="report.sales report.support report.teamwork"' in page
    assert (
        f'data-live-topics="user.{member.pk} report.sales report.support report.teamwork"' in page
    )
    assert page.index("Your work") < page.index("Key numbers")
    assert reverse("reports:home") in page


def test_card_alone_for_the_live_refresh(client, sales_manager, workload):
    client.force_login(sales_manager)
    response = client.get(reverse("reports:dashboard_card"))
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card key-numbers" id="key-numbers"')
    assert "<html" not in body
    assert "Your departments" in body
    assert '<data value="2200' in body  # the EUR value of the open deals
    assert "1 more in other currencies" in body


def test_card_is_not_for_anonymous_visitors(client):
    assert client.get(reverse("reports:dashboard_card")).status_code == 302
