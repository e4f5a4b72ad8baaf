#!/usr/bin/env python
"""Page benchmark: latency and query counts of the records pages on a big database.

Logged in as a demo user, against the database in ``DATABASE_URL`` (generate
it first, see below). For each page: ``--warmup`` requests, then
``--requests`` timed ones (median and p95 of the wall time of a GET:
middleware, view, queries, template), then one more, in this process, counting
its SQL queries. By default requests go through Django's test ``Client`` in
this process; with ``--http`` they go over HTTP to one daphne process
(``DEBUG=0``, started here as bench/ws_fanout.py starts it) with a session
cookie, as a browser's would, and the CPU column is daphne's. Pages whose URL
name does not exist yet are skipped with a line saying so. Prints a table, a
row as each page is done, with the load average (the machine is shared);
exits 1 if a page answers an error or its p95 is over ``--target`` ms.

    createdb -h 127.0.0.1 -U postgres ws_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ws_bench
    DEBUG=1 .venv/bin/python manage.py migrate
    DEBUG=1 .venv/bin/python manage.py seed_demo --scale 100000
    .venv/bin/python bench/pages.py                   # --requests 50 --warmup 5 by default
    .venv/bin/python bench/pages.py --lists --http    # every list, each sort and filter, over HTTP
    .venv/bin/python bench/pages.py --lists --http --throughput 20  # and pages/s of one process
    .venv/bin/python bench/pages.py --search --target 50   # the searches, and each group's share
    .venv/bin/python bench/pages.py --reports --target 300 # every report, computed each time
    .venv/bin/python bench/pages.py --api                  # the REST API's list endpoints
    .venv/bin/python bench/pages.py --emails               # a client with 2,000 emails
    .venv/bin/python bench/pages.py --toy                  # CI: $DATABASE_URL, else a new SQLite

The long-timeline client (``--timeline``, default 2,000 entries) is the
client with the most timeline entries; the bench tops it up the first time.
Run with DEBUG on only for settings' sake (no SECRET_KEY, no collected static
files needed): timings are taken with ``settings.DEBUG`` switched off, so no
query log is kept, except for the one counting run.

``--toy`` (for CI, a few seconds) adds a few rows of every list to the database
given (``$DATABASE_URL``: CI's test database, so PostgreSQL's own SQL is run too),
else to a throw-away SQLite file, requests each list once over HTTP and exits
non-zero if any page fails; its timings mean nothing.
"""

import argparse
import os
import signal
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
    headers: dict = field(default_factory=dict)  # e.g. an htmx request's: {"HX-Request": "true"}


@dataclass
class Result:
    page: Page
    path: str
    median_ms: float
    p95_ms: float
    cpu_ms: float  # mean CPU time per request of the serving process (view, ORM, template)
    queries: int
    sql_ms: float  # time in the database during the counting request
    slowest: dict  # its slowest query ({"sql", "time"}), for --explain
    kilobytes: float


@dataclass
class Skipped:
    reason: str
    failed: bool  # the page answered an error (not merely: no such URL yet)


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
    menu = {"HX-Request": "true", "HX-Target": "topbar-search-results"}
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
    json = {"Accept": "application/json"}
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
    htmx = {"HX-Request": "true"}
    timeline = "records:client_timeline"
    return [
        Page(f"client page ({args.timeline:,} emails)", "records:client_detail", (client.pk,)),
        Page("its timeline, activities (htmx)", timeline, (client.pk,), "kind=activities", htmx),
        Page("an email thread's page", "mail:thread", (thread.pk,)),
    ]


# --- Every list, with each sort and filter its UI offers ---------------------------

LAST_PAGE = 10**6  # the paginator answers an out-of-range page with the last one
OPTIONS_SHOWN = 6  # a select's first options


def list_pages(toy: bool = False) -> list[Page]:
    """The four record lists (records/selectors/lists/specs.py) with every sort both ways,
    every filter's values, the suggested views, a search, the last page and an htmx page of
    results; then the other lists: tasks, handoffs, chat rooms, marketing, reports,
    automation and integrations. ``toy``: a few of each record list."""
    from records.selectors import lists

    pages = []
    for spec in lists.LISTS.values():
        variants = list(record_list_variants(spec))
        pages += [variants[0], *variants[-2:]] if toy else variants
    return pages + other_list_pages()


