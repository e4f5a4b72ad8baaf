"""Message search: the chat search page and the global search's "Messages" group.

Runs on the embedded default (word-by-word icontains) and, with
DATABASE_URL=postgres://…, on PostgreSQL full-text with its GIN index.
"""

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chat import events, search, services
from chat.models import Message
from tests.chat.factories import client_room, direct, group_room, post
from tests.factories import UserFactory
from tests.records.xss import PAYLOADS, live_markup

pytestmark = [pytest.mark.django_db, pytest.mark.backend]


URL = reverse("chat:search")
GLOBAL = reverse("search")
RESULTS = {"HTTP_HX_TARGET": "chat-search-results"}


@pytest.fixture(autouse=True)
def no_send_limit(settings):
    """These tests post many messages at once; the send rate limit is tested elsewhere."""
    settings.CHAT_SEND_RATE = ()


def found(response) -> list[str]:
    return [hit.message.body for hit in response.context["page"]]


def messages_group(response) -> list[str]:
    group = response.context["results"].get("messages")
    return [hit.message.body for hit in group.items] if group else []


def as_user(client, person):
    client.force_login(person)
    return client


# --- What is found, for whom --------------------------------------------------------


def test_finds_messages_in_readable_rooms_newest_first_with_jump_links(
    client, ana, ben, acme_room, public_room
):
    older = post(ana, acme_room, "The invoice for March is out")
    newer = post(ben, public_room, "Invoice sent again, see thread")
    post(ana, acme_room, "Nothing to see here")

    response = as_user(client, ana).get(URL, {"q": "invoice"})

    assert response.status_code == 200
    assert found(response) == [newer.body, older.body]
    html = response.text
    for message in (older, newer):
        assert f'href="{events.message_link(message)}"' in html.replace("&amp;", "&")
    assert "2 messages match “invoice”" in html
    assert "Acme GmbH" in html and "Launch" in html  # the rooms' names


def test_a_direct_message_is_never_found_by_someone_outside_it(client, ana, ben, cy, ada, dm):
    post(ana, dm, "Salary review: the raise is approved")

    for outsider in (cy, ada):  # a colleague, and an admin: privacy holds for both
        as_user(client, outsider)
        assert found(client.get(URL, {"q": "salary"})) == []
        assert messages_group(client.get(GLOBAL, {"q": "salary"})) == []
        assert "Salary review" not in client.get(GLOBAL, {"q": "salary"}).text
    for member in (ana, ben):
        as_user(client, member)
        assert found(client.get(URL, {"q": "salary"})) == ["Salary review: the raise is approved"]


def test_private_rooms_are_searched_by_their_members_only(client, ana, ben, cy, private_room):
    post(ben, private_room, "Launch date moves to June")
    assert found(as_user(client, cy).get(URL, {"q": "june"})) == []
    assert found(as_user(client, ben).get(URL, {"q": "june"})) == ["Launch date moves to June"]

    services.remove_member(actor=ana, room=private_room, person=ben)  # a row is kept for Ben

    assert found(as_user(client, ben).get(URL, {"q": "june"})) == []


def test_department_rooms_are_searched_by_the_department(client, ana, cy, sales):
    room = services.open_department_room(department=sales)
    post(ana, room, "Quarterly quota is 120k")
    assert found(as_user(client, ana).get(URL, {"q": "quota"})) == ["Quarterly quota is 120k"]
    assert found(as_user(client, cy).get(URL, {"q": "quota"})) == []


def test_deleted_messages_are_not_found(client, ana, acme_room):
    message = post(ana, acme_room, "Typo in the contract draft")
    services.delete_message(actor=ana, message=message)
    assert found(as_user(client, ana).get(URL, {"q": "contract"})) == []


def test_thread_replies_and_system_lines_are_found(client, ana, ben, acme_room):
    root = post(ana, acme_room, "Renewal call tomorrow?")
    reply = post(ben, acme_room, "Yes, renewal at ten", parent=root)
    services.post_system_message(client=acme_room.client, text="Deal Renewal won — €5,000")
    response = as_user(client, ana).get(URL, {"q": "renewal"})
    assert found(response) == ["Deal Renewal won — €5,000", reply.body, root.body]
    assert "in a thread" in response.text and "Workspace" in response.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("invo", ["Invoice 2031 paid by ACME"]),  # a prefix, while typing
        ("ACME invoice", ["Invoice 2031 paid by ACME"]),  # every word, any case
        ("invoice refund", []),
        ("2031", ["Invoice 2031 paid by ACME"]),
    ],
)
def test_matching(client, ana, acme_room, query, expected):
    post(ana, acme_room, "Invoice 2031 paid by ACME")
    assert found(as_user(client, ana).get(URL, {"q": query})) == expected


# --- One room -------------------------------------------------------------------------


def test_the_room_filter_keeps_one_room(client, ana, acme_room, public_room):
    post(ana, acme_room, "Budget approved")
    post(ana, public_room, "Budget slides ready")
    response = as_user(client, ana).get(URL, {"q": "budget", "room": public_room.pk})
    assert found(response) == ["Budget slides ready"]
    assert f'name="room" value="{public_room.pk}"' in response.text
    assert "In Launch" in response.text


def test_a_room_you_cannot_see_is_not_found(client, ana, cy, dm, private_room):
    post(ana, dm, "Secret")
    as_user(client, cy)
    for room in (dm.pk, private_room.pk, 999_999, "abc", "1 OR 1=1"):
        assert client.get(URL, {"q": "secret", "room": room}).status_code == 404


# --- Pages, input, output -------------------------------------------------------------


