"""Load a realistic demo company. Safe to run again: nothing is duplicated.

People and departments first (demo/people.py), then the client book
(demo/book.py), then marketing (demo/marketing.py), then the chat rooms and
their conversations (demo/chat_rooms.py), then the calendars (demo/meetings.py), then
automation's rules and their run logs (demo/automation.py). With
``--scale N`` it also adds N generated clients for benchmarks
(demo/book_scale.py; every run adds N more: that part is deliberately not
idempotent). Last, when it wrote a book, it scores every client's health as
the daily sweep does, so "Clients at risk" is filled on first run (the bulk
rows bypass the services, whose writes rescore as they go).
"""

from time import perf_counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from calendar_app.models import Event
from chat.models import Message
from demo.automation import seed_automation
from demo.book import seed_book
from demo.book_scale import seed_scale
from demo.calls import seed_calls
from demo.chat_rooms import seed_chat
from demo.mail import seed_mail
from demo.marketing import seed_marketing
from demo.meetings import seed_calendar
from demo.people import DEMO_PASSWORD, LOGIN_EMAIL, PEOPLE, seed_people
from records.models import Client, Contact, Deal, Ticket, TimelineEntry
from records.services import recount_open_work
from reports.models import ClientHealth
from reports.services import rescore_all

# What the demo fills in bulk, and the pages and searches read: see refresh_statistics.
FILLED = (Client, Contact, Deal, Ticket, TimelineEntry, Message, Event)


class Command(BaseCommand):
    help = "Load the demo company (departments, people, client book, chat, calendars). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DEBUG off (demo accounts have a published password).",
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            metavar="N",
            help="Also add N generated clients (3 contacts, 3 timeline entries each), "
            "~2,000 open deals and N/10 tickets, for benchmarks.",
        )

    def handle(self, *args, allow_production=False, scale=0, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "seed_demo creates accounts with a published password, so it only runs with "
                "DEBUG=1. Pass --allow-production if this really is a demo instance."
            )
        departments, created = seed_people()
        self.stdout.write(
            f"Demo data ready: {departments} departments, {len(PEOPLE)} people ({created} new)."
        )
        wrote_book = self.seed_part("Client book", seed_book)
        self.seed_part("Marketing", seed_marketing)  # before chat, which picks busy clients
        self.seed_part("Email", seed_mail)  # before chat too
        self.seed_part("Calls", seed_calls)  # and calls
        self.seed_part("Chat", lambda: seed_chat(LOGIN_EMAIL))
        self.seed_part("Calendar", lambda: seed_calendar(LOGIN_EMAIL))
        self.seed_part("Automation", seed_automation)  # last: its rules hear edits of the book
        if scale > 0:
            self.seed_scale(scale)
        if wrote_book or scale > 0:
            recount_open_work()  # the book's deals and tickets are written in bulk
            self.seed_part("Client health", score_clients)
        refresh_statistics()
        self.stdout.write(f"Sign in as {LOGIN_EMAIL} with password {DEMO_PASSWORD}")

    def seed_part(self, name: str, seed) -> bool:
        """Run ``seed`` and say what it made and how long it took, or that it was there;
        returns whether it made something."""
        started = perf_counter()
        made = seed()
        if made:
            self.stdout.write(f"{name}: {describe(made)} in {perf_counter() - started:.1f} s.")
        else:
            self.stdout.write(f"{name} already there.")
        return bool(made)

    def seed_scale(self, count: int) -> None:
        self.stdout.write(f"Generating {count:,} clients …")
        made = seed_scale(count, report=self.stdout.write)
        seconds = made.pop("seconds")
        self.stdout.write(f"Scale: {describe(made)} in {seconds:.1f} s.")


def score_clients() -> dict[str, int]:
    """Every client's health score, by the daily sweep's function (reports/tasks.py).

    Owners of clients at risk are told, as on the first sweep after installing.
    """
    rescore_all()
    scores = ClientHealth.objects.all()
    return {"clients scored": scores.count(), "at risk": scores.filter(at_risk=True).count()}


def refresh_statistics() -> None:
    """On PostgreSQL, VACUUM ANALYZE the tables the demo filled.

    Right after a bulk load the planner still believes the tables are tiny
    (rows=1 estimates) until autovacuum gets to them, and picks nested loops
    and sorts that take 10-20x longer (measured on the client list: 266 ms
    before, 12 ms after; the global search's candidates: 0.3-0.6 s before, a
    few ms after); VACUUM also sets the visibility map that index-only scans
    (the list's counts) need. VACUUM cannot run inside a transaction, so a
    caller's transaction (a test's) skips it.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in FILLED)
        cursor.execute(f"VACUUM (ANALYZE) {tables}")


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{count:,} {name}" for name, count in counts.items())
