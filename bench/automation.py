#!/usr/bin/env python
"""Automation benchmark: the lag from a change to a rule's actions, and the rules' cost to it.

Target (issue 20): rules add no time to the request that triggered them; with 50 enabled
rules and 1,000 events a minute, the lag from an event to its actions is p95 <= 2 s.

The database: ``--database-url`` (its own; created, migrated and given the demo company
when it has none). 50 rules (``Bench: …``, made afresh each run through
``automation.services``, the earlier run's deleted) of a realistic mix: a change is heard
by about four, one or two act (notify, create a task, post in the client's room, change a
field — which the others hear in turn), the rest fail their conditions; most listen for
what the run never does (deals won, handoffs, forms, mail, schedules, other fields).
The changes: deal amounts, ticket priorities, client phones and task priorities in turn,
through ``update_field`` (what an inline edit calls), as an admin.

(a) The request: the same changes (back and forth between two values) with the rules all
    off and all on, ``--rounds`` rounds of 20 each, alternating, no worker running:
    median and p95 of the call, its CPU here and in PostgreSQL, its SQL statements and
    the time of those the automation listener made.
(b) ``--dispatch N``: N changes queued, then dispatched in this process one after another
    as a worker would (``engine.dispatch``, with what the rules' actions set off): wall,
    CPU and SQL statements per occurrence; ``--profile``: again under cProfile, with the
    statements by shape — where a worker's time goes.
(c) The lag, once for each of ``--workers`` (default ``1 2``): that many real ``manage.py
    run_worker`` processes (``--interval``: their idle poll; 0.2 s as the Procfile runs
    them), and this process making the changes at ``--rate`` a minute for ``--seconds``
    (the first ``--warmup`` not counted; fewer when the calls cannot keep up), then up to
    ``--drain`` seconds for the queue to empty. Lag = ``RuleRun.finished_at`` -
    ``Occurrence.created_at`` (the change's own moment, in its transaction), p50, p95,
    p99 and max for the runs that acted (the target), for every run (skipped too) and for
    dispatch; with the runs by status, steps not done, jobs and runs a second, the queue
    left and CPU (workers, this process, PostgreSQL). Exit 1 when a p95 is over 2 s.

Loopback only; at most 4 workers, 300 s of changes, 120 s of draining; the workers are
always stopped (SIGTERM, then SIGKILL), the rules switched off and what the run leaves
queued discarded. What the rules did stays (tasks and their reminders, notifications,
room posts): use a database of its own. Persistent connections
(``DB_CONN_MAX_AGE=600``), as deployed; workers run with DEBUG off. PostgreSQL only
(workers share the queue by ``SKIP LOCKED``).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ws_bench_auto
    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/automation.py --dispatch 100
    REDIS_URL=... .venv/bin/python bench/automation.py --rounds 0 --workers 2 --rate 300
    REDIS_URL=... .venv/bin/python bench/automation.py --rounds 0 --workers --dispatch 100 --profile
    .venv/bin/python bench/automation.py --toy     # CI: $DATABASE_URL as it is, a few changes

``--toy`` uses the database it is given as it is (no migrate, no demo company: the three
people the rules name and one record of each kind changed are made if missing), makes a
few changes in each part with one worker, and exits 1 when the queue does not drain, a
worker dies or no rule acted (not for the target); on SQLite it says "skipped".
"""

import argparse
import contextlib
import itertools
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # never bench/: its modules must not hide the standard library's
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
os.environ.setdefault("DB_CONN_MAX_AGE", "600")

from bench import toy  # noqa: E402 (after the path is right)
from bench.ws_fanout import cpu_seconds, percentile  # noqa: E402

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/ws_bench_auto"
RULE_PREFIX = "Bench: "
ADMIN, SALES_MANAGER, SUPPORT_MANAGER = (
    "alex@northwind.example",
    "priya@northwind.example",
    "omar@northwind.example",
)
SUBJECTS_PER_KIND = 40  # records each kind of change goes round (row locks spread)
TARGET_SECONDS = 2.0
MAX_WORKERS, MAX_SECONDS, MAX_DRAIN = 4, 300, 120
STARTUP_SECONDS = 60
SETUP_ENV = {"DEBUG": "1"}  # migrate and seed_demo are development commands


# --- The rules -----------------------------------------------------------------------------


def when(field_, op, value) -> dict:
    return {"field": field_, "op": op, "value": value}


NEVER = [when("client.country", "eq", "AQ")]  # no client is in Antarctica
AT_NIGHT = [when("time", "between", ["03:00", "03:05"])]


