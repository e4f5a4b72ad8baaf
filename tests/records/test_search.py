"""Global search across clients, contacts, deals, tickets and people.

Runs on the embedded default (word-by-word icontains) and, with
DATABASE_URL=postgres://…, on PostgreSQL full-text with its GIN indexes.
"""

from decimal import Decimal

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from records import services
from records.models import Client, Contact, Deal, Ticket
from records.selectors import search
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("search")
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "search-results"}


@pytest.fixture
def book(member, support_member, defaults):
    zephyr = services.create_client(
        actor=member, name="Zephyr Labs GmbH", domain="zephyr.example", industry="Aerospace"
    )
    services.create_client(actor=member, name="Borealis Shipping", domain="borealis.example")
    services.create_contact(
        actor=member, client=zephyr, name="Quentin Blake", title="CTO", emails=["qb@zephyr.example"]
    )
    services.create_deal(
        actor=member, client=zephyr, title="Zephyr fleet renewal", amount=Decimal(9)
    )
    services.create_ticket(actor=support_member, client=zephyr, subject="Zephyr portal login fails")
    return zephyr


@pytest.fixture
def signed_in(client, member):
    client.force_login(member)
    return client


def names(response, group):
    found = response.context["results"].get(group)
    return [str(item) for item in found.items] if found else []


def test_finds_every_kind_grouped_with_links(signed_in, book):
    response = signed_in.get(URL, {"q": "zephyr"})
    assert response.status_code == 200
    assert names(response, "clients") == ["Zephyr Labs GmbH"]
    assert names(response, "contacts") == ["Quentin Blake"]  # by the email's domain part
    assert names(response, "deals") == ["Zephyr fleet renewal"]
    assert names(response, "tickets") == ["Zephyr portal login fails"]
    html = response.text
    deal, ticket = Deal.objects.get(), Ticket.objects.get()
    for url in (
        reverse("records:client_detail", args=[book.pk]),
        reverse("records:deal_detail", args=[deal.pk]),
        reverse("records:ticket_detail", args=[ticket.pk]),
        f"{reverse('records:client_detail', args=[book.pk])}#contact-{Contact.objects.get().pk}",
    ):
        assert f'href="{url}"' in html
    assert "4 results for “zephyr”" in html
    assert 'id="search-clients"' in html and 'id="search-people"' not in html


@pytest.mark.parametrize(
    ("query", "group", "expected"),
    [
        ("zeph", "clients", ["Zephyr Labs GmbH"]),  # a prefix, while typing
        ("ZEPHYR labs", "clients", ["Zephyr Labs GmbH"]),  # every word, any case
        ("zephyr borealis", "clients", []),
        ("aerospace", "clients", ["Zephyr Labs GmbH"]),
        ("borealis.example", "clients", ["Borealis Shipping"]),  # a whole domain
        ("qb@zephyr.example", "contacts", ["Quentin Blake"]),  # a whole email
        ("quent", "contacts", ["Quentin Blake"]),
        ("portal log", "tickets", ["Zephyr portal login fails"]),
        ("renewal", "deals", ["Zephyr fleet renewal"]),
    ],
)
def test_matching(signed_in, book, query, group, expected):
    assert names(signed_in.get(URL, {"q": query}), group) == expected


def test_people_are_still_found(signed_in, book):
    zed = UserFactory(full_name="Zed Quinlan", email="zq@northwind.example")
    response = signed_in.get(URL, {"q": "quinlan"})
    assert response.context["results"]["people"].items == [zed]
    assert reverse("person", args=[zed.pk]) in response.text


def test_merged_clients_are_not_results(signed_in, member, book):
    copy = services.create_client(actor=member, name="Zephyr Labs Copy")
    services.merge_clients(actor=member, survivor=book, loser=copy)
    assert names(signed_in.get(URL, {"q": "zephyr labs"}), "clients") == ["Zephyr Labs GmbH"]


@pytest.mark.parametrize(
    "query",
    [
        "'&|!:*",
        "a:* | b & !c",
        "zephyr' | 'x",
        "(((",
        "...",
        "___",
        "-",
        "\\",
        "💥 zephyr",
        "x" * 10_000,
        " ".join(["zephyr"] * 500),
        "<script>alert(1)</script>",
    ],
)
def test_bad_input_never_errors(signed_in, book, query):
    response = signed_in.get(URL, {"q": query})
    assert response.status_code == 200
    assert "<script>alert" not in response.text


