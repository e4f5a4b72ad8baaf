"""Replay and the sweep are exact whatever a transaction's length (issue 15, item 11).

PostgreSQL assigns an event's id at insert, not at commit: a long transaction
(an .ics import, a merge) can commit its event after later-numbered ones were
delivered. The tests hold such a transaction open on another connection while
others commit, and check that no reader passes it by: not the replay a
reconnecting tab gets, not the hub's sweep. SQLite has one writer at a time
(a transaction cannot be held open while others commit), so the tests that
need one run on PostgreSQL only.
"""

import asyncio
import json
import queue
import threading
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.db import connection, connections, transaction

from tests.live.test_processes import open_socket, subscribe
from tests.live_helpers import Socket, session_cookie
from workspace import live
from workspace.live import hub as hub_module
from workspace.live.hub import get_hub
from workspace.live.models import Event
from workspace.live.replay import catch_up
from workspace.live.templatetags.live import live_since

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.backend]

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer at a time: no transaction can stay open while others commit",
)

# How long the real-server test keeps its transaction open. The old code's only
# protection was LIVE_REPLAY_OVERLAP (5 s) plus one sweep tick (2 s); any hold
# longer than that defeats it, so 8 s proves the point at a quarter of the CI cost
# of the 30 s (which passes too: set it here to try).
HOLD_SECONDS = 8.0
PUBLISH_EVERY = 0.25  # seconds between the other writers' commits


