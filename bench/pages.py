#!/usr/bin/env python
"""Page benchmark: latency and query counts of the records pages on a big database.

Runs in-process through Django's test ``Client``, logged in as a demo user,
against the database in ``DATABASE_URL`` (generate it first, see below). For
each page: ``--warmup`` requests, then ``--requests`` timed ones (median and
p95 of the wall time of ``client.get``: middleware, view, queries, template),
then one more counting its SQL queries. Pages whose URL name does not exist
yet are skipped with a line saying so. Prints a table; exits 1 if a page's p95
is over ``--target`` ms.

    createdb -h 127.0.0.1 -U postgres ws_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ws_bench
    DEBUG=1 .venv/bin/python manage.py migrate
    DEBUG=1 .venv/bin/python manage.py seed_demo --scale 100000
    .venv/bin/python bench/pages.py                   # --requests 50 --warmup 5 by default
    .venv/bin/python bench/pages.py --search --target 50   # the searches, and each group's share
    .venv/bin/python bench/pages.py --reports --target 300 # every report, computed each time
    .venv/bin/python bench/pages.py --api                  # the REST API's list endpoints
    .venv/bin/python bench/pages.py --emails               # a client with 2,000 emails

The long-timeline client (``--timeline``, default 2,000 entries) is the
client with the most timeline entries; the bench tops it up the first time.
Run with DEBUG on only for settings' sake (no SECRET_KEY, no collected static
files needed): timings are taken with ``settings.DEBUG`` switched off, so no
query log is kept, except for the one counting run.
"""

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/, whose calendar.py would hide the standard library's
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
os.environ.setdefault("DEBUG", "1")
# Persistent connections, as a deployment would run (DEPLOY: DB_CONN_MAX_AGE).
os.environ.setdefault("DB_CONN_MAX_AGE", "600")


@dataclass
class Page:
    label: str
    url_name: str
    args: tuple = ()
    query: str = ""
    headers: dict = field(default_factory=dict)  # e.g. an htmx request's


@dataclass
class Result:
    page: Page
    path: str
    median_ms: float
    p95_ms: float
    cpu_ms: float  # median CPU time of this process (Python: view, ORM, template)
    queries: int
    sql_ms: float  # time in the database during the counting request
    slowest: dict  # its slowest query ({"sql", "time"}), for --explain
    kilobytes: float


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def long_timeline_client(entries: int):
    """The client with the most timeline entries, topped up to ``entries``."""
    from django.db.models import Count

    from demo.book_scale import long_timeline
    from records.models import Client, TimelineEntry

    top = (
        TimelineEntry.objects.values("client_id")
        .annotate(count=Count("pk"))
        .order_by("-count", "client_id")
        .first()
    )
    if top is None:
        raise SystemExit("The database has no clients: run seed_demo --scale first.")
    client = Client.objects.get(pk=top["client_id"])
    if top["count"] < entries:
        long_timeline(client, entries - top["count"])
    return client


def search_term() -> str:
    """A word that many clients share (the first word of the most common name)."""
    from django.db.models import Count

    from records.models import Client

    names = Client.objects.values("name").annotate(count=Count("pk")).order_by("-count")
    return names.first()["name"].split()[0].lower()


def typo(word: str) -> str:
    """``word`` with its middle letter left out ("skyward" -> "skyard")."""
    middle = len(word) // 2
    return word[:middle] + word[middle + 1 :]


def search_pages() -> list[Page]:
    """The searches: the search page, the top bar's menu (as typed, with a typo, a ticket's
    number) and the client list's own box."""
    from records.models import Ticket

    term = search_term()
    menu = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "topbar-search-results"}
    ticket = Ticket.objects.order_by("pk").values_list("pk", flat=True).last()
    return [
        Page("global search", "search", query=f"q={term}"),
        Page("top-bar search", "search", query=f"q={term}", headers=menu),
        Page("top-bar search, a typo", "search", query=f"q={typo(term)}", headers=menu),
        Page("top-bar search, a ticket's number", "search", query=f"q=%23{ticket}", headers=menu),
        Page("client list search", "records:client_list", query=f"q={term}"),
    ]


