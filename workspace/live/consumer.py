"""The one socket per browser tab, at ``/ws/``.

Frames from the browser are JSON objects with an ``action``:

    {"action": "subscribe", "topics": {"user.5": 1234, "client.42": null}}
    {"action": "unsubscribe", "topics": ["client.42"]}
    {"action": "here", "topic": "client.42"}      (presence: I am looking at it)
    {"action": "away", "topic": "client.42"}
    {"action": "ping"}

``subscribe`` maps each topic to the last event id the tab saw (or null).
Each topic is answered on its own: ``live.subscribed`` then the missed events
in id order (or ``live.resync``), or ``live.error`` with code ``forbidden``.

Apps add actions of their own, named ``<app>.<verb>``, with
``live.register_action`` in their ``consumers.py`` (workspace/live/actions.py).
Chat's (chat/consumers.py):

    {"action": "chat.send", "room": 12, "body": "...", "client_id": "c-1", "parent": null}
        -> {"type": "chat.sent", "client_id", "room", "message", "seq", "created"}
           to the sender; the message itself comes to every follower of
           ``room.12`` (the sender too) as a ``live.event``
    {"action": "chat.typing", "room": 12}
        -> ``live.signal`` {kind: "chat.typing"} to the room's other sockets
    {"action": "chat.read", "room": 12, "seq": 57}   (no answer unless an error)

Frames from the server: ``live.event`` {topic, id, kind, html, payload},
``live.presence`` {topic, people}, ``live.signal`` {topic, kind, user: {id,
name}, ...} (ephemeral: never logged nor replayed; not sent back to the
socket it came from), ``live.resync`` {topic, id},
``live.subscribed``/``live.unsubscribed`` {topic}, ``live.revoked`` {topic}
(the person lost access to a topic the socket followed -- taken out of a
room, a meeting made private, a role changed: the socket no longer follows
it and the tab shows that the content is gone; workspace/live/access.py),
``live.error`` {code, message, topic?, ...} (apps add fields such as
``client_id``, ``retry_after``), ``live.pong``, and apps' own replies
(``chat.sent``). Close codes: 4401 signed out, 4403 account deactivated
(also while the socket is open), 4008 too slow (reconnect and replay), 4011
unavailable (reconnect).
Error codes of the bus: bad_json, bad_frame, too_large, unknown_action,
bad_topic, bad_last_id, too_many_topics, forbidden, not_subscribed,
unavailable, server_error (an app's handler failed; ``action`` says which).

Nothing a browser sends is ever passed to the channel layer: the socket is
not a layer member at all (the process's hub is), so a forged ``type`` has
nothing to reach. Bad frames get an error frame and the socket stays open.
"""

import asyncio
import json
import logging
import uuid
from collections import deque

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer

from workspace.live import access, conf, wire
from workspace.live.actions import ActionSocket, action_names, handler_for
from workspace.live.hub import get_hub
from workspace.live.policies import is_valid_topic
from workspace.live.presence import member_entry
from workspace.live.replay import catch_up_batched

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401  # the browser should not retry: its session is gone
CLOSE_DEACTIVATED = 4403
CLOSE_TOO_SLOW = 4008  # fell too far behind; reconnect and replay
CLOSE_UNAVAILABLE = 4011  # (1011 cannot be sent: autobahn allows 1000 and 3000-4999)
RECENT_PER_TOPIC = 128


def frame(**fields) -> str:
    return json.dumps(fields, separators=(",", ":"))


class TopicState:
    """One followed topic on one socket."""

    __slots__ = ("holds", "pending", "recent")

    def __init__(self):
        # Live events held back while the log replays or access is re-checked.
        self.pending: list | None = []
        self.holds = 1  # the replay; each running access re-check adds one
        self.recent: dict[int, None] = {}  # ids already sent (replay and live overlap)

    def hold(self) -> None:
        self.holds += 1
        if self.pending is None:
            self.pending = []

    def release(self) -> list:
        """End one hold: the events held back, once no hold is left (else nothing yet)."""
        self.holds -= 1
        if self.holds > 0:
            return []
        held, self.pending = self.pending, None
        return held

    def first_sighting(self, event_id: int) -> bool:
        if event_id in self.recent:
            return False
        self.recent[event_id] = None
        if len(self.recent) > RECENT_PER_TOPIC:
            del self.recent[next(iter(self.recent))]
        return True


