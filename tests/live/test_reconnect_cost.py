"""A reconnect storm's cost: many sockets opening at once share thread hops and queries.

Through the whole ASGI stack (origin check, session auth, the consumer): sockets
opening and subscribing in the same moment are signed in, checked against the
topic policies and caught up in a few hops whose query count does not grow with
the number of sockets -- and each still gets exactly its own answer: its user,
its refusals, its missed events (bench/reconnect.py measures the time it saves).
"""

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from chat.services import create_room, open_client_room
from records.services import create_client
from tests.factories import DepartmentFactory, UserFactory
from tests.live_helpers import Socket, publish_committed, session_cookie
from workspace.live import access, auth, replay
from workspace.live.replay import catch_up_many

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.backend]

SOCKETS = 12


class Hops:
    """Counts a batched lookup's hops and the queries each ran (in the database thread)."""

    def __init__(self, monkeypatch, batched):
        self.queries: list[int] = []
        self.sizes: list[int] = []
        run_many = batched.run_many

        def counted(requests):
            with CaptureQueriesContext(connection) as captured:
                answers = run_many(requests)
            self.queries.append(len(captured))
            self.sizes.append(len(requests))
            return answers

        monkeypatch.setattr(batched, "run_many", counted)


@database_sync_to_async
def office():
    """People (one outside a private room), a client with its room, and the private room."""
    sales = DepartmentFactory(name="Sales")
    people = [UserFactory(departments=[sales]) for _ in range(SOCKETS)]
    client = create_client(actor=people[0], name="Storm GmbH")
    room = open_client_room(client=client)
    private = create_room(actor=people[0], name="Board", private=True, members=people[1:-1])
    return people, client, room, private


async def open_all(people) -> list[Socket]:
    """One socket per person, all opening in the same moment."""
    cookies = await database_sync_to_async(lambda: [session_cookie(p) for p in people])()
    sockets = [Socket(cookie) for cookie in cookies]
    opened = await asyncio.gather(*(socket.communicator.connect() for socket in sockets))
    assert all(connected for connected, _ in opened)
    return sockets


async def test_sockets_opening_together_sign_in_with_two_queries(monkeypatch):
    people, _, _, _ = await office()
    hops = Hops(monkeypatch, auth._user_of_session)
    sockets = await open_all(people)
    # Each socket is its own person: its feed is granted, a colleague's refused.
    answers = await asyncio.gather(
        *(
            socket.subscribe({f"user.{me.pk}": None, f"user.{people[n - 1].pk}": None})
            for n, (socket, me) in enumerate(zip(sockets, people, strict=True))
        )
    )
    for n, (frames, me) in enumerate(zip(answers, people, strict=True)):
        by_topic = {frame["topic"]: frame["type"] for frame in frames}
        assert by_topic == {
            f"user.{me.pk}": "live.subscribed",
            f"user.{people[n - 1].pk}": "live.error",
        }
    assert sum(hops.sizes) == SOCKETS
    assert len(hops.sizes) < SOCKETS  # they shared hops...
    assert all(count <= 2 for count in hops.queries)  # ...each the sessions, then the people
    for socket in sockets:
        await socket.close()


async def test_subscribes_together_share_policy_and_replay_queries(monkeypatch, settings):
    settings.LIVE_REPLAY_OVERLAP = timedelta(0)  # replay exactly what came after the last id
    people, client, room, private = await office()
    before = await publish_committed(f"client.{client.pk}", "probe.before")
    missed = await publish_committed(f"client.{client.pk}", "probe.missed")
    allowed = Hops(monkeypatch, access.allowed_topics_batched)
    caught_up = Hops(monkeypatch, replay.catch_up_batched)
    sockets = await open_all(people)
    topics = [f"client.{client.pk}", f"room.{room.pk}", f"room.{private.pk}"]
    answers = await asyncio.gather(
        *(
            socket.subscribe(dict.fromkeys(topics, before.id) | {f"user.{me.pk}": before.id})
            for socket, me in zip(sockets, people, strict=True)
        )
    )
    topic = f"client.{client.pk}"
    catchup = await database_sync_to_async(replay.catch_up)([(topic, before.id)])
    alone = [event_id for event_id, _ in catchup[topic].events]
    assert missed.id in alone
    for frames, me in zip(answers, people, strict=True):
        outcome = {f["topic"]: f["type"] for f in frames if f["type"] != "live.event"}
        member = me != people[-1]  # the last person is not in the private room
        assert outcome[f"room.{private.pk}"] == ("live.subscribed" if member else "live.error")
        assert outcome[f"client.{client.pk}"] == outcome[f"room.{room.pk}"] == "live.subscribed"
        replayed = [f["id"] for f in frames if f["type"] == "live.event"]
        assert replayed == alone  # what one socket alone gets, once each
    # People, clients and rooms in one query each (+ the private room's members), whatever
    # the number of sockets; the replay: watermark, anchor, and the events of all topics.
    assert len(allowed.sizes) < SOCKETS and max(allowed.queries) <= 4 + SOCKETS
    assert len(caught_up.sizes) < SOCKETS and max(caught_up.queries) <= 3
    for socket in sockets:
        await socket.close()


