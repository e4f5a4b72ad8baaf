"""Publish live events from a process of its own, as a server or the task worker would
(the chaos test, tests/live/test_chaos.py, runs it next to real daphne processes).

    python -m tests.chaos_publisher stream TOPIC COUNT EVERY_SECONDS
        -> one event id per line, each event in its own committed transaction
    python -m tests.chaos_publisher hold TOPIC SECONDS
        -> "<id>" once the event is written, then "committed" when its
           transaction, held open SECONDS, commits

Ids are printed as they happen (flushed), so the test knows what was sent even
if it stops the publisher early.
"""

import os
import sys
import time


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
    import django

    django.setup()
    from django.db import transaction

    from workspace import live

    command, topic, *rest = argv
    if command == "stream":
        count, every = int(rest[0]), float(rest[1])
        for n in range(count):
            with transaction.atomic():
                event = live.publish(topic, "chaos.tick", {"n": n})
            print(event.id, flush=True)
            time.sleep(every)
    elif command == "hold":
        with transaction.atomic():
            event = live.publish(topic, "chaos.held", {})
            print(event.id, flush=True)
            time.sleep(float(rest[0]))
        print("committed", flush=True)
    else:
        raise SystemExit(f"unknown command {command!r}; use stream or hold")


if __name__ == "__main__":
    main(sys.argv[1:])
