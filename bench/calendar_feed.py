#!/usr/bin/env python
"""Calendar benchmark: a month view with 500 events, through the JSON feed and the selector.

Runs in-process (like bench/pages.py) against the database in ``DATABASE_URL``
(migrated first). The first run creates, through ``calendar_app.services``,
a bench person (``calbench-owner@example.com``) and ``--colleagues``
colleagues (``calbench-<n>@example.com``, no passwords, no emails) in a
"Calendar bench" department, and fills the person's calendar for one month
(``--month``, default next month) with ``--events`` occurrences (default
500): weekday series (Mon-Fri), weekly series with a changed occurrence
(an override row) and, for half of them, a deleted one (an EXDATE), and
single events making up the rest, half organized by colleagues who invite
the person (a tenth of those private); plus colleagues' own events (a
quarter private) that only the department overlay shows. Later runs find
the month filled and reuse it.

Then, each ``--warmup`` times untimed and ``--requests`` times timed, with
``settings.DEBUG`` off (no query log), and once more counting queries:

* ``selectors.calendar_occurrences`` for the month view's window (the six
  weeks FullCalendar's month grid asks for);
* ``GET /calendar/events.json`` (``calendar:events_json``) for that window,
  signed in as the person, through Django's test ``Client`` (middleware,
  view, JSON; no network): their own calendar, then the department overlay
  (``dept=``, everyone's events, others' private ones masked);
* ``calendar_app.search.first_hits``, the global search's Events group, for
  a word many of the events share.

Prints median, p95, Python CPU, queries, SQL time, response size and items;
exits 1 if a p95 is over ``--target`` ms.

    createdb -h 127.0.0.1 -U postgres ws_bench_cal
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ws_bench_cal
    DEBUG=1 .venv/bin/python manage.py migrate
    .venv/bin/python bench/calendar_feed.py            # --events 500 --requests 50 --warmup 5
    .venv/bin/python bench/calendar_feed.py --toy      # CI: 30 events, no target

Also exits 1 when the month view or the feed shows fewer occurrences than were made.
"""

import argparse
import gc
import os
import random
import statistics
import sys
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on the path, where a module named like a standard one
# would hide it (this file, once bench/calendar.py, hid ``calendar``): the repository instead.
sys.path[0] = str(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DB_CONN_MAX_AGE", "600")  # persistent connections, as deployed

from bench import toy  # noqa: E402 (after the path is set, when run as a script)
from bench.pages import percentile  # noqa: E402

OWNER = "calbench-owner@example.com"
COLLEAGUE = "calbench-{}@example.com"
DEPARTMENT = "calbench"
TZ = zoneinfo.ZoneInfo("Europe/Berlin")
SEARCHED = "review"  # in a fifth of the titles
TITLES = ("Pipeline review", "Customer call", "Design review", "1:1", "Planning", "Interview",
          "Budget review", "Demo", "Retro", "Onboarding")  # fmt: skip
# Per occurrence asked for (--events): weekday series, weekly series, colleagues' own events.
WEEKDAY_SERIES = 1 / 100
WEEKLY_SERIES = 1 / 25
COLLEAGUES_OWN = 1 / 5


@dataclass
class Month:
    first: date
    after: date  # the first day of the next month

    @classmethod
    def parse(cls, text: str) -> "Month":
        first = datetime.strptime(text, "%Y-%m").date() if text else None
        if first is None:
            first = (date.today().replace(day=1) + timedelta(days=32)).replace(day=1)
        return cls(first, (first + timedelta(days=32)).replace(day=1))

    @property
    def days(self) -> int:
        return (self.after - self.first).days

    def span(self) -> tuple[datetime, datetime]:
        return local(self.first), local(self.after)

    def grid(self) -> tuple[datetime, datetime]:
        """What FullCalendar's month view asks for: whole weeks, Monday first, around it."""
        start = self.first - timedelta(days=self.first.weekday())
        end = self.after + timedelta(days=(7 - self.after.weekday()) % 7)
        return local(start), local(end)


@dataclass
class Measured:
    label: str
    what: str
    median_ms: float
    p95_ms: float
    cpu_ms: float
    queries: int
    sql_ms: float
    kilobytes: float | None
    items: int


def local(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), TZ)


# --- The data --------------------------------------------------------------------------


def bench_people(count: int):
    """The bench person, their colleagues and their department (made once)."""
    from accounts.models import Department, EmailNotifications, User

    department, _ = Department.objects.get_or_create(
        slug=DEPARTMENT, defaults={"name": "Calendar bench"}
    )

    def person(email: str, name: str) -> User:
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email,
            None,
            full_name=name,
            timezone=TZ.key,
            email_notifications=EmailNotifications.NONE,
        )
        user.departments.add(department)
        return user

    owner = person(OWNER, "Bench Owner")
    colleagues = [person(COLLEAGUE.format(n), f"Bench Colleague {n}") for n in range(count)]
    return owner, colleagues, department


