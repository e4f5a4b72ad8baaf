"""Workspace's ASGI application plus two benchmark-only endpoints (never deployed).

``POST /__bench/session`` makes a person of the bench's own (a fresh address: the
database may be reused) signed in with a new session; it answers ``{"user": id,
"cookie": "sessionid=..."}``, so the bench needs no Django process of its own.

``POST /__bench/notify?recipient=ID&count=N&gap=SECONDS`` calls the normal
``notify`` service N times and answers, for each, the notification id and
the moment its transaction committed (``time.monotonic()``, which on Linux
every process reads from the same clock). Loopback use by bench/ws_fanout.py.
"""

import json
import time
import uuid
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async

from workspace.asgi import application as workspace_app


def signed_in(query: dict) -> dict:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User

    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    user = User.objects.create_user(email, None, full_name="Bench Mark")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return {"user": user.pk, "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"}


def notify_many(query: dict) -> list:
    from django.db import transaction

    from accounts import services
    from accounts.models import User

    recipient = User.objects.get(pk=int(query["recipient"][0]))
    gap = float(query.get("gap", ["0"])[0])
    results = []
    for number in range(int(query.get("count", ["1"])[0])):
        committed = []
        with transaction.atomic():
            # Registered first, so it runs first at commit: the moment of commit.
            transaction.on_commit(lambda: committed.append(time.monotonic()))  # noqa: B023
            notification = services.notify(
                recipient=recipient,
                kind="bench",
                text=f"Benchmark event {number}: " + "lorem ipsum dolor sit amet " * 6,
                link="/",
            )
        results.append([notification.pk, committed[0]])
        if gap:
            time.sleep(gap)
    return results


ENDPOINTS = {"/__bench/session": signed_in, "/__bench/notify": notify_many}


async def application(scope, receive, send):
    endpoint = ENDPOINTS.get(scope["path"]) if scope["type"] == "http" else None
    if endpoint is None:
        await workspace_app(scope, receive, send)
        return
    query = parse_qs(scope["query_string"].decode())
    body = json.dumps(await sync_to_async(endpoint, thread_sensitive=False)(query)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
