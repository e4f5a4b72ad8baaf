"""The direct-write path (workspace/live/wire.py) against the real daphne, Twisted and
autobahn pinned in pyproject.toml.

wire.py writes frames into private parts of those three. When an upgrade changes them,
these tests fail, saying what changed: adapt wire.py (or, until then, run with
LIVE_DIRECT_WIRE=0) before moving the pins.

What took the direct path is read from the server's log: at DEBUG, wire.py logs each
socket it attaches to and, when that socket's connection ends, how many frames it wrote
(nothing is added to the site for tests). The sockets are raw TCP clients, to see each
frame's exact bytes and to stop reading at will.
"""

import base64
import json
import os
import re
import socket
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

UPGRADE_HINT = (
    "Twisted, autobahn or daphne changed what workspace/live/wire.py relies on: adapt "
    "wire.py to the new internals (or set LIVE_DIRECT_WIRE=0 until then) before moving the pins."
)
CLOSE, PING = 0x8, 0x9


class RawSocket:
    """A WebSocket client on a bare TCP socket: it sees each frame's bytes, header
    included, and reads only when asked."""

    def __init__(self, server, person):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        self.buffer = bytearray()
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /ws/ HTTP/1.1\r\nHost: localhost:{server.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: {server.url}\r\nCookie: {person['cookie']}\r\n\r\n"
            ).encode()
        )
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, _, rest = bytes(self.buffer).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        self.buffer = bytearray(rest)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def _receive(self) -> None:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the server closed the connection without a close frame")
        self.buffer += chunk

    def _take(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._receive()
        taken = bytes(self.buffer[:size])
        del self.buffer[:size]
        return taken

    def frame(self) -> bytes:
        """The server's next frame, exactly as sent (pings skipped: tests are short)."""
        while True:
            head = self._take(2)
            size = head[1] & 0x7F
            extended = self._take({126: 2, 127: 8}.get(size, 0))
            raw = head + extended + self._take(int.from_bytes(extended) if extended else size)
            if head[0] & 0x0F != PING:
                return raw

    def send_text(self, text: str) -> None:
        payload, mask = text.encode(), os.urandom(4)
        assert len(payload) < 1 << 16
        size = (
            struct.pack("!B", 0x80 | len(payload))
            if len(payload) < 126
            else struct.pack("!BH", 0x80 | 126, len(payload))
        )
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.sock.sendall(b"\x81" + size + mask + masked)

    def subscribe(self, topic: str, last_id: int | None = None) -> bytes:
        self.send_text(json.dumps({"action": "subscribe", "topics": {topic: last_id}}))
        answer = self.frame()
        assert message(answer) == {"type": "live.subscribed", "topic": topic}
        return answer

    def events_until_closed(self) -> tuple[list[dict], int]:
        """Every event frame up to the close frame, and the close code."""
        events = []
        while (raw := self.frame())[0] & 0x0F != CLOSE:
            if (frame := message(raw))["type"] == "live.event":
                events.append(frame)
        return events, int.from_bytes(payload(raw)[:2])


def payload(raw: bytes) -> bytes:
    size = raw[1] & 0x7F
    return raw[2 + {126: 2, 127: 8}.get(size, 0) :]


def message(raw: bytes) -> dict:
    return json.loads(payload(raw))


def server_log(server) -> str:
    return Path(server.log.name).read_text(errors="replace")


def wait_for_log(server, pattern: str, timeout: float = 10) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := re.search(pattern, server_log(server)):
            return found
        time.sleep(0.02)
    raise AssertionError(f"{pattern!r} not in the log of daphne ({server.log.name})")


def test_the_internals_wire_uses_are_still_there():
    """The class-level names wire.py reaches for; the tests below check the rest on a
    live connection (autobahn sets the others when a connection opens; importing
    daphne.server would install a Twisted reactor in this process)."""
    from daphne.ws_protocol import WebSocketProtocol
    from twisted.internet import tcp

    expected = {
        WebSocketProtocol: ["registerProducer", "STATE_OPEN", "sendMessage"],
        tcp.Server: ["writeSomeData", "dataBuffer", "offset", "TLS", "unregisterProducer"],
    }
    missing = {
        f"{owner.__module__}.{owner.__qualname__}.{name}"
        for owner, names in expected.items()
        for name in names
        if not hasattr(owner, name)
    }
    assert not missing, f"{sorted(missing)} are gone. {UPGRADE_HINT}"


def test_frames_go_directly_and_match_the_asgi_path_byte_for_byte(serve, server_db):
    direct = serve(LOG_LEVEL="DEBUG")
    through_asgi = serve(LOG_LEVEL="DEBUG", LIVE_DIRECT_WIRE="0")
    ana = server_db.run("user", "Ana Lima")
    topic = f"user.{ana['id']}"
    texts = [
        "Ünïcødé ✓ 🎉",
        "médium " * 30,
        "日本語 ✓ é " * 5_000,  # over 64 KiB
    ]
    with RawSocket(direct, ana) as fast, RawSocket(through_asgi, ana) as plain:
        subscribed = [fast.subscribe(topic), plain.subscribe(topic)]
        ids = server_db.run("publish", topic, *texts)["ids"]
        fast_frames = [fast.frame() for _ in texts]
        plain_frames = [plain.frame() for _ in texts]

    assert subscribed[0] == subscribed[1]
    assert [message(raw)["id"] for raw in fast_frames] == ids
    assert [message(raw)["payload"]["text"] for raw in fast_frames] == texts
    assert fast_frames == plain_frames, "the direct path and ASGI send framed an event differently"
    # Lengths in 7 bits (the subscribe answer), in 16 bits, in 64 bits (over 64 KiB).
    assert [raw[1] for raw in subscribed[:1] + fast_frames] == [
        len(subscribed[0]) - 2,
        126,
        126,
        127,
    ]

    unsupported = re.search(r".*live frames go through ASGI send.*", server_log(direct))
    assert unsupported is None, f"{unsupported[0]}\n{UPGRADE_HINT}"
    attached = wait_for_log(direct, r"Live socket attached to (\w+): direct writes, (.*)")
    assert attached.groups() == ("WebSocketProtocol", "straight to the socket"), UPGRADE_HINT
    written = wait_for_log(direct, r"Live socket closed; (\d+) frames went directly")
    assert int(written[1]) == 1 + len(texts), "some frames went through ASGI send instead"
    assert "Live socket attached" not in server_log(through_asgi)


def test_a_reader_that_stops_reading_is_closed_with_4008_and_replays_what_it_missed(
    serve, server_db
):
    server = serve(LIVE_SEND_QUEUE="16")
    ana = server_db.run("user", "Ana Lima")
    topic = f"user.{ana['id']}"
    with RawSocket(server, ana) as stalled, ThreadPoolExecutor() as pool:
        stalled.subscribe(topic)
        # Not reading while 9 MB of events come: the kernel's buffers fill (4 MB at most
        # on Linux), then Twisted's (64 KB) and it pauses the socket, then the socket's queue.
        publishing = pool.submit(
            server_db.run, "publish", topic, "slow " * 12_000, "--count", "150"
        )
        wait_for_log(server, "Closing a live socket that fell 16 frames behind", timeout=60)
        # Reading again at once: 1 s after its close frame, autobahn resets the connection,
        # and what the client had not read yet is lost with it (the tab then sees 1006).
        received, code = stalled.events_until_closed()
        published = publishing.result()["ids"]
    assert code == 4008
    seen = [event["id"] for event in received]
    assert seen == published[: len(seen)], "frames before the close arrived out of order"
    assert len(seen) < len(published), "the socket was closed without falling behind"

    # Back on the same server: a replay far longer than the queue (~100 events) is
    # written in one go without counting against it.
    with RawSocket(server, ana) as again:
        again.subscribe(topic, seen[-1])
        missed, replayed = set(published) - set(seen), set()
        while not replayed >= missed:
            raw = again.frame()
            assert raw[0] & 0x0F != CLOSE, f"the replaying socket was closed: {payload(raw)!r}"
            replayed.add(message(raw)["id"])
    assert replayed <= set(published)  # and maybe some seen already (the replay overlap)
