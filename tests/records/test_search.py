"""Global search across clients, contacts, deals, tickets and people.

Runs on the embedded default (word-by-word icontains) and, with
DATABASE_URL=postgres://…, on PostgreSQL full-text with its GIN indexes and
typo tolerance (pg_trgm); the tests of what only PostgreSQL does are skipped
on SQLite, and the one of what SQLite keeps (no typo tolerance) on PostgreSQL.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calendar_app import services as calendar
from records import services
from records.models import Client, Contact, Deal, Ticket
from records.selectors import search
from tests.chat.factories import direct, post
from tests.factories import UserFactory
from workspace import search as global_search

pytestmark = [pytest.mark.django_db, pytest.mark.backend]

URL = reverse("search")
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "search-results"}
MENU = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "topbar-search-results"}
ON_POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text and trigram search are PostgreSQL's"
)


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


@ON_POSTGRES
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
    # Unordered: which index finds the rows, not which one walks the model's ordering.
    matches = model.objects.annotate(v=search.search_vector(fields)).filter(v=query).order_by()
    assert f"Bitmap Index Scan on {index}" in matches.explain()


@ON_POSTGRES
def test_postgres_ranks_a_bounded_set_of_matches(member, book, monkeypatch):
    """A common word ranks CANDIDATES matches, not all of them (ranking rebuilds each vector)."""
    monkeypatch.setattr(search, "CANDIDATES", 3)
    for number in range(4):
        services.create_client(actor=member, name=f"Zephyr Branch {number}")
    clients = list(search.matching(search.CLIENTS, search.Terms.of("zephyr"), limit=2))
    assert len(clients) == 3
    assert all(client.name.startswith("Zephyr") for client in clients)


@ON_POSTGRES
def test_postgres_runs_the_candidates_once_whatever_its_statistics(book):
    """The candidates are an InitPlan, not a subquery the planner may re-run for every row
    (what made a freshly seeded demo book take 0.6 s: its tables had no statistics)."""
    for kind in search.SEARCHABLES:
        plan = search.matching(kind, search.Terms.of("zephyr"))[:9].explain()
        assert "InitPlan" in plan and "SubPlan" not in plan, plan


def test_search_words_are_safe_for_tsquery():
    assert global_search.search_words("  Acme-Gm ' & jo@acme.example :* |!") == [
        "acme-gm",
        "jo",
        "acme.example",
    ]
    assert search.prefix_tsquery(["acme", "gm"]) == "'acme':* & 'gm':*"
    assert global_search.search_words("!!!") == []
    assert len(global_search.search_words("a " * 100)) == global_search.MAX_WORDS


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


# --- Ranking, typos, ticket numbers ---------------------------------------------------------


def clients_found(signed_in, query: str, **headers) -> list[str]:
    return names(signed_in.get(URL, {"q": query}, **headers), "clients")


@pytest.fixture
def skyward(member, defaults):
    """Clients named with "skyward" exactly, at the start, inside; one a typo away, one not."""
    for name in ("Alpha Skyward Co", "Skyward Labs", "Skyward", "Skywarn AB", "Skyline Ltd"):
        services.create_client(actor=member, name=name)


def test_exact_then_starting_then_other_matches(signed_in, skyward):
    found = clients_found(signed_in, "skyward")
    assert found[:3] == ["Skyward", "Skyward Labs", "Alpha Skyward Co"]
    assert "Skyline Ltd" not in found


@ON_POSTGRES
def test_postgres_forgives_a_typo(signed_in, skyward):
    """As similar as each other (0.5): by name."""
    expected = ["Alpha Skyward Co", "Skyward", "Skyward Labs"]
    assert clients_found(signed_in, "skyard") == expected
    assert clients_found(signed_in, "skyard", **MENU) == expected


@ON_POSTGRES
def test_postgres_ranks_resembling_records_below_every_match(signed_in, skyward):
    """Skywarn AB (no word of it starts with "skyward") only resembles it: it comes last."""
    assert clients_found(signed_in, "skyward") == [
        "Skyward",
        "Skyward Labs",
        "Alpha Skyward Co",
        "Skywarn AB",
    ]


@ON_POSTGRES
def test_postgres_looks_for_resembling_records_only_while_a_group_is_short(
    signed_in, member, skyward
):
    for number in range(search.PER_GROUP):
        services.create_client(actor=member, name=f"Skyward Branch {number}")
    found = clients_found(signed_in, "skyward")
    assert len(found) == search.PER_GROUP and "Skywarn AB" not in found


@ON_POSTGRES
def test_postgres_similarity_has_a_threshold(signed_in, skyward, monkeypatch):
    monkeypatch.setattr(search, "SIMILARITY_THRESHOLD", 0.6)  # "skyard" is 0.5 like "skyward"
    assert clients_found(signed_in, "skyard") == []


@ON_POSTGRES
@pytest.mark.parametrize("query", ["zephyr borealis", "zephyr boreal shipping"])
def test_postgres_every_word_must_match_or_resemble(signed_in, book, query):
    """The whole query resembles "Borealis Shipping", but "zephyr" is not in it."""
    assert clients_found(signed_in, query) == []


@ON_POSTGRES
def test_postgres_short_words_are_prefixes_being_typed_not_typos(signed_in, skyward):
    assert clients_found(signed_in, "sky") == [
        "Skyline Ltd",
        "Skyward",
        "Skyward Labs",
        "Skywarn AB",
        "Alpha Skyward Co",
    ]
    assert clients_found(signed_in, "skw") == []


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's own behaviour")
def test_sqlite_matches_words_as_typed_without_typo_tolerance(signed_in, skyward):
    assert clients_found(signed_in, "skyard") == []
    assert clients_found(signed_in, "skyw") == [
        "Skyward",
        "Skyward Labs",
        "Skywarn AB",
        "Alpha Skyward Co",
    ]


@ON_POSTGRES
@pytest.mark.parametrize(
    ("model", "index"),
    [
        (Client, "client_name_trgm"),
        (Contact, "contact_name_trgm"),
        (Deal, "deal_title_trgm"),
        (Ticket, "ticket_subject_trgm"),
    ],
)
def test_postgres_finds_resembling_records_with_the_trigram_index(book, model, index):
    kind = next(kind for kind in search.SEARCHABLES if kind.queryset().model is model)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    resembling = model.objects.filter(search._resembles(kind, search.Terms.of("zephir")))
    plan = resembling.order_by().explain()
    assert f"Bitmap Index Scan on {index}" in plan


@pytest.mark.parametrize("query", ["#{pk}", "{pk}", " # {pk} "])
def test_a_ticket_is_found_by_its_number_first(signed_in, book, member, support_member, query):
    wanted = services.create_ticket(actor=support_member, client=book, subject="Printer jam")
    services.create_ticket(actor=support_member, client=book, subject=f"Error {wanted.pk} again")
    response = signed_in.get(URL, {"q": query.format(pk=wanted.pk)})
    assert names(response, "tickets")[0] == "Printer jam"
    menu = signed_in.get(URL, {"q": f"#{wanted.pk}"}, **MENU)
    assert reverse("records:ticket_detail", args=[wanted.pk]) in menu.text


@pytest.mark.parametrize("query", ["#", "#0", "#99999999999999999999", "#12abc"])
def test_a_number_that_is_no_ticket_finds_none(signed_in, book, query):
    response = signed_in.get(URL, {"q": query})
    assert response.status_code == 200
    assert names(response, "tickets") == []


# --- Nothing for nothing searchable, and only what the person may see ------------------------


@pytest.mark.parametrize("query", ["%", "_", "%%", "__", "%_%", "'&|!:*", "...", " "])
def test_wildcards_and_punctuation_match_nothing(signed_in, member, book, query):
    services.create_client(actor=member, name="100% Growth_Partners")
    for headers in ({}, MENU):
        response = signed_in.get(URL, {"q": query}, **headers)
        assert response.status_code == 200
        assert response.context["total"] == 0


def test_a_very_long_query_is_cut_not_refused(signed_in, book):
    response = signed_in.get(URL, {"q": "zephyr " + "x" * 5000})
    assert response.status_code == 200
    assert response.context["query"] == ("zephyr " + "x" * 5000)[: global_search.MAX_QUERY_LENGTH]


def test_others_private_messages_and_events_stay_hidden(client, member, sales, book):
    """Records are shared with all staff; a direct message or private event of others is not."""
    ann, bob = UserFactory(departments=[sales]), UserFactory(departments=[sales])
    post(ann, direct(ann, bob), "Zephyr layoffs are planned")
    start = timezone.now() + timedelta(days=1)
    calendar.create_event(
        actor=ann,
        title="Zephyr exit talk",
        start=start,
        end=start + timedelta(hours=1),
        visibility="private",
        allow_double_booking=True,
    )
    for headers in ({}, MENU):
        client.force_login(member)
        seen = client.get(URL, {"q": "zephyr"}, **headers)
        assert "Zephyr Labs GmbH" in seen.text
        assert "layoffs" not in seen.text and "exit talk" not in seen.text
        client.force_login(ann)
        own = client.get(URL, {"q": "zephyr"}, **headers)
        assert "layoffs" in own.text and "exit talk" in own.text


# --- Query count ------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["zephyr", "zephir", "#1"])
@pytest.mark.parametrize(("headers", "expected"), [({}, 12), (HTMX, 10), (MENU, 10)])
def test_one_query_per_group_typos_included(signed_in, book, query, headers, expected):
    """Session and user, one query for each of the four kinds of record (records resembling
    the query included), people, messages, events, emails; the full page adds the live bus's
    last event id and the bell's notifications."""
    signed_in.get(URL, {"q": query}, **headers)
    with CaptureQueriesContext(connection) as captured:
        assert signed_in.get(URL, {"q": query}, **headers).status_code == 200
    assert len(captured) == expected
