"""Several real server processes sharing events through Redis."""

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request

import pytest
from websockets.asyncio.client import connect

from tests.servers import free_port

pytestmark = pytest.mark.backend

needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="several processes share events through REDIS_URL"
)


def open_socket(server, person):
    return connect(
        f"ws://localhost:{server.port}/ws/",
        origin=server.url,
        additional_headers={"Cookie": person["cookie"]},
        open_timeout=10,
    )


async def subscribe(socket, topic: str, last_id=None) -> None:
    await socket.send(json.dumps({"action": "subscribe", "topics": {topic: last_id}}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 10)) == {
        "type": "live.subscribed",
        "topic": topic,
    }


async def next_event(socket, timeout: float = 10) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if frame["type"] == "live.event":
            return frame


def mark_all_read_through(server, person) -> int:
    """What the "Mark all read" button does (htmx POST), sent to ``server``."""
    cookie = person["cookie"]
    page = urllib.request.Request(f"{server.url}/notifications/", headers={"Cookie": cookie})  # noqa: S310
    page = urllib.request.urlopen(page, timeout=10)  # noqa: S310
    csrf_cookie = re.search(r"csrftoken=([^;]+)", page.headers["Set-Cookie"]).group(1)
    request = urllib.request.Request(  # noqa: S310
        f"{server.url}/notifications/read/",
        method="POST",
        headers={
            "Cookie": f"{cookie}; csrftoken={csrf_cookie}",
            "X-CSRFToken": csrf_cookie,
            "HX-Request": "true",
            "Origin": server.url,
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return int(response.headers["X-Live-Event"])


@needs_redis
async def test_a_write_on_one_server_reaches_sockets_on_both(serve, server_db):
    first, second = serve(), serve()
    ana = await asyncio.to_thread(server_db.run, "user", "Ana Lima")
    topic = f"user.{ana['id']}"
    async with open_socket(first, ana) as on_first, open_socket(second, ana) as on_second:
        await subscribe(on_first, topic)
        await subscribe(on_second, topic)

        # Written by a third process (as the task worker would): both servers deliver it.
        note = await asyncio.to_thread(server_db.run, "notify", str(ana["id"]), "From the worker")
        for socket in (on_first, on_second):
            frame = await next_event(socket)
            assert (frame["kind"], frame["payload"]["notification"]) == (
                "notification.added",
                note["id"],
            )

        # Written through the first server's HTTP: the second server's socket has it too.
        event_id = await asyncio.to_thread(mark_all_read_through, first, ana)
        for socket in (on_second, on_first):
            frame = await next_event(socket)
            assert (frame["id"], frame["kind"], frame["payload"]["unread"]) == (
                event_id,
                "notification.read",
                0,
            )


@needs_redis
async def test_a_reconnect_to_another_server_replays_what_was_missed(serve, server_db):
    first, second = serve(), serve()
    ana = await asyncio.to_thread(server_db.run, "user", "Ana Lima")
    topic = f"user.{ana['id']}"
    async with open_socket(first, ana) as socket:
        await subscribe(socket, topic)
        await asyncio.to_thread(server_db.run, "notify", str(ana["id"]), "seen")
        last_seen = (await next_event(socket))["id"]
    missed = await asyncio.to_thread(server_db.run, "notify", str(ana["id"]), "missed")
    async with open_socket(second, ana) as socket:
        await subscribe(socket, topic, last_seen)
        replayed = [await next_event(socket)]
        if replayed[0]["id"] == last_seen:  # the replay overlap (conf.LIVE_REPLAY_OVERLAP)
            replayed.append(await next_event(socket))
        assert replayed[-1]["payload"]["notification"] == missed["id"]


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs the redis-server binary")
async def test_nothing_is_lost_across_a_redis_restart(serve, server_db, tmp_path):
    port = free_port()

    def start_redis():
        options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        process = subprocess.Popen(  # noqa: S603
            [shutil.which("redis-server"), "--port", str(port), *options, "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while (
            subprocess.run(  # noqa: S603
                [shutil.which("redis-cli"), "-p", str(port), "ping"],
                capture_output=True,
                check=False,
            ).stdout.strip()
            != b"PONG"
        ):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        return process

    redis = start_redis()
    try:
        url = f"redis://127.0.0.1:{port}/0"
        server = serve(REDIS_URL=url)
        ana = await asyncio.to_thread(server_db.run, "user", "Ana Lima")
        async with open_socket(server, ana) as socket:
            await subscribe(socket, f"user.{ana['id']}")
            redis.terminate()
            redis.wait(10)
            # Committed while Redis is down: the event is in the log, the send fails.
            note = await asyncio.to_thread(
                server_db.run, "notify", str(ana["id"]), "during", REDIS_URL=url
            )
            redis = await asyncio.to_thread(start_redis)
            # The server's sweep finds it in the log; the socket never dropped.
            frame = await next_event(socket, timeout=20)
            assert frame["payload"]["notification"] == note["id"]
            # And the layer works again.
            note = await asyncio.to_thread(
                server_db.run, "notify", str(ana["id"]), "after", REDIS_URL=url
            )
            frame = await next_event(socket, timeout=20)
            assert frame["payload"]["notification"] == note["id"]
    finally:
        redis.terminate()
        redis.wait(10)
