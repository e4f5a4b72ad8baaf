"""Apps' own frames over the one socket: register_action, replies, errors and signals."""

import pytest
from channels.db import database_sync_to_async

from tests.live_helpers import Socket
from workspace import live
from workspace.live.actions import ActionSocket
from workspace.live.models import Event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.backend]


async def echo(socket, frame):
    socket.reply(type="probe.echoed", n=frame.get("n"), user=socket.user.pk)


async def wave(socket, frame):
    topic = frame.get("topic")
    if not isinstance(topic, str) or not socket.follows(topic):
        return socket.send_error("not_subscribed", "Follow it first.", client_id="w-1")
    await socket.signal(topic, "probe.wave", hand=frame.get("hand", "left"))


async def crash(socket, frame):
    raise RuntimeError("a bug in an app's handler")


async def forge(socket, frame):
    await socket.signal(frame["topic"], "probe.forged", user={"id": 1, "name": "Someone else"})


for name, handler in {
    "probe.echo": echo,
    "probe.wave": wave,
    "probe.crash": crash,
    "probe.forge": forge,
}.items():
    live.register_action(name, handler)


def test_register_action_checks_names_and_refuses_a_second_handler():
    for bad in ("echo", "subscribe", "Probe.echo", "probe.", ".echo", "probe echo", 5):
        with pytest.raises(ValueError, match="action name"):
            live.register_action(bad, echo)
    live.register_action("probe.echo", echo)  # the same handler again: harmless
    with pytest.raises(ValueError, match="already has a handler"):
        live.register_action("probe.echo", wave)


async def test_a_handler_replies_to_its_socket_only(ana, ben):
    mine, other = await Socket.open(ana), await Socket.open(ben)
    await other.subscribe({"probe.open": None})
    await mine.send(action="probe.echo", n=7)
    assert await mine.receive() == {"type": "probe.echoed", "n": 7, "user": ana.pk}
    assert await other.silent()
    await mine.close()
    await other.close()


async def test_a_signal_reaches_the_topics_other_sockets_and_is_never_logged(ana, ben):
    sender, second_tab, ben_tab = [await Socket.open(user) for user in (ana, ana, ben)]
    for tab in (sender, second_tab, ben_tab):
        await tab.subscribe({"probe.open": None})
    elsewhere = await Socket.open(ben)
    await elsewhere.subscribe({f"probe.u{ben.pk}": None})
    logged = await database_sync_to_async(Event.objects.count)()

    await sender.send(action="probe.wave", topic="probe.open", hand="right")
    expected = {
        "type": "live.signal",
        "topic": "probe.open",
        "kind": "probe.wave",
        "user": {"id": ana.pk, "name": "Ana Lima"},
        "hand": "right",
    }
    # Every other socket of the topic, the sender's other tab too; never back to the sender.
    assert await ben_tab.receive() == expected
    assert await second_tab.receive() == expected
    assert await sender.silent()
    assert await elsewhere.silent(0.1)
    assert await database_sync_to_async(Event.objects.count)() == logged

    # Never replayed: a tab subscribing from the start of the log gets no signal.
    late = await Socket.open(ben)
    assert await late.subscribe({"probe.open": 0}) == [
        {"type": "live.subscribed", "topic": "probe.open"}
    ]
    assert await late.silent(0.1)
    for tab in (sender, second_tab, ben_tab, elsewhere, late):
        await tab.close()


async def test_a_socket_signals_only_topics_it_follows(ana, ben):
    sender, ben_tab = await Socket.open(ana), await Socket.open(ben)
    await ben_tab.subscribe({"probe.open": None})
    await sender.send(action="probe.wave", topic="probe.open")
    assert await sender.receive() == {
        "type": "live.error",
        "code": "not_subscribed",
        "message": "Follow it first.",
        "client_id": "w-1",
    }
    assert await ben_tab.silent()
    await sender.close()
    await ben_tab.close()


async def test_a_failing_handler_costs_an_error_frame_not_the_socket(ana, ben):
    socket, ben_tab = await Socket.open(ana), await Socket.open(ben)
    await socket.subscribe({"probe.open": None})
    await ben_tab.subscribe({"probe.open": None})
    await socket.send(action="probe.crash", client_id="c-9")
    assert await socket.receive() == {
        "type": "live.error",
        "code": "server_error",
        "message": "That did not work; try again.",
        "action": "probe.crash",
        "client_id": "c-9",
    }
    # A signal cannot pretend to come from someone else: refused, nothing sent.
    await socket.send(action="probe.forge", topic="probe.open")
    assert (await socket.receive())["code"] == "server_error"
    assert await ben_tab.silent()
    await socket.send(action="ping")
    assert await socket.receive() == {"type": "live.pong"}
    await socket.close()
    await ben_tab.close()


async def test_unknown_actions_name_the_registered_ones(ana):
    socket = await Socket.open(ana)
    await socket.send(action="probe.nothing")
    frame = await socket.receive()
    assert frame["code"] == "unknown_action"
    assert "probe.echo" in frame["message"]
    assert "subscribe" in frame["message"]
    await socket.close()


class FakeSocket:
    """The consumer's side of ActionSocket, without a connection (no DB, no layer)."""

    def __init__(self, topics=()):
        self.user = None
        self.topics = dict.fromkeys(topics)
        self.frames, self.signals = [], []

    def send_frame(self, fields):
        self.frames.append(fields)

    def send_error(self, code, message, topic=None, **extra):
        self.frames.append({"code": code, "message": message, "topic": topic, **extra})

    async def signal(self, topic, kind, data):
        self.signals.append((topic, kind, data))


async def test_action_socket_checks_what_handlers_send():
    raw = FakeSocket(topics=["probe.open"])
    socket = ActionSocket(raw)
    with pytest.raises(ValueError, match="own type"):
        socket.reply(n=1)
    with pytest.raises(ValueError, match="own type"):
        socket.reply(type="live.event")
    with pytest.raises(ValueError, match="does not follow"):
        await socket.signal("probe.other", "probe.wave")
    with pytest.raises(ValueError, match="kind"):
        await socket.signal("probe.open", "Bad Kind")
    for field in ("type", "topic", "kind", "user"):
        with pytest.raises(ValueError, match="cannot set"):
            await socket.signal("probe.open", "probe.wave", **{field: "x"})
    assert raw.signals == []
    socket.reply(type="probe.done", n=1)
    socket.send_error("invalid", "No.", client_id="c-1", retry_after=3)
    await socket.signal("probe.open", "probe.wave", hand="left")
    assert raw.frames == [
        {"type": "probe.done", "n": 1},
        {"code": "invalid", "message": "No.", "topic": None, "client_id": "c-1", "retry_after": 3},
    ]
    assert raw.signals == [("probe.open", "probe.wave", {"hand": "left"})]


def test_throttle_lets_one_through_per_interval_and_key(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("workspace.live.actions.monotonic", lambda: clock[0])
    socket = ActionSocket(FakeSocket())
    assert socket.throttle("a", 2)
    assert not socket.throttle("a", 2)
    assert socket.throttle("b", 2), "keys are throttled apart"
    clock[0] += 1.9
    assert not socket.throttle("a", 2)
    clock[0] += 0.2
    assert socket.throttle("a", 2)
    for key in range(1_000):
        socket.throttle(key, 2)
    assert len(socket._throttled) <= 256, "a socket remembers a bounded number of keys"