@dataclass(frozen=True)
class Spec:
    """One bench rule: ``owner`` an e-mail of the demo company, ``department`` a slug (in
    actions too)."""

    name: str
    trigger: str
    options: dict = field(default_factory=dict)
    conditions: list = field(default_factory=list)
    actions: list = field(default_factory=lambda: [notify("owner", "{rule.name}")])
    owner: str = ADMIN
    department: str = ""  # workspace-wide


def notify(to: str, text: str, **more) -> dict:
    return {"type": "notify", "to": to, "text": text, **more}


def brief(department: str) -> list[dict]:
    return [notify("department_managers", "{rule.name}", department=department)]


def on_fields(*names: str) -> dict:
    return {"fields": list(names)}


SALES = {"owner": SALES_MANAGER, "department": "sales"}
SUPPORT = {"owner": SUPPORT_MANAGER, "department": "support"}

# What the run changes: deal amounts, ticket priorities, client phones, task priorities.
# Each comment says how often the rule acts (A), is heard but fails its conditions (S), or
# does not hear the run's changes at all (-).
RULES = [
    # deal amount: 2 act (1 always, 1 half the time), 3 skipped
    Spec(
        "Deal amount: tell the owner",  # A
        "deal.field_changed",
        on_fields("amount"),
        [when("deal.amount", "gt", "0")],
        [notify("owner", "{deal.title} is now {deal.amount}")],
        **SALES,
    ),
    Spec(
        "Big deal: review task and managers",  # A, half
        "deal.field_changed",
        on_fields("amount"),
        [when("deal.amount", "gt", "60000")],
        [
            {
                "type": "create_task",
                "title": "Review {deal.title}",
                "due_in_hours": 48,
                "checklist": ["Check the discount", "Call the buyer"],
                "assignee": "owner",
            },
            notify("department_managers", "Big deal: {deal.title}", department="sales"),
        ],
        **SALES,
    ),
    Spec(
        "Deal amount in Antarctica",
        "deal.field_changed",
        on_fields("amount"),
        NEVER,
        **SALES,
    ),
    Spec(
        "Deal amount below zero",
        "deal.field_changed",
        on_fields("amount"),
        [when("deal.amount", "lt", "0")],
    ),
    Spec("Deal amount at night", "deal.field_changed", on_fields("amount"), AT_NIGHT, **SALES),
    Spec("Deal close date moved", "deal.field_changed", on_fields("expected_close"), **SALES),
    Spec("Deal renamed", "deal.field_changed", on_fields("title")),
    Spec("Deal currency changed", "deal.field_changed", on_fields("currency"), **SALES),
    Spec("Deal won", "deal.won", **SALES),
    Spec("Deal lost", "deal.lost", **SALES),
    Spec("Deal created", "deal.created", **SALES),
    Spec("Deal stage changed", "deal.stage_changed"),
    # ticket priority: 1 acts always, 2 a quarter of the time (one changes the priority
    # back to normal: the others hear that too, a chain), 2 skipped
    Spec("Ticket priority: tell the assignee", "ticket.priority_changed", **SUPPORT),
    Spec(
        "Urgent ticket: managers and client room",  # A, a quarter
        "ticket.priority_changed",
        conditions=[when("ticket.priority", "eq", "urgent")],
        actions=[
            notify("department_managers", "Urgent: {ticket.subject}", department="support"),
            {"type": "post_in_room", "room": "client", "text": "Urgent ticket: {ticket.subject}"},
        ],
        **SUPPORT,
    ),
    Spec(
        "Low priority is normal here",  # A, a quarter; its change is heard by the others
        "ticket.priority_changed",
        conditions=[when("ticket.priority", "eq", "low")],
        actions=[{"type": "change_field", "field": "priority", "value": "normal"}],
        **SUPPORT,
    ),
    Spec(
        "Ticket priority in Antarctica",
        "ticket.priority_changed",
        conditions=NEVER,
        **SUPPORT,
    ),
    Spec("Ticket priority at night", "ticket.priority_changed", conditions=AT_NIGHT),
    Spec("Ticket status changed", "ticket.status_changed", **SUPPORT),
    Spec("Ticket subject changed", "ticket.field_changed", on_fields("subject"), **SUPPORT),
    Spec("Ticket reassigned", "ticket.field_changed", on_fields("assignee"), **SUPPORT),
    Spec("Ticket channel changed", "ticket.field_changed", on_fields("channel"), **SUPPORT),
    Spec("Ticket opened", "ticket.created", **SUPPORT),
    Spec("Ticket rated", "ticket.rated", **SUPPORT),
    Spec("SLA due soon", "ticket.sla_due_soon", {"minutes": 60}, **SUPPORT),
    Spec("SLA breached", "ticket.sla_breached", **SUPPORT),
    # client phone: 1 acts, 2 skipped
    Spec("Client phone: tell the owner", "client.field_changed", on_fields("phone")),
    Spec("Client phone in Antarctica", "client.field_changed", on_fields("phone"), NEVER),
    Spec("Any client change at night", "client.field_changed", conditions=AT_NIGHT),
    Spec("Client lifecycle changed", "client.field_changed", on_fields("lifecycle")),
    Spec("Client owner changed", "client.field_changed", on_fields("owner")),
    Spec("Client industry changed", "client.field_changed", on_fields("industry")),
    Spec("Client tags changed", "client.field_changed", on_fields("tags")),
    Spec("Client created", "client.created"),
    Spec("Contact added", "contact.created"),
    # task priority: 1 acts a quarter of the time, 1 skipped; the review tasks the deal
    # rule creates are heard (and skipped) by "Low priority task created"
    Spec(
        "High priority task: the assignee's manager",
        "task.field_changed",
        on_fields("priority"),
        [when("task.priority", "eq", "high")],
        [notify("assignee_manager", "High priority: {task.title}")],
    ),
    Spec("Task priority at night", "task.field_changed", on_fields("priority"), AT_NIGHT),
    Spec(
        "Low priority task created",
        "task.created",
        conditions=[when("task.priority", "eq", "low")],
    ),
    Spec("Task due date moved", "task.field_changed", on_fields("due_at")),
    Spec("Task renamed", "task.field_changed", on_fields("title")),
    Spec("Task overdue", "task.overdue"),
    # never heard in this run
    Spec("Handoff sent", "handoff.sent", **SUPPORT),
    Spec("Handoff accepted", "handoff.accepted", **SUPPORT),
    Spec("Handoff declined", "handoff.declined", **SUPPORT),
    Spec("Handoff unanswered", "handoff.unanswered", {"hours": 24}, **SUPPORT),
    Spec("Web form submitted", "form.submitted", **SALES),
    Spec("Email received", "mail.received", **SUPPORT),
    Spec("Call missed", "call.missed", **SUPPORT),
    Spec("Monday briefing", "schedule", {"weekdays": [0], "time": "09:00"}, [], brief("sales")),
    Spec("Friday wrap-up", "schedule", {"weekdays": [4], "time": "16:00"}, [], brief("support")),
    Spec(
        "Daily check",
        "schedule",
        {"weekdays": [0, 1, 2, 3, 4], "time": "07:30"},
        [],
        brief("sales"),
    ),
]
assert len(RULES) == 50, len(RULES)
# A toy run's rules: those that act on the run's changes (the 50 cost seconds to switch).
TOY_RULES = [
    spec
    for spec in RULES
    if spec.name
    in {
        "Deal amount: tell the owner",
        "Big deal: review task and managers",
        "Urgent ticket: managers and client room",
        "Low priority is normal here",
        "Client phone: tell the owner",
        "High priority task: the assignee's manager",
    }
]
assert len(TOY_RULES) == 6, len(TOY_RULES)


