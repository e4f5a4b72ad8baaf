"""Chat over the socket: two (or more) real tabs through the whole ASGI stack.

Sends, idempotent resends, typing signals, read marks, refusals and bad
frames, a dropped socket catching up, sends to two rooms at once and many
senders in one room -- with the services, the database and
the channel layer all real (SQLite + in-memory layer, or PostgreSQL + Redis).
"""

import asyncio
import json
import threading
from contextlib import contextmanager
from types import SimpleNamespace
from unittest import mock

import pytest
from channels.db import database_sync_to_async
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from chat import services
from chat.models import Membership, Message, Room
from records import services as records_services
from tests.factories import DepartmentFactory, UserFactory
from tests.live.conftest import fresh_hub, live_settings  # noqa: F401 (fixtures)
from tests.live_helpers import Socket
from workspace.live.actions import database_lanes, lane_of
from workspace.live.models import Event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.backend]


@pytest.fixture
async def team(transactional_db):
    """Ana and Ben in Sales, Cy in Support, and the client room of Acme (open to all)."""

    def make():
        sales = DepartmentFactory(name="Sales", slug="sales")
        support = DepartmentFactory(name="Support", slug="support")
        ana = UserFactory(full_name="Ana Lima", departments=[sales])
        ben = UserFactory(full_name="Ben Okafor", departments=[sales])
        cy = UserFactory(full_name="Cy Young", departments=[support])
        client = records_services.create_client(actor=ana, name="Acme")
        room = services.open_client_room(client=client)
        return SimpleNamespace(ana=ana, ben=ben, cy=cy, room=room)

    return await database_sync_to_async(make)()


async def tab(user, *rooms) -> Socket:
    """A signed-in tab following ``rooms`` (from now on)."""
    socket = await Socket.open(user)
    assert socket.connected
    if rooms:
        frames = await socket.subscribe({room.topic: None for room in rooms})
        assert {frame["type"] for frame in frames} == {"live.subscribed"}
    return socket


def send_frame(room, body="Hello", client_id="c-1", parent=None) -> dict:
    return {"action": "chat.send", "room": room.pk, "body": body, "client_id": client_id} | (
        {"parent": parent} if parent else {}
    )


async def by_type(socket, count: int) -> dict[str, dict]:
    """The next ``count`` frames, keyed by type (their order between types is not fixed)."""
    frames = await socket.receive_all(count)
    found = {frame["type"]: frame for frame in frames}
    assert len(found) == count, frames
    return found


count_messages = database_sync_to_async(lambda: Message.objects.count())
count_events = database_sync_to_async(lambda: Event.objects.count())


async def close_all(*sockets):
    for socket in sockets:
        await socket.close()


# --- chat.send --------------------------------------------------------------------


async def test_a_send_reaches_everyone_and_the_sender_gets_chat_sent(team):
    ana, ben = await tab(team.ana, team.room), await tab(team.ben, team.room)
    await ana.send(**send_frame(team.room, "Hello **Ben**", "c-1"))

    mine = await by_type(ana, 2)
    message = await database_sync_to_async(Message.objects.get)()
    assert mine["chat.sent"] == {
        "type": "chat.sent",
        "client_id": "c-1",
        "room": team.room.pk,
        "message": message.pk,
        "seq": 1,
        "created": True,
    }
    event = await ben.receive()
    assert event == mine["live.event"], "one event, the same for everyone"
    assert (event["topic"], event["kind"]) == (team.room.topic, "chat.message.posted")
    assert event["payload"] | {"mentions": []} == {
        "room": team.room.pk,
        "message": message.pk,
        "seq": 1,
        "author": team.ana.pk,
        "parent": None,
        "client_id": "c-1",
        "room_client": team.room.client_id,
        "mentions": [],
        "system": False,
    }
    assert f'id="msg-{message.pk}"' in event["html"]
    assert (message.body, message.author_id) == ("Hello **Ben**", team.ana.pk)
    assert await ben.silent(0.1)
    assert await ana.silent(0.1)
    await close_all(ana, ben)


