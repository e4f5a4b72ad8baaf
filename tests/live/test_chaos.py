"""The chaos test: two real daphne processes on PostgreSQL, a Redis this test owns, 20
tabs (socket clients, ten per server) following one topic while a publisher process
sends events. Faults come one after another while events flow:

1. one daphne is killed (SIGKILL) and restarted on its port;
2. Redis is stopped and restarted;
3. a transaction is held open longer than the replay window, and commits while the
   tabs of one server are away (that server killed), so they come back with a last id
   above the held event's.

After each, every tab must have every event sent, counted by id. Each tab reconnects
as live.js does (with the last id it saw) and counts what it receives, repeats too.
Run with ``-s`` to print the fault table (docs/PERFORMANCE.md has the latest).
"""

import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass

import pytest
from django.db import connection
from websockets.exceptions import WebSocketException

from tests.live.test_processes import open_socket
from tests.servers import ROOT, RedisServer

pytestmark = [
    pytest.mark.backend,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the chaos test runs on PostgreSQL + Redis"
    ),
]

TABS_PER_SERVER = 10
EVENT_EVERY = 0.05  # seconds between published events
RECOVERY_LIMIT = 20.0  # seconds a tab may take to have everything after a fault
HOLD_SECONDS = 8.0  # longer than LIVE_REPLAY_OVERLAP (5 s): time alone cannot cover it
RECONNECT_PAUSE = 0.2
COLUMNS = (
    *("fault", "tabs reconnected", "events sent", "received per tab"),
    *("lost", "repeats on the wire", "all tabs complete after"),
)


class Tab:
    """One browser tab's socket: follows ``topic`` and reconnects with its last id."""

    def __init__(self, server, person: dict, topic: str):
        self.server, self.person, self.topic = server, person, topic
        self.ids: list[int] = []  # every event frame received, in order, repeats included
        self.subscribed = asyncio.Event()
        self.connections = 0

    def has(self, ids) -> bool:
        return set(ids) <= set(self.ids)

    def repeats_of(self, ids) -> int:
        wanted = set(ids)
        received = [event_id for event_id in self.ids if event_id in wanted]
        return len(received) - len(set(received))

    async def run(self) -> None:
        while True:
            with contextlib.suppress(OSError, TimeoutError, WebSocketException):
                await self._follow()
            self.subscribed.clear()
            await asyncio.sleep(RECONNECT_PAUSE)

    async def _follow(self) -> None:
        async with open_socket(self.server, self.person) as socket:
            last_id = max(self.ids, default=0)
            await socket.send(json.dumps({"action": "subscribe", "topics": {self.topic: last_id}}))
            async for raw in socket:
                frame = json.loads(raw)
                if frame["type"] == "live.subscribed":
                    self.subscribed.set()
                    self.connections += 1
                elif frame["type"] == "live.event":
                    self.ids.append(frame["id"])


@dataclass
class Row:
    fault: str
    reconnected: int  # tabs that had to reconnect
    sent: int
    received_min: int
    received_max: int
    lost: int
    repeats: int
    recovered_seconds: float

    def line(self) -> str:
        received = (
            f"{self.received_min}"
            if self.received_min == self.received_max
            else f"{self.received_min} to {self.received_max}"
        )
        return (
            f"| {self.fault} | {self.reconnected} | {self.sent} | {received} | {self.lost} "
            f"| {self.repeats} | {self.recovered_seconds:.1f} s |"
        )


class Publisher:
    """tests/chaos_publisher.py in a process of its own, with the servers' settings."""

    def __init__(self, env: dict):
        self.env = env

    async def start(self, *args) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.chaos_publisher",
            *args,
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
        )

    async def stream(self, topic: str, count: int) -> "Stream":
        return Stream(await self.start("stream", topic, str(count), str(EVENT_EVERY)))