async def test_a_signed_out_session_is_refused_at_once(ana):
    cookie = await database_sync_to_async(session_cookie)(ana)
    socket = Socket(cookie)
    assert (await socket.communicator.connect())[0]
    await socket.close()
    key = cookie.split("=", 1)[1]

    @database_sync_to_async
    def sign_out():
        from django.contrib.sessions.backends.db import SessionStore

        SessionStore(session_key=key).delete()

    await sign_out()
    again = Socket(cookie)
    await again.communicator.connect()
    assert await again.communicator.receive_output(1) == {"type": "websocket.close", "code": 4401}


async def test_a_changed_password_refuses_older_sessions(ana):
    cookie = await database_sync_to_async(session_cookie)(ana)

    @database_sync_to_async
    def change_password():
        ana.set_password("another long passphrase")
        ana.save()

    await change_password()
    again = Socket(cookie)
    await again.communicator.connect()
    assert await again.communicator.receive_output(1) == {"type": "websocket.close", "code": 4401}


async def test_unknown_and_anonymous_sessions_are_refused(ana):
    @database_sync_to_async
    def anonymous_session() -> str:
        from django.contrib.sessions.backends.db import SessionStore

        session = SessionStore()
        session["cart"] = 1
        session.save()
        return session.session_key

    for key in ["nosuchsession", await anonymous_session()]:
        socket = Socket(f"sessionid={key}")
        await socket.communicator.connect()
        closed = await socket.communicator.receive_output(1)
        assert closed == {"type": "websocket.close", "code": 4401}


@pytest.mark.parametrize("limit", [1, 3])
async def test_catch_up_many_answers_each_socket_alone(settings, limit):
    """Batched replay = each socket's own: a busy topic beyond the limit resyncs, the others
    keep their events even when the busy one fills the shared query."""
    settings.LIVE_REPLAY_LIMIT = limit
    settings.LIVE_REPLAY_OVERLAP = timedelta(0)
    start = await publish_committed("probe.busy")
    # Enough to fill the query shared with probe.quiet (limit + 1 rows per topic).
    busy = [await publish_committed("probe.busy") for _ in range(2 * (limit + 1))]
    quiet = await publish_committed("probe.quiet")
    requests = [
        [("probe.busy", start.id), ("probe.quiet", start.id)],
        [("probe.quiet", quiet.id), ("probe.none", None)],
        [("probe.busy", busy[-limit - 1].id)],
    ]
    first, second, third = await database_sync_to_async(catch_up_many)(requests)
    alone = await database_sync_to_async(lambda: [replay.catch_up(r) for r in requests])()
    assert [first, second, third] == alone
    assert first["probe.busy"].resync and first["probe.busy"].position >= quiet.id
    assert [i for i, _ in first["probe.quiet"].events] == [quiet.id]
    assert not second["probe.quiet"].resync and second["probe.none"].events == []
    # (On PostgreSQL a transaction open elsewhere when busy[-limit - 1] was written makes
    # the earlier events count as possibly missed too: a resync, as for one socket alone.)
    if not third["probe.busy"].resync:
        assert [i for i, _ in third["probe.busy"].events] == [e.id for e in busy[-limit:]]


@database_sync_to_async
def _policy_answers(pairs):
    from workspace.live.policies import can_subscribe, can_subscribe_many

    with transaction.atomic():
        return can_subscribe_many(pairs), [can_subscribe(user, topic) for user, topic in pairs]


async def test_batched_policies_answer_like_one_at_a_time():
    people, client, room, private = await office()
    outsider, member = people[-1], people[1]
    topics = [
        f"client.{client.pk}",
        "client.999999",
        "client.99999999999999999999",
        f"room.{room.pk}",
        f"room.{private.pk}",
        "room.0",
        f"user.{member.pk}",
        "nope.1",
    ]
    pairs = [(person, topic) for person in (outsider, member) for topic in topics]
    batched, alone = await _policy_answers(pairs)
    assert batched == alone
    assert batched[topics.index(f"room.{private.pk}")] is False  # the outsider
    assert batched[len(topics) + topics.index(f"room.{private.pk}")] is True