@contextmanager
def held_open(write):
    """Run ``write()`` in a transaction on a connection of its own and keep that
    transaction open until the block ends (it then commits); yields what ``write``
    returned."""
    written, release = queue.Queue(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                written.put(write())
                release.wait(HOLD_SECONDS * 4)
        except Exception as error:  # handed to the test, which raises it
            written.put(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold, name="held-transaction")
    thread.start()
    try:
        result = written.get(timeout=10)
        if isinstance(result, Exception):
            raise result
        yield result
    finally:
        release.set()
        thread.join(10)


def publish_now(topic: str, kind: str = "probe.changed") -> Event:
    with transaction.atomic():
        return live.publish(topic, kind)


def never_sent(topic: str) -> Event:
    """An event in the log that the channel layer never carried (as if Redis lost it)."""
    return Event.objects.create(topic=topic, kind="probe.lost")


def replayed(topic: str, last_id: int) -> list[int]:
    (catchup,) = catch_up([(topic, last_id)]).values()
    assert not catchup.resync
    return [event_id for event_id, _ in catchup.events]


@needs_postgresql
def test_replay_includes_an_event_that_commits_after_later_ones(settings):
    settings.LIVE_REPLAY_OVERLAP = timedelta(0)  # the horizon alone, no time window
    with held_open(lambda: publish_now("probe.open")) as held:
        seen = publish_now("probe.open")  # a tab saw this one, numbered above the held one
        drawn = publish_now("probe.other")  # or its page was drawn here (any topic)
        assert replayed("probe.open", seen.id) == [], "nothing new is committed yet"
    assert held.id < seen.id
    assert replayed("probe.open", seen.id) == [held.id]
    # What committed while it was open comes again too (the tab applies it once).
    assert replayed("probe.open", drawn.id) == [held.id, seen.id]


@needs_postgresql
async def test_the_sweep_does_not_pass_an_event_still_being_committed(ana, settings):
    settings.LIVE_SWEEP_SECONDS = 3600  # on, but the test runs the sweeps itself
    settings.LIVE_REPLAY_OVERLAP = timedelta(0)  # the old floor then moved at once
    socket = await Socket.open(ana)
    await socket.subscribe({"probe.open": None})
    sweep = (await get_hub()).sweep
    with held_open(lambda: never_sent("probe.open")) as held:
        later = await database_sync_to_async(never_sent)("probe.open")
        await sweep()
        assert (await socket.receive())["id"] == later.id
        await sweep()
        assert await socket.silent(0.2)
    await sweep()
    assert (await socket.receive())["id"] == held.id, "the late commit was passed by"
    await sweep()
    assert await socket.silent(0.2), "delivered twice"
    await socket.close()


async def test_a_burst_larger_than_a_sweep_is_read_in_pages(ana, settings, monkeypatch):
    settings.LIVE_SWEEP_SECONDS = 3600
    monkeypatch.setattr(hub_module, "SWEEP_LIMIT", 2)
    socket = await Socket.open(ana)
    await socket.subscribe({"probe.open": None})
    hub = await get_hub()
    burst = [await database_sync_to_async(never_sent)("probe.open") for _ in range(5)]
    await hub.sweep()  # the first page: 2 events
    during = await database_sync_to_async(never_sent)("probe.open")
    for _ in range(4):
        await hub.sweep()
    ids = [frame["id"] for frame in await socket.receive_all(6)]
    assert ids == [event.id for event in [*burst, during]]
    await hub.sweep()
    assert await socket.silent(0.2), "delivered twice"
    await socket.close()


class Tab:
    """A browser tab following one topic: a socket at a time, reconnecting with its
    last id as live.js does; records the event ids each socket received."""

    def __init__(self, server, person: dict, topic: str, since: int):
        self.server, self.person, self.topic = server, person, topic
        self.last_id = since
        self.sockets: list[list[int]] = []
        self._reader = None

    async def connect(self) -> None:
        self._connection = open_socket(self.server, self.person)
        socket = await self._connection.__aenter__()
        await subscribe(socket, self.topic, self.last_id)
        received: list[int] = []
        self.sockets.append(received)
        self._reader = asyncio.create_task(self._read(socket, received))

    async def _read(self, socket, received: list[int]) -> None:
        async for text in socket:
            frame = json.loads(text)
            if frame.get("type") == "live.event":
                received.append(frame["id"])
                self.last_id = max(self.last_id, frame["id"])

    async def disconnect(self) -> None:
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
        await self._connection.__aexit__(None, None, None)

    def has(self, ids: set[int]) -> bool:
        return ids <= {event_id for received in self.sockets for event_id in received}

    def repeats(self) -> tuple[int, int]:
        """(ids received twice on one socket, ids received again after a reconnect)."""
        within = sum(len(received) - len(set(received)) for received in self.sockets)
        across = Counter(event_id for received in self.sockets for event_id in set(received))
        return within, sum(count - 1 for count in across.values())


@needs_postgresql
async def test_a_tab_misses_nothing_of_a_long_transaction(serve, server_db, ana):
    """The issue's test against a real daphne: a transaction stays open HOLD_SECONDS
    (its event published early) while others commit on the same topic. One tab keeps
    its socket (the server's sweep must deliver the late event); another reconnects
    while the transaction is open and again after it committed, with its last id
    above the late event's (replay must include it). Both get every event; no
    socket gets one twice. The publisher is this process, whose channel layer the
    server does not share, so every event reaches the server through its sweep,
    as from a worker on the in-memory layer."""
    server = serve()
    person = {"cookie": await database_sync_to_async(session_cookie)(ana)}
    topic = f"user.{ana.pk}"
    since = await database_sync_to_async(live_since)()  # the page's data-live-since
    steady, roaming = Tab(server, person, topic, since), Tab(server, person, topic, since)
    await steady.connect()
    await roaming.connect()
    publish = database_sync_to_async(publish_now)
    stop_publishing = asyncio.Event()

    async def publish_steadily():
        while not stop_publishing.is_set():
            await publish(topic)
            await asyncio.sleep(PUBLISH_EVERY)

    publisher = asyncio.create_task(publish_steadily())
    loop = asyncio.get_running_loop()
    with held_open(lambda: publish_now(topic, "probe.held")) as held:
        started = loop.time()

        async def at(fraction: float) -> None:
            await asyncio.sleep(max(0.0, started + fraction * HOLD_SECONDS - loop.time()))

        await at(0.25)
        await roaming.disconnect()
        await at(0.35)
        await roaming.connect()  # while the transaction is open
        await at(0.8)
        await roaming.disconnect()  # away when it commits
        await at(1.0)
    await asyncio.sleep(1)
    await roaming.connect()  # its last id is above the held event's
    await asyncio.sleep(1)
    stop_publishing.set()
    await publisher
    expected = set(
        await database_sync_to_async(
            lambda: list(
                Event.objects.filter(topic=topic, id__gt=since).values_list("id", flat=True)
            )
        )()
    )
    assert held.id in expected and roaming.sockets[1] and roaming.sockets[2]
    deadline = loop.time() + 10
    while not (steady.has(expected) and roaming.has(expected)) and loop.time() < deadline:
        await asyncio.sleep(0.1)
    for tab in (steady, roaming):
        await tab.disconnect()
    assert held.id in steady.sockets[0], "the sweep passed the late event"
    assert held.id in roaming.sockets[2], "the replay passed the late event"
    assert steady.has(expected) and roaming.has(expected), "events missing"
    within, across = roaming.repeats()
    print(
        f"\nheld {HOLD_SECONDS:.0f} s; {len(expected)} events; roaming tab: "
        f"{len(roaming.sockets)} sockets, {within} repeats on one socket, "
        f"{across} repeats across reconnects; steady tab repeats: {steady.repeats()[0]}"
    )
    assert (within, steady.repeats()[0]) == (0, 0), "a socket got an event twice"