def test_results_are_paginated(client, ana, acme_room, monkeypatch):
    monkeypatch.setattr(search, "PER_PAGE", 3)
    for number in range(7):
        post(ana, acme_room, f"Standup note {number}")
    as_user(client, ana)
    first = client.get(URL, {"q": "standup"})
    assert found(first) == ["Standup note 6", "Standup note 5", "Standup note 4"]
    assert "Page 1 of 3" in first.text and "q=standup&amp;page=2" in first.text
    assert found(client.get(URL, {"q": "standup", "page": 3})) == ["Standup note 0"]
    assert found(client.get(URL, {"q": "standup", "page": "x"})) == found(first)
    assert found(client.get(URL, {"q": "standup", "page": 99})) == ["Standup note 0"]
    in_room = client.get(URL, {"q": "standup", "room": acme_room.pk})
    assert f"room={acme_room.pk}&amp;page=2" in in_room.text  # the room filter stays


def test_an_empty_query_asks_for_words_and_finds_nothing(client, ana, acme_room):
    post(ana, acme_room, "Anything")
    as_user(client, ana)
    for query in ("", "   "):
        response = client.get(URL, {"q": query})
        assert response.status_code == 200
        assert response.context["page"] is None
        assert "Type in the search box" in response.text
    assert "No message matches “!!!”" in client.get(URL, {"q": "!!!"}).text


@pytest.mark.parametrize(
    "query",
    ["'&|!:*", "a:* | b & !c", "x' | 'y", "(((", "\\", "💥 note", "x" * 10_000, "note " * 500],
)
def test_bad_input_never_errors(client, ana, acme_room, query):
    post(ana, acme_room, "A note")
    assert as_user(client, ana).get(URL, {"q": query}).status_code == 200


def test_snippets_mark_the_match_and_escape_the_text(client, ana, acme_room):
    for payload in PAYLOADS:
        post(ana, acme_room, f"probe {payload}")
    post(ana, acme_room, "A long " + "word " * 60 + "then the needle, and more " + "text " * 60)
    as_user(client, ana)

    def results(query: str) -> str:
        response = client.get(URL, {"q": query}, HTTP_HX_REQUEST="true", **RESULTS)
        assert response.status_code == 200
        return response.text

    probes = results("probe")
    assert probes.count("<mark>probe</mark>") == len(PAYLOADS)
    assert live_markup(probes) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in probes  # shown as typed
    needle = results("needle")
    assert "…" in needle and "<mark>needle</mark>" in needle
    assert live_markup(results("<script>alert(1)</script>")) == []


def test_snippet_parts():
    parts = search.snippet("Call **Acme** about the acme.example domain", ["acme"])
    assert parts == [
        ("Call **", False),
        ("Acme", True),
        ("** about the ", False),
        ("acme", True),
        (".example domain", False),
    ]
    assert search.snippet("x" * 500, ["y"])[-1] == ("…", False)


def test_results_as_you_type(client, ana, acme_room):
    post(ana, acme_room, "Roadmap review")
    as_user(client, ana)
    page = client.get(URL, {"q": "road"}).text
    assert 'hx-target="#chat-search-results"' in page
    partial = client.get(URL, {"q": "road"}, HTTP_HX_REQUEST="true", **RESULTS)
    assert "<html" not in partial.text and 'id="chat-search-results"' in partial.text
    assert "<mark>Road</mark>map" in partial.text


def test_query_count_does_not_grow_with_results(client, ana, ben, cy):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, {"q": "status"}).status_code == 200
        return len(captured)

    as_user(client, ana)
    post(ana, direct(ana, ben), "status one")
    post(ana, client_room(ana), "status two")
    few = queries()
    for number in range(6):
        post(ana, direct(ana, ben, UserFactory()), f"status dm {number}")
        post(ana, group_room(ana, ben, private=True, name=f"Team {number}"), "status room")
    assert queries() == few


# --- The global search's "Messages" group ---------------------------------------------


def test_global_search_has_a_messages_group(client, ana, acme_room, dm):
    message = post(ana, acme_room, "Kickoff with Zephyr on Monday")
    post(ana, dm, "Zephyr gossip")
    response = as_user(client, ana).get(GLOBAL, {"q": "zephyr kickoff"})
    assert messages_group(response) == ["Kickoff with Zephyr on Monday"]
    assert 'id="search-messages"' in response.text
    assert events.message_link(message) in response.text.replace("&amp;", "&")
    menu = client.get(
        GLOBAL, {"q": "zephyr"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="topbar-search-results"
    )
    assert "Messages" in menu.text and "<mark>Zephyr</mark>" in menu.text


def test_global_search_caps_messages_with_a_link_to_all(client, ana, acme_room):
    for number in range(search.PER_PAGE):
        post(ana, acme_room, f"Zephyr update {number}")
    response = as_user(client, ana).get(GLOBAL, {"q": "zephyr"})
    assert len(messages_group(response)) == 8
    assert f'href="{URL}?q=zephyr"' in response.text


def test_global_search_query_count_does_not_grow_with_messages(client, ana, ben):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(GLOBAL, {"q": "zephyr"}).status_code == 200
        return len(captured)

    as_user(client, ana)
    post(ana, direct(ana, ben), "zephyr first")
    few = queries()
    for number in range(10):
        post(ana, direct(ana, ben, UserFactory()), f"zephyr {number}")
        post(ana, client_room(ana, name=f"Zephyr {number}"), "zephyr client")
    assert queries() == few


# --- PostgreSQL ---------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text indexes are PostgreSQL's")
def test_postgres_uses_the_gin_index(ana, acme_room):
    post(ana, acme_room, "Indexed words")
    query = SearchQuery(search.prefix_tsquery(["index"]), search_type="raw", config=search.CONFIG)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Message.objects.annotate(v=search.message_vector()).filter(v=query).explain()
    assert "Bitmap Index Scan on chat_message_search" in plan