def in_month(owner, month: Month) -> int:
    from calendar_app import selectors

    return len(selectors.calendar_occurrences([owner.pk], *month.span()))


class Seeder:
    """Makes the month's events through the services, from a seeded random source."""

    def __init__(self, owner, colleagues, month: Month, events: int):
        self.owner, self.colleagues, self.month, self.events = owner, colleagues, month, events
        self.rng = random.Random(7)  # bench data, not secrets

    def slot(self, day: date) -> datetime:
        hour, minute = self.rng.randint(8, 17), self.rng.choice((0, 30))
        return local(day).replace(hour=hour, minute=minute)

    def some_day(self) -> date:
        return self.month.first + timedelta(days=self.rng.randrange(self.month.days))

    def make(self, organizer, title: str, start: datetime, minutes: int, *, invite=True, **fields):
        from calendar_app import services

        people = [self.owner] if invite else []
        people += self.rng.sample(self.colleagues, self.rng.randint(0, 3))
        return services.create_event(
            actor=organizer,
            title=title,
            start=start,
            end=start + timedelta(minutes=minutes),
            timezone_name=TZ.key,
            attendees=[person for person in people if person != organizer],
            allow_double_booking=True,
            **fields,
        )

    def series(self) -> None:
        before = self.month.first - timedelta(days=14)
        for number in range(int(self.events * WEEKDAY_SERIES)):
            rule = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
            self.make(self.owner, f"Standup {number}", self.slot(before), 15, rrule=rule)
        for number in range(int(self.events * WEEKLY_SERIES)):
            organizer = self.rng.choice([self.owner, *self.colleagues])
            title = f"Weekly {self.rng.choice(TITLES)} {number}"
            start = self.slot(before + timedelta(days=self.rng.randrange(7)))
            series = self.make(organizer, title, start, 60, rrule="FREQ=WEEKLY;COUNT=12")
            self.exceptions(series, delete=bool(number % 2))

    def exceptions(self, series, *, delete: bool) -> None:
        """Move the series' first occurrence in the month by an hour; delete the second."""
        from calendar_app import services
        from calendar_app.recurrence import series_starts

        starts = series_starts(series, *self.month.span())
        if len(starts) < 2:
            return
        services.move_event(
            actor=series.organizer,
            event=series,
            start=starts[0] + timedelta(hours=1),
            end=starts[0] + timedelta(hours=2),
            occurrence=starts[0],
            scope="this",
            allow_double_booking=True,
        )
        if delete:
            services.cancel_event(
                actor=series.organizer, event=series, occurrence=starts[1], scope="this"
            )

    def singles(self, count: int) -> None:
        for number in range(count):
            organizer = self.owner if number % 2 else self.rng.choice(self.colleagues)
            private = organizer != self.owner and number % 10 == 1
            self.make(
                organizer,
                f"{self.rng.choice(TITLES)} #{number}",
                self.slot(self.some_day()),
                self.rng.choice((30, 45, 60, 90)),
                visibility="private" if private else "normal",
            )

    def colleagues_own(self) -> None:
        for number in range(int(self.events * COLLEAGUES_OWN)):
            self.make(
                self.rng.choice(self.colleagues),
                f"Colleague's {self.rng.choice(TITLES)} #{number}",
                self.slot(self.some_day()),
                60,
                invite=False,
                visibility="private" if number % 4 == 0 else "normal",
            )


def seed(owner, colleagues, month: Month, target: int, report: Callable) -> None:
    """Fill ``owner``'s month up to ``target`` occurrences (nothing if it is full)."""
    found = in_month(owner, month)
    if found >= target:
        report(f"Reusing the bench month: {found} occurrences in {month.first:%B %Y}.")
        return
    started = time.perf_counter()
    seeder = Seeder(owner, colleagues, month, target)
    if found == 0:
        seeder.series()
        seeder.colleagues_own()
    seeder.singles(target - in_month(owner, month))
    report(
        f"Seeded {month.first:%B %Y}: {in_month(owner, month)} occurrences in "
        f"{time.perf_counter() - started:.0f} s (through calendar_app.services)."
    )


def data_summary(owner, department, month: Month) -> str:
    from django.db import connection

    from calendar_app.models import Event

    vendor = connection.vendor
    if vendor == "postgresql":
        vendor += f" {connection.cursor().connection.info.server_version // 10000}"
    rows = Event.objects.filter(organizer__departments=department).distinct()
    return (
        f"{vendor}: {in_month(owner, month)} occurrences in {owner}'s {month.first:%B %Y} "
        f"({rows.filter(series=None).count()} event rows of the department, "
        f"{rows.exclude(series=None).count()} overrides; "
        f"{Event.objects.count():,} events in the database)"
    )