async def test_a_retried_send_never_posts_twice(team):
    ben = await tab(team.ben, team.room)
    # Ana's tab sends and drops before the answer comes: she cannot know whether it went.
    ana = await tab(team.ana)
    await ana.send(**send_frame(team.room, "Are you there?", "c-retry"))
    first = await ben.receive()
    await ana.close()

    ana = await tab(team.ana, team.room)
    await ana.send(**send_frame(team.room, "Are you there?", "c-retry"))
    assert await ana.receive() == {
        "type": "chat.sent",
        "client_id": "c-retry",
        "room": team.room.pk,
        "message": first["payload"]["message"],
        "seq": 1,
        "created": False,
    }
    assert await ben.silent(), "a resend publishes nothing"
    assert await ana.silent(0.1)
    assert await count_messages() == 1
    await close_all(ana, ben)


async def test_a_thread_reply_over_the_socket(team):
    ana, ben = await tab(team.ana, team.room), await tab(team.ben, team.room)
    root, _ = await database_sync_to_async(services.post_message)(
        actor=team.ben, room=team.room, body="Quote sent?"
    )
    await ana.receive()
    await ben.receive()
    await ana.send(**send_frame(team.room, "Yes, this morning", "c-reply", parent=root.pk))
    event = (await by_type(ana, 2))["live.event"]
    assert (event["payload"]["parent"], event["payload"]["seq"]) == (root.pk, 2)
    assert (await ben.receive())["payload"]["parent"] == root.pk

    # A parent from another room is not found, wherever it is.
    other = await database_sync_to_async(services.create_room)(actor=team.ben, name="Elsewhere")
    elsewhere, _ = await database_sync_to_async(services.post_message)(
        actor=team.ben, room=other, body="Hi"
    )
    await ana.send(**send_frame(team.room, "Lost", "c-lost", parent=elsewhere.pk))
    assert await ana.receive() == {
        "type": "live.error",
        "code": "not_found",
        "message": "No such message in this room.",
        "action": "chat.send",
        "room": team.room.pk,
        "client_id": "c-lost",
    }
    await close_all(ana, ben)


async def test_sends_beyond_the_rate_limit_get_a_clear_error_frame(team, settings):
    settings.CHAT_SEND_RATE = ((2, 60),)
    ana, ben = await tab(team.ana, team.room), await tab(team.ben, team.room)
    for n in range(2):
        await ana.send(**send_frame(team.room, f"Message {n}", f"c-{n}"))
        await by_type(ana, 2)
    await ana.send(**send_frame(team.room, "One too many", "c-2"))
    error = await ana.receive()
    assert error | {"retry_after": 0} == {
        "type": "live.error",
        "code": "rate_limited",
        "message": error["message"],
        "action": "chat.send",
        "room": team.room.pk,
        "client_id": "c-2",
        "retry_after": 0,
    }
    assert 1 <= error["retry_after"] <= 60
    assert "too fast" in error["message"]
    assert [(await ben.receive())["payload"]["seq"] for _ in range(2)] == [1, 2]
    assert await ben.silent()
    assert await count_messages() == 2
    await close_all(ana, ben)


async def test_a_retry_at_the_rate_limit_is_answered_not_refused(team, settings):
    """A resend is recognised without a look-up first (the unique constraint catches it);
    a resend that finds the person at their limit is still answered with its message."""
    settings.CHAT_SEND_RATE = ((2, 60),)
    ana, ben = await tab(team.ana, team.room), await tab(team.ben, team.room)
    for n in range(2):
        await ana.send(**send_frame(team.room, f"Message {n}", f"c-{n}"))
        await by_type(ana, 2)
    first = [(await ben.receive())["payload"] for _ in range(2)]
    await ana.send(**send_frame(team.room, "Message 1", "c-1"))
    assert await ana.receive() == {
        "type": "chat.sent",
        "client_id": "c-1",
        "room": team.room.pk,
        "message": first[1]["message"],
        "seq": 2,
        "created": False,
    }
    assert await ben.silent(), "a resend publishes nothing"
    assert await count_messages() == 2
    await close_all(ana, ben)


