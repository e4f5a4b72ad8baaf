"""The WebSocket route and the small ASGI piece the bus needs in front of it."""

from django.urls import path

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
