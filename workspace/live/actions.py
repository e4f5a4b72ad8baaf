"""Frames apps take over the tab's one socket: a registry of action handlers.

An app registers, in its ``consumers.py`` (imported at start-up by the bus,
like ``events.py``), one handler per action it takes::

    from workspace import live

    async def send(socket, frame):
        ...

    live.register_action("chat.send", send)

A handler gets an ``ActionSocket`` -- the small part of the socket apps may
use -- and the decoded frame (a dict; everything in it is untrusted input).
It calls the app's services (through ``database_sync_to_async``) and answers
with ``reply``/``send_error``; ``signal`` broadcasts something ephemeral
(typing) to the topic's other followers. Handlers of one socket run one at a
time, in the order the frames came.
"""

import re
from collections.abc import Awaitable, Callable
from time import monotonic

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