def test_empty_and_unmatched_queries(signed_in, book):
    assert "Type in the search box" in signed_in.get(URL).text
    assert "Nothing matches “nobody-here”" in signed_in.get(URL, {"q": "nobody-here"}).text


def test_results_as_you_type(signed_in, book):
    page = signed_in.get(URL, {"q": "zep"}).text
    assert f'hx-get="{URL}"' in page and 'hx-target="#search-results"' in page
    partial = signed_in.get(URL, {"q": "zep"}, **HTMX)
    assert "<html" not in partial.text and 'class="search-page-box"' not in partial.text
    assert 'id="search-results"' in partial.text and "Zephyr Labs GmbH" in partial.text


def test_each_group_is_capped_with_a_link_to_all(signed_in, member, book):
    for number in range(search.PER_GROUP + 1):
        services.create_client(actor=member, name=f"Zephyr Branch {number:02}")
    response = signed_in.get(URL, {"q": "zephyr"})
    assert len(response.context["results"]["clients"].items) == search.PER_GROUP
    assert f'href="{reverse("records:client_list")}?q=zephyr"' in response.text
    assert f"{search.PER_GROUP + 3}+ results" in response.text


def test_query_budget_is_constant(signed_in, member, support_member, book):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get(URL, {"q": "zephyr"}).status_code == 200
        return len(captured)

    few = queries()
    for number in range(12):
        client = services.create_client(actor=member, name=f"Zephyr Unit {number}")
        services.create_contact(actor=member, client=client, name=f"Zephyr Person {number}")
        services.create_deal(actor=member, client=client, title=f"Zephyr deal {number}")
        services.create_ticket(
            actor=support_member, client=client, subject=f"Zephyr issue {number}"
        )
        UserFactory(full_name=f"Zephyr Fan {number}")
    assert queries() == few


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text indexes are PostgreSQL's")
@pytest.mark.parametrize(
    ("model", "fields", "index"),
    [
        (Client, search.CLIENT_FIELDS, "client_search"),
        (Contact, search.CONTACT_FIELDS, "contact_search"),
        (Deal, search.DEAL_FIELDS, "deal_search"),
        (Ticket, search.TICKET_FIELDS, "ticket_search"),
    ],
)
def test_postgres_uses_the_gin_index(book, model, fields, index):
    """The selector's vector is the indexed expression (else the planner could not use it)."""
    query = SearchQuery(search.prefix_tsquery(["zeph"]), search_type="raw", config=search.CONFIG)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = model.objects.annotate(v=search.search_vector(fields)).filter(v=query).explain()
    assert f"Bitmap Index Scan on {index}" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="only full-text search ranks")
def test_postgres_ranks_a_bounded_set_of_matches(member, book, monkeypatch):
    """A common word ranks CANDIDATES matches, not all of them (ranking rebuilds each vector)."""
    monkeypatch.setattr(search, "CANDIDATES", 3)
    for number in range(4):
        services.create_client(actor=member, name=f"Zephyr Branch {number}")
    clients = list(search.matching(search.SEARCHABLES[0], ["zephyr"]))
    assert len(clients) == 3
    assert all(client.name.startswith("Zephyr") for client in clients)


def test_search_words_are_safe_for_tsquery():
    assert search.search_words("  Acme-Gm ' & jo@acme.example :* |!") == [
        "acme-gm",
        "jo",
        "acme.example",
    ]
    assert search.prefix_tsquery(["acme", "gm"]) == "'acme':* & 'gm':*"
    assert search.search_words("!!!") == []
    assert len(search.search_words("a " * 100)) == search.MAX_WORDS


def test_top_bar_menu_is_short(signed_in, member, book):
    for number in range(6):
        services.create_client(actor=member, name=f"Zephyr Depot {number}")
    menu = signed_in.get(
        URL, {"q": "zephyr"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="topbar-search-results"
    )
    assert "<html" not in menu.text and 'id="search-results"' not in menu.text
    assert len(menu.context["results"]["clients"].items) == 4
    assert "Zephyr Labs GmbH" in menu.text and f'href="{URL}?q=zephyr"' in menu.text
    assert (
        "Nothing matches"
        in signed_in.get(
            URL, {"q": "qqqq"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="topbar-search-results"
        ).text
    )
