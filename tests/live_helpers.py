"""Test helpers for the live bus: capture what services publish, drive real sockets."""

import json
from contextlib import contextmanager
from unittest import mock

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.test import TestCase

from workspace import live


@contextmanager
def capture_events(expected: int | None = None, *, using: str = "default", derived=False):
    """Collect the live events published inside the block, as delivered on commit.

    Runs the block's on-commit callbacks at its end (as a commit would), so an
    event shows up only if its transaction committed, and asserts how many
    were published when ``expected`` is given::

        with capture_events(1) as events:
            services.notify(recipient=ana, kind="mention", text="…", link="/")
        assert events[0].topic == f"user.{ana.pk}"

    The events that higher apps' listeners publish in reaction (reports'
    ``report.changed``, workspace/live/listeners.py) are left out unless
    ``derived`` is true: a service's test counts what the service publishes.
    Nothing reaches the channel layer. Zulip calls this capture_send_event_calls.
    """
    delivered = []

    def deliver(event):
        if derived or not event.from_listener:
            delivered.append(event)

    with (
        mock.patch("workspace.live.outbox.deliver", deliver),
        TestCase.captureOnCommitCallbacks(using=using, execute=True),
    ):
        yield delivered
    if expected is not None:
        assert len(delivered) == expected, (
            f"expected {expected} live event(s), got {len(delivered)}: "
            + ", ".join(str(event) for event in delivered)
        )


def session_cookie(user) -> str:
    """A signed-in session for ``user`` (as after login), as a Cookie header value."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


@database_sync_to_async
def publish_committed(topic: str, kind: str = "probe.changed", payload=None, html=None):
    """Publish one event in its own committed transaction (as a service would)."""
    with transaction.atomic():
        return live.publish(topic, kind, payload or {}, html)


class Socket:
    """A browser tab's socket through the whole ASGI stack (origin check, session auth)."""

    def __init__(self, cookie: str | None = None, origin: str = "http://localhost"):
        from workspace.asgi import application

        headers = [(b"host", b"localhost"), (b"origin", origin.encode())]
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        self.communicator = WebsocketCommunicator(application, "/ws/", headers=headers)

    @classmethod
    async def open(cls, user=None, **kwargs) -> "Socket":
        cookie = await database_sync_to_async(session_cookie)(user) if user else None
        socket = cls(cookie, **kwargs)
        socket.connected, socket.close_code = await socket.communicator.connect()
        return socket

    async def send(self, **frame) -> None:
        await self.communicator.send_to(text_data=json.dumps(frame))

    async def send_raw(self, text=None, data=None) -> None:
        await self.communicator.send_to(text_data=text, bytes_data=data)

    async def receive(self, timeout: float = 2) -> dict:
        return await self.communicator.receive_json_from(timeout)

    async def receive_all(self, count: int, timeout: float = 3) -> list[dict]:
        return [await self.receive(timeout) for _ in range(count)]

    async def silent(self, timeout: float = 0.3) -> bool:
        """True when nothing arrives for ``timeout`` seconds."""
        return await self.communicator.receive_nothing(timeout)

    async def subscribe(self, topics: dict) -> list[dict]:
        """Subscribe; returns the frames up to the last topic's answer (events included)."""
        await self.send(action="subscribe", topics=topics)
        answered, frames = set(), []
        while answered != set(topics):
            frame = await self.receive()
            frames.append(frame)
            if frame["type"] in ("live.subscribed", "live.error") and "topic" in frame:
                answered.add(frame["topic"])
        return frames

    async def close(self) -> None:
        await self.communicator.disconnect()