def report_pages() -> list[Page]:
    """Every report (reports/catalog.py) over the last 12 months, and the home page with its
    dashboard card. The report cache is off (``--reports`` sets its lifetime to 0), so each
    request computes the report, as the first tab after a change does."""
    from reports import catalog

    return [
        Page("home (dashboard)", "home"),
        *(
            Page(f"report: {spec.area_title} · {spec.title}", "reports:report", (spec.slug,))
            for spec in catalog.all_specs()
        ),
    ]


def api_pages() -> list[Page]:
    """The REST API's list endpoints (integrations/api/), first page of each, as JSON, signed
    in by session (the token check is one indexed lookup more)."""
    json = {"HTTP_ACCEPT": "application/json"}
    return [
        Page("api: clients", "api:client-list", headers=json),
        Page("api: clients (customers, expand owner)", "api:client-list",
             query="lifecycle=customer&expand=owner,department", headers=json),
        Page("api: contacts (expand client)", "api:contact-list", query="expand=client",
             headers=json),
        Page("api: deals (open)", "api:deal-list", query="status=open", headers=json),
        Page("api: tickets", "api:ticket-list", headers=json),
        Page("api: tasks", "api:task-list", headers=json),
        Page("api: people", "api:person-list", headers=json),
    ]  # fmt: skip


def email_pages(args) -> list[Page]:
    """A client with ``--timeline`` emails on its timeline (bench/mail.py makes it once): its
    page, its timeline filtered to activities (emails are; htmx), and one thread's page."""
    from bench.mail import email_timeline_client

    client = email_timeline_client(args.timeline)
    thread = client.email_threads.order_by("pk").first()
    htmx = {"HTTP_HX_REQUEST": "true"}
    timeline = "records:client_timeline"
    return [
        Page(f"client page ({args.timeline:,} emails)", "records:client_detail", (client.pk,)),
        Page("its timeline, activities (htmx)", timeline, (client.pk,), "kind=activities", htmx),
        Page("an email thread's page", "mail:thread", (thread.pk,)),
    ]


def pages(args) -> list[Page]:
    if args.api:
        return api_pages()
    if args.emails:
        return email_pages(args)
    if args.search:
        return search_pages()
    if args.reports:
        return report_pages()
    client = long_timeline_client(args.timeline)
    return [
        Page(
            "client list (filtered, page 3)",
            "records:client_list",
            query="lifecycle=customer&sort=-updated&page=3",
        ),
        Page(
            f"client page ({args.timeline:,}-entry timeline)", "records:client_detail", (client.pk,)
        ),
        *search_pages(),
        Page("kanban board (default pipeline)", "records:board"),
    ]


def search_groups(user, args) -> None:
    """Each group's share of a global search (as typed, and with a typo): its selector alone."""
    print("\n| global search group | query | median | p95 |\n| --- | --- | ---: | ---: |")
    term = search_term()
    for query in (term, typo(term)):
        for name, run in group_selectors(user, query).items():
            timings = timed(run, args)
            print(
                f"| {name} | `{query}` | {statistics.median(timings):.1f} ms "
                f"| {percentile(timings, 0.95):.1f} ms |"
            )


def group_selectors(user, query: str) -> dict:
    """What workspace.views.search runs for each group of the top bar's menu (4 a group)."""
    from accounts.selectors import people_matching
    from calendar_app.search import first_hits as first_events
    from chat.search import first_hits as first_messages
    from records.selectors import search

    terms = search.Terms.of(query)

    def records(kind):
        return lambda: list(search.matching(kind, terms, limit=4)[:5])

    return {
        **{kind.name: records(kind) for kind in search.SEARCHABLES},
        "people": lambda: list(people_matching(query)[:5]),
        "messages (chat)": lambda: first_messages(user, query, 4),
        "events (calendar)": lambda: first_events(user, query, 4),
    }