async def test_a_direct_message_is_invisible_to_everyone_else(team):
    dm = await database_sync_to_async(services.open_direct)(actor=team.ana, people=[team.ben])
    cy = await tab(team.cy)
    # Subscribing: refused like any topic one may not follow.
    assert await cy.subscribe({dm.topic: None}) == [
        {
            "type": "live.error",
            "code": "forbidden",
            "message": "You cannot follow this topic.",
            "topic": dm.topic,
        }
    ]
    # Sending: the same answer as for a room that does not exist.
    await cy.send(**send_frame(dm, "Let me in", "c-1"))
    refused = await cy.receive()
    await cy.send(action="chat.send", room=999_999, body="Anyone?", client_id="c-2")
    missing = await cy.receive()
    assert refused == {
        "type": "live.error",
        "code": "not_found",
        "message": "No such room.",
        "action": "chat.send",
        "room": dm.pk,
        "client_id": "c-1",
    }
    assert missing == refused | {"room": 999_999, "client_id": "c-2"}
    # Nor can Cy mark it read or type in it.
    await cy.send(action="chat.read", room=dm.pk, seq=1)
    assert (await cy.receive())["code"] == "not_found"
    await cy.send(action="chat.typing", room=dm.pk)
    assert (await cy.receive())["code"] == "not_subscribed"
    assert await count_messages() == 0
    await cy.close()


async def test_posting_to_a_room_one_left_is_forbidden(team):
    room = await database_sync_to_async(services.create_room)(actor=team.ben, name="Launch")
    await database_sync_to_async(services.join_room)(actor=team.ana, room=room)
    await database_sync_to_async(services.leave_room)(actor=team.ana, room=room)
    ana = await tab(team.ana, room)  # a public room: she may still read it
    await ana.send(**send_frame(room, "Still here?", "c-1"))
    frame = await ana.receive()
    assert (frame["code"], frame["client_id"], frame["room"]) == ("forbidden", "c-1", room.pk)
    assert frame["message"]
    assert await count_messages() == 0
    await ana.close()


async def test_a_deactivated_persons_open_tab_cannot_send(team):
    ana = await tab(team.ana, team.room)
    team.ana.is_active = False
    await database_sync_to_async(team.ana.save)()
    await ana.send(**send_frame(team.room, "Still me", "c-1"))
    frame = await ana.receive()
    assert (frame["code"], frame["message"]) == ("forbidden", "Your account is no longer active.")
    assert await count_messages() == 0
    await ana.close()


