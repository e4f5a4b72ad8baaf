"""One hub per server process: the bridge between the channel layer and sockets.

The obvious Channels design makes every socket's consumer a channel-layer
group member; each event then costs a layer dispatch per socket (measured:
~400 µs each, 2 s to reach the 1,000th socket). Instead the hub is the only
layer member in the process: it joins ``live.<topic>`` once, while any local
socket follows the topic, and hands every event's frame -- a JSON string
serialized once by the publisher -- to its sockets' bounded send queues.

The hub also sweeps the event log every few seconds for events of its topics
that the layer did not bring (a full in-memory channel, a Redis restart, a
publisher in another process with the in-memory layer), and keeps this
process's presence entries fresh. Ephemeral frames (presence, signals) take
the same layer path as events (``broadcast``) but skip the log.
"""

import asyncio
import json
import logging
import time
from collections import OrderedDict, deque

from channels.db import database_sync_to_async

from workspace.live import conf, layer, wire
from workspace.live.presence import make_store

logger = logging.getLogger(__name__)

RECENT_IDS = 10_000  # event ids remembered to drop the second copy of an event
SWEEP_LIMIT = 1_000  # rows read from the log per sweep
GROUP_REFRESH_SECONDS = 600  # re-join groups (the in-memory layer expires them after a day)


def _latest_id() -> int:
    from workspace.live.models import Event

    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _ids_after(floor: int, limit: int) -> list[tuple[int, str]]:
    from workspace.live.models import Event

    return list(
        Event.objects.filter(id__gt=floor).order_by("id").values_list("id", "topic")[:limit]
    )


def _messages_for(ids: list[int]) -> list[dict]:
    from workspace.live.models import Event
    from workspace.live.outbox import event_message

    return [event_message(event) for event in Event.objects.filter(id__in=ids).order_by("id")]


