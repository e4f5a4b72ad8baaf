"""Seeding the demo once per test module (tests/<app>/test_demo.py).

Seeding takes seconds, so a module seeds once (everything, then everything
again, to check it is idempotent) in a transaction rolled back after its last
test; each test runs in its own savepoint inside it, as usual.
"""

import importlib
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO

from django.apps import apps
from django.core.management import call_command
from django.db import transaction

from accounts.models import User
from workspace.live.models import Event as LiveEvent


@dataclass
class Seeded:
    output: str  # what seed_demo printed the first time
    made: dict[str, int]  # the module's counts after the first run
    live_events: int  # live events the first run published
    again_output: str
    again: dict[str, int]  # the counts after the second run

    @property
    def login(self) -> User:
        """The demo login the command printed."""
        return User.objects.get(email=self.output.split("Sign in as ")[1].split()[0])


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", allow_production=True, stdout=out)
    return out.getvalue()


@contextmanager
def seeded_twice(django_db_blocker, counts: Callable[[], dict[str, int]]):
    """Seed the demo twice in a transaction rolled back at the end; yields Seeded."""
    with django_db_blocker.unblock(), transaction.atomic():
        importlib.import_module("records.migrations.0002_seed_defaults").seed(apps, None)
        live_before = LiveEvent.objects.count()
        output = _seed()
        made = counts()
        live_events = LiveEvent.objects.count() - live_before
        again_output = _seed()
        yield Seeded(output, made, live_events, again_output, counts())
        transaction.set_rollback(True)
