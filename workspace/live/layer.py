"""The only module that talks to the Channels channel layer.

Each server process has one hub (hub.py) with one channel on the layer; the
hub joins the group ``live.<topic>`` while any of its sockets follows that
topic. Publishing is one ``group_send`` per event, so Redis carries each event
once per process, whatever the number of sockets.
"""

import asyncio
import logging
import threading

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

SEND_TIMEOUT = 10.0  # seconds a committing thread waits for the layer to take an event

_serving_loop: asyncio.AbstractEventLoop | None = None
_background_loop: asyncio.AbstractEventLoop | None = None
_background_lock = threading.Lock()


def get_layer():
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("The live bus needs CHANNEL_LAYERS['default'] in settings.")
    return layer


def group_for(topic: str) -> str:
    return f"live.{topic}"


async def group_send(topic: str, message: dict) -> None:
    await get_layer().group_send(group_for(topic), message)


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


def send_from_sync(topic: str, message: dict) -> None:
    """``group_send`` from synchronous code (an on-commit callback); waits until sent."""
    loop = _loop_for_sending()
    try:
        current = asyncio.get_running_loop()
    except RuntimeError:
        current = None
    if current is loop:  # called on the loop itself: cannot block it, so schedule
        task = loop.create_task(group_send(topic, message))
        task.add_done_callback(_log_failure)
        return
    asyncio.run_coroutine_threadsafe(group_send(topic, message), loop).result(SEND_TIMEOUT)


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("Live event not sent to the channel layer", exc_info=task.exception())


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
        await self.layer.group_add(group_for(topic), self.name)

    async def leave(self, topic: str) -> None:
        await self.layer.group_discard(group_for(topic), self.name)
