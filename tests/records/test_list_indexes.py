"""The list pages' searches and sorts at 100,000 clients: what they find on both backends, and
on PostgreSQL that they go through the indexes of migrations 0016 and 0017 (EXPLAIN), as a
scan of every row is what made them slow (docs/PERFORMANCE.md, "Lists at 100k")."""

import pytest
from django.db import connection
from django.http import QueryDict

from records import services
from records.selectors import lists

pytestmark = [pytest.mark.django_db, pytest.mark.backend]

ON_POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigram and sort indexes are PostgreSQL's"
)


def rows(spec, viewer, query: str):
    return lists.rows(lists.read(spec, QueryDict(query), viewer), viewer)


def plan(queryset, *, off: tuple[str, ...]) -> str:
    """The plan with ``off`` ("seqscan", "sort", …) discouraged: the test tables are tiny."""
    with connection.cursor() as cursor:
        for each in off:
            cursor.execute(f"SET LOCAL enable_{each} = off")
    return queryset.explain()


@pytest.fixture
def book(member, support_member, acme, stages):
    globex = services.create_client(actor=member, name="Globex")
    services.create_contact(
        actor=member, client=acme, name="Jo", title="Head of Ops", phones=["+49 30 1234567"]
    )
    services.create_contact(actor=member, client=globex, name="Al")
    services.create_deal(actor=member, client=globex, title="Renewal")
    services.create_ticket(actor=support_member, client=globex, subject="Login fails")
    return globex


@pytest.mark.parametrize(
    ("name", "query", "found"),
    [
        ("contacts", "q=of+op", {"Jo"}),  # title
        ("contacts", "q=301234", {"Jo"}),  # phone
        ("contacts", "q=GLOB", {"Al"}),  # the client's name
        ("deals", "q=globex", {"Renewal"}),
        ("tickets", "q=globex", {"Login fails"}),
        ("tickets", "q=LOGIN", {"Login fails"}),
    ],
)
def test_a_search_matches_own_columns_and_the_clients_name(member, book, name, query, found):
    spec = lists.LISTS[name]
    title = {"contacts": "name", "deals": "title", "tickets": "subject"}[name]
    assert set(rows(spec, member, query).values_list(title, flat=True)) == found


@ON_POSTGRES
@pytest.mark.parametrize(
    ("name", "indexes"),
    [
        (
            "contacts",
            {
                "contact_name_contains",
                "contact_title_contains",
                "contact_emails_contains",
                "contact_phones_contains",
                "client_name_contains",
            },
        ),
        ("deals", {"deal_title_contains", "client_name_contains"}),
        ("tickets", {"ticket_subject_contains", "client_name_contains"}),
    ],
)
def test_postgres_searches_each_column_through_its_trigram_index(member, book, name, indexes):
    """Every branch of the search's OR has an index (the client's name in an InitPlan),
    so PostgreSQL ORs bitmaps instead of testing every row (contacts: 578 → 26 ms)."""
    searched = rows(lists.LISTS[name], member, "q=erikse").order_by().values("pk")
    found = plan(searched, off=("seqscan", "indexscan"))
    assert "BitmapOr" in found
    for index in indexes:
        assert f"Bitmap Index Scan on {index}" in found


@ON_POSTGRES
@pytest.mark.parametrize(
    ("query", "walk"),
    [
        ("sort=deals", "Index Scan using client_open_deals"),
        ("sort=-deals", "Index Scan Backward using client_open_deals"),
        ("sort=tickets", "Index Scan using client_open_tickets"),
        ("sort=-tickets", "Index Scan Backward using client_open_tickets"),
    ],
)
def test_postgres_sorts_clients_by_open_work_along_an_index(member, book, query, walk):
    """The page's 25 are the first entries of the counters' index, not a count per client.
    (The owner and department sorts' walks need a big table to be chosen: on these few rows
    PostgreSQL may take any index; bench/pages.py --lists --explain shows them at 100k.)"""
    page = rows(lists.CLIENTS, member, query).values("pk")[:25]
    assert walk in plan(page, off=("sort",))
