"""Seed and poke a database that real server processes use (tests/servers.py runs it).

    python -m tests.serverctl user "Ana Lima" [--role admin] [--department Sales]
        -> {"id": 5, "email": "...", "cookie": "sessionid=..."}
    python -m tests.serverctl notify TO_ID "text" [--actor ID]
        -> {"id": 12}
    python -m tests.serverctl publish TOPIC "text" ["other text" ...] [--count 2]
        -> {"ids": [13, 14, 15, 16]}   (events of kind test.published, one transaction
           each, payload {"text": ..., "n": 0, 1, ...}; the texts, ``count`` times over)

Runs in its own process, so it works whatever database the servers use (a
SQLite file, or the PostgreSQL test database).
"""

import argparse
import json
import os
import sys
import uuid


def main(argv: list[str]) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
    import django

    django.setup()
    from accounts import services
    from accounts.models import Department, User
    from tests.factories import UserFactory
    from tests.live_helpers import session_cookie

    parser = argparse.ArgumentParser(prog="serverctl")
    commands = parser.add_subparsers(dest="command", required=True)
    user = commands.add_parser("user")
    user.add_argument("name")
    user.add_argument("--role", default="member")
    user.add_argument("--department", default="Sales")
    notify = commands.add_parser("notify")
    notify.add_argument("to", type=int)
    notify.add_argument("text")
    notify.add_argument("--actor", type=int)
    publish = commands.add_parser("publish")
    publish.add_argument("topic")
    publish.add_argument("texts", nargs="+")
    publish.add_argument("--count", type=int, default=1)
    args = parser.parse_args(argv)

    if args.command == "publish":
        from django.db import transaction

        from workspace import live

        ids = []
        for n in range(args.count):
            for text in args.texts:
                with transaction.atomic():
                    event = live.publish(args.topic, "test.published", {"text": text, "n": n})
                ids.append(event.pk)
        return {"ids": ids}

    if args.command == "user":
        department, _ = Department.objects.get_or_create(
            slug=args.department.lower(), defaults={"name": args.department}
        )
        person = UserFactory(
            email=f"{args.name.split()[0].lower()}.{uuid.uuid4().hex[:8]}@example.com",
            full_name=args.name,
            role=args.role,
            is_staff=args.role == "admin",
            departments=[department],
        )
        return {"id": person.pk, "email": person.email, "cookie": session_cookie(person)}
    actor = User.objects.get(pk=args.actor) if args.actor else None
    notification = services.notify(
        recipient=User.objects.get(pk=args.to),
        kind="mention",
        text=args.text,
        link="/",
        actor=actor,
    )
    return {"id": notification.pk}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