class LiveConsumer(AsyncWebsocketConsumer):
    # The socket is not a channel-layer member: the hub receives for the process.
    channel_layer_alias = None

    async def dispatch(self, message):
        """Channels' dispatch, less its thread hop per message (``aclose_old_connections``).

        A hop for every frame, the connect and the disconnect was most of a
        socket's cost when all tabs reconnect at once; the bus reaches the
        database only through ``database_sync_to_async`` (workspace/live/batch.py,
        and apps' handlers), which drops stale connections itself.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.topics: dict[str, TopicState] = {}
        self.here: set[str] = set()
        self.hub = None
        self._queue: deque[str] = deque()
        self._writing = self._paused = self._closed = False
        self._writer = None
        self._wire = None  # daphne's connection, when the bus may write to it directly
        self._loop = asyncio.get_running_loop()
        self._rechecks = 0  # access re-checks that reached this socket
        self._settled = asyncio.Event()  # no re-check holds back any of its topics
        self._settled.set()
        self._unsettled = 0
        # Frames go straight to the server, past the session middleware's wrapper
        # (workspace.live.routing.RawSend put the server's send in the scope).
        self._send = self.scope.get("live.send") or self.base_send
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.socket_id = uuid.uuid4().hex
        self.presence_entry = member_entry(user, self.socket_id)
        self.handle = ActionSocket(self)  # what apps' frame handlers see
        try:
            self.hub = await get_hub()
        except Exception:
            logger.exception("Live hub unavailable")
            await self.accept()
            await self.close(code=CLOSE_UNAVAILABLE)
            return
        self.hub.attach(self)
        await self.accept()
        wire.close_when_too_large(self._send)
        self._wire = wire.attach(self._send, self) if conf.get("LIVE_DIRECT_WIRE") else None

    async def disconnect(self, code):
        self._closed = True
        if self.hub is not None:
            try:
                await self.hub.forget(self, list(self.topics), list(self.here))
            except Exception:
                logger.exception("Live socket clean-up failed")
        self.topics.clear()
        self.here.clear()

    # --- Frames from the browser ----------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if self._closed or self.hub is None:
            return
        limit = conf.get("LIVE_MAX_FRAME_BYTES")
        if text_data is None:
            return self.send_error("bad_frame", "Frames are JSON text, not binary.")
        if len(text_data) > limit or len(text_data.encode()) > limit:
            return self.send_error("too_large", f"Frames are limited to {limit} bytes.")
        try:
            message = json.loads(text_data)
        except ValueError:
            return self.send_error("bad_json", "That frame is not valid JSON.")
        action = message.get("action") if isinstance(message, dict) else None
        if not isinstance(action, str):
            action = None
        if action in self.actions:
            return await self.actions[action](self, message)
        handler = handler_for(action) if action else None
        if handler is None:
            names = ", ".join(sorted(self.actions) + action_names())
            return self.send_error("unknown_action", f"Unknown action; use one of {names}.")
        await self._run_app_action(handler, action, message)

    async def _run_app_action(self, handler, action: str, message: dict) -> None:
        """Run an app's handler; a bug in it costs an error frame, never the socket."""
        try:
            await handler(self.handle, message)
        except Exception:
            logger.exception("Live action %s failed", action)
            extra = {"action": action}
            if isinstance(message.get("client_id"), str):
                extra["client_id"] = message["client_id"][:100]
            self.send_error("server_error", "That did not work; try again.", **extra)

    async def subscribe(self, message):
        topics = message.get("topics")
        if isinstance(topics, list) and all(isinstance(topic, str) for topic in topics):
            topics = dict.fromkeys(topics)
        if not isinstance(topics, dict) or not topics:
            return self.send_error(
                "bad_frame",
                'Send {"action": "subscribe", "topics": {"client.42": <last id or null>}}.',
            )
        wanted = []
        for topic, last_id in topics.items():
            if topic in self.topics:
                self.push(frame(type="live.subscribed", topic=topic))
            elif not is_valid_topic(topic):
                self.send_error("bad_topic", "Topics look like 'client.42'.", topic[:100])
            elif last_id is not None and (type(last_id) is not int or last_id < 0):
                self.send_error("bad_last_id", "A last id is a whole number or null.", topic)
            elif len(self.topics) + len(wanted) >= conf.get("LIVE_MAX_TOPICS"):
                limit = conf.get("LIVE_MAX_TOPICS")
                self.send_error("too_many_topics", f"One socket follows at most {limit}.", topic)
            else:
                wanted.append((topic, last_id))
        if not wanted:
            return
        allowed = await self._allowed_now([topic for topic, _ in wanted])
        if allowed is None:
            return await self._close(CLOSE_DEACTIVATED)
        granted = []
        for topic, last_id in wanted:
            if topic in allowed:
                self.topics[topic] = TopicState()
                granted.append((topic, last_id))
            else:
                self.send_error("forbidden", "You cannot follow this topic.", topic)
        # Follow first, then read the log: an event committing in between comes
        # by one path or both (the second copy is dropped), never by neither.
        for topic, _ in granted:
            try:
                await self.hub.join(topic, self)
            except Exception:
                logger.exception("Live hub could not follow %s", topic)
                self._unfollow(topic)
                self.send_error("unavailable", "Live updates are unavailable; retry.", topic)
        granted = [(topic, last_id) for topic, last_id in granted if topic in self.topics]
        catchups = await catch_up_batched(granted)
        for topic, _ in granted:
            state = self.topics.get(topic)
            if state is None:  # unsubscribed or closed meanwhile
                continue
            self.push(frame(type="live.subscribed", topic=topic))
            catchup = catchups[topic]
            if catchup.resync:
                self.push(frame(type="live.resync", topic=topic, id=catchup.position))
            for event_id, text in catchup.events:
                if state.first_sighting(event_id):
                    self.push(text, catching_up=True)
            self._release(state)

    async def _allowed_now(self, topics: list[str]) -> set[str] | None:
        """The topics the policies let this user follow; None once deactivated.

        Asked again if an access re-check reached the socket meanwhile: the
        answer may have been read before the change it re-checks committed.
        """
        while True:
            rechecks = self._rechecks
            allowed = await access.allowed_topics_batched((self.user.pk, topics))
            if rechecks == self._rechecks:
                return allowed

    def _release(self, state: TopicState) -> None:
        for event_id, text in state.release():
            if state.first_sighting(event_id):
                self.push(text, catching_up=True)

    async def unsubscribe(self, message):
        topics = message.get("topics")
        if not isinstance(topics, list) or not all(isinstance(topic, str) for topic in topics):
            return self.send_error("bad_frame", "Unsubscribe with a list of topics.")
        for topic in topics:
            if topic in self.here:
                self.here.discard(topic)
                await self.hub.set_here(self, topic, False)
            if self._unfollow(topic):
                self.push(frame(type="live.unsubscribed", topic=topic))

    def _unfollow(self, topic: str) -> bool:
        if self.topics.pop(topic, None) is None:
            return False
        self.hub.leave(topic, self)
        return True

    async def here_now(self, message):
        topic = message.get("topic")
        if topic not in self.topics:
            return self.send_error("not_subscribed", "Subscribe to a topic first.")
        here = message.get("action") == "here"
        if here == (topic in self.here):
            return
        (self.here.add if here else self.here.discard)(topic)
        try:
            await self.hub.set_here(self, topic, here)
        except Exception:  # presence is best effort (Redis may be restarting)
            logger.exception("Presence update failed for %s", topic)
            self.send_error("unavailable", "Presence is unavailable; retry.", topic)

    async def ping(self, message):
        """Pong once the access re-checks already under way for this socket are applied:
        what the socket may still see is settled when the tab hears the pong."""
        await self._settled.wait()
        self.push(frame(type="live.pong"))

    actions = {
        "subscribe": subscribe,
        "unsubscribe": unsubscribe,
        "here": here_now,
        "away": here_now,
        "ping": ping,
    }

    def send_error(self, code: str, message: str, topic: str | None = None, **extra) -> None:
        fields = {"type": "live.error", "code": code, "message": message}
        if topic is not None:
            fields["topic"] = topic
        self.push(frame(**fields, **extra))

    def send_frame(self, fields: dict) -> None:
        self.push(frame(**fields))

    async def signal(self, topic: str, kind: str, data: dict) -> None:
        """An ephemeral frame from this person to the topic's other sockets (ActionSocket)."""
        sender = {"id": self.user.pk, "name": str(self.user)}
        fields = {"type": "live.signal", "topic": topic, "kind": kind, "user": sender, **data}
        try:
            await self.hub.broadcast(topic, fields, exclude=self.socket_id)
        except Exception:  # best effort, like presence (Redis may be restarting)
            logger.exception("Signal %s on %s failed", kind, topic)
            self.send_error("unavailable", "Live updates are unavailable; retry.", topic)

    # --- Access re-checks (the hub runs them: workspace/live/access.py) --------------

    def hold(self, topics: set[str] | None) -> dict[str, TopicState]:
        """Hold back live events of the followed ``topics`` (None: all) until re-checked."""
        self._rechecks += 1
        held = {
            topic: state
            for topic, state in self.topics.items()
            if topics is None or topic in topics
        }
        for state in held.values():
            state.hold()
        if held:
            self._unsettled += 1
            self._settled.clear()
        return held

    async def apply_recheck(self, held: dict[str, TopicState], allowed) -> None:
        """The policies answered: release what is still allowed, drop the rest.

        ``allowed`` is a set of topics, None once the account is deactivated
        (the socket closes: 4403), or ``access.UNKNOWN`` when the policies
        could not be asked (4011: the tab reconnects and subscribes afresh).
        """
        try:
            await self._apply_recheck(held, allowed)
        finally:
            if held:
                self._unsettled -= 1
                if not self._unsettled:
                    self._settled.set()

    async def _apply_recheck(self, held: dict[str, TopicState], allowed) -> None:
        if self._closed:
            return
        if allowed is None:
            return await self._close(CLOSE_DEACTIVATED)
        if allowed is access.UNKNOWN:
            return await self._close(CLOSE_UNAVAILABLE)
        for topic, state in held.items():
            if self.topics.get(topic) is not state:
                continue  # unsubscribed meanwhile
            if topic in allowed:
                self._release(state)
            else:
                await self._revoke(topic)

    async def _revoke(self, topic: str) -> None:
        """Stop following a topic the person lost access to, and tell the tab."""
        self._unfollow(topic)
        self.push(frame(type="live.revoked", topic=topic))
        if topic in self.here:
            self.here.discard(topic)
            try:
                await self.hub.set_here(self, topic, False)
            except Exception:  # presence is best effort; its entry expires anyway
                logger.exception("Presence update failed for %s", topic)

    async def _close(self, code: int) -> None:
        self._closed = True
        try:
            await self.close(code=code)
        except Exception:  # the connection is already gone
            logger.debug("Live socket close failed", exc_info=True)

    # --- Frames to the browser ------------------------------------------------------

    def push_event(self, topic: str, event_id: int, text: str, framed: bytes | None) -> None:
        """The hub hands over an event of a topic this socket follows."""
        state = self.topics.get(topic)
        if state is None:
            return
        if state.pending is not None:
            if len(state.pending) >= conf.get("LIVE_SEND_QUEUE"):
                return self._too_slow()
            state.pending.append((event_id, text))
        elif state.first_sighting(event_id):
            self.push(text, framed)

    def push(self, text: str, framed: bytes | None = None, *, catching_up: bool = False) -> None:
        """Send a serialized frame in order, without ever waiting for this client.

        Under daphne the frame (``framed``: already a WebSocket frame, built
        once per event by the hub) is written straight to the connection.
        Otherwise the write runs at once in an eager task, which finishes
        without being scheduled when the server's ``send`` does not block.
        While a write waits, or the client is not reading, frames wait in a
        bounded queue; a socket whose queue is full is closed and catches up
        by replay when it reconnects. A replay (``catching_up``) is pushed all at
        once, before the client could read any of it, so it does not count
        against that bound (it has its own: ``LIVE_REPLAY_LIMIT`` per topic).
        """
        if self._closed:
            return
        if self._writing or self._paused:
            if not catching_up and len(self._queue) >= conf.get("LIVE_SEND_QUEUE"):
                return self._too_slow()
            self._queue.append(text)
            return
        if self._wire is not None and self._wire.write(framed or wire.text_frame(text)):
            return
        self._start_writer(text)

    def _start_writer(self, text: str) -> None:
        self._writing = True
        task = asyncio.Task(self._write(text), loop=self._loop, eager_start=True)
        if not task.done():
            self._writer = task  # keep a reference while it waits

    async def _write(self, text: str) -> None:
        try:
            while True:
                await self._send({"type": "websocket.send", "text": text})
                if self._paused or self._closed or not self._queue:
                    return
                text = self._queue.popleft()
        except Exception:
            logger.debug("Live socket write failed", exc_info=True)
            self._closed = True
        finally:
            self._writing = False
            self._writer = None

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        while self._queue and not (self._writing or self._paused or self._closed):
            self.push(self._queue.popleft())

    def _too_slow(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.clear()
        logger.info("Closing a live socket that fell %s frames behind", conf.get("LIVE_SEND_QUEUE"))
        task = self._loop.create_task(
            self._send({"type": "websocket.close", "code": CLOSE_TOO_SLOW})
        )
        self._writer = task
