"""Seed and poke a database that real server processes use (tests/servers.py runs it).

    python -m tests.serverctl user "Ana Lima" [--role admin] [--department Sales]
        -> {"id": 5, "email": "...", "cookie": "sessionid=..."}
    python -m tests.serverctl notify TO_ID "text" [--actor ID]
        -> {"id": 12}
    python -m tests.serverctl publish TOPIC "text" ["other text" ...] [--count 2]
        -> {"ids": [13, 14, 15, 16]}   (events of kind test.published, one transaction
           each, payload {"text": ..., "n": 0, 1, ...}; the texts, ``count`` times over)

Runs in its own process, so it works whatever database the servers use (a
SQLite file, or the PostgreSQL test database). ``python -m tests.serverctl
--stdin`` stays up and answers one command per line (tests/servers.py keeps one
per test, sparing a Django start-up, ~2 s, per command): a JSON list is a
command line as above; ``{"code": "...", "args": [...]}`` runs Python code with
Django set up, ``User`` and ``services`` (records') at hand and ``args`` in
``sys.argv[1:]``, and answers the JSON its last printed line holds. Each answer
is one line: ``{"result": ...}`` or ``{"error": "<traceback>"}``.
"""

import argparse
import contextlib
import io
import json
import os
import sys
import traceback
import uuid


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
    import django

    django.setup()


def main(argv: list[str]) -> dict:
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


def run_code(code: str, args: list) -> dict:
    """What ``python -c code *args`` would print last, as JSON, run here."""
    import django

    from accounts.models import User
    from records import services

    printed = io.StringIO()
    sys.argv = ["-c", *map(str, args)]
    with contextlib.redirect_stdout(printed):
        exec(code, {"django": django, "json": json, "sys": sys, "User": User, "services": services})  # noqa: S102
    return json.loads(printed.getvalue().strip().splitlines()[-1])


def answer(request) -> dict:
    from django.db import close_old_connections

    try:
        if isinstance(request, list):
            return {"result": main(request)}
        return {"result": run_code(request["code"], request.get("args", []))}
    except BaseException:  # an argparse exit too: the test that asked shows it
        return {"error": traceback.format_exc()}
    finally:
        close_old_connections()


def serve_stdin() -> None:
    answers = sys.stdout
    for line in sys.stdin:
        answers.write(json.dumps(answer(json.loads(line))) + "\n")
        answers.flush()


if __name__ == "__main__":
    setup()
    if sys.argv[1:] == ["--stdin"]:
        serve_stdin()
    else:
        print(json.dumps(main(sys.argv[1:])))
