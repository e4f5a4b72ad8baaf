"""Getting frames onto the wire fast, and knowing when a browser stops reading.

ASGI gives a socket one ``send`` coroutine and no back-pressure signal. Under
daphne that ``send`` is ``partial(server.handle_reply, protocol)``, where the
protocol is autobahn's WebSocket protocol on a Twisted transport. The bus uses
that protocol directly, for two things ASGI cannot do:

- **Fan-out at wire speed.** An event's frame is framed once (``text_frame``)
  and written to each socket's transport as is. Going through ``send`` costs,
  per socket, a coroutine, daphne's checks and autobahn's per-message work
  (re-encoding, statistics, debug-log formatting): most of the time spent
  per delivery. The direct write is used only while the connection is open,
  uncompressed (daphne does not negotiate permessage-deflate) and autobahn
  has nothing queued; otherwise the frame goes through ``send``.
  When nothing is buffered for the connection, the frame is handed to the
  socket at once (``writeSomeData``); ``transport.write`` would instead queue
  it and register the descriptor with the event loop for one write-readiness
  callback per socket and event -- measured as a quarter of the CPU time.
- **Back-pressure.** The socket registers as a Twisted push producer; Twisted
  calls ``pauseProducing`` when more than its buffer (64 KB) waits for the
  client and ``resumeProducing`` once drained. A paused socket queues frames
  and is closed when its queue is full; the browser replays on reconnect.

These are private parts of daphne, autobahn and Twisted (pinned in
pyproject.toml; tests/live/test_wire_daphne.py runs them for real). ``attach``
checks for every one it needs and falls back to ``send`` when any is missing,
with a warning; ``LIVE_DIRECT_WIRE = False`` (env ``LIVE_DIRECT_WIRE=0``) turns
the direct path off altogether. At DEBUG level it logs each socket it attaches
to and, when that socket's connection ends, how many frames went directly.

Under other servers ``send`` (which then waits for slow clients itself) and
the bounded queue do the same job, more slowly.
"""

import functools
import logging
import struct

logger = logging.getLogger(__name__)

# What ``attach`` and ``DirectWire`` use of daphne's (autobahn's) protocol object.
PROTOCOL_NEEDS = (
    "registerProducer",
    "transport",
    "state",
    "send_queue",
    "STATE_OPEN",
    "_perMessageCompress",
)


def text_frame(text: str) -> bytes:
    """One unfragmented, unmasked WebSocket text frame (RFC 6455 §5.2), server to client."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


class _Producer:
    """A Twisted ``IPushProducer`` driving one socket's writes.

    It takes the place of the producer daphne's HTTP channel registered
    before the WebSocket upgrade, and passes the calls on to it.
    """

    def __init__(self, socket, previous=None, direct=None):
        self.socket = socket
        self.previous = previous
        self.direct = direct

    def pauseProducing(self):  # Twisted names
        self.socket.pause_writing()
        if self.previous is not None:
            self.previous.pauseProducing()

    def resumeProducing(self):
        self.socket.resume_writing()
        if self.previous is not None:
            self.previous.resumeProducing()

    def stopProducing(self):  # the connection is gone
        if self.direct is not None:
            logger.debug("Live socket closed; %d frames went directly", self.direct.written)
        self.socket.pause_writing()
        if self.previous is not None:
            self.previous.stopProducing()


def _plain_tcp(transport) -> bool:
    """A Twisted TCP connection without TLS, whose buffers the bus can see."""
    return (
        type(transport).__module__ == "twisted.internet.tcp"
        and getattr(transport, "TLS", True) is False
        and all(
            hasattr(transport, name)
            for name in ("writeSomeData", "dataBuffer", "offset", "_tempDataLen", "connected")
        )
    )


class DirectWire:
    """Writes pre-framed frames straight to daphne's connection for one socket."""

    def __init__(self, protocol):
        self.protocol = protocol
        self.transport = protocol.transport
        self.immediate = _plain_tcp(self.transport)
        self.written = 0  # frames written here rather than through ``send`` (logged at the end)

    def write(self, frame: bytes) -> bool:
        """Write, or return False when only autobahn itself may send now."""
        protocol, transport = self.protocol, self.transport
        if (
            protocol.state != protocol.STATE_OPEN
            or protocol._perMessageCompress is not None
            or protocol.send_queue
        ):
            return False
        self.written += 1
        if (
            self.immediate
            and transport.connected
            and not transport.disconnecting
            and not transport._tempDataLen
            and len(transport.dataBuffer) == transport.offset
        ):
            sent = transport.writeSomeData(frame)
            if not isinstance(sent, int):  # connection lost: Twisted notices on its own
                return True
            if sent == len(frame):
                return True
            frame = frame[sent:]
        transport.write(frame)  # buffered by Twisted, which pauses us when it is full
        return True


def _daphne_connection(send):
    """The daphne (autobahn) protocol object behind an ASGI ``send``, or None."""
    if not isinstance(send, functools.partial) or not send.args:
        return None
    return send.args[0]


def close_when_too_large(send) -> bool:
    """A message over the server's size limit (daphne's 1 MB) closes the connection with
    code 1009 and a close frame, instead of dropping the TCP connection without a word
    (autobahn's ``failByDrop``, on under daphne): the tab learns why, and says so.
    False when ``send`` is not daphne's."""
    protocol = _daphne_connection(send)
    if not hasattr(protocol, "failByDrop"):
        return False
    protocol.failByDrop = False
    return True


def attach(send, socket) -> DirectWire | None:
    """Hook ``socket`` to the daphne connection behind ``send``, if that is what it is."""
    protocol = _daphne_connection(send)
    if protocol is None:
        return None
    if missing := tuple(name for name in PROTOCOL_NEEDS if not hasattr(protocol, name)):
        _warn_unsupported(type(protocol), missing)
        return None
    transport = protocol.transport
    previous = getattr(transport, "producer", None)
    direct = DirectWire(protocol)
    try:
        if previous is not None:
            transport.unregisterProducer()
        protocol.registerProducer(_Producer(socket, previous, direct), True)
    except RuntimeError:
        return None
    logger.debug(
        "Live socket attached to %s: direct writes%s",
        type(protocol).__name__,
        ", straight to the socket" if direct.immediate else ", through Twisted's buffer",
    )
    return direct


@functools.cache
def _warn_unsupported(protocol_class: type, missing: tuple[str, ...]) -> None:
    """Once per process: the server is daphne, but its internals are not the ones known."""
    logger.warning(
        "%s.%s has no %s: live frames go through ASGI send, slower and without "
        "back-pressure. Twisted/autobahn changed; see tests/live/test_wire_daphne.py.",
        protocol_class.__module__,
        protocol_class.__qualname__,
        ", ".join(missing),
    )