# --- Measuring -------------------------------------------------------------------------


def measure(label: str, what: str, call: Callable, args) -> Measured:
    """Time ``call`` (returns (items, bytes or None)); then count one call's queries."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(args.warmup):
        call()
    settings.DEBUG = False
    timings, cpu = [], []
    for _ in range(args.requests):
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    connection.queries_log.clear()  # full after seeding: the count would read 0
    with CaptureQueriesContext(connection) as queries:
        items, size = call()
    return Measured(
        label=label,
        what=what,
        median_ms=statistics.median(timings),
        p95_ms=percentile(timings, 0.95),
        cpu_ms=statistics.median(cpu),
        queries=len(queries),
        sql_ms=sum(float(query["time"]) for query in queries.captured_queries) * 1000,
        kilobytes=size / 1024 if size is not None else None,
        items=items,
    )


def feed_call(client, path: str) -> Callable:
    def call():
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:200]}")
        return len(response.json()), len(response.content)

    return call


def measurements(owner, department, month: Month, args) -> list[Measured]:
    from urllib.parse import urlencode

    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from calendar_app import search, selectors

    start, end = month.grid()
    window = f"{start:%d %b} to {end:%d %b}"
    results = [
        measure(
            "calendar_occurrences (own month)",
            f"`selectors.calendar_occurrences([owner], {window})`",
            lambda: (len(selectors.calendar_occurrences([owner.pk], start, end)), None),
            args,
        ),
        measure(
            "search: Events group",
            f"`search.first_hits(owner, {SEARCHED!r}, 8)`",
            lambda: (len(search.first_hits(owner, SEARCHED, 8)[0]), None),
            args,
        ),
    ]
    try:
        url = reverse("calendar:events_json")
    except NoReverseMatch:
        print("skipped the JSON feed: no URL named 'calendar:events_json' yet")
        return results
    # "localhost" is an allowed host in the default settings; "testserver" is not.
    client = Client(HTTP_HOST="localhost", raise_request_exception=False)
    client.force_login(owner)
    query = {"start": start.date().isoformat(), "end": end.date().isoformat(), "timeZone": TZ.key}
    own = f"{url}?{urlencode(query)}"
    overlay = f"{url}?{urlencode({**query, 'dept': department.pk})}"
    results.insert(1, measure("events.json (own month)", f"`{own}`", feed_call(client, own), args))
    results.insert(
        2,
        measure(
            "events.json (department overlay)", f"`{overlay}`", feed_call(client, overlay), args
        ),
    )
    return results


def show(results: list[Measured], target: float) -> None:
    print(
        f"\n| measured | call | median | p95 | Python CPU | queries | SQL time | size | items "
        f"| p95 < {target:.0f} ms |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        size = f"{r.kilobytes:.0f} KB" if r.kilobytes is not None else "-"
        verdict = "yes" if r.p95_ms < target else "**no**"
        print(
            f"| {r.label} | {r.what} | {r.median_ms:.1f} ms | {r.p95_ms:.1f} ms "
            f"| {r.cpu_ms:.1f} ms | {r.queries} | {r.sql_ms:.1f} ms | {size} | {r.items} "
            f"| {verdict} |"
        )


def short_of(results: list[Measured], events: int) -> list[str]:
    """The month views (not the search) that show fewer than the ``events`` in the month."""
    return [r.label for r in results if not r.label.startswith("search") and r.items < events]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=500, help="occurrences in the month")
    parser.add_argument("--colleagues", type=int, default=12, help="people in the department")
    parser.add_argument("--month", default="", help="YYYY-MM (default: next month)")
    parser.add_argument("--requests", type=int, default=50, help="timed calls each")
    parser.add_argument("--warmup", type=int, default=5, help="untimed calls first")
    parser.add_argument("--target", type=float, default=150, help="p95 target in ms")
    args = toy.parse_args(
        parser, argv, events=30, colleagues=3, requests=2, warmup=0, target=float("inf")
    )

    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log while seeding either
    month = Month.parse(args.month)
    owner, colleagues, department = bench_people(args.colleagues)
    seed(owner, colleagues, month, args.events, print)
    print(data_summary(owner, department, month))
    gc.freeze()  # as workspace/asgi.py does once the app is loaded
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{args.requests} timed calls each after {args.warmup} warm-up, as {owner}")
    print(f"load average before measuring: {load}")
    results = measurements(owner, department, month, args)
    show(results, args.target)
    missing = short_of(results, args.events)
    for label in missing:
        print(f"BROKEN: {label}: fewer than the {args.events} occurrences made", file=sys.stderr)
    return 1 if missing or any(result.p95_ms > args.target for result in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
