"""Workspace's ASGI application plus one benchmark-only endpoint (never deployed).

``POST /__bench/notify?recipient=ID&count=N&gap=SECONDS`` calls the normal
``notify`` service N times and answers, for each, the notification id and
the moment its transaction committed (``time.monotonic()``, which on Linux
every process reads from the same clock). Loopback use by bench/ws_fanout.py.
"""

import json
import time
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async

from workspace.asgi import application as workspace_app


def notify_many(recipient_id: int, count: int, gap: float) -> list:
    from django.db import transaction

    from accounts import services
    from accounts.models import User

    recipient = User.objects.get(pk=recipient_id)
    results = []
    for number in range(count):
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


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == "/__bench/notify":
        query = parse_qs(scope["query_string"].decode())
        results = await sync_to_async(notify_many, thread_sensitive=False)(
            int(query["recipient"][0]),
            int(query.get("count", ["1"])[0]),
            float(query.get("gap", ["0"])[0]),
        )
        body = json.dumps(results).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return
    await workspace_app(scope, receive, send)
