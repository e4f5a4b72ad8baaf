"""Access taken away while a tab is open: its socket drops the topic at once.

Real daphne processes on the test's PostgreSQL database; the access change is
made by this process through the real service (tests/live/access_changes.py),
which then publishes one more event on the topic. The person who lost access
gets ``live.revoked`` and never that event; a colleague who keeps access gets
it. The re-check reaches the servers through Redis, as from any other process
(with the in-memory layer no message reaches another process: there the
periodic re-check, ``LIVE_RECHECK_SECONDS``, does).
"""

import asyncio
import copy
import json

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from websockets.exceptions import ConnectionClosed

from tests.live.access_changes import SCENARIOS, card
from tests.live.test_processes import needs_redis, open_socket, subscribe
from workspace.live.models import Event

pytestmark = [
    pytest.mark.backend,
    needs_redis,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="servers and test share PostgreSQL"
    ),
]

TIMEOUT = 10


@pytest.fixture
def servers_layer(settings, server_db):
    """This process publishes on the servers' channel layer (their Redis prefix)."""
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"]["CONFIG"]["prefix"] = server_db.prefix
    settings.CHANNEL_LAYERS = layers


@database_sync_to_async
def seed(scenario: str) -> dict:
    people, topic, allowed, state = SCENARIOS[scenario][0]()
    people = {name: card(person) for name, person in people.items()}
    return {"people": people, "topic": topic, "allowed": allowed, "state": state}


@database_sync_to_async
def change(scenario: str, state: dict) -> int:
    """Make the access change, then publish on the topic; that last event's id."""
    topic = SCENARIOS[scenario][1](state)
    return Event.objects.filter(topic=topic).latest("id").id


async def event_with_id(socket, event_id: int) -> dict:
    """Read until the event ``event_id`` arrives; what came before it is returned too."""
    frames = []
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
        frames.append(frame)
        if frame["type"] == "live.event" and frame["id"] == event_id:
            return frames


async def frames_until_pong(socket) -> list[dict]:
    """Every frame the server sent before answering a ping: the server handled the socket's
    earlier frames, and wrote to it whatever its hub had dispatched, before the pong."""
    await socket.send(json.dumps({"action": "ping"}))
    frames = []
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
        if frame["type"] == "live.pong":
            return frames
        frames.append(frame)


def assert_revoked_then_silent(frames: list[dict], topic: str, after: int) -> None:
    """One ``live.revoked`` for the topic, then nothing of it (nor the later event at all)."""
    kinds = [(frame["type"], frame.get("topic")) for frame in frames]
    assert ("live.revoked", topic) in kinds, kinds
    revoked_at = kinds.index(("live.revoked", topic))
    assert [f for f in frames[revoked_at + 1 :] if f.get("topic") == topic] == []
    assert after not in [frame.get("id") for frame in frames if frame["type"] == "live.event"]


async def lose_access(sockets, scenario: str, setup: dict) -> int:
    """Make the change; once the colleague's socket on each server has the event
    published after it, return that event's id."""
    after = await change(scenario, setup["state"])
    for socket in sockets:
        await event_with_id(socket, after)
    return after


@pytest.mark.parametrize(
    "scenario",
    [
        "room-member-removed",
        "room-left",
        "role-changed",
        "departments-changed",
        "task-reassigned",
        "meeting-made-private",
        "attendee-removed",
    ],
)
async def test_who_loses_access_gets_revoked_and_no_later_event(serve, servers_layer, scenario):
    server = serve()
    setup = await seed(scenario)
    topic, people = setup["topic"], setup["people"]
    hannah, colleague = people["hannah"], people[setup["allowed"]]
    async with open_socket(server, hannah) as lost, open_socket(server, colleague) as kept:
        await subscribe(lost, topic)
        await subscribe(kept, topic)
        after = await lose_access([kept], scenario, setup)
        assert_revoked_then_silent(await frames_until_pong(lost), topic, after)
        # She may follow it again no longer; he still does.
        await lost.send(json.dumps({"action": "subscribe", "topics": {topic: None}}))
        refused = json.loads(await asyncio.wait_for(lost.recv(), TIMEOUT))
        assert (refused["code"], refused["topic"]) == ("forbidden", topic)
        assert [f for f in await frames_until_pong(kept) if f["type"] == "live.revoked"] == []


async def test_a_recheck_reaches_her_sockets_on_every_server(serve, servers_layer):
    first, second = serve(), serve()
    scenario = "room-member-removed"
    setup = await seed(scenario)
    topic, hannah, ana = setup["topic"], setup["people"]["hannah"], setup["people"]["ana"]
    async with (
        open_socket(first, hannah) as lost_here,
        open_socket(second, hannah) as lost_there,
        open_socket(first, ana) as kept_here,
        open_socket(second, ana) as kept_there,
    ):
        for socket in (lost_here, lost_there, kept_here, kept_there):
            await subscribe(socket, topic)
        after = await lose_access([kept_here, kept_there], scenario, setup)
        for socket in (lost_here, lost_there):
            assert_revoked_then_silent(await frames_until_pong(socket), topic, after)


async def test_a_deactivated_persons_open_sockets_close_with_4403(serve, servers_layer):
    server = serve()
    scenario = "deactivated"
    setup = await seed(scenario)
    hannah, ada = setup["people"]["hannah"], setup["people"]["ada"]
    async with open_socket(server, hannah) as closing, open_socket(server, ada) as staying:
        await subscribe(closing, setup["topic"])
        await subscribe(staying, f"user.{ada['id']}")
        await lose_access([staying], scenario, setup)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(closing.recv(), TIMEOUT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        assert [f for f in await frames_until_pong(staying) if f["type"] == "live.revoked"] == []