ROOM = object()  # stands for the team's room id in the frames below


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"action": "chat.send"}, "bad_frame"),
        ({"action": "chat.send", "room": "ROOM", "body": "Hi", "client_id": "c"}, "bad_frame"),
        ({"action": "chat.send", "room": True, "body": "Hi", "client_id": "c"}, "bad_frame"),
        ({"action": "chat.send", "room": 1.0, "body": "Hi", "client_id": "c"}, "bad_frame"),
        ({"action": "chat.send", "room": ROOM, "body": 5, "client_id": "c"}, "bad_frame"),
        ({"action": "chat.send", "room": ROOM, "body": ["Hi"], "client_id": "c"}, "bad_frame"),
        ({"action": "chat.send", "room": ROOM, "body": "Hi"}, "bad_frame"),
        ({"action": "chat.send", "room": ROOM, "body": "Hi", "client_id": ""}, "bad_frame"),
        ({"action": "chat.send", "room": ROOM, "body": "Hi", "client_id": 7}, "bad_frame"),
        (
            {"action": "chat.send", "room": ROOM, "body": "Hi", "client_id": "c", "parent": "1"},
            "bad_frame",
        ),
        ({"action": "chat.send", "room": ROOM, "body": "", "client_id": "c"}, "invalid"),
        ({"action": "chat.send", "room": ROOM, "body": " \n\t", "client_id": "c"}, "invalid"),
        ({"action": "chat.send", "room": ROOM, "body": "x" * 10_001, "client_id": "c"}, "invalid"),
        ({"action": "chat.send", "room": ROOM, "body": "Hi", "client_id": "a b"}, "invalid"),
        ({"action": "chat.send", "room": ROOM, "body": "Hi", "client_id": "c" * 65}, "invalid"),
        ({"action": "chat.send", "room": 0, "body": "Hi", "client_id": "c"}, "bad_frame"),
        ({"action": "chat.typing"}, "bad_frame"),
        ({"action": "chat.typing", "room": "ROOM"}, "bad_frame"),
        ({"action": "chat.read", "room": ROOM, "seq": "5"}, "bad_frame"),
        ({"action": "chat.read", "room": ROOM, "seq": -1}, "invalid"),
        ({"action": "chat.read", "seq": 1}, "bad_frame"),
        ({"action": "chat.shout", "room": ROOM}, "unknown_action"),
        ({"action": "Chat.Send", "room": ROOM}, "unknown_action"),
    ],
)
async def test_bad_frames_get_an_error_and_post_nothing(team, frame, code):
    frame = {key: team.room.pk if value is ROOM else value for key, value in frame.items()}
    ana = await tab(team.ana, team.room)
    await ana.send(**frame)
    error = await ana.receive()
    assert (error["type"], error["code"]) == ("live.error", code)
    assert error["message"]
    if code not in ("bad_frame", "unknown_action"):
        assert error["room"] == team.room.pk
    if isinstance(frame.get("client_id"), str):
        assert error["client_id"] == frame["client_id"]
    await ana.send(action="ping")
    assert await ana.receive() == {"type": "live.pong"}, "the socket stays usable"
    assert await count_messages() == 0
    await ana.close()


async def test_an_oversized_body_says_how_long_it_is(team):
    ana = await tab(team.ana, team.room)
    await ana.send(**send_frame(team.room, "x" * 10_001, "c-long"))
    error = await ana.receive()
    assert error["code"] == "invalid"
    assert "10,000" in error["message"]
    assert "10,001" in error["message"]
    # Not JSON at all: the bus answers before chat sees it.
    await ana.send_raw(text='{"action": "chat.send", "room": ')
    assert (await ana.receive())["code"] == "bad_json"
    await ana.close()


async def test_a_dropped_socket_replays_the_messages_it_missed(team):
    ana, ben = await tab(team.ana, team.room), await tab(team.ben, team.room)
    await ana.send(**send_frame(team.room, "One", "c-1"))
    await by_type(ana, 2)
    seen = await ben.receive()
    await ben.close()  # Ben's connection drops mid-conversation

    for n in (2, 3):
        await ana.send(**send_frame(team.room, f"Message {n}", f"c-{n}"))
        await by_type(ana, 2)

    ben = await Socket.open(team.ben)
    frames = await ben.subscribe({team.room.topic: seen["id"]})
    assert frames == [{"type": "live.subscribed", "topic": team.room.topic}]
    replayed = [frame for frame in await ben.receive_all(3) if frame["id"] > seen["id"]]
    assert [frame["payload"]["seq"] for frame in replayed] == [2, 3]
    # And live again: Ben answers, Ana sees it.
    await ben.send(**send_frame(team.room, "Back", "c-b"))
    assert (await by_type(ben, 2))["live.event"]["payload"]["seq"] == 4
    assert (await ana.receive())["payload"]["client_id"] == "c-b"
    await close_all(ana, ben)


@contextmanager
def sql_run():
    """The SQL statements run inside the block, on any connection (transaction control aside).

    The socket's database work runs in a context of its own, with connections
    of its own (asgiref Local), so CaptureQueriesContext on the test's
    connection would see none of it: this counts where every cursor executes.
    """
    statements = []
    execute = CursorWrapper._execute

    def counted(cursor, sql, *args):
        if not sql.startswith(("BEGIN", "SAVEPOINT", "RELEASE SAVEPOINT")):
            statements.append(sql)
        return execute(cursor, sql, *args)

    with mock.patch.object(CursorWrapper, "_execute", counted):
        yield statements


