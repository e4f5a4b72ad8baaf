"""Chat reads: unread and mention counts, room lists, message pages and windows, threads,
reaction groups -- what they count, and that they cost the same whatever the size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import selectors, services
from chat.models import Room
from tests.chat.factories import client_room, direct, group_room, post
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.CHAT_SEND_RATE = ()


def listed(viewer) -> dict[int, Room]:
    return {room.pk: room for room in selectors.room_list(viewer)}


def test_unread_counts_what_others_wrote_after_the_read_mark(ana, ben, public_room, acme_room):
    post(ana, public_room, "Mine never counts")
    first = post(ben, public_room, "One")
    post(ben, public_room, "Reply, counted in its thread only", parent=first)
    gone = post(ben, public_room, "Deleted")
    services.delete_message(actor=ben, message=gone)
    post(ben, public_room, "Two @Ana Lima")
    services.post_system_message(client=acme_room.client, text="Deal won")
    services.join_room(actor=ana, room=acme_room)
    rooms = listed(ana)
    assert (rooms[public_room.pk].unread, rooms[public_room.pk].mentions) == (2, 1)
    assert rooms[acme_room.pk].unread == 1  # a system line is news too
    services.mark_read(actor=ana, room=public_room)
    post(ben, public_room, "Three")
    assert (listed(ana)[public_room.pk].unread, listed(ana)[public_room.pk].mentions) == (1, 0)


def test_a_room_never_read_counts_everything(ana, ben, cy):
    room = group_room(ben, ana, cy, name="New")
    post(ben, room, "a")
    post(cy, room, "b")
    assert listed(ana)[room.pk].unread == 2


def test_the_list_holds_followed_rooms_and_departments(ana, ben, cy, sales, acme_room, dm):
    department_room = services.open_department_room(department=sales)
    group_room(cy, name="Cy's public room")  # not joined: not listed
    private = group_room(cy, name="Cy's private room", private=True)
    rooms = listed(ana)
    assert department_room.pk in rooms and dm.pk in rooms
    assert acme_room.pk not in rooms  # a client room is listed once followed
    assert private.pk not in rooms
    services.join_room(actor=ana, room=acme_room)
    assert acme_room.pk in listed(ana)
    assert rooms[dm.pk].title == "Ben Ode" and rooms[dm.pk].icon == "person"
    assert rooms[department_room.pk].icon == "people"


def test_most_recent_first_and_a_limit(ana, ben):
    rooms = [group_room(ben, ana, name=f"Room {n}") for n in range(4)]
    post(ben, rooms[1], "latest")
    ordered = selectors.room_list(ana, limit=2)
    assert [room.pk for room in ordered] == [rooms[1].pk, rooms[3].pk]


def test_room_list_queries_do_not_grow(ana, ben):
    post(ben, direct(ana, ben), "hi")
    with CaptureQueriesContext(connection) as few:
        selectors.room_list(ana)
    for number in range(8):
        room = group_room(ben, ana, name=f"Room {number}")
        post(ben, room, "hi @Ana Lima")
        post(ben, direct(ana, ben, UserFactory()), "hi")
    with CaptureQueriesContext(connection) as many:
        rooms = selectors.room_list(ana)
    assert len(many) == len(few) == 2 and len(rooms) == 17


def test_public_rooms_to_join(ana, ben, cy):
    joined = group_room(ben, ana, name="Joined")
    open_room = group_room(ben, cy, name="Open")
    group_room(ben, cy, name="Closed", private=True)
    found = selectors.public_rooms(ana)
    assert [room.pk for room in found] == [open_room.pk]
    assert found[0].people == 2 and joined.pk not in [room.pk for room in found]


def test_sidebar_entry_counts_for_the_person(ana, ben, public_room):
    post(ben, public_room, "Hi @Ana Lima")
    entry = selectors.sidebar_entry(public_room, ana)
    assert (entry["title"], entry["unread"], entry["mentions"]) == ("Launch", 1, 1)
    assert selectors.sidebar_entry(public_room, ben)["unread"] == 0


def test_latest_messages_and_older_pages(ana, public_room):
    sent = [post(ana, public_room, f"{n}") for n in range(7)]
    page = selectors.latest_messages(public_room, size=3)
    assert [m.pk for m in page.messages] == [m.pk for m in sent[4:]]
    assert page.older == sent[4].seq and page.at_latest
    older = selectors.latest_messages(public_room, before=page.older, size=3)
    assert [m.pk for m in older.messages] == [m.pk for m in sent[1:4]]
    last = selectors.latest_messages(public_room, before=older.older, size=3)
    assert [m.pk for m in last.messages] == [sent[0].pk] and last.older is None


def test_an_empty_room(public_room):
    page = selectors.latest_messages(public_room)
    assert page.messages == [] and page.older is None


def test_messages_around_one(ana, public_room):
    sent = [post(ana, public_room, f"{n}") for n in range(80)]
    window = selectors.messages_around(public_room, sent[40])
    assert window.messages[0].pk == sent[40 - selectors.WINDOW_SIDE + 1].pk
    assert window.messages[-1].pk == sent[40 + selectors.WINDOW_SIDE].pk
    assert window.focus == sent[40].pk and not window.at_latest and window.older
    near_end = selectors.messages_around(public_room, sent[70])
    assert near_end.at_latest and near_end.messages[-1].pk == sent[-1].pk


def test_a_window_around_a_reply_centres_its_root(ana, ben, public_room):
    root = post(ana, public_room, "Root")
    reply = post(ben, public_room, "Reply", parent=root)
    window = selectors.messages_around(public_room, reply)
    assert window.focus == root.pk and [m.pk for m in window.messages] == [root.pk]


def test_thread_reads_root_and_replies_at_once(ana, ben, public_room):
    root = post(ana, public_room, "Root")
    post(ana, public_room, "Not in the thread")
    replies = [post(ben, public_room, f"Reply {n}", parent=root) for n in range(3)]
    with CaptureQueriesContext(connection) as queries:
        found, answers = selectors.thread(root.pk)
    assert found.pk == root.pk and [m.pk for m in answers] == [m.pk for m in replies]
    assert len(queries) == 4  # messages, then reactions (with their people), mentions, departments


def test_first_unread_is_someone_elses(ana, ben, public_room):
    mine = post(ana, public_room, "Mine")
    theirs = post(ben, public_room, "Theirs")
    messages = selectors.latest_messages(public_room).messages
    assert selectors.first_unread_seq(messages, 0, ana) == theirs.seq
    assert selectors.first_unread_seq(messages, theirs.seq, ana) is None
    assert selectors.first_unread_seq(messages, 0, ben) == mine.seq


def test_reaction_groups_in_the_fixed_order(ana, ben, public_room):
    message = post(ana, public_room, "Ship it")
    services.toggle_reaction(actor=ben, message=message, emoji="🎉")
    services.toggle_reaction(actor=ana, message=message, emoji="👍")
    services.toggle_reaction(actor=ben, message=message, emoji="👍")
    groups = selectors.reaction_groups(selectors.message_for_display(message.pk))
    assert [(g.emoji, g.count) for g in groups] == [("👍", 2), ("🎉", 1)]
    assert groups[0].user_ids == f"{ana.pk} {ben.pk}" and groups[0].names == "Ana Lima, Ben Ode"


def test_room_members_mark_owners(ana, ben, public_room, sales):
    members = selectors.room_members(public_room)
    assert [(p.full_name, p.chat_role) for p in members] == [
        ("Ana Lima", "owner"),
        ("Ben Ode", "member"),
    ]
    department = services.open_department_room(department=sales)
    assert {p.pk for p in selectors.room_members(department)} == {ana.pk, ben.pk}


def test_unfollowed_departments_until_their_room_exists(ana, sales):
    assert list(selectors.unfollowed_departments(ana)) == [sales]
    services.open_department_room(department=sales)
    assert not selectors.unfollowed_departments(ana).exists()


def test_titles(ana, ben, cy, acme_room):
    assert selectors.room_title(acme_room, ana) == "Acme GmbH"
    assert selectors.room_title(direct(ana, ben, cy), ana) == "Ben Ode, Cy Park"
    lonely = client_room(ana, "Solo")
    assert selectors.room_icon(lonely) == "building"
