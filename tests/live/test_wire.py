"""The daphne fast path: frames built once, written straight to the connection."""

from types import SimpleNamespace

from workspace.live import wire


def test_text_frames_follow_rfc_6455():
    assert wire.text_frame("hi") == b"\x81\x02hi"
    assert wire.text_frame("é") == b"\x81\x02\xc3\xa9"  # length in bytes, not characters
    medium = wire.text_frame("x" * 200)
    assert medium[:4] == b"\x81\x7e\x00\xc8" and len(medium) == 204
    large = wire.text_frame("x" * 70_000)
    assert large[:2] == b"\x81\x7f" and int.from_bytes(large[2:10]) == 70_000


class Transport:
    """Just enough of a Twisted TCP transport."""

    __module__ = "twisted.internet.tcp"
    TLS = False

    def __init__(self, accepts: int | None = None):
        self.connected, self.disconnecting = True, False
        self.dataBuffer, self.offset, self._tempDataLen = b"", 0, 0
        self.accepts = accepts
        self.sent, self.buffered = [], []
        self.producer = None

    def writeSomeData(self, data):
        taken = data if self.accepts is None else data[: self.accepts]
        self.sent.append(bytes(taken))
        return len(taken)

    def write(self, data):
        self.buffered.append(data)
        self._tempDataLen += len(data)

    def registerProducer(self, producer, streaming):
        if self.producer is not None:
            raise RuntimeError("already")
        self.producer = producer

    def unregisterProducer(self):
        self.producer = None


def protocol(transport):
    return SimpleNamespace(
        STATE_OPEN=3,
        state=3,
        _perMessageCompress=None,
        send_queue=[],
        transport=transport,
        registerProducer=transport.registerProducer,
    )


def daphne_send(proto):
    import functools

    async def handle_reply(protocol, message):
        pass

    return functools.partial(handle_reply, proto)


def test_frames_go_straight_to_the_socket_when_nothing_is_buffered():
    transport = Transport()
    direct = wire.DirectWire(protocol(transport))
    assert direct.write(b"one")
    assert transport.sent == [b"one"] and transport.buffered == []
    # Something is buffered: keep order, let Twisted write it after.
    transport._tempDataLen = 5
    assert direct.write(b"two")
    assert transport.buffered == [b"two"]


def test_a_partial_write_leaves_the_rest_to_twisted():
    transport = Transport(accepts=2)
    assert wire.DirectWire(protocol(transport)).write(b"abcdef")
    assert transport.sent == [b"ab"] and transport.buffered == [b"cdef"]


def test_only_autobahn_sends_on_a_closing_compressed_or_busy_connection():
    for change in ({"state": 2}, {"_perMessageCompress": object()}, {"send_queue": [b"x"]}):
        transport = Transport()
        proto = protocol(transport)
        vars(proto).update(change)
        assert not wire.DirectWire(proto).write(b"frame")
        assert transport.sent == transport.buffered == []


def test_no_shortcut_through_tls():
    transport = Transport()
    transport.TLS = True
    assert wire.DirectWire(protocol(transport)).write(b"frame")
    assert transport.sent == [] and transport.buffered == [b"frame"]


def test_attach_takes_over_the_http_channels_producer_and_passes_calls_on():
    transport = Transport()
    calls = []
    http_channel = SimpleNamespace(
        pauseProducing=lambda: calls.append("channel paused"),
        resumeProducing=lambda: calls.append("channel resumed"),
        stopProducing=lambda: calls.append("channel stopped"),
    )
    transport.producer = http_channel
    socket = SimpleNamespace(
        pause_writing=lambda: calls.append("socket paused"),
        resume_writing=lambda: calls.append("socket resumed"),
    )
    assert isinstance(wire.attach(daphne_send(protocol(transport)), socket), wire.DirectWire)
    transport.producer.pauseProducing()
    transport.producer.resumeProducing()
    assert calls == ["socket paused", "channel paused", "socket resumed", "channel resumed"]


def test_attach_ignores_other_servers():
    async def send(message):
        pass

    assert wire.attach(send, object()) is None


def test_attach_warns_once_and_falls_back_when_daphnes_internals_changed(caplog):
    changed = protocol(Transport())
    del changed.send_queue
    with caplog.at_level("WARNING", logger="workspace.live.wire"):
        assert wire.attach(daphne_send(changed), object()) is None
        assert wire.attach(daphne_send(changed), object()) is None
    assert [record.getMessage() for record in caplog.records] == [
        "types.SimpleNamespace has no send_queue: live frames go through ASGI send, slower "
        "and without back-pressure. Twisted/autobahn changed; see tests/live/test_wire_daphne.py."
    ]