def toy_company() -> None:
    """The three people the rules name (with their departments) and one record of each
    kind the run changes, made if missing: a toy run's data without ``seed_demo``."""
    from accounts.models import Department, Role, User
    from records import services

    people = {}
    for email, role, slug in (
        (ADMIN, Role.ADMIN, "sales"),
        (SALES_MANAGER, Role.MANAGER, "sales"),
        (SUPPORT_MANAGER, Role.MANAGER, "support"),
    ):
        department, _ = Department.objects.get_or_create(slug=slug, defaults={"name": slug})
        people[email], _ = User.objects.get_or_create(
            email=email, defaults={"full_name": email.split("@")[0].title(), "role": role}
        )
        people[email].departments.add(department)
    admin = people[ADMIN]
    client = services.create_client(actor=admin, name=toy.unique("Toy automation"))
    services.create_deal(actor=admin, client=client, title="Toy deal", owner=people[SALES_MANAGER])
    services.create_ticket(
        actor=admin, client=client, subject="Toy ticket", assignee=people[SUPPORT_MANAGER]
    )
    services.create_task(actor=admin, title="Toy task", assignee=people[SALES_MANAGER])


def user(email: str):
    from accounts.models import User

    return User.objects.get(email=email)


def install_rules(specs: list[Spec]) -> list:
    """The bench rules, made afresh (off) through the rule services."""
    from accounts.models import Department
    from automation import services
    from automation.models import Rule

    admin = user(ADMIN)
    for rule in Rule.objects.filter(name__startswith=RULE_PREFIX):
        services.delete_rule(actor=admin, rule=rule)
    departments = {d.slug: d for d in Department.objects.all()}

    def resolved(actions: list[dict]) -> list[dict]:  # department slugs → ids
        return [
            {**action, "department": departments[action["department"]].pk}
            if "department" in action
            else action
            for action in actions
        ]

    return [
        services.create_rule(
            actor=admin,
            owner=user(spec.owner),
            department=departments.get(spec.department),
            name=f"{RULE_PREFIX}{spec.name}",
            trigger=spec.trigger,
            trigger_options=spec.options,
            conditions=spec.conditions,
            actions=resolved(spec.actions),
        )
        for spec in specs
    ]