# One send (chat.services.send_message): the sender as stored now (deactivated?); the
# room locked, read with the sender's membership (its policy) and their recent sends (the
# rate limit); the message; the room's last seq; the sender's read mark; the event -- then,
# as the room is a client's, the report.teamwork event its message raises
# (reports/events.py). A retried send is found by the unique constraint, not looked up
# first. (10 before issue 21's chat work: docs/PERFORMANCE.md.)
SEND_QUERIES = 6 + 1


async def test_one_send_runs_a_fixed_number_of_queries(team):
    """What a send costs the database (the bench sends thousands): counted, and held."""
    ana = await tab(team.ana, team.room)
    await ana.send(**send_frame(team.room, "Warm up", "c-0"))
    await by_type(ana, 2)
    with sql_run() as statements:
        await ana.send(**send_frame(team.room, "Counted", "c-1"))
        await by_type(ana, 2)
    assert len(statements) == SEND_QUERIES, "\n".join(statements)
    await ana.close()


# --- chat.typing ------------------------------------------------------------------


async def test_typing_reaches_the_others_not_the_sender_and_is_never_logged(team):
    ana, ana_other_tab = await tab(team.ana, team.room), await tab(team.ana, team.room)
    ben = await tab(team.ben, team.room)
    logged = await count_events()
    with sql_run() as statements:
        await ana.send(action="chat.typing", room=team.room.pk)
        signal = await ben.receive()
    assert statements == [], "typing costs the database nothing"
    assert signal == {
        "type": "live.signal",
        "topic": team.room.topic,
        "kind": "chat.typing",
        "room": team.room.pk,
        "user": {"id": team.ana.pk, "name": "Ana Lima"},
    }
    assert await ana_other_tab.receive() == signal  # her page ignores its own person
    assert await ana.silent()

    # Throttled per socket and room: more keystrokes within 2 s send nothing more.
    await ana.send(action="chat.typing", room=team.room.pk)
    assert await ben.silent()
    # Another socket is throttled apart.
    await ana_other_tab.send(action="chat.typing", room=team.room.pk)
    assert (await ben.receive())["user"]["id"] == team.ana.pk
    assert await count_events() == logged, "typing is never written to the event log"
    await close_all(ana, ana_other_tab, ben)


async def test_typing_needs_the_room_followed(team):
    ana, ben = await tab(team.ana), await tab(team.ben, team.room)
    await ana.send(action="chat.typing", room=team.room.pk)
    assert await ana.receive() == {
        "type": "live.error",
        "code": "not_subscribed",
        "message": "Subscribe to the room first: typing is shown to the people following it.",
        "action": "chat.typing",
        "room": team.room.pk,
    }
    assert await ben.silent()
    await close_all(ana, ben)


# --- chat.read --------------------------------------------------------------------


async def test_chat_read_moves_the_read_mark_and_tells_the_other_tabs(team):
    for n in range(3):
        await database_sync_to_async(services.post_message)(
            actor=team.ben, room=team.room, body=f"Message {n}"
        )
    feed = {f"user.{team.ana.pk}": None}
    ana, other_tab = await Socket.open(team.ana), await Socket.open(team.ana)
    await ana.subscribe(feed)
    await other_tab.subscribe(feed)

    await ana.send(action="chat.read", room=team.room.pk, seq=2)
    for socket in (ana, other_tab):
        event = await socket.receive()
        assert (event["kind"], event["payload"]) == ("chat.read", {"room": team.room.pk, "seq": 2})
    mark = database_sync_to_async(
        lambda: Membership.objects.get(room=team.room, user=team.ana).last_read_seq
    )
    assert await mark() == 2

    # Reading older messages again moves nothing and says nothing.
    await ana.send(action="chat.read", room=team.room.pk, seq=1)
    assert await ana.silent()
    assert await mark() == 2
    # No seq: up to the latest.
    await ana.send(action="chat.read", room=team.room.pk)
    assert (await ana.receive())["payload"]["seq"] == 3
    assert await mark() == 3
    await other_tab.receive()
    await close_all(ana, other_tab)