def record_list_variants(spec):
    """``spec``'s list as its UI asks for it: the header links, the filter form, the view
    pills, the search box, the page links, and an htmx sort (the results alone)."""
    from django.utils.http import urlencode

    from records.selectors import lists

    def variant(label, query="", headers=None):
        return Page(f"{spec.title}{label}", spec.url_name, query=query, headers=headers or {})

    yield variant("")
    for key in spec.sorts:
        for sort in (key, f"-{key}"):
            if sort != spec.default_sort:
                yield variant(f", sort {sort}", f"sort={sort}")
    for each in spec.all_filters:
        for value in filter_values(each):
            yield variant(f", {each.key}={value}", urlencode({each.key: value}))
    for name, query in spec.suggestions:
        yield variant(f": {name}", query)
    yield variant(", search", urlencode({lists.SEARCH_KEY: list_search_term(spec)}))
    yield variant(", last page", f"{lists.PAGE_KEY}={LAST_PAGE}")
    htmx = {"HX-Request": "true", "HX-Target": "list-results"}
    yield variant(", page 2 (htmx)", f"{lists.PAGE_KEY}=2", htmx)


def filter_values(each) -> list[str]:
    """Values of one list filter to measure: a select's options, a sample otherwise."""
    from records.selectors import lists

    if isinstance(each, lists.TagFilter):
        return [common_tag()]
    if each.widget == "number":
        return ["10000"]
    if each.widget == "chip":  # a client, set by a link from its page
        return [str(each.model.objects.order_by("pk").values_list("pk", flat=True).first())]
    if isinstance(each, lists.PersonFilter):  # "mine" and "none" cost what a person's id does
        return ["mine", "none"] if each.unassigned else ["mine"]
    return [value for value, _ in each.options()[:OPTIONS_SHOWN]]


def common_tag() -> str:
    """The tag most of the first thousand tagged clients carry."""
    from collections import Counter

    from records.models import Client

    tagged = Client.objects.exclude(tags=[]).order_by("pk").values_list("tags", flat=True)
    counts = Counter(tag for tags in tagged[:1000] for tag in tags)
    return counts.most_common(1)[0][0] if counts else "vip"


