"""Seeding the demo once for tests/demo/test_seed_demo.py.

Seeding takes seconds, so the module seeds once: everything, everything
again (to check it is idempotent), then ``--scale`` a few clients, in a
transaction rolled back after its last test; each test runs in its own
savepoint inside it, as usual. The fixture is module-scoped, so a
pytest-xdist worker seeds at most once, whatever the ``--dist`` mode.
"""

import importlib
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO

from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.management import call_command
from django.db import transaction

from accounts.models import Department, Notification, User
from calendar_app.models import Attendee, Event
from chat.models import Membership, Message, Reaction, Room
from records.models import (
    ChecklistItem,
    Client,
    Comment,
    Contact,
    Deal,
    FieldChange,
    Handoff,
    Task,
    Ticket,
    TimelineEntry,
)
from workspace.live.models import Event as LiveEvent

SCALE = 50
COUNTED = (
    Department,
    User,
    User.departments.through,
    EmailAddress,
    Client,
    Contact,
    Deal,
    Ticket,
    Comment,
    TimelineEntry,
    FieldChange,
    Task,
    ChecklistItem,
    Handoff,
    Room,
    Message,
    Reaction,
    Membership,
    Event,
    Attendee,
    Notification,
)


@dataclass
class Seeded:
    output: str  # what seed_demo printed the first time
    made: dict[str, int]  # the counts after the first run
    live_events: int  # live events the first run published
    again_output: str
    again: dict[str, int]  # the counts after the second run
    scale_output: str
    scaled: dict[str, int]  # the counts after a third run, with --scale SCALE

    @property
    def login(self) -> User:
        """The demo login the command printed."""
        return User.objects.get(email=self.output.split("Sign in as ")[1].split()[0])


def seed(*args, **options) -> str:
    """Run seed_demo (``allow_production`` unless given); returns what it printed."""
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, **{"allow_production": True, **options})
    return out.getvalue()


def counts() -> dict[str, int]:
    """Rows of every model the demo writes, by model name."""
    return {model.__name__: model.objects.count() for model in COUNTED}


@contextmanager
def seeded_once(django_db_blocker):
    """Seed the demo twice, then scale it, in a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        # The default pipeline, loss reasons and SLA hours, in case a flush removed them.
        importlib.import_module("records.migrations.0002_seed_defaults").seed(apps, None)
        live_before = LiveEvent.objects.count()
        output = seed()
        made = counts()
        live_events = LiveEvent.objects.count() - live_before
        again_output = seed()
        again = counts()
        scale_output = seed("--scale", str(SCALE))
        yield Seeded(output, made, live_events, again_output, again, scale_output, counts())
        transaction.set_rollback(True)