async def test_bad_json_is_not_mistaken_for_a_send(team):
    ana = await tab(team.ana, team.room)
    await ana.send_raw(text=json.dumps([send_frame(team.room)]))
    assert (await ana.receive())["code"] == "unknown_action"
    assert await count_messages() == 0
    await ana.close()


# --- Sends in parallel --------------------------------------------------------------
# Frames' database work runs in lanes (workspace/live/actions.py): one room's work
# always in the same lane, other rooms' beside it -- on PostgreSQL. SQLite takes one
# writer at a time: there every send runs in the process's one database thread.

HOLD_LIMIT = 10  # seconds the test's lock is held at most, should the test fail meanwhile


@contextmanager
def room_locked(room: Room):
    """The room's row locked, inside the block, by a transaction of another connection."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Room.objects.select_for_update().get(pk=room.pk)
                locked.set()
                release.wait(HOLD_LIMIT)
        finally:
            connection.close()  # this thread's own connection

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(HOLD_LIMIT), "the test could not lock the room"
        yield
    finally:
        release.set()
        holder.join()


@database_sync_to_async
def someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


async def until_someone_waits_for_a_lock() -> None:
    for _ in range(HOLD_LIMIT * 20):
        if await someone_waits_for_a_lock():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the send never reached the room lock")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite takes one writer at a time")
async def test_a_send_held_in_its_transaction_does_not_hold_up_another_room(team, settings):
    settings.LIVE_DB_THREADS = 2
    other = await database_sync_to_async(services.create_room)(actor=team.ben, name="Launch")
    assert lane_of(team.room.pk, 2) != lane_of(other.pk, 2), "consecutive ids: two lanes"
    ana, ben = await tab(team.ana, team.room), await tab(team.ben, other)

    with room_locked(team.room):
        await ana.send(**send_frame(team.room, "Waiting for the lock", "c-a"))
        await until_someone_waits_for_a_lock()  # Ana's send, in its transaction
        await ben.send(**send_frame(other, "Meanwhile", "c-b"))
        done = await by_type(ben, 2)
        assert (done["chat.sent"]["room"], done["chat.sent"]["seq"]) == (other.pk, 1)
        assert done["live.event"]["payload"]["client_id"] == "c-b"
        assert await ana.silent(0.1), "Ana's send is still waiting for the room"

    done = await by_type(ana, 2)
    assert (done["chat.sent"]["room"], done["chat.sent"]["seq"]) == (team.room.pk, 1)
    await close_all(ana, ben)


async def test_concurrent_senders_in_one_room_are_answered_and_delivered_in_order(team, settings):
    settings.CHAT_SEND_RATE = ()  # ten sends a person at once: not what is tested here
    settings.LIVE_DB_THREADS = 4
    assert database_lanes() == (0 if connection.vendor == "sqlite" else 4), "SQLite: one writer"
    senders = [await tab(person, team.room) for person in (team.ana, team.ana, team.ben)]
    reader = await tab(team.cy, team.room)
    turns = 5
    for turn in range(turns):
        for number, socket in enumerate(senders):
            await socket.send(**send_frame(team.room, f"{number}/{turn}", f"c-{number}-{turn}"))

    seqs = list(range(1, turns * len(senders) + 1))
    events = await reader.receive_all(len(seqs))
    assert [event["payload"]["seq"] for event in events] == seqs
    assert [event["id"] for event in events] == sorted(event["id"] for event in events)
    for number, socket in enumerate(senders):
        frames = await socket.receive_all(turns + len(events))
        sent = [frame for frame in frames if frame["type"] == "chat.sent"]
        assert [frame["client_id"] for frame in sent] == [f"c-{number}-{t}" for t in range(turns)]
        assert [frame["seq"] for frame in sent] == sorted(frame["seq"] for frame in sent)
        live = [frame["payload"]["seq"] for frame in frames if frame["type"] == "live.event"]
        assert live == seqs, "every follower sees the room in seq order"
    await close_all(reader, *senders)