def list_search_term(spec) -> str:
    """A word from the middle of the list's first row's name, as someone would type it."""
    first = spec.queryset().order_by("pk").first()
    words = str(first or "a").split()
    return words[len(words) // 2][:6].lower()


def other_list_pages() -> list[Page]:
    """The lists outside records/selectors/lists: tasks, handoffs and the other apps' lists."""
    from accounts.models import Department

    team = [
        Page(f"Team tasks, {name}", "records:team_tasks", query=f"department={pk}")
        for pk, name in Department.objects.order_by("name").values_list("pk", "name")
    ]
    handoffs = [
        Page(f"Handoffs, {tab}", "records:handoff_inbox", query=f"tab={tab}")
        for tab in ("incoming", "outgoing", "answered")
    ]
    return [
        Page("My tasks", "records:my_tasks"),
        Page("My tasks, done page 2 (htmx)", "records:my_tasks", query="done_page=2",
             headers={"HX-Request": "true"}),
        Page("Team tasks", "records:team_tasks"),
        *team,
        *handoffs,
        Page("Chat rooms", "chat:home"),
        Page("Marketing", "marketing:home"),
        Page("Segments", "marketing:segment_list"),
        Page("Campaigns", "marketing:campaign_list"),
        Page("Web forms", "marketing:form_list"),
        Page("Reports", "reports:home"),
        Page("Automation rules", "automation:rule_list"),
        Page("Imports", "imports:list"),
        Page("Webhooks", "webhooks:list"),
        Page("Calls", "telephony:calls"),
        Page("Mail triage", "mail:triage"),
        Page("Mail snippets", "mail:snippets"),
        Page("Team (people)", "team"),
        Page("Notifications", "notifications"),
    ]  # fmt: skip


def pages(args) -> list[Page]:
    if args.lists or args.toy:
        return list_pages(toy=args.toy)
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


# --- Fetching: in this process, or over HTTP from one daphne -------------------------


class InProcess:
    """GETs through Django's test ``Client`` in this process; CPU is this process's."""

    def __init__(self, user):
        from django.test import Client

        # "localhost" is an allowed host in the default settings; "testserver" is not.
        self.client = Client(HTTP_HOST="localhost", raise_request_exception=False)
        self.client.force_login(user)

    def get(self, path: str, headers: dict) -> tuple[int, bytes]:
        response = self.client.get(path, headers=headers)
        return response.status_code, response.content

    @staticmethod
    def cpu_seconds() -> float:
        return time.process_time()


class OverHttp:
    """GETs over one keep-alive connection to daphne, with ``cookie`` (a signed-in tab's);
    CPU is the server process's (``pid``)."""

    def __init__(self, port: int, cookie: str, pid: int):
        self.port, self.cookie, self.pid = port, cookie, pid
        self.connection = None

    def get(self, path: str, headers: dict) -> tuple[int, bytes]:
        import http.client

        for attempt in range(2):  # once more on a fresh connection if the server closed it
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.connection.request(
                    "GET", path, headers={"Host": "localhost", "Cookie": self.cookie, **headers}
                )
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def cpu_seconds(self) -> float:
        from bench.ws_fanout import cpu_seconds

        return cpu_seconds(self.pid)


def page_path(page: Page) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        path = reverse(page.url_name, args=page.args)
    except NoReverseMatch:
        return None
    return f"{path}?{page.query}" if page.query else path


def measure(fetcher, counter: InProcess, page: Page, args) -> Result | Skipped:
    """Time ``page`` through ``fetcher``; count its queries through ``counter``."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    path = page_path(page)
    if path is None:
        return Skipped(f"skipped {page.label}: no URL named {page.url_name!r} yet", failed=False)
    for _ in range(args.warmup):
        status, body = fetcher.get(path, page.headers)
    if status != 200:
        return Skipped(f"FAILED {page.label}: {path} answered {status}", failed=True)
    settings.DEBUG = False
    timings = []
    cpu_started = fetcher.cpu_seconds()
    for _ in range(args.requests):
        started = time.perf_counter()
        status, body = fetcher.get(path, page.headers)
        timings.append((time.perf_counter() - started) * 1000)
    cpu_ms = (fetcher.cpu_seconds() - cpu_started) * 1000 / args.requests
    with CaptureQueriesContext(connection) as queries:
        counter.get(path, page.headers)
    slowest = max(queries.captured_queries, key=lambda query: float(query["time"]))
    return Result(
        page=page,
        path=path,
        median_ms=statistics.median(timings),
        p95_ms=percentile(timings, 0.95),
        cpu_ms=cpu_ms,
        queries=len(queries),
        sql_ms=sum(float(query["time"]) for query in queries.captured_queries) * 1000,
        slowest=slowest,
        kilobytes=len(body) / 1024,
    )


def start_server(user, toy: bool) -> tuple:
    """One daphne (DEBUG=0, bench/ws_fanout.py's) on this database, and a session cookie
    of ``user`` (made here: the server shares SECRET_KEY through the environment)."""
    from django.conf import settings
    from django.db import connection

    from bench.ws_fanout import server_env, start_daphne

    database = settings.DATABASES["default"]
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{database['NAME']}"
    env = server_env(url, None if toy else os.environ.get("REDIS_URL"))
    port = free_port()
    connection.close()  # SQLite: nothing of ours left open while the server writes
    server = start_daphne(port, env)
    session = InProcess(user).client.cookies[settings.SESSION_COOKIE_NAME].value
    return server, OverHttp(port, f"{settings.SESSION_COOKIE_NAME}={session}", server.pid)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: the machine is shared, figures need them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def throughput(fetcher: OverHttp, paths: list[str], seconds: float, tabs: int) -> str:
    """Pages per second one daphne serves to ``tabs`` tabs requesting ``paths`` in turn."""
    import itertools
    import threading

    deadline = time.monotonic() + seconds
    served, failed = [0] * tabs, [0] * tabs

    def tab(number: int) -> None:
        own = OverHttp(fetcher.port, fetcher.cookie, fetcher.pid)
        for path in itertools.islice(itertools.cycle(paths), number, None):
            if time.monotonic() > deadline:
                return
            status, _ = own.get(path, {})
            served[number] += status == 200
            failed[number] += status != 200

    cpu_started, started = fetcher.cpu_seconds(), time.monotonic()
    threads = [threading.Thread(target=tab, args=(number,)) for number in range(tabs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took, cpu = time.monotonic() - started, fetcher.cpu_seconds() - cpu_started
    return (
        f"\nthroughput: {sum(served) / took:.1f} pages/s from one daphne process "
        f"({tabs} tabs, {len(paths)} list pages in turn, {took:.0f} s, server CPU "
        f"{cpu / took:.0%} of a core, {sum(failed)} failed); load average {load_average()}"
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


# --- The toy run, for CI --------------------------------------------------------------

TOY_CLIENTS = 30


def use_toy_database() -> None:
    """Point this run at a new SQLite file (before Django reads its settings)."""
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="ws-pages-toy-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'toy.sqlite3'}"
    os.environ.pop("REDIS_URL", None)


def fill_toy_database(email: str, *, create_tables: bool) -> None:
    """On a throw-away file (``create_tables``) the tables straight from the models (no
    migrations: seconds, not half a minute) and the rows the migrations seed; on the
    database given (CI's test database, migrated) what is there. Then the demo's people,
    a few clients with their contacts, deals and tickets, and a task of the person
    signed in."""
    from importlib import import_module

    from django.apps import apps
    from django.conf import settings
    from django.db import connection

    from accounts.models import User
    from demo.book_scale import seed_scale
    from demo.people import seed_people
    from records import services

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # a toy
    if create_tables:
        database = settings.DATABASES["default"]
        database["TEST"] = {"NAME": database["NAME"], "MIGRATE": False}
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        import_module("records.migrations.0002_seed_defaults").seed(apps, None)
    seed_people()
    seed_scale(TOY_CLIENTS, report=lambda line: None)
    person = User.objects.get(email=email)
    services.create_task(actor=person, title="Call back", assignee=person)


# --- Main ------------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
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
        "--lists", action="store_true", help="every list, with each sort and filter it offers"
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
    parser.add_argument(
        "--http", action="store_true", help="over HTTP to one daphne (DEBUG=0), not in-process"
    )
    parser.add_argument(
        "--throughput",
        type=float,
        default=0,
        metavar="SECONDS",
        help="with --http: pages/s of the daphne process, the measured pages in turn",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="PATH",
        help="only the page at this path with its query, e.g. /clients/?sort=owner (repeatable)",
    )
    parser.add_argument("--tabs", type=int, default=4, help="concurrent tabs for --throughput")
    parser.add_argument(
        "--toy", action="store_true", help="CI: lists once over HTTP on a throw-away database"
    )
    args = parser.parse_args(argv)
    if args.reports and args.http:
        parser.error("--reports turns the report cache off in this process: drop --http")
    if args.toy:
        args.http, args.requests, args.warmup = True, 1, 1
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)
    throwaway = args.toy and not os.environ.get("DATABASE_URL")
    if throwaway:
        use_toy_database()
    if args.http:
        import secrets

        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))  # the server's too
    import django

    django.setup()
    if args.toy:
        fill_toy_database(args.user, create_tables=throwaway)
    if args.reports:
        from django.conf import settings

        settings.REPORTS_CACHE_SECONDS = 0
    from accounts.models import User

    user = User.objects.get(email=args.user)
    counter = InProcess(user)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that daphne is stopped below
    server, fetcher = start_server(user, args.toy) if args.http else (None, counter)
    try:
        return run(args, user, counter, fetcher)
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)


def run(args, user, counter: InProcess, fetcher) -> int:
    """Measure every page, a table row as each is done; exit status 1 when a page failed
    (a toy run: or was skipped) or, in a full run, was slower than the target."""
    print(database_summary())
    where = "over HTTP from one daphne (DEBUG=0)" if args.http else "in-process"
    print(f"{args.requests} requests per page after {args.warmup} warm-up, as {args.user}, {where}")
    print(f"load average {load_average()}, {time.strftime('%F %R %Z')}")
    show_header(args.target, "daphne CPU" if args.http else "Python CPU")
    results, skipped = [], []
    for page in pages(args):
        if args.only and not any(part == page_path(page) for part in args.only):
            continue
        outcome = measure(fetcher, counter, page, args)
        if isinstance(outcome, Skipped):
            print(outcome.reason, flush=True)
            skipped.append(outcome)
        else:
            show(outcome, args.target)
            results.append(outcome)
    print(f"\nload average {load_average()} at the end")
    if args.search:
        search_groups(user, args)
    if args.explain:
        for result in results:
            explain(result)
    if args.throughput and args.http:
        paths = [result.path for result in results if not result.page.headers]
        print(throughput(fetcher, paths, args.throughput, args.tabs))
    failed = [each for each in skipped if each.failed]
    slow = [result for result in results if result.p95_ms > args.target]
    return 1 if failed or (args.toy and (skipped or not results)) or (slow and not args.toy) else 0


def show_header(target: float, cpu: str) -> None:
    print(
        f"\n| page | request | median | p95 | {cpu} | queries | SQL time | HTML "
        f"| p95 ≤ {target:.0f} ms |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")


def show(r: Result, target: float) -> None:
    verdict = "yes" if r.p95_ms <= target else "**no**"
    print(
        f"| {r.page.label} | `{r.path}` | {r.median_ms:.1f} ms | {r.p95_ms:.1f} ms "
        f"| {r.cpu_ms:.1f} ms | {r.queries} | {r.sql_ms:.1f} ms | {r.kilobytes:.0f} KB "
        f"| {verdict} |",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