def switch(rules: list, enabled: bool) -> None:
    from automation import services

    admin = user(ADMIN)
    for rule in rules:
        services.set_enabled(actor=admin, rule=rule, enabled=enabled)


# --- The changes (what people do) ---------------------------------------------------------


class Changes:
    """Field edits through ``update_field`` in turn: a deal's amount, a ticket's priority, a
    client's phone, a task's priority, each on the next of ``SUBJECTS_PER_KIND`` records
    (read fresh, so the edit starts from the stored value, as the inline form does)."""

    PRIORITIES = ("low", "normal", "high", "urgent")
    AMOUNTS = tuple(Decimal(n) for n in (20000, 45000, 70000, 95000))

    def __init__(self, per_kind: int = SUBJECTS_PER_KIND):
        from records.models import Client, Deal, Task, Ticket

        self.actor, self.per_kind = user(ADMIN), per_kind
        self.kinds = itertools.cycle(
            [
                ("deal amount", self.pool(Deal.objects.exclude(owner=None)), "amount"),
                ("ticket priority", self.pool(Ticket.objects.exclude(assignee=None)), "priority"),
                ("client phone", self.pool(Client.objects.filter(archived=False)), "phone"),
                ("task priority", self.pool(Task.objects.filter(status="open")), "priority"),
            ]
        )
        self.count = 0

    def pool(self, records) -> itertools.cycle:
        pks = list(records.order_by("pk").values_list("pk", flat=True)[: self.per_kind])
        assert pks, f"no {records.model._meta.verbose_name_plural} to change"
        return itertools.cycle([(records.model, pk) for pk in pks])

    def next_value(self, field_name: str, current):
        """The next value round a cycle (each record goes round it: the mix stays the same
        whatever the records' values were), a new phone number."""
        self.count += 1
        if field_name == "phone":
            return f"+49 30 {self.count:07d}"
        cycle = self.AMOUNTS if field_name == "amount" else self.PRIORITIES
        at = cycle.index(current) if current in cycle else -1
        return cycle[(at + 1) % len(cycle)]

    @property
    def cycle(self) -> int:
        """Changes until each record was changed once."""
        return 4 * self.per_kind

    def make(self) -> tuple[str, float]:
        """One change; returns its kind and the seconds ``update_field`` took."""
        from records.services import update_field

        kind, subjects, field_name = next(self.kinds)
        model, pk = next(subjects)
        record = model.objects.get(pk=pk)
        current = getattr(record, field_name)
        started = time.perf_counter()
        update_field(
            actor=self.actor,
            obj=record,
            field=field_name,
            value=self.next_value(field_name, current),
            seen_value=current,
        )
        return kind, time.perf_counter() - started


class Toggles(Changes):
    """The same changes back and forth between two values, so that two rounds over the
    records do the same work: the request compared with the rules off and on."""

    PAIRS = {
        "amount": (Decimal(45000), Decimal(70000)),
        "priority": ("normal", "high"),
        "phone": ("+49 30 1111111", "+49 30 2222222"),
    }

    def next_value(self, field_name: str, current):
        first, second = self.PAIRS[field_name]
        return second if current == first else first


# --- 2. The request ---------------------------------------------------------------------------


@dataclass
class Requests:
    """Changes timed: the seconds of each, its SQL statements (the fresh read before it not
    counted), the seconds of those the automation listener made, and the CPU in all (this
    process, and its PostgreSQL backend)."""

    seconds: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    listener: list[float] = field(default_factory=list)
    cpu: float = 0.0
    server_cpu: float = 0.0

    def time(self, changes: Changes, count: int, backend: int) -> None:
        cpu, server = time.process_time(), cpu_seconds(backend)
        for _ in range(count):
            with statements() as captured:
                _kind, took = changes.make()
            self.seconds.append(took)
            self.statements.append(len(captured) - 1)
            self.listener.append(sum(float(q["time"]) for q in captured if is_listeners(q["sql"])))
        self.cpu += time.process_time() - cpu
        self.server_cpu += cpu_seconds(backend) - server

    def row(self, label: str) -> str:
        n = len(self.seconds)
        return (
            f"| {label} | {statistics.median(self.seconds) * 1000:.1f} ms "
            f"| {percentile(self.seconds, 0.95) * 1000:.1f} ms "
            f"| {self.cpu / n * 1000:.1f} ms | {self.server_cpu / n * 1000:.1f} ms "
            f"| {statistics.mean(self.statements):.1f} "
            f"| {statistics.mean(self.listener) * 1000:.2f} ms |"
        )


