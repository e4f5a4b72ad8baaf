"""Frames apps take over the tab's one socket: a registry of action handlers.

An app registers, in its ``consumers.py`` (imported at start-up by the bus,
like ``events.py``), one handler per action it takes::

    from workspace import live

    async def send(socket, frame):
        ...

    live.register_action("chat.send", send)

A handler gets an ``ActionSocket`` -- the small part of the socket apps may
use -- and the decoded frame (a dict; everything in it is untrusted input).
It calls the app's services (through ``run_in_database``, below) and answers
with ``reply``/``send_error``; ``signal`` broadcasts something ephemeral
(typing) to the topic's other followers. Handlers of one socket run one at a
time, in the order the frames came.

Database work of frames runs in a few *lanes* (``run_in_database``), not in
the one thread ``database_sync_to_async`` gives a process: with one thread,
every send of the process waited for every other one (the knee of
bench/chat.py was 20-40 sends/s per process). A lane is one thread with its
own persistent connection; work for one key (a room) always runs in the same
lane, in the order it came, so within a process one room's writes commit --
and their events are handed to the channel layer on commit -- in order,
without queueing on the room's row lock, while other rooms' writes run
beside them. ``LIVE_DB_THREADS`` lanes per process (default 4), each a
database connection: size ``(LIVE_DB_THREADS + 1) x processes`` (+ workers)
within PostgreSQL's ``max_connections``. SQLite takes one writer at a time:
there, and with ``LIVE_DB_THREADS = 0``, the work runs in the process's one
database thread, as before.
"""

import asyncio
import contextvars
import functools
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from time import monotonic

from channels.db import database_sync_to_async
from django.db import close_old_connections, connections

from workspace.live import conf
from workspace.live.policies import KIND_RE

# "<app>.<verb>": the dot keeps apps' names apart from the bus's own (subscribe, ping, ...).
ACTION_RE = re.compile(r"^[a-z][a-z0-9_]{0,30}\.[a-z][a-z0-9_.-]{0,40}$")
RESERVED_SIGNAL_FIELDS = frozenset({"type", "topic", "kind", "user"})
THROTTLE_KEYS = 256  # per socket; older keys are forgotten past this

Handler = Callable[["ActionSocket", dict], Awaitable[None]]
_handlers: dict[str, Handler] = {}


def register_action(name: str, handler: Handler) -> None:
    """Let browsers send ``{"action": name, ...}``; ``await handler(socket, frame)`` takes it.

    Names are ``<app>.<verb>`` (``chat.send``); the bus's own actions
    (subscribe, unsubscribe, here, away, ping) cannot be replaced. Registering
    the same handler again is harmless; another handler for a taken name raises.
    """
    if not isinstance(name, str) or not ACTION_RE.match(name):
        raise ValueError(f"{name!r} is not an action name like 'chat.send'.")
    registered = _handlers.get(name)
    if registered is not None and registered is not handler:
        raise ValueError(f"Action {name!r} already has a handler: {registered!r}.")
    _handlers[name] = handler


def handler_for(name: str) -> Handler | None:
    return _handlers.get(name)


def action_names() -> list[str]:
    return sorted(_handlers)


def database_lanes() -> int:
    """How many lanes run frames' database work here; 0: the process's one database thread."""
    if connections["default"].vendor == "sqlite":
        return 0  # one writer at a time
    return max(0, conf.get("LIVE_DB_THREADS"))


@functools.cache
def _lanes(count: int) -> tuple[ThreadPoolExecutor, ...]:
    return tuple(ThreadPoolExecutor(1, thread_name_prefix=f"live-db-{n}") for n in range(count))


def lane_of(key: int, count: int) -> int:
    return hash(key) % count


def _in_lane(work, args: tuple):
    """Like ``database_sync_to_async``: drop a broken or expired connection before and after."""
    close_old_connections()
    try:
        return work(*args)
    finally:
        close_old_connections()


async def run_in_database(key: int, work: Callable, *args):
    """``work(*args)`` in the database lane of ``key`` (a room id); its result.

    Work given the same key runs in the order it was given, one at a time;
    work of other keys may run at the same time, in other lanes.
    """
    count = database_lanes()
    if count == 0:
        return await database_sync_to_async(work)(*args)
    lane = _lanes(count)[lane_of(key, count)]
    context = contextvars.copy_context()  # as sync_to_async: the caller's context variables
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(lane, context.run, _in_lane, work, args)


class ActionSocket:
    """What a frame handler may do with the socket that sent the frame.

    ``user``                    the signed-in person (as when the socket connected)
    ``follows(topic)``          whether this socket follows ``topic``; the topic's
                                policy allowed it when the socket subscribed
    ``reply(type=..., **f)``    a frame to this socket only
    ``send_error(code, message, topic=None, **extra)``
                                a ``live.error`` frame to this socket only (extra
                                fields such as ``client_id``, ``retry_after``)
    ``await signal(topic, kind, /, **data)``
                                ``{"type": "live.signal", "topic", "kind", "user":
                                {"id", "name"}, **data}`` to every other socket
                                following ``topic``, in every process; never logged,
                                never replayed. The socket must follow ``topic``.
    ``throttle(key, seconds)``  True at most once per ``seconds`` per key on this socket
    """

    __slots__ = ("_socket", "_throttled")

    def __init__(self, socket):
        self._socket = socket
        self._throttled: dict[object, float] = {}

    @property
    def user(self):
        return self._socket.user

    def follows(self, topic: str) -> bool:
        return topic in self._socket.topics

    def reply(self, **fields) -> None:
        if not isinstance(fields.get("type"), str) or fields["type"].startswith("live."):
            raise ValueError("A reply has an app's own type, like 'chat.sent'.")
        self._socket.send_frame(fields)

    def send_error(self, code: str, message: str, topic: str | None = None, **extra) -> None:
        self._socket.send_error(code, message, topic, **extra)

    async def signal(self, topic: str, kind: str, /, **data) -> None:
        if not self.follows(topic):
            raise ValueError(f"This socket does not follow {topic!r}; check follows() first.")
        if not KIND_RE.match(kind):
            raise ValueError(f"{kind!r} is not a signal kind like 'chat.typing'.")
        if taken := RESERVED_SIGNAL_FIELDS & data.keys():
            raise ValueError(f"Signal data cannot set {', '.join(sorted(taken))}.")
        await self._socket.signal(topic, kind, data)

    def throttle(self, key, seconds: float) -> bool:
        now = monotonic()
        last = self._throttled.get(key)
        if last is not None and now - last < seconds:
            return False
        self._throttled.pop(key, None)
        self._throttled[key] = now  # newest last: the oldest is forgotten first
        if len(self._throttled) > THROTTLE_KEYS:
            del self._throttled[next(iter(self._throttled))]
        return True