class Stream:
    """A publisher's stream of events, read as its ids come."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.ids: list[int] = []

    async def first(self, count: int) -> None:
        """Wait until ``count`` events were published."""
        while len(self.ids) < count:
            self.ids.append(int(await self.process.stdout.readline()))

    async def finish(self) -> list[int]:
        output, _ = await self.process.communicate()
        assert self.process.returncode == 0, "the publisher failed; see the output above"
        return [*self.ids, *(int(line) for line in output.split())]


async def wait_until_all_have(tabs, ids) -> float:
    """When (monotonic) every tab had every id; after RECOVERY_LIMIT, returns anyway."""
    deadline = time.monotonic() + RECOVERY_LIMIT
    while time.monotonic() < deadline and not all(tab.has(ids) for tab in tabs):
        await asyncio.sleep(0.05)
    return time.monotonic()


def tally(fault: str, tabs, ids, connections, recovered_at: float, complete_at: float) -> Row:
    counts = [len(set(ids) & set(tab.ids)) for tab in tabs]
    return Row(
        fault=fault,
        reconnected=sum(
            tab.connections > before for tab, before in zip(tabs, connections, strict=True)
        ),
        sent=len(ids),
        received_min=min(counts),
        received_max=max(counts),
        lost=sum(len(ids) - count for count in counts),
        repeats=sum(tab.repeats_of(ids) for tab in tabs),
        recovered_seconds=max(0.0, complete_at - recovered_at),
    )


async def restart(service, down_for: float) -> float:
    """Kill a daphne or the Redis, start it again on its port after ``down_for`` s."""
    service.stop(kill=True)
    await asyncio.sleep(down_for)
    await asyncio.to_thread(service.start)
    return time.monotonic()


async def test_every_tab_gets_every_event_through_crashes_outages_and_long_transactions(
    serve, server_db, tmp_path
):
    redis = RedisServer(tmp_path).start()
    try:
        rows = await run_faults(serve, server_db, redis)
    finally:
        redis.stop()
    print(f"\n| {' | '.join(COLUMNS)} |")
    print("|---" * len(COLUMNS) + "|")
    for row in rows:
        print(row.line())
    assert [row.lost for row in rows] == [0] * len(rows), rows


async def run_faults(serve, server_db, redis) -> list[Row]:
    env = {"REDIS_URL": redis.url}
    first, second = serve(**env), serve(**env)
    ana = await asyncio.to_thread(server_db.run, "user", "Ana Lima")
    topic = f"user.{ana['id']}"
    tabs = [Tab(server, ana, topic) for server in (first, second) for _ in range(TABS_PER_SERVER)]
    runners = [asyncio.create_task(tab.run()) for tab in tabs]
    publisher = Publisher(server_db.env(**env))
    try:
        await asyncio.wait_for(asyncio.gather(*(tab.subscribed.wait() for tab in tabs)), 30)
        return [
            await fault_while_streaming(
                "daphne killed, back after 1 s", tabs, publisher, topic, restart(first, 1.0)
            ),
            await fault_while_streaming(
                "Redis stopped, back after 2 s", tabs, publisher, topic, restart(redis, 2.0)
            ),
            await held_transaction(tabs, publisher, topic, second),
        ]
    finally:
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, return_exceptions=True)


async def fault_while_streaming(name, tabs, publisher, topic, fault) -> Row:
    """Events flow (20 of them), then the fault; the stream goes on through it."""
    connections = [tab.connections for tab in tabs]
    stream = await publisher.stream(topic, 50)
    await stream.first(20)
    recovered_at = await fault
    ids = await stream.finish()
    complete_at = await wait_until_all_have(tabs, ids)
    return tally(name, tabs, ids, connections, recovered_at, complete_at)


async def held_transaction(tabs, publisher, topic, server) -> Row:
    """An event written at the start of an 8 s transaction commits while ``server`` is
    down; its tabs come back with a last id far above it, seconds later."""
    connections = [tab.connections for tab in tabs]
    held = await publisher.start("hold", topic, str(HOLD_SECONDS))
    held_id = int(await held.stdout.readline())
    stream = await publisher.stream(topic, int(HOLD_SECONDS / EVENT_EVERY))
    await asyncio.sleep(HOLD_SECONDS - 2)
    server.stop(kill=True)
    assert (await held.stdout.readline()).strip() == b"committed"
    await held.wait()
    await asyncio.sleep(1.0)
    await asyncio.to_thread(server.start)
    recovered_at = time.monotonic()
    ids = [held_id, *await stream.finish()]
    return tally(
        "transaction held 8 s, committed while a server was down",
        tabs,
        ids,
        connections,
        recovered_at,
        await wait_until_all_have(tabs, ids),
    )
