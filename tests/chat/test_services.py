"""Chat services: every write, its checks, and exactly what it publishes."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from chat import services
from chat.models import MESSAGE_MAX_LENGTH, Membership, Message, Reaction, Room
from records import services as record_services
from records.models import TimelineEntry
from tests.chat.factories import client_id, client_room, post
from tests.factories import UserFactory
from tests.live_helpers import capture_events
from tests.races import second_waits_for_first
from tests.records.xss import PAYLOADS, live_markup

pytestmark = pytest.mark.django_db


needs_server_db = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs a server database: SQLite's in-memory test database is one connection",
)


def said(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def published(events) -> list[tuple[str, str]]:
    return [(event.topic, event.kind) for event in events]


def room_topic(room) -> str:
    return f"room.{room.pk}"


def user_topic(person) -> str:
    return f"user.{person.pk}"


# --- Sending --------------------------------------------------------------------


def test_send_numbers_the_message_and_publishes_it_on_the_room(ana, acme_room):
    sent_id = client_id()
    with capture_events(1) as events:
        message, created = services.post_message(
            actor=ana, room=acme_room, body="Hello **team**", client_id=sent_id
        )
    assert created
    assert (message.seq, message.kind, message.author, message.client_id) == (
        1,
        Message.Kind.USER,
        ana,
        sent_id,
    )
    assert message.body_html == "<p>Hello <strong>team</strong></p>"
    event = events[0]
    assert (event.topic, event.kind) == (room_topic(acme_room), "chat.message.posted")
    assert event.payload == {
        "room": acme_room.pk,
        "message": message.pk,
        "seq": 1,
        "author": ana.pk,
        "parent": None,
        "client_id": sent_id,
        "room_client": acme_room.client_id,
        "mentions": [],
        "system": False,
    }
    assert f"beforeend:#room-{acme_room.pk}-messages" in event.html
    assert f'id="msg-{message.pk}"' in event.html and "<strong>team</strong>" in event.html

    second = post(ana, acme_room, "Again")
    acme_room.refresh_from_db()
    assert second.seq == 2 == acme_room.last_seq
    assert acme_room.last_message_at == second.created_at
    # The author has read their own messages; a client room is not followed by posting.
    assert Membership.objects.filter(
        room=acme_room, user=ana, last_read_seq=2, is_member=False
    ).exists()


def test_a_retried_send_returns_the_message_and_publishes_nothing(ana, ben, acme_room):
    sent_id = client_id()
    first = post(ana, acme_room, "Once", client_id=sent_id)
    with capture_events(0):
        again, created = services.post_message(
            actor=ana, room=acme_room, body="Once", client_id=sent_id
        )
    assert (again, created) == (first, False)
    assert Message.objects.count() == 1
    # Ids are the author's own: someone else's send with the same id is another message.
    assert post(ben, acme_room, "Mine", client_id=sent_id) != first


def test_a_message_id_is_not_reused_in_another_room(ana, acme_room, public_room):
    sent_id = client_id()
    post(ana, acme_room, client_id=sent_id)
    with capture_events(0), pytest.raises(ValidationError) as excinfo:
        services.post_message(actor=ana, room=public_room, body="Hi", client_id=sent_id)
    assert excinfo.value.message_dict == {
        "client_id": ["This message id was used in another room; make a new one."]
    }


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"body": ""}, {"body": ["Write a message first."]}),
        ({"body": " \n\t "}, {"body": ["Write a message first."]}),
        ({"body": None}, {"body": ["Write a message first."]}),
        ({"body": 42}, {"body": ["Write a message first."]}),
        (
            {"body": "x" * (MESSAGE_MAX_LENGTH + 1)},
            {"body": ["A message is limited to 10,000 characters; this one has 10,001."]},
        ),
        (
            {"body": "a\x00b"},
            {"body": ["A message contains a NUL character, which cannot be stored."]},
        ),
        (
            {"body": "a\ud800b"},
            {"body": ["A message contains broken characters (lone surrogates)."]},
        ),
        (
            {"client_id": "has space"},
            {"client_id": ["A message id is 1 to 64 letters, digits, - or _."]},
        ),
        (
            {"client_id": "x" * 65},
            {"client_id": ["A message id is 1 to 64 letters, digits, - or _."]},
        ),
        ({"client_id": 12}, {"client_id": ["A message id is 1 to 64 letters, digits, - or _."]}),
        ({"parent": "abc"}, {"parent": ["Reply to a message of this room."]}),
        ({"parent": 10**30}, {"parent": ["Reply to a message of this room."]}),
    ],
)
def test_bad_input_is_refused_readably_and_saves_nothing(ana, acme_room, fields, errors):
    with capture_events(0), pytest.raises(ValidationError) as excinfo:
        services.post_message(actor=ana, room=acme_room, **({"body": "Hi"} | fields))
    assert excinfo.value.message_dict == errors
    assert not Message.objects.exists()
    acme_room.refresh_from_db()
    assert acme_room.last_seq == 0


def test_the_longest_message_and_surrounding_space(ana, acme_room):
    longest = post(ana, acme_room, "x" * MESSAGE_MAX_LENGTH)
    assert len(longest.body) == MESSAGE_MAX_LENGTH
    assert post(ana, acme_room, "  trimmed \n").body == "trimmed"


def test_who_may_post_where(ana, ben, cy, ada, acme_room, public_room, private_room, dm, sales):
    # Client rooms: all staff, following it or not (joining only adds it to the sidebar).
    post(cy, acme_room)
    # Group rooms and direct messages: their members; department rooms: the department.
    sales_room = services.open_department_room(department=sales)
    post(ben, sales_room)
    for person, room in [
        (cy, public_room),
        (cy, private_room),
        (cy, dm),
        (cy, sales_room),
        (ada, private_room),  # admins included
        (ada, dm),
        (ada, sales_room),
    ]:
        with capture_events(0), pytest.raises(PermissionDenied, match="cannot post"):
            services.post_message(actor=person, room=room, body="Let me in")
    services.join_room(actor=cy, room=public_room)
    post(cy, public_room, "Joined")


def test_posting_in_a_room_one_left_is_refused(ana, ben, public_room, private_room, acme_room):
    services.leave_room(actor=ben, room=public_room)
    services.leave_room(actor=ben, room=private_room)
    for room in (public_room, private_room):
        with capture_events(0), pytest.raises(PermissionDenied, match="cannot post"):
            services.post_message(actor=ben, room=room, body="Still here?")
    # A client room stays open to all staff after leaving: it only leaves the sidebar.
    services.join_room(actor=ben, room=acme_room)
    services.leave_room(actor=ben, room=acme_room)
    post(ben, acme_room, "Still allowed")


def test_a_deactivated_person_cannot_post(ana, acme_room):
    ana.is_active = False
    ana.save()
    with pytest.raises(PermissionDenied):
        services.post_message(actor=ana, room=acme_room, body="Ghost")


def test_sends_are_rate_limited_per_person(settings, ana, ben, acme_room):
    settings.CHAT_SEND_RATE = ((3, 1), (5, 60))
    for n in range(3):
        last = post(ana, acme_room, f"Burst {n}", client_id=f"burst-{n}")
    with capture_events(0), pytest.raises(services.RateLimited) as excinfo:
        services.post_message(actor=ana, room=acme_room, body="Too fast", client_id="burst-x")
    error = excinfo.value
    assert error.retry_after == 1
    assert error.code == "rate_limited"
    assert said(excinfo) == "You are sending messages too fast. Wait 1 s and send again."
    assert isinstance(error, ValidationError)
    assert Message.objects.filter(author=ana).count() == 3
    # A retry of a send that went through is answered, limit or not; others are not limited.
    assert services.post_message(actor=ana, room=acme_room, body="x", client_id="burst-2") == (
        last,
        False,
    )
    post(ben, acme_room, "Me too")

    # The per-minute limit: wait until the oldest of the last five leaves the minute.
    Message.objects.filter(author=ana).update(created_at=timezone.now() - timedelta(seconds=10))
    post(ana, acme_room, "Four")
    post(ana, acme_room, "Five")
    with pytest.raises(services.RateLimited) as excinfo:
        post(ana, acme_room, "Six")
    assert excinfo.value.retry_after in (50, 51)


def test_the_default_rate_allows_a_burst_of_ten(ana, acme_room, time_machine):
    time_machine.move_to(timezone.now(), tick=False)  # the burst within a second, however slow
    for n in range(10):
        post(ana, acme_room, f"Burst {n}")
    with pytest.raises(services.RateLimited):
        post(ana, acme_room, "Eleventh")


@needs_server_db
@pytest.mark.django_db(transaction=True)
def test_the_same_send_arriving_twice_at_once_makes_one_message(sales):
    """A send and its retry reach two server processes at the same moment."""
    ana = UserFactory(departments=[sales])
    room = client_room(ana)
    sent_id = client_id()

    def send():
        return services.post_message(actor=ana, room=room, body="Once", client_id=sent_id)

    first, second = second_waits_for_first(send, send)
    message, created = first
    assert created
    assert second == (message, False)
    assert Message.objects.count() == 1
    assert Room.objects.get(pk=room.pk).last_seq == 1


@needs_server_db
@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_get_one_order(sales, settings):
    settings.CHAT_SEND_RATE = ()
    people = [UserFactory(departments=[sales]) for _ in range(4)]
    room = client_room(people[0])
    start = threading.Barrier(len(people))
    failures = []

    def send(person):
        try:
            start.wait(timeout=10)
            for n in range(5):
                services.post_message(actor=person, room=room, body=f"{n}", client_id=client_id())
        except Exception as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=[person]) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert failures == []
    assert sorted(Message.objects.values_list("seq", flat=True)) == list(range(1, 21))
    assert Room.objects.get(pk=room.pk).last_seq == 20


@needs_server_db
@pytest.mark.django_db(transaction=True)
def test_rooms_opened_at_the_same_moment_are_one_room(sales):
    people = [UserFactory(departments=[sales]) for _ in range(4)]
    client = record_services.create_client(actor=people[0], name="Race Ltd")
    start = threading.Barrier(len(people))
    opened, failures = [], []

    def open_rooms(person):
        try:
            start.wait(timeout=10)
            others = [other for other in people if other != person]
            opened.append(services.open_direct(actor=person, people=others).pk)
            opened.append(services.open_client_room(client=client).pk)
            opened.append(services.open_department_room(department=sales).pk)
        except Exception as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=open_rooms, args=[person]) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert failures == []
    assert len(opened) == 12 and len(set(opened)) == 3 == Room.objects.count()
    assert Membership.objects.filter(room__kind=Room.Kind.DIRECT).count() == 4


# --- Edit and delete ------------------------------------------------------------


def test_edit_marks_the_message_and_notifies_only_new_mentions(ana, ben, cy, acme_room):
    message = post(ana, acme_room, "Hi @Ben Ode")
    with capture_events() as events:
        edited = services.edit_message(actor=ana, message=message, body="Hi @Ben Ode and @Cy Park")
    assert published(events) == [
        (room_topic(acme_room), "chat.message.edited"),
        (user_topic(cy), "notification.added"),
    ]
    assert events[0].payload == {"room": acme_room.pk, "message": message.pk, "seq": 1}
    assert f'id="msg-{message.pk}"' in events[0].html and "Cy Park" in events[0].html
    assert edited.edited_at is not None
    assert edited.body_html == "<p>Hi @Ben Ode and @Cy Park</p>"
    assert set(edited.mentions.all()) == {ben, cy}
    assert Notification.objects.filter(recipient=ben).count() == 1
    assert Notification.objects.filter(recipient=cy, kind="mention").count() == 1

    with capture_events(0):  # the same text again: nothing changed
        services.edit_message(actor=ana, message=edited, body="Hi @Ben Ode and @Cy Park ")


def test_only_the_author_edits_and_not_into_nothing(ana, ben, acme_room):
    message = post(ana, acme_room, "Mine")
    with pytest.raises(PermissionDenied, match="your own"):
        services.edit_message(actor=ben, message=message, body="Yours now")
    with pytest.raises(ValidationError, match="Write a message first"):
        services.edit_message(actor=ana, message=message, body="  ")
    services.delete_message(actor=ana, message=message)
    with pytest.raises(ValidationError, match="This message was deleted"):  # a stale copy
        services.edit_message(actor=ana, message=message, body="Back")
    message.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.edit_message(actor=ana, message=message, body="Back")
    assert (message.body, message.edited_at) == ("", None)


def test_delete_leaves_a_placeholder_without_text_reactions_or_mentions(ana, ben, acme_room):
    message = post(ana, acme_room, "Secret @Ben Ode")
    services.toggle_reaction(actor=ben, message=message, emoji="👍")
    with capture_events(1) as events:
        services.delete_message(actor=ana, message=message)
    event = events[0]
    assert (event.topic, event.kind) == (room_topic(acme_room), "chat.message.deleted")
    assert event.payload == {"room": acme_room.pk, "message": message.pk, "seq": 1}
    assert f'id="msg-{message.pk}"' in event.html and "Secret" not in event.html
    message.refresh_from_db()
    assert message.is_deleted and (message.body, message.body_html) == ("", "")
    assert message.seq == 1  # the order is kept
    assert not Reaction.objects.exists()
    assert not message.mentions.exists()
    with capture_events(0):
        services.delete_message(actor=ana, message=message)


def test_who_deletes_others_messages(ana, ben, cy, ada, acme_room, public_room, dm):
    with pytest.raises(PermissionDenied):
        services.delete_message(actor=ben, message=post(ana, acme_room))
    # Admins moderate the rooms they can read; group owners their room; nobody a DM.
    services.delete_message(actor=ada, message=post(ana, acme_room))
    services.delete_message(actor=ana, message=post(ben, public_room))
    in_dm = post(ben, dm)
    with pytest.raises(PermissionDenied):
        services.delete_message(actor=ana, message=in_dm)
    services.delete_message(actor=ben, message=in_dm)


# --- Threads ----------------------------------------------------------------------


def test_a_reply_goes_into_the_root_thread(ana, ben, acme_room):
    root = post(ana, acme_room, "Question")
    with capture_events(1) as events:
        reply = post(ben, acme_room, "Answer", parent=root)
    event = events[0]
    assert event.payload["parent"] == root.pk and event.payload["seq"] == 2
    assert f"beforeend:#thread-{root.pk}-replies" in event.html
    root.refresh_from_db()
    assert (reply.parent, root.reply_count, root.last_reply_at) == (root, 1, reply.created_at)

    # A reply to a reply (here given by id, as a socket frame does) joins the root's thread.
    nested = post(ana, acme_room, "Follow-up", parent=reply.pk)
    root.refresh_from_db()
    assert (nested.parent, nested.seq, root.reply_count) == (root, 3, 2)


def test_replies_stay_in_their_room_and_closed_threads(ana, acme_room, public_room):
    elsewhere = post(ana, public_room, "Other room")
    with capture_events(0), pytest.raises(ValidationError) as excinfo:
        services.post_message(actor=ana, room=acme_room, body="Hi", parent=elsewhere)
    assert excinfo.value.message_dict == {"parent": ["Reply to a message of this room."]}

    root = post(ana, acme_room, "Soon gone")
    reply = post(ana, acme_room, "Reply", parent=root)
    services.delete_message(actor=ana, message=root)
    for parent in (root, reply):
        with capture_events(0), pytest.raises(ValidationError) as excinfo:
            services.post_message(actor=ana, room=acme_room, body="Hi", parent=parent)
        assert excinfo.value.message_dict == {
            "parent": ["That message was deleted; its thread is closed."]
        }
    assert Message.objects.count() == 3


# --- Reactions ----------------------------------------------------------------------


def test_a_reaction_toggles_on_and_off(ana, ben, acme_room):
    message = post(ana, acme_room)
    with capture_events(1) as events:
        assert services.toggle_reaction(actor=ben, message=message, emoji="🎉") is True
    event = events[0]
    assert (event.topic, event.kind) == (room_topic(acme_room), "chat.reactions")
    assert event.payload == {"room": acme_room.pk, "message": message.pk}
    assert f'id="reactions-{message.pk}"' in event.html and "🎉" in event.html
    assert list(Reaction.objects.values_list("user", "emoji")) == [(ben.pk, "🎉")]

    with capture_events(1) as events:
        assert services.toggle_reaction(actor=ben, message=message, emoji="🎉") is False
    assert "🎉" not in events[0].html
    assert not Reaction.objects.exists()


@pytest.mark.parametrize("emoji", ["💩", "", None, "👍👍", "<b>"])
def test_only_the_fixed_emoji_set(ana, acme_room, emoji):
    message = post(ana, acme_room)
    with capture_events(0), pytest.raises(ValidationError) as excinfo:
        services.toggle_reaction(actor=ana, message=message, emoji=emoji)
    assert excinfo.value.message_dict == {"emoji": ["React with one of 👍 ❤️ 😄 🎉 👀 ✅."]}


def test_no_reactions_on_deleted_messages_or_from_outsiders(ana, cy, acme_room, private_room):
    gone = post(ana, acme_room)
    services.delete_message(actor=ana, message=gone)
    with pytest.raises(ValidationError, match="This message was deleted"):  # a stale copy
        services.toggle_reaction(actor=ana, message=gone, emoji="👍")
    gone.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.toggle_reaction(actor=ana, message=gone, emoji="👍")
    with pytest.raises(PermissionDenied):
        services.toggle_reaction(actor=cy, message=post(ana, private_room), emoji="👍")
    assert not Reaction.objects.exists()


# --- Mentions and references -------------------------------------------------------------


def test_person_and_department_mentions_notify_readers(ana, ben, cy, support, acme_room):
    colleague = UserFactory(full_name="Dan Help", departments=[support])
    with capture_events() as events:
        message = post(ana, acme_room, "@Ben Ode and @support, look (and @Ana Lima)")
    mentioned = sorted([ben.pk, cy.pk, colleague.pk])
    assert events[0].payload["mentions"] == mentioned  # the author is not mentioned
    assert sorted(published(events)[1:]) == sorted(
        (f"user.{pk}", "notification.added") for pk in mentioned
    )
    assert sorted(message.mentions.values_list("pk", flat=True)) == mentioned
    assert list(message.mentioned_departments.all()) == [support]
    notice = Notification.objects.get(recipient=ben)
    assert (notice.kind, notice.text, notice.actor) == (
        "mention",
        "Ana Lima mentioned you in Acme GmbH.",
        ana,
    )
    assert notice.link == f"/chat/rooms/{acme_room.pk}/?message={message.pk}#msg-{message.pk}"


def test_mentions_in_private_rooms_reach_members_only(ana, ben, cy, ada, support, private_room, dm):
    """Naming someone (or their department) never tells them a private room exists."""
    for room in (private_room, dm):
        with capture_events() as events:
            message = post(ana, room, "@Ben Ode @Cy Park @support @management @Ada Root")
        assert events[0].payload["mentions"] == [ben.pk]
        assert published(events)[1:] == [(user_topic(ben), "notification.added")]
        assert list(message.mentions.all()) == [ben]
    assert not Notification.objects.filter(recipient__in=[cy, ada]).exists()


def test_a_department_room_mention_reaches_the_department(ana, ben, cy, sales):
    room = services.open_department_room(department=sales)
    message = post(ana, room, "@sales and @Cy Park")
    assert list(message.mentions.all()) == [ben]


def test_client_references_become_chips(ana, acme_room):
    initech = record_services.create_client(actor=ana, name="Initech")
    acme = acme_room.client
    message = post(ana, acme_room, "See #Initech, #[Acme GmbH] and #Nobody")
    assert set(message.clients.all()) == {initech, acme}
    for client in (initech, acme):
        link = reverse("records:client_detail", args=[client.pk])
        assert f'<a class="chip-client" href="{link}">#{client.name}</a>' in message.body_html
    assert "#Nobody" in message.body_html


def test_a_message_opening_with_a_reference_is_no_heading(ana, acme_room):
    link = reverse("records:client_detail", args=[acme_room.client_id])
    chip = f'<a class="chip-client" href="{link}">#Acme GmbH</a>'
    assert (
        post(ana, acme_room, "#[Acme GmbH] called back").body_html == f"<p>{chip} called back</p>"
    )
    assert post(ana, acme_room, "#Nobody here").body_html == "<p>#Nobody here</p>"
    assert post(ana, acme_room, "# A heading").body_html == "<h1>A heading</h1>"
    fenced = post(ana, acme_room, "```\n#include <x>\n```")
    assert fenced.body_html == "<pre><code>#include &lt;x&gt;\n</code></pre>"


# --- System messages and highlights ---------------------------------------------------------


def test_system_messages_go_to_the_client_room(ana):
    client = record_services.create_client(actor=ana, name="Globex")
    with capture_events(1) as events:
        message = services.post_system_message(client=client, text="Deal **won** by Ana Lima")
    room = Room.objects.get(client=client)  # made on first use
    assert (message.room, message.kind, message.author, message.seq) == (
        room,
        Message.Kind.SYSTEM,
        None,
        1,
    )
    assert message.body_html == "<p>Deal <strong>won</strong> by Ana Lima</p>"
    assert events[0].payload | {"message": None} == {
        "room": room.pk,
        "message": None,
        "seq": 1,
        "author": None,
        "parent": None,
        "client_id": None,
        "room_client": client.pk,
        "mentions": [],
        "system": True,
    }
    assert services.post_system_message(client=client, text="x" * 20_000).body == "x" * 10_000
    with pytest.raises(ValidationError):
        services.post_system_message(client=client, text=" ")
    with pytest.raises(PermissionDenied):  # nobody edits what the app wrote
        services.edit_message(actor=ana, message=message, body="Deal lost")


def test_highlight_logs_a_message_into_the_client_timeline(ana, ben, acme_room):
    message = post(ana, acme_room, "Customer **agreed** to the price")
    with capture_events() as events:
        entry = services.highlight_message(actor=ben, message=message)
    assert published(events) == [
        (f"client.{acme_room.client_id}", "chat.highlighted"),
        (room_topic(acme_room), "chat.message.highlighted"),
    ]
    assert events[0].payload == {"id": message.pk, "actor": ben.pk, "timeline": entry.pk}
    assert f'id="timeline-entry-{entry.pk}"' in events[0].html
    assert (entry.kind, entry.client_id, entry.actor) == (
        TimelineEntry.Kind.CHAT,
        acme_room.client_id,
        ben,
    )
    assert entry.summary == "Ben Ode highlighted a chat message by Ana Lima"
    assert entry.body_html == message.body_html
    assert entry.data == {"room": acme_room.pk, "message": message.pk}
    message.refresh_from_db()
    assert message.highlighted_at is not None
    with capture_events(0), pytest.raises(ValidationError, match="already in the client"):
        services.highlight_message(actor=ana, message=message)
    assert TimelineEntry.objects.filter(kind="chat").count() == 1


def test_only_client_room_messages_are_highlighted(ana, public_room, acme_room):
    with pytest.raises(PermissionDenied):
        services.highlight_message(actor=ana, message=post(ana, public_room))
    system = services.post_system_message(client=acme_room.client, text="Handed off")
    with pytest.raises(PermissionDenied):
        services.highlight_message(actor=ana, message=system)


# --- Read state -----------------------------------------------------------------------------


def test_mark_read_moves_forward_only_and_tells_the_readers_tabs(ana, ben, acme_room):
    for n in range(3):
        post(ben, acme_room, f"News {n}")
    with capture_events(1) as events:
        assert services.mark_read(actor=ana, room=acme_room, seq=2) is True
    event = events[0]
    assert (event.topic, event.kind, event.payload) == (
        user_topic(ana),
        "chat.read",
        {"room": acme_room.pk, "seq": 2},
    )
    assert f'id="chat-unread-{acme_room.pk}"' in event.html
    with capture_events(0):
        assert services.mark_read(actor=ana, room=acme_room, seq=1) is False
        assert services.mark_read(actor=ana, room=acme_room, seq=2) is False
    with capture_events(1) as events:
        assert services.mark_read(actor=ana, room=acme_room, seq=999) is True  # the latest
    assert events[0].payload["seq"] == 3
    assert services.mark_read(actor=ana, room=acme_room) is False
    membership = Membership.objects.get(room=acme_room, user=ana)
    assert (membership.last_read_seq, membership.is_member) == (3, False)


@pytest.mark.parametrize("seq", ["2", 2.0, True, -1, [2]])
def test_mark_read_wants_a_whole_number(ana, acme_room, seq):
    post(ana, acme_room)
    with capture_events(0), pytest.raises(ValidationError) as excinfo:
        services.mark_read(actor=ana, room=acme_room, seq=seq)
    assert excinfo.value.message_dict == {"seq": ["Say up to which message (a whole number)."]}


def test_mark_read_of_a_room_one_cannot_see(cy, dm):
    with capture_events(0), pytest.raises(PermissionDenied):
        services.mark_read(actor=cy, room=dm)
    assert not Membership.objects.filter(user=cy).exists()


# --- Rooms and members ---------------------------------------------------------------------------


def test_create_room_owned_by_its_creator(ana, ben):
    with capture_events() as events:
        room = services.create_room(
            actor=ana, name="  Q3   launch ", description="Plans", private=True, members=[ben.pk]
        )
    assert published(events) == [
        (user_topic(ana), "chat.room.added"),
        (user_topic(ben), "chat.room.added"),
        (user_topic(ben), "notification.added"),
    ]
    assert f'id="chat-room-{room.pk}"' in events[0].html
    assert (room.kind, room.name, room.is_private, room.created_by) == (
        Room.Kind.GROUP,
        "Q3 launch",
        True,
        ana,
    )
    assert dict(room.memberships.values_list("user", "role")) == {
        ana.pk: Membership.Role.OWNER,
        ben.pk: Membership.Role.MEMBER,
    }
    assert Notification.objects.get(recipient=ben).text == "Ana Lima added you to Q3 launch."
    assert not services.create_room(actor=ana, name="Open").is_private


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"name": " "}, {"name": ["Write a name first."]}),
        ({"name": "x" * 81}, {"name": ["A name is limited to 80 characters; this one has 81."]}),
        (
            {"description": "x" * 301},
            {"description": ["The description is limited to 300 characters; this one has 301."]},
        ),
        ({"members": ["abc"]}, {"members": ["Pick people from the list."]}),
        ({"members": [10**9]}, {"members": ["Pick people who are active in the workspace."]}),
    ],
)
def test_create_room_bad_input(ana, fields, errors):
    with capture_events(0), pytest.raises(ValidationError) as excinfo:
        services.create_room(actor=ana, **({"name": "Room"} | fields))
    assert excinfo.value.message_dict == errors
    assert not Room.objects.exists()


def test_open_direct_is_one_room_per_set_of_people(ana, ben, cy):
    with capture_events() as events:
        room = services.open_direct(actor=ana, people=[ben, cy])
    assert sorted(published(events)) == sorted(
        (user_topic(person), "chat.room.added") for person in (ana, ben, cy)
    )
    assert (room.kind, room.is_private) == (Room.Kind.DIRECT, True)
    assert set(room.memberships.values_list("user", flat=True)) == {ana.pk, ben.pk, cy.pk}
    with capture_events(0):
        assert services.open_direct(actor=cy, people=[ana.pk, ben, cy]) == room
    assert services.open_direct(actor=ben, people=[ana]) not in (room, None)
    assert Room.objects.filter(kind=Room.Kind.DIRECT).count() == 2


def test_open_direct_bad_input(ana, ben):
    with pytest.raises(ValidationError, match="at least one other person"):
        services.open_direct(actor=ana, people=[ana])
    crowd = [UserFactory() for _ in range(10)]
    with pytest.raises(ValidationError, match="at most 10 people"):
        services.open_direct(actor=ana, people=crowd)
    ben.is_active = False
    ben.save()
    with pytest.raises(ValidationError, match="active"):
        services.open_direct(actor=ana, people=[ben])
    assert not Room.objects.exists()


def test_client_and_department_rooms_are_made_once(ana, sales):
    client = record_services.create_client(actor=ana, name="Hooli")
    room = services.open_client_room(client=client)
    assert services.open_client_room(client=client) == room
    assert (room.kind, str(room)) == (Room.Kind.CLIENT, "Hooli")
    department_room = services.open_department_room(department=sales)
    assert services.open_department_room(department=sales) == department_room
    assert Room.objects.count() == 2


def test_join_and_leave_a_public_room(ana, cy, public_room):
    with capture_events() as events:
        services.join_room(actor=cy, room=public_room)
    assert published(events) == [
        (room_topic(public_room), "chat.members"),
        (user_topic(cy), "chat.room.added"),
    ]
    assert events[0].payload == {
        "room": public_room.pk,
        "actor": cy.pk,
        "joined": [cy.pk],
        "left": [],
    }
    assert f'id="room-{public_room.pk}-members"' in events[0].html and "Cy Park" in events[0].html
    with capture_events(0):  # a second click
        services.join_room(actor=cy, room=public_room)

    with capture_events() as events:
        services.leave_room(actor=cy, room=public_room)
    assert published(events) == [
        (room_topic(public_room), "chat.members"),
        (user_topic(cy), "chat.room.removed"),
    ]
    assert events[0].payload["left"] == [cy.pk] and "Cy Park" not in events[0].html
    with capture_events(0):
        services.leave_room(actor=cy, room=public_room)
    assert Membership.objects.get(room=public_room, user=cy).is_member is False


def test_rooms_one_cannot_join_or_leave(ana, ben, cy, private_room, dm, sales):
    with pytest.raises(PermissionDenied):
        services.join_room(actor=cy, room=private_room)
    with pytest.raises(PermissionDenied):
        services.join_room(actor=cy, room=services.open_department_room(department=sales))
    with pytest.raises(PermissionDenied):  # a DM is left by not opening it
        services.leave_room(actor=ben, room=dm)
    with pytest.raises(PermissionDenied):  # a department room follows the department
        services.leave_room(actor=ben, room=services.open_department_room(department=sales))


def test_owners_add_and_remove_people(ana, ben, cy, private_room):
    with capture_events() as events:
        added = services.add_members(actor=ana, room=private_room, people=[cy, ben])
    assert added == [cy]
    assert published(events) == [
        (room_topic(private_room), "chat.members"),
        (user_topic(cy), "chat.room.added"),
        (user_topic(cy), "notification.added"),
    ]
    with capture_events(0):
        assert services.add_members(actor=ana, room=private_room, people=[cy]) == []
    with pytest.raises(PermissionDenied, match="owners"):
        services.add_members(actor=ben, room=private_room, people=[UserFactory()])

    with capture_events() as events:
        services.remove_member(actor=ana, room=private_room, person=cy)
    assert published(events) == [
        (room_topic(private_room), "chat.members"),
        (user_topic(cy), "chat.room.removed"),
    ]
    assert events[0].payload["left"] == [cy.pk]
    with pytest.raises(ValidationError, match="Cy Park is not in this room"):
        services.remove_member(actor=ana, room=private_room, person=cy)
    with pytest.raises(PermissionDenied, match="owners"):
        services.remove_member(actor=ben, room=private_room, person=ana)


def test_a_room_keeps_an_owner(ana, ben, cy, private_room):
    with pytest.raises(ValidationError, match="keeps at least one owner"):
        services.remove_member(actor=ana, room=private_room, person=ana)
    with pytest.raises(ValidationError, match="keeps at least one owner"):
        services.set_member_role(actor=ana, room=private_room, person=ana, role="member")
    with capture_events(1) as events:
        services.set_member_role(actor=ana, room=private_room, person=ben, role="owner")
    assert events[0].kind == "chat.members"
    services.remove_member(actor=ben, room=private_room, person=ana)
    with pytest.raises(ValidationError, match="Pick owner or member"):
        services.set_member_role(actor=ben, room=private_room, person=ben, role="king")

    # The last owner leaving hands the room to the longest-standing member.
    services.add_members(actor=ben, room=private_room, people=[cy])
    services.add_members(actor=ben, room=private_room, people=[ana])
    services.leave_room(actor=ben, room=private_room)
    roles = dict(private_room.memberships.filter(is_member=True).values_list("user", "role"))
    assert roles == {cy.pk: Membership.Role.OWNER, ana.pk: Membership.Role.MEMBER}


def test_admins_manage_members_of_rooms_they_can_see(ana, ben, cy, ada, public_room, private_room):
    services.add_members(actor=ada, room=public_room, people=[cy])
    with pytest.raises(PermissionDenied):
        services.add_members(actor=ada, room=private_room, people=[ada])
    assert not private_room.memberships.filter(user=ada).exists()


# --- Hostile text -------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_text_is_inert_when_posted_and_edited(ana, acme_room, payload):
    with capture_events(1) as events:
        message = post(ana, acme_room, f"Hi {payload} #[Acme GmbH]")
    assert live_markup(message.body_html) == []
    assert live_markup(events[0].html) == []
    with capture_events() as events:
        edited = services.edit_message(actor=ana, message=message, body=f"{payload} again")
    assert live_markup(edited.body_html) == []
    assert live_markup(events[0].html) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_client_names_in_chips_are_inert(ana, acme_room, payload):
    hostile = record_services.create_client(actor=ana, name=payload[:200])
    body = f'#[{hostile.name}] and [a link](https://example.com "#[{hostile.name}]")'
    message = post(ana, acme_room, body)
    assert live_markup(message.body_html) == []
