"""Chat pages over HTTP: the room list, the sidebar, a room (paging, jumps, threads), the
client panel, and every write from a page, with their refusals and query budgets."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chat import selectors, services
from chat.models import MESSAGE_MAX_LENGTH, Membership, Message, Reaction, Room
from records import services as record_services
from tests.chat.factories import client_room, direct, group_room, post
from tests.factories import UserFactory
from tests.records.queries import count_queries
from tests.records.xss import PAYLOADS, live_markup
from workspace.live.models import Event

pytestmark = pytest.mark.django_db


HTMX = {"HTTP_HX_REQUEST": "true"}


def room_url(room, query: str = "") -> str:
    return reverse("chat:room", args=[room.pk]) + query


def messages_url(room) -> str:
    return reverse("chat:messages", args=[room.pk])


@pytest.fixture
def as_ana(client, ana):
    client.force_login(ana)
    return client


@pytest.fixture
def as_cy(client, cy):
    client.force_login(cy)
    return client


def html_of(response) -> str:
    return response.content.decode()


# --- The room list and the sidebar -----------------------------------------------------


def test_home_lists_rooms_by_kind_with_unread_and_mentions(as_ana, ana, ben, cy, public_room):
    post(ben, public_room, "Morning @Ana Lima")
    post(ben, public_room, "And another")
    talk = direct(ana, ben)
    post(ben, talk, "Psst")
    group_room(cy, name="Support corner")  # public, Ana may join
    group_room(cy, name="Hidden", private=True)
    html = html_of(as_ana.get(reverse("chat:home")))
    assert "Launch" in html and "Ben Ode" in html  # the DM is named after the other person
    assert re.search(rf'data-unread-for="{public_room.pk}"[^>]* aria-label="2 unread">2<', html)
    assert f'data-mentions-for="{public_room.pk}" data-count="1"' in html
    assert "Support corner" in html and "Hidden" not in html
    # Ana's department's room was made on first use and is listed.
    sales_room = Room.objects.get(kind=Room.Kind.DEPARTMENT)
    assert sales_room.department.slug == "sales" and room_url(sales_room) in html


def grow_rooms(ana, ben, number):
    """A group room, a direct message and a followed client room, each with news."""
    post(ben, group_room(ben, ana, name=f"Room {number}"), "hello @Ana Lima")
    post(ben, direct(ana, ben, UserFactory()), "psst")
    room = client_room(ben, name=f"Client {number}")
    services.join_room(actor=ana, room=room)
    post(ben, room, "news")


def test_home_and_sidebar_queries_do_not_grow_with_rooms(client, ana, ben, cy, settings):
    settings.CHAT_SEND_RATE = ()
    client.force_login(ana)
    grow_rooms(ana, ben, 0)
    home = count_queries(client, reverse("chat:home"))
    sidebar_url = reverse("chat:sidebar")
    client.get(sidebar_url, **HTMX)
    with CaptureQueriesContext(connection) as few:
        client.get(sidebar_url, **HTMX)
    for number in range(1, 7):
        grow_rooms(ana, ben, number)
    assert count_queries(client, reverse("chat:home")) == home
    with CaptureQueriesContext(connection) as many:
        client.get(sidebar_url, **HTMX)
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]


def test_sidebar_is_an_htmx_fragment_with_badges(as_ana, ana, ben, public_room):
    post(ben, public_room, "Hi @Ana Lima")
    response = as_ana.get(reverse("chat:sidebar"), **HTMX)
    html = html_of(response)
    assert 'id="chat-room-list"' in html and "<html" not in html
    assert f'id="chat-room-{public_room.pk}"' in html
    assert f'data-live-topic="room.{public_room.pk}"' in html
    assert (
        f'id="chat-unread-{public_room.pk}"' in html
        and f'id="chat-mention-{public_room.pk}"' in html
    )
    # Stamped with the log's end, so a replayed older event cannot redraw it stale.
    drawn = Event.objects.latest("id").id
    assert f'id="chat-room-{public_room.pk}" data-room="{public_room.pk}"' in html
    assert f'data-live-id="{drawn}"' in html
    assert as_ana.get(reverse("chat:sidebar")).url == reverse("chat:home")


def test_sidebar_keeps_to_the_most_recent_rooms(as_ana, ana, ben, settings):
    settings.CHAT_SEND_RATE = ()
    rooms = [group_room(ben, ana, name=f"Room {n}") for n in range(selectors.SIDEBAR_ROOMS + 2)]
    for room in rooms:
        post(ben, room, "hi")
    html = html_of(as_ana.get(reverse("chat:sidebar"), **HTMX))
    assert html.count('class="chat-side-room"') == selectors.SIDEBAR_ROOMS
    assert f'id="chat-room-{rooms[-1].pk}"' in html and f'id="chat-room-{rooms[0].pk}"' not in html


def test_every_page_loads_the_sidebar_lazily(as_ana):
    html = html_of(as_ana.get(reverse("home")))
    assert f'hx-get="{reverse("chat:sidebar")}"' in html
    assert f'href="{reverse("chat:home")}"' in html  # the nav item is live
    assert "js/chat.js" in html and "css/chat.css" in html


# --- A room ------------------------------------------------------------------------------


def test_room_page_shows_messages_divider_and_composer(as_ana, ana, ben, public_room):
    post(ana, public_room, "Seen already")
    services.mark_read(actor=ana, room=public_room)
    later = post(ben, public_room, "New since you looked")
    html = html_of(as_ana.get(room_url(public_room)))
    assert f'id="room-{public_room.pk}-messages"' in html
    assert html.index('class="chat-divider"') < html.index(f'id="msg-{later.pk}"')
    assert "data-chat-composer" in html and f'data-live-presence="room.{public_room.pk}"' in html
    assert f'data-live-topics="user.{ana.pk} room.{public_room.pk}"' in html


def test_room_page_without_news_has_no_divider(as_ana, ana, public_room):
    post(ana, public_room, "Mine only")
    assert "chat-divider" not in html_of(as_ana.get(room_url(public_room)))


@pytest.mark.parametrize("fixture", ["dm", "private_room"])
def test_private_rooms_are_404_to_others(request, as_cy, fixture):
    room = request.getfixturevalue(fixture)
    message = post(room.memberships.first().user, room, "Secret")
    for url in (
        room_url(room),
        room_url(room, f"?message={message.pk}"),
        messages_url(room) + "?before=5",
        reverse("chat:thread", args=[message.pk]),
        reverse("chat:message", args=[message.pk]),
        reverse("chat:members_add", args=[room.pk]),
    ):
        assert as_cy.get(url, **HTMX).status_code == 404, url
    for url, data in (
        (messages_url(room), {"body": "let me in"}),
        (reverse("chat:join", args=[room.pk]), {}),
        (reverse("chat:read", args=[room.pk]), {}),
        (reverse("chat:message_react", args=[message.pk]), {"emoji": "👍"}),
        (reverse("chat:message_delete", args=[message.pk]), {}),
        (reverse("chat:message_edit", args=[message.pk]), {"body": "x"}),
    ):
        assert as_cy.post(url, data, **HTMX).status_code == 404, url
    assert not Message.objects.filter(body="let me in").exists()


def test_unknown_rooms_and_messages_are_404(as_ana):
    assert as_ana.get(reverse("chat:room", args=[999])).status_code == 404
    assert as_ana.post(reverse("chat:messages", args=[999]), {"body": "x"}).status_code == 404
    assert as_ana.get(reverse("chat:room", args=[1]) + "?message=abc").status_code == 404


def test_room_page_query_count_is_constant(client, ana, ben, cy, public_room, settings):
    settings.CHAT_SEND_RATE = ()
    client.force_login(ana)
    services.join_room(actor=cy, room=public_room)

    def grow(times):
        for number in range(times):
            root = post(ben, public_room, f"Hello @Ana Lima and @sales, #[Acme {number}]")
            post(cy if number % 2 else ana, public_room, "A reply", parent=root)
            services.toggle_reaction(actor=ana, message=root, emoji="👍")
            services.toggle_reaction(actor=ben, message=root, emoji="🎉")

    grow(1)
    few = count_queries(client, room_url(public_room))
    grow(12)
    assert count_queries(client, room_url(public_room)) == few
    with_thread = room_url(public_room, f"?thread={Message.objects.first().pk}")
    assert count_queries(client, with_thread) <= few + 5  # the thread: one lookup, one read


def test_latest_fifty_then_older_pages_by_cursor(as_ana, ana, ben, public_room, settings):
    settings.CHAT_SEND_RATE = ()
    sent = [post(ben if n % 2 else ana, public_room, f"Message {n}") for n in range(120)]
    html = html_of(as_ana.get(room_url(public_room)))
    assert html.count('<article id="msg-') == selectors.PAGE_SIZE
    assert f'id="msg-{sent[70].pk}"' in html and f'id="msg-{sent[69].pk}"' not in html
    assert f"?before={sent[70].seq}" in html and 'hx-trigger="intersect once"' in html

    older = html_of(as_ana.get(messages_url(public_room) + f"?before={sent[70].seq}", **HTMX))
    assert older.count('<article id="msg-') == selectors.PAGE_SIZE
    assert f'id="msg-{sent[20].pk}"' in older and f'id="msg-{sent[70].pk}"' not in older
    assert f"?before={sent[20].seq}" in older

    oldest = html_of(as_ana.get(messages_url(public_room) + f"?before={sent[20].seq}", **HTMX))
    assert oldest.count('<article id="msg-') == 20 and "chat-start" in oldest
    assert "?before=" not in oldest
    # Without htmx, or with a cursor that is no number, the room page.
    assert as_ana.get(messages_url(public_room) + "?before=20").url == room_url(public_room)
    assert as_ana.get(messages_url(public_room) + "?before=x", **HTMX).status_code == 302


def test_thread_replies_are_not_in_the_room_list(as_ana, ana, ben, public_room):
    root = post(ana, public_room, "Root")
    reply = post(ben, public_room, "In the thread", parent=root)
    html = html_of(as_ana.get(room_url(public_room)))
    assert f'id="msg-{reply.pk}"' not in html
    assert "1 reply" in html


def test_jump_to_a_message_loads_a_window_around_it(as_ana, ana, ben, public_room, settings):
    settings.CHAT_SEND_RATE = ()
    sent = [post(ben, public_room, f"Message {n}") for n in range(100)]
    html = html_of(as_ana.get(room_url(public_room, f"?message={sent[30].pk}")))
    assert f'id="room-{public_room.pk}-history"' in html  # live messages do not land here
    assert f'id="room-{public_room.pk}-messages"' not in html
    assert f'id="msg-{sent[6].pk}"' in html and f'id="msg-{sent[55].pk}"' in html
    assert f'id="msg-{sent[5].pk}"' not in html and f'id="msg-{sent[56].pk}"' not in html
    assert "Jump to latest" in html and "chat-divider" not in html


def test_jump_to_a_reply_opens_its_thread(as_ana, ana, ben, public_room):
    root = post(ana, public_room, "Root")
    reply = post(ben, public_room, "Deep in the thread", parent=root)
    html = html_of(as_ana.get(room_url(public_room, f"?message={reply.pk}")))
    assert f'id="msg-{root.pk}"' in html
    assert f'id="thread-{root.pk}-replies"' in html and f'id="msg-{reply.pk}"' in html


def test_jump_or_thread_from_another_room_is_404(as_ana, ana, public_room, acme_room):
    elsewhere = post(ana, acme_room, "Elsewhere")
    assert as_ana.get(room_url(public_room, f"?message={elsewhere.pk}")).status_code == 404
    assert as_ana.get(room_url(public_room, f"?thread={elsewhere.pk}")).status_code == 404


def test_thread_panel(as_ana, ana, ben, public_room):
    root = post(ana, public_room, "Root")
    reply = post(ben, public_room, "Reply", parent=root)
    url = reverse("chat:thread", args=[reply.pk])  # a reply's thread is its root's
    html = html_of(as_ana.get(url, **HTMX))
    assert f'id="thread-{root.pk}-replies"' in html and f'id="msg-{reply.pk}"' in html
    assert f'name="parent" value="{root.pk}"' in html and "<html" not in html
    assert as_ana.get(url).url == room_url(public_room, f"?thread={root.pk}")
    page = html_of(as_ana.get(room_url(public_room, f"?thread={root.pk}")))
    assert f'id="thread-{root.pk}-replies"' in page
    assert page.count('name="parent"') == 1  # the room's own composer posts top-level


def test_readers_who_may_not_post_get_no_composer(as_cy, cy, ana, public_room):
    html = html_of(as_cy.get(room_url(public_room)))
    assert "data-chat-composer" not in html and "Join this room to post" in html
    assert 'class="chat-room"' in html  # no .can-post: post-only controls hidden


# --- Posting ----------------------------------------------------------------------------------


def test_post_answers_htmx_with_the_live_event(as_ana, ana, public_room):
    response = as_ana.post(
        messages_url(public_room), {"body": "Hi **all**", "client_id": "c-1"}, **HTMX
    )
    message = Message.objects.get(client_id="c-1")
    assert response.status_code == 200 and response["X-Live-Event"]
    assert response["X-Chat-Message"] == str(message.pk)
    html = html_of(response)
    assert f'hx-swap-oob="beforeend:#room-{public_room.pk}-messages"' in html
    assert "<strong>all</strong>" in html


def test_a_resent_post_is_not_duplicated(as_ana, ana, public_room):
    data = {"body": "Once", "client_id": "c-retry"}
    as_ana.post(messages_url(public_room), data, **HTMX)
    again = as_ana.post(messages_url(public_room), data, **HTMX)
    message = Message.objects.get(client_id="c-retry")
    assert again.status_code == 200 and "X-Live-Event" not in again
    assert again["X-Chat-Message"] == str(message.pk)
    assert f'id="msg-{message.pk}"' in html_of(again)
    assert Message.objects.filter(room=public_room).count() == 1


def test_a_thread_reply_over_http(as_ana, ana, ben, public_room):
    root = post(ben, public_room, "Root")
    response = as_ana.post(
        messages_url(public_room), {"body": "Agreed", "parent": root.pk, "client_id": "c-2"}, **HTMX
    )
    html = html_of(response)
    assert f"beforeend:#thread-{root.pk}-replies" in html
    assert f'id="replies-{root.pk}"' in html and "1 reply" in html


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "Write a message first."),
        ("   ", "Write a message first."),
        ("x" * (MESSAGE_MAX_LENGTH + 1), "limited to 10,000 characters"),
    ],
)
def test_bad_posts_are_refused_with_a_reason(as_ana, public_room, body, reason):
    response = as_ana.post(messages_url(public_room), {"body": body, "client_id": "c-3"}, **HTMX)
    assert response.status_code == 422 and reason in html_of(response)
    assert not Message.objects.exists()


def test_a_bad_client_id_is_refused(as_ana, public_room):
    response = as_ana.post(
        messages_url(public_room), {"body": "x", "client_id": "no spaces"}, **HTMX
    )
    assert response.status_code == 422


def test_posting_too_fast_answers_429(as_ana, public_room, settings):
    settings.CHAT_SEND_RATE = ((2, 60),)
    for number in range(2):
        as_ana.post(messages_url(public_room), {"body": f"{number}"}, **HTMX)
    response = as_ana.post(messages_url(public_room), {"body": "one more"}, **HTMX)
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert "too fast" in html_of(response)
    assert Message.objects.count() == 2


def test_posting_to_a_room_you_left(as_ana, ana, ben, public_room):
    services.leave_room(actor=ana, room=public_room)
    response = as_ana.post(messages_url(public_room), {"body": "Still here?"}, **HTMX)
    assert response.status_code == 403 and "cannot post" in html_of(response)
    plain = as_ana.post(messages_url(public_room), {"body": "Still here?"}, follow=True)
    assert "cannot post" in html_of(plain)
    assert not Message.objects.filter(body="Still here?").exists()


def test_post_with_a_parent_in_another_room(as_ana, ana, public_room, acme_room):
    elsewhere = post(ana, acme_room, "Elsewhere")
    response = as_ana.post(messages_url(public_room), {"body": "x", "parent": elsewhere.pk}, **HTMX)
    assert response.status_code == 422
    response = as_ana.post(messages_url(public_room), {"body": "x", "parent": "9999"}, **HTMX)
    assert response.status_code == 404


def test_plain_post_redirects_to_the_message(as_ana, public_room):
    response = as_ana.post(messages_url(public_room), {"body": "No JavaScript"})
    message = Message.objects.get()
    assert response.url == f"{room_url(public_room)}#msg-{message.pk}"


# --- Editing, deleting, reacting ---------------------------------------------------------------


def test_edit_own_message(as_ana, ana, public_room):
    message = post(ana, public_room, "Tpyo")
    url = reverse("chat:message_edit", args=[message.pk])
    editor = html_of(as_ana.get(url, **HTMX))
    assert "data-chat-edit" in editor and "Tpyo" in editor
    response = as_ana.post(url, {"body": "Typo"}, **HTMX)
    assert response["X-Live-Event"] and "edited" in html_of(response)
    message.refresh_from_db()
    assert message.body == "Typo" and message.edited_at
    same = as_ana.post(url, {"body": "Typo"}, **HTMX)
    assert same.status_code == 200 and f'id="msg-{message.pk}"' in html_of(same)
    assert as_ana.get(url).status_code == 200  # the editor as a page without htmx
    assert as_ana.post(url, {"body": "Plain"}).url.endswith(f"#msg-{message.pk}")


def test_edit_refusals(client, ana, ben, public_room):
    message = post(ana, public_room, "Mine")
    url = reverse("chat:message_edit", args=[message.pk])
    client.force_login(ben)
    assert client.post(url, {"body": "Hijack"}, **HTMX).status_code == 403
    client.force_login(ana)
    empty = client.post(url, {"body": "  "}, **HTMX)
    assert empty.status_code == 422 and "Write a message first." in html_of(empty)
    message.refresh_from_db()
    assert message.body == "Mine"


def test_delete_own_and_moderated(client, ana, ben, cy, public_room):
    mine = post(ben, public_room, "Oops")
    theirs = post(ben, public_room, "Rude")
    client.force_login(ben)
    response = client.post(reverse("chat:message_delete", args=[mine.pk]), **HTMX)
    assert response["X-Live-Event"] and "This message was deleted." in html_of(response)
    services.join_room(actor=cy, room=public_room)
    client.force_login(cy)
    assert client.post(reverse("chat:message_delete", args=[theirs.pk]), **HTMX).status_code == 403
    client.force_login(ana)  # the room's owner moderates
    assert client.post(reverse("chat:message_delete", args=[theirs.pk]), **HTMX).status_code == 200
    assert Message.objects.filter(deleted_at__isnull=False).count() == 2


def test_react_toggles_and_refuses_unknown_emoji(as_ana, ana, ben, public_room):
    message = post(ben, public_room, "Ship it")
    url = reverse("chat:message_react", args=[message.pk])
    response = as_ana.post(url, {"emoji": "🎉"}, **HTMX)
    assert f'data-users="{ana.pk}"' in html_of(response)
    assert Reaction.objects.filter(message=message, user=ana).count() == 1
    as_ana.post(url, {"emoji": "🎉"}, **HTMX)
    assert not Reaction.objects.filter(message=message).exists()
    bad = as_ana.post(url, {"emoji": "💩"}, **HTMX)
    assert bad.status_code == 422 and "React with one of" in html_of(bad)


def test_message_partial_for_cancel(as_ana, ana, public_room):
    message = post(ana, public_room, "Hello")
    url = reverse("chat:message", args=[message.pk])
    assert f'id="msg-{message.pk}"' in html_of(as_ana.get(url, **HTMX))
    assert as_ana.get(url).url.endswith(f"?message={message.pk}#msg-{message.pk}")


# --- Following and members ------------------------------------------------------------------------


def test_join_and_leave_a_public_room(as_cy, cy, public_room):
    assert as_cy.post(reverse("chat:join", args=[public_room.pk])).url == room_url(public_room)
    assert Membership.objects.get(room=public_room, user=cy).is_member
    assert "data-chat-composer" in html_of(as_cy.get(room_url(public_room)))
    assert as_cy.post(reverse("chat:leave", args=[public_room.pk])).url == room_url(public_room)
    assert not Membership.objects.get(room=public_room, user=cy).is_member
    again = as_cy.post(reverse("chat:leave", args=[public_room.pk]), **HTMX)
    assert again.status_code == 200  # a second click changes nothing


def test_leaving_a_private_room_goes_to_the_room_list(client, ben, private_room):
    client.force_login(ben)
    assert client.post(reverse("chat:leave", args=[private_room.pk])).url == reverse("chat:home")
    assert client.get(room_url(private_room)).status_code == 404


def test_a_department_room_cannot_be_left(as_ana, ana, sales):
    room = services.open_department_room(department=sales)
    assert as_ana.post(reverse("chat:leave", args=[room.pk]), **HTMX).status_code == 403


def test_owner_adds_and_removes_people(as_ana, ana, ben, cy, public_room):
    form = html_of(as_ana.get(reverse("chat:members_add", args=[public_room.pk])))
    assert "Cy Park" in form and f'value="{ben.pk}"' not in form  # members are not offered
    response = as_ana.post(reverse("chat:members_add", args=[public_room.pk]), {"people": [cy.pk]})
    assert response.url == room_url(public_room)
    assert Membership.objects.get(room=public_room, user=cy).is_member
    remove = reverse("chat:members_remove", args=[public_room.pk, cy.pk])
    response = as_ana.post(remove, **HTMX)
    assert response["X-Live-Event"] and f'id="room-{public_room.pk}-members"' in html_of(response)
    assert not Membership.objects.get(room=public_room, user=cy).is_member
    assert as_ana.post(remove, **HTMX).status_code == 422  # not in the room any more
    nobody = as_ana.post(reverse("chat:members_add", args=[public_room.pk]), {}, **HTMX)
    assert nobody.status_code == 422


def test_members_refused_to_non_owners(client, ben, cy, public_room):
    client.force_login(ben)
    assert client.get(reverse("chat:members_add", args=[public_room.pk])).status_code == 403
    add = client.post(
        reverse("chat:members_add", args=[public_room.pk]), {"people": [cy.pk]}, **HTMX
    )
    assert add.status_code == 403
    remove = reverse("chat:members_remove", args=[public_room.pk, 999999])
    assert client.post(remove, **HTMX).status_code == 404


def test_mark_read_over_http(as_ana, ana, ben, public_room):
    post(ben, public_room, "One")
    post(ben, public_room, "Two")
    url = reverse("chat:read", args=[public_room.pk])
    response = as_ana.post(url, {"seq": "1"}, **HTMX)
    assert response["X-Live-Event"] and f'id="chat-unread-{public_room.pk}"' in html_of(response)
    assert Membership.objects.get(room=public_room, user=ana).last_read_seq == 1
    as_ana.post(url, **HTMX)  # no seq: everything
    assert Membership.objects.get(room=public_room, user=ana).last_read_seq == 2
    assert as_ana.post(url, {"seq": "-3"}, **HTMX).status_code == 422


# --- Creating rooms and direct messages -----------------------------------------------------------


def test_create_a_room(as_ana, ana, ben):
    assert as_ana.get(reverse("chat:room_new")).status_code == 200
    data = {"name": "Pricing", "description": "Q1 prices", "private": "on", "members": [ben.pk]}
    response = as_ana.post(reverse("chat:room_new"), data)
    room = Room.objects.get(name="Pricing")
    assert response.url == room_url(room) and room.is_private
    assert set(room.memberships.values_list("user", flat=True)) == {ana.pk, ben.pk}


def test_create_a_room_with_bad_input(as_ana):
    response = as_ana.post(reverse("chat:room_new"), {"name": "   "})
    assert response.status_code == 422 and "Give the room a name." in html_of(response)
    response = as_ana.post(reverse("chat:room_new"), {"name": "x", "members": ["999999"]})
    assert response.status_code == 422
    assert not Room.objects.filter(kind=Room.Kind.GROUP).exists()


def test_open_a_direct_message(as_ana, ana, ben, cy):
    response = as_ana.post(reverse("chat:direct_new"), {"people": [ben.pk, cy.pk]})
    room = Room.objects.get(kind=Room.Kind.DIRECT)
    assert response.url == room_url(room)
    again = as_ana.post(reverse("chat:direct_new"), {"people": [cy.pk, ben.pk]})
    assert again.url == room_url(room)  # the same people: the same conversation
    assert "Ben Ode, Cy Park" in html_of(as_ana.get(room_url(room)))
    refused = as_ana.post(reverse("chat:direct_new"), {"people": []})
    assert refused.status_code == 422


# --- The client page's panel ----------------------------------------------------------------------


def test_client_panel_opens_the_room_on_first_use(as_ana, ana, ben):
    client = record_services.create_client(actor=ana, name="Initech")
    url = reverse("chat:client_panel", args=[client.pk])
    html = html_of(as_ana.get(url, **HTMX))
    room = Room.objects.get(client=client)
    assert f'id="room-{room.pk}-messages"' in html and "data-chat-composer" in html
    assert f'data-live-topic="room.{room.pk}"' in html and "<html" not in html
    post(ben, room, "Hello from the panel")
    assert "Hello from the panel" in html_of(as_ana.get(url, **HTMX))
    assert as_ana.get(url).url == room_url(room)
    assert as_ana.get(reverse("chat:client_panel", args=[999999]), **HTMX).status_code == 404


def test_client_panel_shows_the_latest_few(as_ana, ana, settings):
    settings.CHAT_SEND_RATE = ()
    room = client_room(ana, "Globex")
    for number in range(selectors.PANEL_SIZE + 5):
        post(ana, room, f"Line {number}")
    html = html_of(as_ana.get(reverse("chat:client_panel", args=[room.client_id]), **HTMX))
    assert html.count('<article id="msg-') == selectors.PANEL_SIZE
    assert "Open the full room" in html


def test_client_page_has_the_panel_and_chat_highlights(as_ana, ana, acme_room):
    message = post(ana, acme_room, "Customer wants a **discount**")
    entry = services.highlight_message(actor=ana, message=message)
    html = html_of(as_ana.get(reverse("records:client_detail", args=[acme_room.client_id])))
    assert reverse("chat:client_panel", args=[acme_room.client_id]) in html
    assert f'id="timeline-entry-{entry.pk}"' in html and "bi-chat-quote" in html
    assert f"?message={message.pk}#msg-{message.pk}" in html
    assert "<strong>discount</strong>" in html


# --- Composer suggestions ------------------------------------------------------------------------


def test_suggestions_for_people_departments_and_clients(as_ana, ana, ben, sales):
    record_services.create_client(actor=ana, name="Acme GmbH")
    items = as_ana.get(reverse("chat:suggest"), {"q": "Be"}).json()["items"]
    assert [item["insert"] for item in items] == ["Ben Ode"]
    items = as_ana.get(reverse("chat:suggest"), {"q": "sal"}).json()["items"]
    assert {"insert": "sales", "label": "Sales"}.items() <= items[-1].items()
    items = as_ana.get(reverse("chat:suggest"), {"q": "acm", "kind": "clients"}).json()["items"]
    assert items[0]["insert"] == "[Acme GmbH]"


# --- Hostile text ------------------------------------------------------------------------


def test_hostile_text_is_inert_on_every_chat_page(client, ana, settings):
    settings.CHAT_SEND_RATE = ()
    villain = UserFactory(full_name='<img src=x onerror=alert(1)> "Eve"')
    room = group_room(ana, villain, name="<script>alert(1)</script>", private=False)
    room.description = "<svg/onload=alert(1)>"
    room.save(update_fields=["description"])
    for payload in PAYLOADS:
        root = post(villain, room, f"{payload} @Ana Lima @sales")
        post(ana, room, payload, parent=root)
        services.toggle_reaction(actor=villain, message=root, emoji="👍")
    client.force_login(ana)
    pages = [
        html_of(client.get(room_url(room, f"?thread={root.pk}"))).split('id="chat-layout"')[1],
        html_of(client.get(reverse("chat:home"))).split('id="main"')[1],
        html_of(client.get(reverse("chat:sidebar"), **HTMX)),
        html_of(client.get(reverse("chat:thread", args=[root.pk]), **HTMX)),
    ]
    for html in pages:
        assert live_markup(html) == []
