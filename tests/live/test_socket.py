"""The socket at /ws/: who may connect, what they may follow, and bad input."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from tests.factories import UserFactory
from tests.live_helpers import Socket, publish_committed, session_cookie
from workspace.asgi import application
from workspace.live import conf

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.backend]


async def test_unauthenticated_socket_is_closed():
    socket = await Socket.open()
    # Accepted only to say why, with a code the browser stops retrying on.
    assert socket.connected
    assert await socket.communicator.receive_output(1) == {"type": "websocket.close", "code": 4401}


async def test_bad_origin_is_refused(ana):
    socket = await Socket.open(ana, origin="https://evil.example")
    assert not socket.connected


async def test_missing_origin_is_refused(ana):
    cookie = await database_sync_to_async(session_cookie)(ana)
    communicator = WebsocketCommunicator(
        application, "/ws/", headers=[(b"host", b"localhost"), (b"cookie", cookie.encode())]
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_deactivated_user_is_closed(ana):
    cookie = await database_sync_to_async(session_cookie)(ana)
    ana.is_active = False
    await database_sync_to_async(ana.save)()
    socket = Socket(cookie)
    await socket.communicator.connect()
    assert await socket.communicator.receive_output(1) == {"type": "websocket.close", "code": 4401}


async def test_subscribe_allowed_and_refused_per_topic(ana):
    socket = await Socket.open(ana)
    assert socket.connected
    frames = await socket.subscribe({f"user.{ana.pk}": None, "user.999999": None, "nope.1": None})
    by_topic = {frame["topic"]: frame for frame in frames}
    assert by_topic[f"user.{ana.pk}"]["type"] == "live.subscribed"
    # Someone else's feed and an unknown prefix get the same answer: no existence leak.
    assert by_topic["user.999999"] == {
        "type": "live.error",
        "code": "forbidden",
        "message": "You cannot follow this topic.",
        "topic": "user.999999",
    }
    assert by_topic["nope.1"]["code"] == "forbidden"
    await socket.close()


async def test_refused_topic_never_delivers(ana):
    other = await database_sync_to_async(UserFactory)()
    socket = await Socket.open(ana)
    await socket.subscribe({f"user.{other.pk}": None, f"user.{ana.pk}": None})
    await publish_committed(f"user.{other.pk}", "probe.secret")
    mine = await publish_committed(f"user.{ana.pk}", "probe.mine")
    frame = await socket.receive()
    assert (frame["topic"], frame["id"]) == (f"user.{ana.pk}", mine.id)
    assert await socket.silent()
    await socket.close()


async def test_event_frame_shape(ana):
    socket = await Socket.open(ana)
    await socket.subscribe({"probe.open": None})
    event = await publish_committed(
        "probe.open", "probe.changed", {"n": 1}, html='<p id="x" hx-swap-oob="true">1</p>'
    )
    assert await socket.receive() == {
        "type": "live.event",
        "topic": "probe.open",
        "id": event.id,
        "kind": "probe.changed",
        "html": '<p id="x" hx-swap-oob="true">1</p>',
        "payload": {"n": 1},
    }
    await socket.close()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "bad_json"),
        ("[1, 2]", "unknown_action"),
        ('{"action": "dance"}', "unknown_action"),
        ('{"type": "live.event", "topic": "user.1"}', "unknown_action"),
        ('{"type": "websocket.close"}', "unknown_action"),
        ('{"action": "subscribe"}', "bad_frame"),
        ('{"action": "subscribe", "topics": "user.1"}', "bad_frame"),
        ('{"action": "unsubscribe", "topics": 5}', "bad_frame"),
        ('{"action": "here", "topic": "probe.open"}', "not_subscribed"),
    ],
)
async def test_malformed_frames_get_an_error_and_the_socket_stays(ana, raw, code):
    socket = await Socket.open(ana)
    await socket.send_raw(text=raw)
    frame = await socket.receive()
    assert frame["type"] == "live.error"
    assert frame["code"] == code
    assert frame["message"]
    # Still usable.
    await socket.send(action="ping")
    assert await socket.receive() == {"type": "live.pong"}
    await socket.close()


async def test_bad_topic_names_and_ids(ana):
    socket = await Socket.open(ana)
    frames = await socket.subscribe(
        {"Bad Topic": None, "probe.open": "12", "probe.u1": -1, f"user.{ana.pk}": True}
    )
    assert [frame["code"] for frame in frames] == [
        "bad_topic",
        "bad_last_id",
        "bad_last_id",
        "bad_last_id",
    ]
    await socket.close()


async def test_binary_and_oversized_frames(ana):
    socket = await Socket.open(ana)
    await socket.send_raw(data=b"\x00\x01")
    assert (await socket.receive())["code"] == "bad_frame"
    limit = conf.get("LIVE_MAX_FRAME_BYTES")
    await socket.send_raw(text=json.dumps({"action": "ping", "pad": "x" * limit}))
    assert (await socket.receive())["code"] == "too_large"
    await socket.send(action="ping")
    assert await socket.receive() == {"type": "live.pong"}
    await socket.close()


async def test_topics_per_socket_are_capped(ana, settings):
    settings.LIVE_MAX_TOPICS = 3
    socket = await Socket.open(ana)
    topics = {"probe.open": None, f"probe.u{ana.pk}": None, f"user.{ana.pk}": None}
    topics |= {f"probe.extra{n}": None for n in range(5)}
    frames = await socket.subscribe(topics)
    assert sum(frame["type"] == "live.subscribed" for frame in frames) == 3
    assert [frame["code"] for frame in frames if frame["type"] == "live.error"] == [
        "too_many_topics"
    ] * 5
    await socket.send(action="ping")
    assert await socket.receive() == {"type": "live.pong"}
    await socket.close()


async def test_subscribe_twice_is_harmless_and_unsubscribe_stops_delivery(ana):
    socket = await Socket.open(ana)
    await socket.subscribe({"probe.open": None})
    assert await socket.subscribe({"probe.open": None}) == [
        {"type": "live.subscribed", "topic": "probe.open"}
    ]
    await socket.send(action="unsubscribe", topics=["probe.open"])
    assert await socket.receive() == {"type": "live.unsubscribed", "topic": "probe.open"}
    await publish_committed("probe.open")
    assert await socket.silent()
    await socket.close()
