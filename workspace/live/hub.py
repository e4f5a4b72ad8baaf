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
the same layer path as events (``broadcast``) but skip the log. Every hub is
in the control group too, whose ``live.recheck`` messages make it re-check
its sockets' access (workspace/live/access.py).
"""

import asyncio
import json
import logging
import time
from collections import OrderedDict

from channels.db import database_sync_to_async

from workspace.live import access, conf, layer, wire
from workspace.live.presence import make_store
from workspace.live.replay import LogPosition, log_position, unseen_ids

logger = logging.getLogger(__name__)

RECENT_IDS = 10_000  # event ids remembered to drop the second copy of an event
SWEEP_LIMIT = 1_000  # rows read from the log per sweep
GROUP_REFRESH_SECONDS = 600  # re-join groups (the in-memory layer expires them after a day)


def _messages_for(ids: list[int]) -> list[dict]:
    from workspace.live.models import Event
    from workspace.live.outbox import event_message

    return [event_message(event) for event in Event.objects.filter(id__in=ids).order_by("id")]


class Hub:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.channel = layer.HubChannel()
        self.subscribers: dict[str, set] = {}  # topic -> sockets in this process
        self.sockets: dict[int, set] = {}  # user id -> their open sockets in this process
        self.joined: set[str] = set()  # topics whose layer group the hub is in
        self.presence = make_store()
        self.here: dict[str, dict] = {}  # topic -> {socket: presence entry}
        self.shown: dict[str, list] = {}  # topic -> people this hub last announced
        self.recent: OrderedDict[int, None] = OrderedDict()
        # The sweep has read every event visible at ``floor``; a burst larger than
        # SWEEP_LIMIT is read in pages: (the floor it moves to, last id read).
        self.floor: LogPosition | None = None
        self._paging: tuple[LogPosition, int] | None = None
        self._membership = asyncio.Lock()
        self._linger: dict[str, asyncio.TimerHandle] = {}
        self._tasks: list[asyncio.Task] = []
        self._rechecks: set[asyncio.Task] = set()
        self.ready = loop.create_task(self._start())

    async def _start(self) -> None:
        await self.channel.open()
        await self._join_control()
        self._tasks = [
            self.loop.create_task(self._receive_forever(), name="live-hub-receive"),
            self.loop.create_task(self._maintain_forever(), name="live-hub-maintain"),
            self.loop.create_task(self._recheck_forever(), name="live-hub-recheck"),
        ]
        layer.set_serving_loop(self.loop)

    async def stop(self) -> None:
        for task in [*self._tasks, *self._rechecks]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._rechecks, return_exceptions=True)
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
        if message.get("type") == "live.recheck":
            return self.recheck(message.get("users"), message.get("topics"))
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
            # (Of two joins racing here the first wins: the other's socket reads
            # the log after this, so whatever committed before the floor is replayed.)
            position = await database_sync_to_async(log_position)()
            self.floor = self.floor or position
        if topic not in self.joined:
            await self._join_group(topic)

    async def _join_group(self, topic: str) -> None:
        """Join the topic's layer group or, while the layer fails, follow it from the log.

        With the sweep on, a topic whose group cannot be joined now (Redis down or
        hanging) is still followed: the sweep delivers its events from the event log,
        and upkeep joins the group once the layer is back (``_join_pending``). While
        an outage is known, the join is not even tried, so subscribes never wait on
        a hanging Redis. With the sweep off nothing else would deliver, so a failure
        is the caller's (the socket answers ``unavailable``).
        """
        sweeping = conf.get("LIVE_SWEEP_SECONDS") > 0
        if sweeping and layer.outage.ongoing:
            return
        try:
            await self._try_join(topic)
        except Exception:
            if not sweeping:
                raise
            logger.info("Following %s from the event log until the layer is back", topic)

    async def _join_pending(self) -> None:
        """Join the groups of followed topics that a layer outage kept the hub out of."""
        for topic in [topic for topic in self.subscribers if topic not in self.joined]:
            try:
                await self._try_join(topic)
            except Exception:  # still failing (logged once by the layer): next tick
                return

    async def _try_join(self, topic: str) -> None:
        """Join the topic's group unless already in it or nobody here follows it now."""
        async with self._membership:
            if topic in self.joined or topic not in self.subscribers:
                return
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

    def attach(self, socket) -> None:
        """A socket opened: its person's access changes reach it (``recheck``)."""
        self.sockets.setdefault(socket.user.pk, set()).add(socket)

    async def forget(self, socket, topics, here) -> None:
        """A socket closed: take it off its topics and out of presence."""
        sockets = self.sockets.get(socket.user.pk, set())
        sockets.discard(socket)
        if not sockets:
            self.sockets.pop(socket.user.pk, None)
        for topic in topics:
            self.leave(topic, socket)
        for topic in here:
            await self.set_here(socket, topic, False)

    # --- Access re-checks (workspace/live/access.py) -------------------------------

    async def _join_control(self) -> None:
        """Join the group of messages to every process; the periodic re-check covers a miss."""
        try:
            await self.channel.join(layer.CONTROL_TOPIC)
            self.joined.add(layer.CONTROL_TOPIC)  # re-joined with the topics' groups
        except Exception:
            logger.exception("Live hub could not join the control group")

    def recheck(self, user_ids: list[int] | None, topics: list[str] | None) -> None:
        """Re-check these people's sockets (None: all) on these topics (None: all they follow).

        Live events of the topics concerned are held back from now on, so an
        event published after the access change never reaches someone who
        lost access; the policies are asked in a task.
        """
        if user_ids is None:
            people = list(self.sockets.items())
        else:
            people = [(pk, self.sockets[pk]) for pk in user_ids if pk in self.sockets]
        wanted = None if topics is None else set(topics)
        for user_id, sockets in people:
            held = [(socket, socket.hold(wanted)) for socket in tuple(sockets)]
            if wanted is not None and not any(states for _, states in held):
                continue  # none of their sockets follows these topics
            task = self.loop.create_task(self._recheck_person(user_id, held))
            self._rechecks.add(task)
            task.add_done_callback(self._rechecks.discard)

    async def _recheck_person(self, user_id: int, held: list) -> None:
        """Ask the policies once for this person, then let each socket drop or release."""
        topics = {topic for _, states in held for topic in states}
        try:
            allowed = await database_sync_to_async(access.allowed_topics)(user_id, topics)
        except Exception:
            logger.exception("Live access re-check failed for user %s", user_id)
            allowed = access.UNKNOWN
        for socket, states in held:
            await socket.apply_recheck(states, allowed)

    async def _recheck_forever(self) -> None:
        """The safety net: every socket re-checked now and then, one person at a time."""
        every = conf.get("LIVE_RECHECK_SECONDS")
        if every <= 0:
            return
        while True:
            await asyncio.sleep(every)
            for user_id in list(self.sockets):
                sockets = tuple(self.sockets.get(user_id, ()))
                if not sockets:
                    continue
                await self._recheck_person(user_id, [(s, s.hold(None)) for s in sockets])

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
                    await self._join_pending()
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
        """Deliver events of followed topics that are in the log but never came by the layer.

        Each sweep reads what was not visible at the floor (replay.LogPosition):
        an event whose transaction commits minutes after later-numbered ones is
        read when it commits, and nothing is read twice. A burst larger than
        SWEEP_LIMIT is read a page per sweep before the floor moves.
        """
        if not self.subscribers or self.floor is None:
            # Nobody to deliver to: the next join starts the sweep afresh.
            self.floor = self._paging = None
            return
        if self._paging is None:
            # Taken before reading: every event visible there is read below.
            self._paging = (await database_sync_to_async(log_position)(), 0)
        target, after = self._paging
        rows = await database_sync_to_async(unseen_ids)(self.floor, after, SWEEP_LIMIT)
        missing = [
            event_id
            for event_id, topic in rows
            if topic in self.subscribers and event_id not in self.recent
        ]
        if missing:
            for message in await database_sync_to_async(_messages_for)(missing):
                self.dispatch(message)
        if len(rows) == SWEEP_LIMIT:
            self._paging = (target, rows[-1][0])
        else:
            self.floor, self._paging = target, None


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
