"""Frames too large, against a real daphne: an error frame and an open socket up to the
server's limit (1 MB); beyond it a close frame with code 1009 and a reason, never a
connection dropped without a word."""

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed

from tests.live.test_processes import open_socket, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def frame_of(size: int) -> str:
    return json.dumps({"action": "subscribe", "topics": {"user.1": None}, "pad": "x" * size})


async def test_a_frame_over_the_bus_limit_gets_too_large_and_the_socket_stays_open(
    serve, server_db
):
    server = serve()
    ada = server_db.run("user", "Ada Admin")
    async with open_socket(server, ada) as socket:
        await socket.send(frame_of(900_000))
        error = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert (error["type"], error["code"]) == ("live.error", "too_large")
        await subscribe(socket, f"user.{ada['id']}")  # still open, still answering


async def test_a_frame_over_the_servers_limit_closes_with_1009_and_a_reason(serve, server_db):
    server = serve()
    ada = server_db.run("user", "Ada Admin")
    async with open_socket(server, ada) as socket:
        await socket.send(frame_of(1_200_000))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 10)
    received = closed.value.rcvd
    assert received is not None, "the server dropped the connection without a close frame"
    assert received.code == 1009 and "exceeds payload limit" in received.reason
