"""The client list's own search box: the global search's index, cap and typo tolerance.

Its rows are the list's (filters and sort apply as without a search); the search
only narrows them, as records/selectors/search.py finds clients.
"""

import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.urls import reverse

from records import services
from records.selectors import lists, search
from tests.records.queries import count_queries

pytestmark = [pytest.mark.django_db, pytest.mark.backend]

URL = reverse("records:client_list")
# The list's own scan of the clients (no alias: not a subquery's) reads the candidates' pks.
# The list's own scan of clients (not the InitPlan's aliased "V0" ones).
LIST_SCAN = re.compile(r"on records_client +\(cost")
PLAN_DETAIL = re.compile(r" +[A-Z][A-Za-z ]*: ")  # "Index Cond: …", "Recheck Cond: …", "Filter: …"
ON_POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text and trigram search are PostgreSQL's"
)


@pytest.fixture
def web(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def book(member, defaults):
    names = ("Skyward Labs", "Skyward Motors", "Alder Health", "100% Growth_Partners")
    return {name: services.create_client(actor=member, name=name) for name in names}


def shown(web, **params) -> list[str]:
    response = web.get(URL, params)
    assert response.status_code == 200
    return [client.name for client in response.context["page"].object_list]


def test_search_narrows_the_list_in_its_sort(web, book):
    assert shown(web, q="skyward") == ["Skyward Labs", "Skyward Motors"]
    assert shown(web, q="skyward", sort="-name") == ["Skyward Motors", "Skyward Labs"]
    assert shown(web, q="SKYWARD mot") == ["Skyward Motors"]  # every word, any case


def test_search_keeps_the_lists_filters(web, member, book):
    services.archive_client(actor=member, client=book["Skyward Motors"])
    assert shown(web, q="skyward") == ["Skyward Labs"]
    assert shown(web, q="skyward", archived="archived") == ["Skyward Motors"]


@pytest.mark.parametrize("query", ["%", "_", "%_", "'&|!:*", "..."])
def test_wildcards_and_punctuation_match_nothing(web, book, query):
    assert shown(web) != []
    assert shown(web, q=query) == []


def test_a_long_query_is_cut_not_refused(web, book):
    assert shown(web, q="skyward " + "x" * 5000) == []


@ON_POSTGRES
def test_postgres_forgives_a_typo_when_nothing_matches_as_typed(web, book):
    assert shown(web, q="skyard") == ["Skyward Labs", "Skyward Motors"]
    assert shown(web, q="skyward lab") == ["Skyward Labs"]  # matches: no resembling ones


@ON_POSTGRES
def test_postgres_narrows_to_the_global_searchs_candidates(web, member, book, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 1)
    assert len(shown(web, q="skyward")) == 1


@ON_POSTGRES
def test_postgres_finds_the_candidates_once_then_reads_them_by_pk(member, book):
    """The words are matched in an InitPlan (the search index's job), and the page's rows are
    those pks: PostgreSQL used to walk the list's name index testing every client against
    the words (0.6 s for a name late in the alphabet among 100,000 clients).

    The tables are analyzed first: the plan is then the one for these rows, whatever
    earlier tests left in the statistics."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE records_client, accounts_user")
    state = lists.read(lists.CLIENTS, QueryDict("q=skyward"), member)
    plan = lists.rows(state, member)[: lists.PER_PAGE].explain()
    assert "InitPlan" in plan
    condition = scan_conditions(plan)
    assert re.search(r"\bid = ANY \(\$\d+\)", condition), plan
    assert "tsvector" not in condition and "%>>" not in condition, plan


def scan_conditions(plan: str) -> str:
    """The conditions of the list's own scan of clients, whatever its kind (an index,
    bitmap or sequential scan): the detail lines under its node."""
    lines = plan.splitlines()
    start = next(number for number, line in enumerate(lines) if LIST_SCAN.search(line))
    details = []
    for line in lines[start + 1 :]:
        if not PLAN_DETAIL.match(line):
            break
        details.append(line.strip())
    return " ".join(details)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's own behaviour")
def test_sqlite_matches_words_as_typed(web, book):
    assert shown(web, q="skyard") == []
    assert shown(web, q="kywar") == ["Skyward Labs", "Skyward Motors"]


def test_query_count_does_not_grow_with_matches(web, member, book):
    few = count_queries(web, f"{URL}?q=skyward")
    for number in range(30):
        services.create_client(actor=member, name=f"Skyward Branch {number:02}")
    assert count_queries(web, f"{URL}?q=skyward") == few
    if connection.vendor == "postgresql":
        assert count_queries(web, f"{URL}?q=skyard") == few  # typo tolerance included
