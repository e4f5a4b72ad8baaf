"""The WebSocket route, the small ASGI piece the bus needs in front of it, and the
start-up work that spares each socket of a reconnect storm a cost."""

import pprint

from django.conf import settings
from django.urls import path
from django.utils.module_loading import import_string

from workspace.live.consumer import LiveConsumer

websocket_urlpatterns = [path("ws/", LiveConsumer.as_asgi())]


class RawSend:
    """Keep the server's own ``send`` in the scope, as ``live.send``.

    Put it outermost. Session middleware wraps ``send`` to save sessions on
    HTTP responses, which a socket's frames never need; sending past it saves
    a call per frame at fan-out, and lets the bus see the server's connection
    for direct writes and back-pressure (workspace/live/wire.py).
    """

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        return await self.inner(dict(scope, **{"live.send": send}), receive, send)


class _Pformat:
    """``pprint.pformat(value)``, formatted only if it is ever written out."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return pprint.pformat(self.value)

    __repr__ = __str__


def prepare_for_storms() -> None:
    """Work that every socket of a reconnect storm (or its first one) would otherwise pay.

    - autobahn (daphne's WebSocket protocol) pretty-prints its options for a debug
      log line on every new connection, whether debug is logged or not: 18 % of
      daphne's CPU while 1,000 tabs connected (bench/reconnect.py). Here that
      formatting happens only if the line is written.
    - The channel layer's backend (channels-redis and redis-py: ~0.2 s) is imported
      at start-up, not by the first socket to arrive.
    """
    try:
        from autobahn.websocket import protocol
    except ImportError:  # not served by daphne
        pass
    else:
        protocol.pformat = _Pformat
    import_string(settings.CHANNEL_LAYERS["default"]["BACKEND"])