class Hub:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.channel = layer.HubChannel()
        self.subscribers: dict[str, set] = {}  # topic -> sockets in this process
        self.joined: set[str] = set()  # topics whose layer group the hub is in
        self.presence = make_store()
        self.here: dict[str, dict] = {}  # topic -> {socket: presence entry}
        self.shown: dict[str, list] = {}  # topic -> people this hub last announced
        self.recent: OrderedDict[int, None] = OrderedDict()
        self.floor: int | None = None  # the sweep reads events after this id
        self._marks: deque[tuple[float, int]] = deque()
        self._membership = asyncio.Lock()
        self._linger: dict[str, asyncio.TimerHandle] = {}
        self._tasks: list[asyncio.Task] = []
        self.ready = loop.create_task(self._start())

    async def _start(self) -> None:
        await self.channel.open()
        self._tasks = [
            self.loop.create_task(self._receive_forever(), name="live-hub-receive"),
            self.loop.create_task(self._maintain_forever(), name="live-hub-maintain"),
        ]
        layer.set_serving_loop(self.loop)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for handle in self._linger.values():
            handle.cancel()
        for topic in list(self.joined):
            await self.channel.leave(topic)
        self.joined.clear()
        await self.presence.close()
        layer.set_serving_loop(None)

    # --- Events in --------------------------------------------------------------

    async def _receive_forever(self) -> None:
        while True:
            try:
                message = await self.channel.receive()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Live hub could not read from the channel layer; retrying")
                await asyncio.sleep(1)
                continue
            try:
                self.dispatch(message)
            except Exception:
                logger.exception("Live hub could not dispatch %r", message.get("type"))

    def dispatch(self, message: dict) -> None:
        """Hand one layer message to the local sockets of its topic (no awaiting)."""
        topic = message.get("topic")
        sockets = self.subscribers.get(topic)
        if message.get("type") == "live.event":
            event_id = message["id"]
            if event_id in self.recent:
                return
            self.recent[event_id] = None
            if len(self.recent) > RECENT_IDS:
                self.recent.popitem(last=False)
            if sockets:
                text = message["frame"]
                framed = wire.text_frame(text)  # once, for every socket here
                for socket in tuple(sockets):
                    socket.push_event(topic, event_id, text, framed)
        elif message.get("type") == "live.broadcast" and sockets:
            text = message["frame"]
            framed = wire.text_frame(text)
            exclude = message.get("exclude")
            for socket in tuple(sockets):
                if socket.socket_id != exclude:
                    socket.push(text, framed)

    # --- Following topics -------------------------------------------------------

    async def join(self, topic: str, socket) -> None:
        """Add a socket to a topic; returns once the process receives the topic's events."""
        handle = self._linger.pop(topic, None)
        if handle is not None:
            handle.cancel()
        self.subscribers.setdefault(topic, set()).add(socket)
        if self.floor is None and conf.get("LIVE_SWEEP_SECONDS") > 0:
            # The sweep starts from here: anything committed from now on is in its reach.
            latest = await database_sync_to_async(_latest_id)()
            self.floor = latest if self.floor is None else min(self.floor, latest)
        if topic not in self.joined:
            async with self._membership:
                if topic not in self.joined:
                    await self.channel.join(topic)
                    self.joined.add(topic)

    def leave(self, topic: str, socket) -> None:
        sockets = self.subscribers.get(topic)
        if sockets is None:
            return
        sockets.discard(socket)
        if not sockets:
            del self.subscribers[topic]
            self.shown.pop(topic, None)
            linger = conf.get("LIVE_LINGER_SECONDS")
            self._linger[topic] = self.loop.call_later(linger, self._drop_later, topic)

    def _drop_later(self, topic: str) -> None:
        self._linger.pop(topic, None)
        self.loop.create_task(self._drop(topic))

    async def _drop(self, topic: str) -> None:
        async with self._membership:
            if topic in self.joined and topic not in self.subscribers:
                self.joined.discard(topic)
                await self.channel.leave(topic)

    async def forget(self, socket, topics, here) -> None:
        """A socket closed: take it off its topics and out of presence."""
        for topic in topics:
            self.leave(topic, socket)
        for topic in here:
            await self.set_here(socket, topic, False)

    # --- Presence ---------------------------------------------------------------

    async def set_here(self, socket, topic: str, here: bool) -> None:
        entries = self.here.setdefault(topic, {})
        if here:
            if socket in entries:
                return
            entries[socket] = socket.presence_entry
            await self.presence.add(topic, entries[socket], conf.get("LIVE_PRESENCE_TTL"))
        else:
            entry = entries.pop(socket, None)
            if not entries:
                del self.here[topic]
            if entry is None:
                return
            await self.presence.remove(topic, entry)
        await self.announce(topic)

    async def announce(self, topic: str) -> None:
        """Tell every subscriber of the topic, in every process, who is here now."""
        people = await self.presence.members(topic)
        self.shown[topic] = people
        await self.broadcast(topic, {"type": "live.presence", "topic": topic, "people": people})

    async def broadcast(self, topic: str, fields: dict, exclude: str | None = None) -> None:
        """Send a frame to every socket following ``topic``, in every process.

        For what is ephemeral (presence, signals such as typing): it is not
        written to the event log, so it is never replayed nor swept. The frame
        is serialized once here; ``exclude`` is the id of a socket to skip
        (the one whose signal it is).
        """
        frame = json.dumps(fields, separators=(",", ":"))
        message = {"type": "live.broadcast", "topic": topic, "frame": frame, "exclude": exclude}
        await layer.group_send(topic, message)

    async def _refresh_presence(self) -> None:
        pairs = [
            (topic, entry) for topic, entries in self.here.items() for entry in entries.values()
        ]
        if pairs:
            await self.presence.refresh(pairs, conf.get("LIVE_PRESENCE_TTL"))
        # Entries of a process that died expire; tell the viewers who left.
        for topic, shown in list(self.shown.items()):
            if topic in self.subscribers and await self.presence.members(topic) != shown:
                await self.announce(topic)

    # --- Upkeep -----------------------------------------------------------------

    async def _maintain_forever(self) -> None:
        sweep_every = conf.get("LIVE_SWEEP_SECONDS")
        tick = sweep_every if sweep_every > 0 else 5.0
        presence_every = conf.get("LIVE_PRESENCE_TTL") / 3
        next_presence = time.monotonic() + presence_every
        next_groups = time.monotonic() + GROUP_REFRESH_SECONDS
        while True:
            await asyncio.sleep(tick)
            try:
                if sweep_every > 0:
                    await self.sweep()
                now = time.monotonic()
                if now >= next_presence:
                    next_presence = now + presence_every
                    await self._refresh_presence()
                if now >= next_groups:
                    next_groups = now + GROUP_REFRESH_SECONDS
                    for topic in list(self.joined):
                        await self.channel.join(topic)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Live hub upkeep failed; will retry")

    async def sweep(self) -> None:
        """Deliver events of followed topics that are in the log but never came by the layer."""
        if not self.subscribers or self.floor is None:
            # Nobody to deliver to: the next join starts the sweep afresh.
            self.floor = None
            self._marks.clear()
            return
        rows = await database_sync_to_async(_ids_after)(self.floor, SWEEP_LIMIT)
        missing = [
            event_id
            for event_id, topic in rows
            if topic in self.subscribers and event_id not in self.recent
        ]
        if missing:
            for message in await database_sync_to_async(_messages_for)(missing):
                self.dispatch(message)
        # Move the floor only to where the log was `overlap` seconds ago: a
        # transaction that took a lower id may still be committing.
        now = time.monotonic()
        self._marks.append((now, rows[-1][0] if rows else self.floor))
        if len(rows) == SWEEP_LIMIT:
            self.floor = rows[-1][0]
            self._marks.clear()
            return
        cutoff = now - conf.get("LIVE_REPLAY_OVERLAP").total_seconds()
        while len(self._marks) > 1 and self._marks[1][0] <= cutoff:
            self._marks.popleft()
        if self._marks and self._marks[0][0] <= cutoff:
            self.floor = max(self.floor, self._marks[0][1])


_hub: Hub | None = None


async def get_hub() -> Hub:
    """This process's hub (one per event loop), started on first use."""
    global _hub
    loop = asyncio.get_running_loop()
    hub = _hub
    if hub is None or hub.loop is not loop:
        hub = _hub = Hub(loop)
    try:
        await asyncio.shield(hub.ready)
    except Exception:
        if _hub is hub:
            _hub = None
        raise
    return hub


async def stop_hub() -> None:
    """Stop this loop's hub (tests; a server simply exits)."""
    global _hub
    hub, _hub = _hub, None
    if hub is not None and hub.loop is asyncio.get_running_loop():
        await hub.stop()
