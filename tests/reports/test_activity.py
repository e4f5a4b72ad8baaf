"""Activity reports on a hand-made March 2026 (UTC), the answers worked out by hand.

Logged in March (Ana is a Sales member, Ben a Sales manager, Cleo in Support):

    Ana:  Acme 2 calls, 1 email; Beta 1 meeting           = 4
    Ben:  Acme 1 note; Beta 2 calls                       = 3
    Cleo: Gamma 1 email                                   = 1

Not counted: Ana's call on Acme on 28 Feb 23:30, and the clients' "created" entries
(not activities).
"""

from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.models import Role
from records import services
from reports.selectors import activity
from tests.factories import UserFactory
from tests.reports.helpers import march

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
EMPTY = {"calls": 0, "meetings": 0, "emails": 0, "notes": 0}


@pytest.fixture
def ana(sales):
    return UserFactory(full_name="Ana Alves", role=Role.MEMBER, departments=[sales])


@pytest.fixture
def ben(sales):
    return UserFactory(full_name="Ben Brandt", role=Role.MANAGER, departments=[sales])


@pytest.fixture
def cleo(support):
    return UserFactory(full_name="Cleo Costa", role=Role.MEMBER, departments=[support])


@pytest.fixture
def clients(ana, defaults):
    return {
        name: services.create_client(actor=ana, name=name) for name in ("Acme", "Beta", "Gamma")
    }


@pytest.fixture
def log(at):
    """``log(person, client, kind, day, times=1)``: activities logged on that March day."""

    def add(person, client, kind, day, times=1):
        at(2026, 3, day, 10)
        for _ in range(times):
            services.log_activity(actor=person, client=client, kind=kind, summary="Talked")

    return add


@pytest.fixture
def march_activity(ana, ben, cleo, clients, log, at):
    acme, beta, gamma = clients["Acme"], clients["Beta"], clients["Gamma"]
    log(ana, acme, "call", 2, times=2)
    log(ana, acme, "email", 3)
    log(ana, beta, "meeting", 31)
    log(ben, acme, "note", 1)
    log(ben, beta, "call", 10, times=2)
    log(cleo, gamma, "email", 5)
    at(2026, 2, 28, 23, 30)
    services.log_activity(actor=ana, client=acme, kind="call", summary="Too early")
    at(2026, 4, 10, 12)


def rows_by_name(report) -> dict:
    first = report.columns[0].key
    return {row[first]: {key: row[key] for key in activity.COUNT_KEYS} for row in report.rows}


def test_activity_per_person(admin, march_activity):
    report = activity.per_person(march(admin))
    assert rows_by_name(report) == {
        "Ana Alves": EMPTY | {"calls": 2, "meetings": 1, "emails": 1, "total": 4},
        "Ben Brandt": EMPTY | {"calls": 2, "notes": 1, "total": 3},
        "Cleo Costa": EMPTY | {"emails": 1, "total": 1},
    }
    # calls 2+2, meetings 1, emails 1+1, notes 1: 8 in all
    assert report.totals == {
        "person": "Total",
        "calls": 4,
        "meetings": 1,
        "emails": 2,
        "notes": 1,
        "total": 8,
    }


def test_a_member_sees_their_own_row_and_the_rest_folded(ana, march_activity):
    report = activity.per_person(march(ana))
    # Ana's departments (Sales): Ana and Ben; Cleo (Support) is not in scope
    assert rows_by_name(report) == {
        "Ana Alves": EMPTY | {"calls": 2, "meetings": 1, "emails": 1, "total": 4},
        "Others": EMPTY | {"calls": 2, "notes": 1, "total": 3},
    }
    assert report.totals["total"] == 7  # 4 + 3


def test_a_manager_sees_each_person_of_their_departments(ben, march_activity):
    report = activity.per_person(march(ben))
    assert list(rows_by_name(report)) == ["Ana Alves", "Ben Brandt"]


def test_activity_per_client(admin, clients, march_activity):
    report = activity.per_client(march(admin))
    # Acme: Ana 2 calls + 1 email, Ben 1 note = 4; Beta: Ana 1 meeting, Ben 2 calls = 3;
    # Gamma: Cleo 1 email = 1. Busiest first.
    assert rows_by_name(report) == {
        "Acme": EMPTY | {"calls": 2, "emails": 1, "notes": 1, "total": 4},
        "Beta": EMPTY | {"calls": 2, "meetings": 1, "total": 3},
        "Gamma": EMPTY | {"emails": 1, "total": 1},
    }
    assert [row["client"] for row in report.rows] == ["Acme", "Beta", "Gamma"]
    assert report.rows[0]["link"] == reverse("records:client_detail", args=[clients["Acme"].pk])
    assert report.row_link == "link"
    assert report.notes == []


def test_only_the_busiest_clients_are_listed(admin, march_activity, monkeypatch):
    monkeypatch.setattr(activity, "TOP_CLIENTS", 2)
    report = activity.per_client(march(admin))
    assert [row["client"] for row in report.rows] == ["Acme", "Beta"]
    assert report.totals == {
        "client": "All clients",
        "calls": 4,
        "meetings": 1,
        "emails": 2,
        "notes": 1,
        "total": 8,
    }  # Gamma still counted
    assert report.notes == ["1 more client had activity; the totals count them."]


def test_a_member_counts_clients_by_their_departments_activity(ana, march_activity):
    report = activity.per_client(march(ana))
    # Ana and Ben (Sales) only: Gamma had only Cleo's email
    assert [row["client"] for row in report.rows] == ["Acme", "Beta"]


@pytest.mark.parametrize(
    ("build", "queries"),
    [
        (activity.per_person, 3),  # people in scope, counts per person, their names
        (activity.per_client, 3),  # people in scope, the busiest clients, the totals
    ],
    ids=["per_person", "per_client"],
)
def test_queries_do_not_grow_with_the_data(
    build, queries, ben, sales, clients, log, django_assert_num_queries
):
    log(ben, clients["Acme"], "call", 2)
    filters = march(ben)
    with django_assert_num_queries(queries):
        build(filters)
    for day, client in enumerate(clients.values(), start=3):
        colleague = UserFactory(departments=[sales])
        log(colleague, client, "meeting", day, times=2)
        log(colleague, client, "note", day)
    with django_assert_num_queries(queries):
        build(filters)


@pytest.mark.parametrize("slug", ["activity-people", "activity-clients"])
def test_pages_and_csv_render(slug, client, admin, march_activity):
    client.force_login(admin)
    page = reverse("reports:report", args=[slug])
    params = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}
    assert client.get(page, params).status_code == 200
    assert client.get(page, params | {"format": "csv"})["Content-Type"].startswith("text/csv")