def statements():
    """The SQL statements run inside (Django's log of them keeps the last 9,000: emptied
    first, or a long bench would count none)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()
    return CaptureQueriesContext(connection)


def is_listeners(sql: str) -> bool:
    """A statement of automation/listeners.py: the occurrence, its job, the event's id."""
    return (
        "automation_occurrence" in sql
        or "django_tasks_database" in sql
        or ('FROM "live_event"' in sql and "xact" in sql)
    )


def bench_request(rules: list, rounds: int, per_kind: int = 5) -> None:
    """The same changes (back and forth, on ``per_kind`` records of each kind) with the rules
    off and on, in alternating rounds (the machine's load drifts), off first in every other
    pair; no worker runs, so what is measured is the request's own work."""
    from automation.listeners import listened_kinds

    changes = Toggles(per_kind=per_kind)
    for _ in range(changes.cycle):  # every record at one of its two values
        changes.make()
    backend = postgres_backend()
    measured = {False: Requests(), True: Requests()}
    for pair in range(rounds):
        for enabled in (False, True) if pair % 2 == 0 else (True, False):
            switch(rules, enabled)
            listened_kinds()  # the listener's cache, cleared by the switch, filled again
            measured[enabled].time(changes, changes.cycle, backend)
    off, on = measured[False], measured[True]
    print(
        f"\n(a) the request: update_field, {len(off.seconds)} calls with the rules off and as "
        "many on (deal amount, ticket priority, client phone, task priority, back and forth)"
    )
    print(
        "\n| rules enabled | median | p95 | CPU | PostgreSQL CPU | SQL statements "
        "| listener's SQL |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    print(off.row("0"))
    print(on.row(str(len(rules))))
    extra = statistics.median(on.seconds) - statistics.median(off.seconds)
    cpu = (on.cpu + on.server_cpu - off.cpu - off.server_cpu) / len(on.seconds)
    more = statistics.mean(on.statements) - statistics.mean(off.statements)
    print(
        f"\nextra per request: {extra * 1000:+.1f} ms (median), {cpu * 1000:+.1f} ms CPU, "
        f"{more:+.1f} SQL statements"
    )


# --- 3. The lag --------------------------------------------------------------------------------


class Workers:
    """``count`` ``manage.py run_worker`` processes, logs in ``directory``; always stopped."""

    def __init__(self, count: int, interval: float, directory: Path):
        self.count, self.interval, self.directory = count, interval, directory
        self.processes: list[tuple[str, subprocess.Popen, Path]] = []

    def __enter__(self) -> "Workers":
        env = dict(os.environ, DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50))
        for n in range(self.count):
            worker_id = f"bench-auto-{n}-{secrets.token_hex(4)}"
            log = self.directory / f"{worker_id}.log"
            with open(log, "wb") as out:
                process = subprocess.Popen(  # noqa: S603
                    [
                        *(sys.executable, "manage.py", "run_worker", "--worker-id", worker_id),
                        *("--interval", str(self.interval), "--no-reload"),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.processes.append((worker_id, process, log))
        self.wait_started()
        return self

    def wait_started(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        for worker_id, process, log in self.processes:
            while f"worker_id={worker_id}" not in log.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"worker {worker_id} did not start:\n{self.tail(log)}")
                time.sleep(0.1)

    def cpu(self) -> float:
        return sum(cpu_seconds(process.pid) for _id, process, _log in self.processes)

    def died(self) -> list[str]:
        return [self.tail(log) for _id, proc, log in self.processes if proc.poll() is not None]

    @staticmethod
    def tail(log: Path) -> str:
        return "\n".join(log.read_text(errors="replace").splitlines()[-30:])

    def __exit__(self, *exc) -> None:
        for _id, process, _log in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _id, process, _log in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def postgres_backends() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def backends_cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        # a backend that ended: its time is lost (connections persist, so rare)
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            total += cpu_seconds(pid)
    return total


@dataclass
class Window:
    """What one lag run did: the changes' timings and the measured span."""

    first_occurrence: int
    measured_from: datetime
    measured_to: datetime
    changes: list[float]
    cpu: dict[str, float]
    drained: float | None  # seconds after the last change until nothing was left; None: not
    died: list[str]  # the log tails of workers that died

    def broken(self, p95: float | None) -> list[str]:
        """What makes the run a failure, whatever its lag: given ``p95`` of the runs that
        acted (None: none did)."""
        problems = [f"a worker died:\n{tail}" for tail in self.died]
        if self.drained is None:
            problems.append("the queue did not drain")
        if p95 is None:
            problems.append("no rule acted")
        return problems


def last_occurrence() -> int:
    from automation.models import Occurrence

    return Occurrence.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def produce(changes: Changes, rate: int, seconds: float, warmup: float, workers: Workers):
    """Changes at ``rate`` a minute for ``warmup`` + ``seconds``; the CPU of the measured part."""
    from django.utils import timezone

    gap = 60 / rate
    start = time.monotonic()
    measured_at = start + warmup
    end = measured_at + seconds
    timings, cpu_before, measured_from = [], {}, None
    for n in itertools.count():
        due = start + n * gap
        if due >= end or time.monotonic() >= end:  # behind: the changes left are not made
            break
        time.sleep(max(0.0, due - time.monotonic()))
        if measured_from is None and due >= measured_at:
            measured_from, pids = timezone.now(), postgres_backends()
            cpu_before = cpu_snapshot(workers, pids)
        _kind, took = changes.make()
        if measured_from is not None:
            timings.append(took)
    measured_to = timezone.now()
    cpu = {name: value - cpu_before[name] for name, value in cpu_snapshot(workers, pids).items()}
    return measured_from, measured_to, timings, cpu


def cpu_snapshot(workers: Workers, pids: list[int]) -> dict[str, float]:
    return {
        "workers": workers.cpu(),
        "this process": time.process_time(),
        "PostgreSQL": backends_cpu(pids),
    }


def left_over(first_occurrence: int) -> tuple[int, int]:
    """Occurrences not dispatched and runs not finished, of this run's occurrences."""
    from automation.models import Occurrence, RuleRun

    occurrences = Occurrence.objects.filter(pk__gt=first_occurrence)
    return (
        occurrences.filter(dispatched_at__isnull=True).count(),
        RuleRun.objects.filter(occurrence__in=occurrences)
        .exclude(status__in=RuleRun.FINISHED)
        .count(),
    )


def wait_drained(first_occurrence: int, drain: float) -> float | None:
    started = time.monotonic()
    while left_over(first_occurrence) != (0, 0):
        if time.monotonic() - started > drain:
            return None
        time.sleep(0.2)
    return time.monotonic() - started


def run_lag(args, rules: list, changes: Changes, count: int, directory: Path) -> Window:
    first = last_occurrence()
    with Workers(count, args.interval, directory) as workers:
        measured_from, measured_to, timings, cpu = produce(
            changes, args.rate, args.seconds, args.warmup, workers
        )
        drained = wait_drained(first, args.drain)
        died = workers.died()
    return Window(first, measured_from, measured_to, timings, cpu, drained, died)


def stats(values: list[float]) -> str:
    if not values:
        return "| - | - | - | - |"
    return (
        f"| {statistics.median(values):.2f} s | **{percentile(values, 0.95):.2f} s** "
        f"| {percentile(values, 0.99):.2f} s | {max(values):.2f} s |"
    )


def report_lag(args, count: int, window: Window) -> float | None:
    """Print one lag run; returns the p95 of the runs that acted."""

    from automation.models import Occurrence, RuleRun

    occurrences = Occurrence.objects.filter(
        pk__gt=window.first_occurrence,
        created_at__gte=window.measured_from,
        created_at__lt=window.measured_to,
    )
    runs = list(
        RuleRun.objects.filter(occurrence__in=occurrences, finished_at__isnull=False).values_list(
            "status", "finished_at", "occurrence__created_at", "chain", "steps"
        )
    )
    span = (window.measured_to - window.measured_from).total_seconds()

    def lag(row) -> float:
        return (row[1] - row[2]).total_seconds()

    acted = [lag(row) for row in runs if row[0] == RuleRun.Status.DONE]
    first_hand = [lag(row) for row in runs if row[0] == RuleRun.Status.DONE and not row[3]]
    dispatch = [
        (dispatched - created).total_seconds()
        for created, dispatched in occurrences.filter(dispatched_at__isnull=False).values_list(
            "created_at", "dispatched_at"
        )
    ]
    by_status = {}
    for row in runs:
        by_status[row[0]] = by_status.get(row[0], 0) + 1
    steps = [step for row in runs for step in row[4]]
    troubles = [step for step in steps if step.get("status") != "done"]
    jobs = (
        automation_jobs()
        .filter(
            finished_at__gte=window.measured_from,
            finished_at__lt=window.measured_to,
        )
        .count()
    )
    people = occurrences.filter(chain=[]).count()

    print(
        f"\n(c) {count} worker{'s' if count > 1 else ''} (--interval {args.interval}), "
        f"load average {os.getloadavg()[0]:.1f}: {len(window.changes)} changes in {span:.0f} s "
        f"= {60 * len(window.changes) / span:,.0f}/min (update_field median "
        f"{statistics.median(window.changes) * 1000:.0f} ms, p95 "
        f"{percentile(window.changes, 0.95) * 1000:.0f} ms)"
    )
    print(
        f"occurrences {occurrences.count()} ({people} from people, the rest from rules' actions); "
        f"runs {len(runs)} {dict(sorted(by_status.items()))}; steps {len(steps)}, "
        f"{len(troubles)} not done; automation jobs {jobs / span:.1f}/s; "
        f"runs finished {len(runs) / span:.1f}/s"
    )
    print("\n| lag from the change to | runs | p50 | p95 | p99 | max |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(f"| the run's actions done (target) | {len(acted)} {stats(acted)}")
    print(f"| … of people's changes only | {len(first_hand)} {stats(first_hand)}")
    all_runs = [lag(row) for row in runs]
    print(f"| any run finished (skipped too) | {len(all_runs)} {stats(all_runs)}")
    print(f"| the occurrence dispatched | {len(dispatch)} {stats(dispatch)}")
    cpu = ", ".join(f"{name} {100 * value / span:.0f} %" for name, value in window.cpu.items())
    print(f"\nCPU (of one core, measured span): {cpu}")
    if window.drained is None:
        undispatched, unfinished = left_over(window.first_occurrence)
        print(
            f"NOT drained {args.drain:.0f} s after the last change: {undispatched} occurrences "
            f"not dispatched, {unfinished} runs not finished"
        )
    else:
        print(f"queue empty {window.drained:.1f} s after the last change")
    for step in troubles[:5]:
        print(f"  step {step.get('status')}: {step.get('summary') or step}")
    p95 = percentile(acted, 0.95) if acted else None
    verdict = "yes" if p95 is not None and p95 <= TARGET_SECONDS else "NO"
    print(f"p95 <= {TARGET_SECONDS:.0f} s: {verdict}")
    return p95


def automation_jobs():
    """The engine's jobs in the task table: dispatching occurrences, executing runs."""
    from django.db.models import Q
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        Q(task_path__endswith=".dispatch_occurrence") | Q(task_path__endswith=".execute_run"),
        task_path__startswith="automation.",
    )


def discard_queue(first_occurrence: int) -> None:
    """What a run leaves queued (no worker will run it): its jobs, runs and occurrences."""
    from django.tasks import TaskResultStatus

    from automation.models import Occurrence, RuleRun

    automation_jobs().filter(
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).delete()  # the clock's recurring job, if any, is left alone
    RuleRun.objects.filter(
        occurrence__pk__gt=first_occurrence, rule__name__startswith=RULE_PREFIX
    ).exclude(status__in=RuleRun.FINISHED).delete()
    Occurrence.objects.filter(pk__gt=first_occurrence, dispatched_at__isnull=True).delete()


# --- Where a worker's time goes ---------------------------------------------------------------


def bench_dispatch(changes: Changes, count: int, *, profile: bool = False, top: int = 30):
    """``count`` changes queued with no worker running, then dispatched in this process one
    after another as a worker would (``engine.dispatch``): wall time, CPU (this process and
    its PostgreSQL backend) and SQL statements per occurrence; with ``profile``, again
    under cProfile, and the statements by shape."""
    import cProfile
    import pstats

    from automation import engine
    from automation.models import Occurrence, RuleRun

    first = last_occurrence()
    for _ in range(count):
        changes.make()
    queued = Occurrence.objects.filter(pk__gt=first, dispatched_at=None).order_by("pk")
    backend = postgres_backend()
    profiler = cProfile.Profile() if profile else None
    queries, n = [], 0
    wall, cpu, server = time.perf_counter(), time.process_time(), cpu_seconds(backend)
    while pending := list(queued.values_list("pk", flat=True)):  # and what actions caused
        for pk in pending:
            with statements() as captured:
                if profiler:
                    profiler.runcall(engine.dispatch, pk)
                else:
                    engine.dispatch(pk)
            queries.extend(captured.captured_queries)
        n += len(pending)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    server = cpu_seconds(backend) - server
    runs = RuleRun.objects.filter(occurrence__pk__gt=first)
    steps = sum(len(row) for row in runs.values_list("steps", flat=True))
    print(
        f"\n(b) {n} occurrences dispatched in this process{' under cProfile' if profile else ''}:"
        f" {1000 * wall / n:.1f} ms wall, {1000 * cpu / n:.1f} ms CPU here and "
        f"{1000 * server / n:.1f} ms in PostgreSQL, {len(queries) / n:.1f} SQL statements each;"
        f" {runs.count() / n:.2f} runs and {steps / n:.2f} steps per occurrence"
    )
    if profiler:
        print_statements(queries, n)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)
    discard_queue(first)


def postgres_backend() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def print_statements(queries: list[dict], occurrences: int, top: int = 25) -> None:
    """The SQL statements by shape (literals dropped): how many per occurrence, and time."""
    shapes: dict[str, list[float]] = {}
    for query in queries:
        shape = re.sub(r"'[^']*'|\b\d+\b", "?", query["sql"])[:110]
        shapes.setdefault(shape, []).append(float(query["time"]))
    print("\n| statements per occurrence | ms each (mean) | statement |\n| ---: | ---: | --- |")
    for shape, times in sorted(shapes.items(), key=lambda item: -sum(item[1]))[:top]:
        print(
            f"| {len(times) / occurrences:.2f} | {1000 * statistics.mean(times):.1f} | `{shape}` |"
        )


# --- Setting up ---------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create the database if missing, migrate it, and seed the demo company if empty."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as server:
        if not server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            server.execute(f'CREATE DATABASE "{name}"')
    setup = dict(os.environ, DATABASE_URL=url, **SETUP_ENV)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=setup, check=True)  # noqa: S603
    with psycopg.connect(url) as db:
        seeded = db.execute("SELECT EXISTS (SELECT 1 FROM accounts_department)").fetchone()[0]
    if not seeded:
        subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=setup, check=True)  # noqa: S603


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE
    )
    parser.add_argument(
        "--workers", type=int, nargs="*", default=[1, 2], help="a lag run each (none: no run)"
    )
    parser.add_argument("--interval", type=float, default=0.2, help="the workers' idle poll (s)")
    parser.add_argument("--rate", type=int, default=1000, help="changes a minute")
    parser.add_argument("--seconds", type=float, default=60, help="measured changes (s)")
    parser.add_argument("--warmup", type=float, default=5, help="changes not counted (s)")
    parser.add_argument("--drain", type=float, default=30, help="wait for the queue (s)")
    parser.add_argument(
        "--rounds", type=int, default=8, help="rounds of 20 changes with the rules off, and on"
    )
    parser.add_argument(
        "--dispatch", type=int, default=0, metavar="N", help="time dispatching N changes here"
    )
    parser.add_argument("--profile", action="store_true", help="and again under cProfile")
    args = toy.parse_args(
        parser, argv, workers=[1], rounds=1, dispatch=4, seconds=2, warmup=0, rate=120
    )
    if not args.toy and not toy.on_postgresql(args.database_url):
        parser.error("PostgreSQL only: workers share the queue with SKIP LOCKED.")
    if any(not 1 <= count <= MAX_WORKERS for count in args.workers):
        parser.error(f"--workers: from 1 to {MAX_WORKERS}")
    if args.seconds + args.warmup > MAX_SECONDS or args.drain > MAX_DRAIN or args.rate < 1:
        parser.error(f"at most {MAX_SECONDS} s of changes and {MAX_DRAIN} s of draining")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.toy and not toy.on_postgresql(args.database_url):
        return toy.skipped("PostgreSQL only")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the workers stopped all the same
    os.environ["DATABASE_URL"] = args.database_url
    if not args.toy:
        ensure_database(args.database_url)
    os.environ.setdefault("DEBUG", "1")  # this process: no SECRET_KEY needed; no query log
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    from automation.models import Rule

    if args.toy:
        toy_company()

    rules = install_rules(TOY_RULES if args.toy else RULES)
    others = Rule.objects.filter(enabled=True).exclude(pk__in=[r.pk for r in rules]).count()
    print(
        f"{args.database_url.rsplit('/', 1)[1]}: {len(rules)} bench rules"
        f" ({others} other rules enabled); Redis: {settings.REDIS_URL or 'none'}"
    )
    changes = Changes()
    first = last_occurrence()
    results, problems = {}, []
    try:
        if args.rounds:
            bench_request(rules, args.rounds, per_kind=1 if args.toy else 5)
            discard_queue(first)
        switch(rules, True)
        if args.dispatch:
            bench_dispatch(changes, args.dispatch)
            if args.profile:
                bench_dispatch(changes, args.dispatch, profile=True)
        with tempfile.TemporaryDirectory(prefix="bench-automation-") as directory:
            for count in args.workers:
                window = run_lag(args, rules, changes, count, Path(directory))
                results[count] = report_lag(args, count, window)
                problems += window.broken(results[count])
                discard_queue(window.first_occurrence)
    finally:
        switch(rules, False)
        discard_queue(first)
    for problem in problems:
        print(f"BROKEN: {problem}", file=sys.stderr)
    met = all(p95 is not None and p95 <= TARGET_SECONDS for p95 in results.values())
    return 1 if problems or not (met or args.toy) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