def timed(run, args) -> list[float]:
    for _ in range(args.warmup):
        run()
    timings = []
    for _ in range(args.requests):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def measure(client, page: Page, args) -> Result | str:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    try:
        path = reverse(page.url_name, args=page.args)
    except NoReverseMatch:
        return f"skipped {page.label}: no URL named {page.url_name!r} yet"
    if page.query:
        path += "?" + page.query
    for _ in range(args.warmup):
        response = client.get(path, **page.headers)
    if response.status_code != 200:
        return f"skipped {page.label}: {path} answered {response.status_code}"
    settings.DEBUG = False
    timings, cpu = [], []
    for _ in range(args.requests):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(path, **page.headers)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **page.headers)
    slowest = max(queries.captured_queries, key=lambda query: float(query["time"]))
    return Result(
        page=page,
        path=path,
        median_ms=statistics.median(timings),
        p95_ms=percentile(timings, 0.95),
        cpu_ms=statistics.median(cpu),
        queries=len(queries),
        sql_ms=sum(float(query["time"]) for query in queries.captured_queries) * 1000,
        slowest=slowest,
        kilobytes=len(response.content) / 1024,
    )


def explain(result: Result) -> None:
    from django.db import connection

    sql, took = result.slowest["sql"], float(result.slowest["time"]) * 1000
    print(f"\n{result.page.label}: slowest query, {took:.1f} ms\n{sql}\n")
    with connection.cursor() as cursor:
        prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        cursor.execute(prefix + sql)
        print("\n".join(" ".join(map(str, row)) for row in cursor.fetchall()))


def database_summary() -> str:
    from django.db import connection

    from records.models import Client, Deal, TimelineEntry

    vendor = connection.vendor
    if vendor == "postgresql":
        vendor += f" {connection.cursor().connection.info.server_version // 10000}"
    return (
        f"{vendor}: {Client.objects.count():,} clients, "
        f"{TimelineEntry.objects.count():,} timeline entries, "
        f"{Deal.objects.filter(status='open').count():,} open deals"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first")
    parser.add_argument("--user", default="alex@northwind.example", help="who is logged in")
    parser.add_argument("--timeline", type=int, default=2000, help="entries of the long timeline")
    parser.add_argument("--target", type=float, default=150, help="p95 target in ms")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE each page's slowest query"
    )
    parser.add_argument(
        "--search", action="store_true", help="only the searches, and each search group's share"
    )
    parser.add_argument(
        "--reports", action="store_true", help="only the reports and dashboard, cache off"
    )
    parser.add_argument("--api", action="store_true", help="only the REST API's list endpoints")
    parser.add_argument(
        "--emails", action="store_true", help="only a client with --timeline emails on it"
    )
    args = parser.parse_args(argv)

    import django

    django.setup()
    if args.reports:
        from django.conf import settings

        settings.REPORTS_CACHE_SECONDS = 0
    from django.test import Client

    from accounts.models import User

    # "localhost" is an allowed host in the default settings; "testserver" is not.
    client = Client(HTTP_HOST="localhost", raise_request_exception=False)
    user = User.objects.get(email=args.user)
    client.force_login(user)
    print(database_summary())
    print(f"{args.requests} requests per page after {args.warmup} warm-up, as {args.user}\n")
    results = []
    for page in pages(args):
        outcome = measure(client, page, args)
        if isinstance(outcome, str):
            print(outcome)
        else:
            results.append(outcome)
    show(results, args.target)
    if args.search:
        search_groups(user, args)
    if args.explain:
        for result in results:
            explain(result)
    return 1 if any(result.p95_ms > args.target for result in results) else 0


def show(results: list[Result], target: float) -> None:
    if not results:
        return
    print(
        f"\n| page | request | median | p95 | Python CPU | queries | SQL time | HTML "
        f"| p95 < {target:.0f} ms |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        verdict = "yes" if r.p95_ms < target else "**no**"
        print(
            f"| {r.page.label} | `{r.path}` | {r.median_ms:.1f} ms | {r.p95_ms:.1f} ms "
            f"| {r.cpu_ms:.1f} ms "
            f"| {r.queries} | {r.sql_ms:.1f} ms | {r.kilobytes:.0f} KB | {verdict} |"
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
