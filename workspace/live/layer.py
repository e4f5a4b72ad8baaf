"""The only module that talks to the Channels channel layer.

Each server process has one hub (hub.py) with one channel on the layer; the
hub joins the group ``live.<topic>`` while any of its sockets follows that
topic. Publishing is one ``group_send`` per event, so Redis carries each event
once per process, whatever the number of sockets.

Redis is kept off the request path: a committing thread never waits for the
layer. It puts the event in this process's bounded send queue and returns; one
task on the sending loop sends the queue in order. Every layer call has a short
time limit (``LAYER_TIMEOUT``). When a send fails (Redis down or hanging) the
events still queued are dropped rather than retried, and so are new ones while
the queue is full: each of them is in the event log, and every hub's sweep
delivers from there what the layer did not bring. An outage is logged once when
it starts and once when it ends (``outage``), not per event.
"""

import asyncio
import atexit
import logging
import threading
from collections import deque

from channels.layers import get_channel_layer

from workspace.outages import Outage

logger = logging.getLogger(__name__)

LAYER_TIMEOUT = 2.0  # seconds one layer call may take before it counts as failed
SEND_QUEUE_LIMIT = 1_000  # events waiting for the layer; more are left to the sweep
EXIT_FLUSH_SECONDS = 2.0  # a process without sockets gives its queued sends this long at exit

_serving_loop: asyncio.AbstractEventLoop | None = None
_background_loop: asyncio.AbstractEventLoop | None = None
_background_lock = threading.Lock()
_sender: "_Sender | None" = None


def get_layer():
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("The live bus needs CHANNEL_LAYERS['default'] in settings.")
    return layer


# The group every hub joins for messages to all processes (access.py's re-checks);
# not a valid topic name, so no socket can subscribe to it.
CONTROL_TOPIC = "control"


def group_for(topic: str) -> str:
    return f"live.{topic}"


class LayerOutage(Outage):
    """An outage of the channel layer, counting the events left to the sweep meanwhile."""

    def __init__(self):
        super().__init__(
            logger,
            "Channel layer",
            "live events reach sockets from the event log (the hubs' sweep) until it is back",
        )
        self.dropped = 0

    def failed(self, reason: str, dropped: int = 0) -> None:
        self.dropped += dropped
        super().failed(reason)

    def ended(self) -> None:
        if self.ongoing:
            super().ended(f"; {self.dropped} events were left to the sweep")
            self.dropped = 0


outage = LayerOutage()


async def _bounded(what: str, call):
    """Await a layer call for at most ``LAYER_TIMEOUT``, noting outages and recoveries."""
    try:
        result = await asyncio.wait_for(call, LAYER_TIMEOUT)
    except Exception as error:
        outage.failed(f"{what} failed: {error!r}")
        raise
    outage.ended()
    return result


async def group_send(topic: str, message: dict) -> None:
    await _bounded("group_send", get_layer().group_send(group_for(topic), message))


def set_serving_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    """The hub tells the publisher which event loop serves this process's sockets."""
    global _serving_loop
    _serving_loop = loop


def _loop_for_sending() -> asyncio.AbstractEventLoop:
    """The loop to send on: the one serving sockets here, else a private background loop.

    Using the serving loop keeps the in-memory layer thread-safe (its queues
    belong to that loop) and reuses its Redis connection. Processes without
    sockets (the task worker, management commands) get one long-lived loop in
    a daemon thread, so they do not open a Redis connection per event.
    """
    global _background_loop
    loop = _serving_loop
    if loop is not None and loop.is_running():
        return loop
    with _background_lock:
        if _background_loop is None or _background_loop.is_closed():
            _background_loop = asyncio.new_event_loop()
            threading.Thread(
                target=_background_loop.run_forever, name="live-publisher", daemon=True
            ).start()
        return _background_loop


class _Sender:
    """The process's queue of events for the layer, sent in order by one task on ``loop``."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.queue: deque[tuple[str, dict]] = deque()
        self.lock = threading.Lock()
        self.sending = False
        self.idle = threading.Event()
        self.idle.set()
        self.task: asyncio.Task | None = None

    def offer(self, topic: str, message: dict) -> bool:
        """Queue one send and return at once; False when the queue is full."""
        with self.lock:
            if len(self.queue) >= SEND_QUEUE_LIMIT:
                return False
            self.queue.append((topic, message))
            if self.sending:
                return True
            self.sending = True
            self.idle.clear()
        try:
            self.loop.call_soon_threadsafe(self._start)
        except RuntimeError:  # the loop closed meanwhile (a test's hub stopped)
            self._drop_queued()
            self._next()  # nothing left: marks the sender idle
            return False
        return True

    def _start(self) -> None:
        self.task = self.loop.create_task(self._send_queued(), name="live-publisher")

    def _next(self) -> tuple[str, dict] | None:
        with self.lock:
            if self.queue:
                return self.queue.popleft()
            self.sending = False
            self.idle.set()
            return None

    def _drop_queued(self) -> int:
        with self.lock:
            dropped = len(self.queue)
            self.queue.clear()
            return dropped

    async def _send_queued(self) -> None:
        while (item := self._next()) is not None:
            try:
                await group_send(*item)
            except Exception:
                # The layer is failing: what is queued would most likely fail too,
                # each after a timeout. It is all in the log, for the sweep.
                outage.failed("group_send failed", dropped=1 + self._drop_queued())


def _sender_for(loop: asyncio.AbstractEventLoop) -> _Sender:
    global _sender
    with _background_lock:
        if _sender is None or _sender.loop is not loop:
            _sender = _Sender(loop)
        return _sender


def send_from_sync(topic: str, message: dict) -> None:
    """``group_send`` from synchronous code (an on-commit callback), without waiting.

    The event is queued for the sending loop and this returns in microseconds,
    whatever state Redis is in. Over ``SEND_QUEUE_LIMIT`` queued events (the
    layer is failing) the event is not queued: the hubs' sweep delivers it from
    the log.
    """
    try:
        loop = _loop_for_sending()
    except RuntimeError:  # the process is stopping (no new thread can start): no loop left
        logger.info("Process stopping: the hubs' sweep delivers the event of %s", topic)
        return
    if not _sender_for(loop).offer(topic, message):
        outage.failed("send queue full", dropped=1)


@atexit.register
def _flush_at_exit() -> None:
    """A process without sockets (a management command) sends what it queued before exiting."""
    sender = _sender
    if sender is not None and sender.loop is _background_loop:
        sender.idle.wait(EXIT_FLUSH_SECONDS)


class HubChannel:
    """The hub's own channel on the layer and its group memberships."""

    def __init__(self):
        self.layer = get_layer()
        self.name: str | None = None

    async def open(self) -> None:
        self.name = await self.layer.new_channel("live-hub.")

    async def receive(self) -> dict:
        return await self.layer.receive(self.name)

    async def join(self, topic: str) -> None:
        await _bounded("group_add", self.layer.group_add(group_for(topic), self.name))

    async def leave(self, topic: str) -> None:
        await _bounded("group_discard", self.layer.group_discard(group_for(topic), self.name))
