"""Time triggers: what became due since the clock last looked.

Bus triggers hear changes; these hear time passing. Each minute a recurring job
(``clock_tick``, started once by ``manage.py automation_clock --every 60``) asks, for
every enabled rule on a timed trigger, which moments fell due — a ticket's SLA
about to run out or run out, a handoff unanswered for N hours, a task past due,
a weekly slot — and schedules one run per moment through ``engine.schedule_run``.

**Once per moment, however many clocks.** A moment's ``key`` is built from the facts
alone ("sla-breached:ticket:9:2026-12-07T10:00:00+00:00",
"schedule:2026-12-07T09:00+01:00"), and ``(rule, key)`` is unique: a tick that runs
twice, two clocks at once, or a clock restarted mid-minute find the same keys and
schedule nothing new. A key carries the moment it is about, so a ticket whose
priority (and so its SLA) changes, or a task moved to a later due date, can fire again
for its new moment.

**Catching up, not bursting.** A tick looks back ``CATCH_UP`` (an hour): moments missed
while no clock ran are run once each, and a weekly slot missed for longer is skipped
rather than run late. A rule just switched on does not fire for breaches from last
month. Each tick fetches, per rule, the moments in its window with one indexed query
(tickets by (status, sla_due), tasks by (status, due_at)) and the keys already run
with one more, so a minute with nothing new costs two queries per timed rule.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.tasks import task
from django.utils import timezone

from automation import conditions, engine, retention, services, triggers
from automation.models import Rule, RuleRun
from records.models import Handoff, Task, Ticket
from workspace.jobs.recurring import schedule_next

logger = logging.getLogger(__name__)

CATCH_UP = timedelta(hours=1)


@dataclass(frozen=True)
class Candidate:
    """One moment a timed rule fires for: ``key`` names it for good (see the module doc)."""

    key: str
    subject_type: str
    subject_id: int | None
    payload: dict = field(default_factory=dict)
    summary: str = ""


def _iso(moment: datetime) -> str:
    return timezone.localtime(moment, timezone.UTC).isoformat()


# --- The moments of each timed trigger ----------------------------------------------------


def _window(queryset, field_name: str, *, start, end, limit):
    """Rows whose ``field_name`` (shifted by the trigger's offset beforehand) falls in
    (start, end]: the oldest first, or with ``limit`` the latest ``limit``."""
    rows = queryset.filter(**{f"{field_name}__lte": end})
    if start is not None:
        rows = rows.filter(**{f"{field_name}__gt": start})
    if limit:
        return list(rows.order_by(f"-{field_name}", "-pk")[:limit])
    return list(rows.order_by(field_name, "pk"))


def _unresolved_tickets():
    return Ticket.objects.exclude(status__in=Ticket.RESOLVED).only("pk", "subject", "sla_due")


def _sla_due_soon(options, now, since, limit) -> list[Candidate]:
    ahead = timedelta(minutes=options["minutes"])
    tickets = _window(
        _unresolved_tickets(),
        "sla_due",
        start=since + ahead if since else None,
        end=now + ahead,
        limit=limit,
    )
    return [
        Candidate(
            f"sla-due-soon:ticket:{t.pk}:{_iso(t.sla_due)}",
            "ticket",
            t.pk,
            {"id": t.pk, "sla_due": _iso(t.sla_due), "minutes": options["minutes"]},
            f"SLA of “{t.subject}” due within {options['minutes']} minutes",
        )
        for t in tickets
        if t.sla_due > now or limit  # already breached: that is another trigger
    ]


def _sla_breached(options, now, since, limit) -> list[Candidate]:
    tickets = _window(_unresolved_tickets(), "sla_due", start=since, end=now, limit=limit)
    return [
        Candidate(
            f"sla-breached:ticket:{t.pk}:{_iso(t.sla_due)}",
            "ticket",
            t.pk,
            {"id": t.pk, "sla_due": _iso(t.sla_due)},
            f"SLA of “{t.subject}” breached",
        )
        for t in tickets
    ]


def _handoff_unanswered(options, now, since, limit) -> list[Candidate]:
    wait = timedelta(hours=options["hours"])
    handoffs = _window(
        Handoff.objects.open().select_related("client").only("pk", "created_at", "client__name"),
        "created_at",
        start=since - wait if since else None,
        end=now - wait,
        limit=limit,
    )
    return [
        Candidate(
            f"handoff-unanswered:handoff:{h.pk}:{options['hours']}h",
            "handoff",
            h.pk,
            {"id": h.pk, "hours": options["hours"], "sent_at": _iso(h.created_at)},
            f"Handoff of {h.client.name} unanswered for {options['hours']} hours",
        )
        for h in handoffs
    ]


def _task_overdue(options, now, since, limit) -> list[Candidate]:
    tasks = _window(
        Task.objects.filter(status__in=Task.ACTIVE).only("pk", "title", "due_at"),
        "due_at",
        start=since,
        end=now,
        limit=limit,
    )
    return [
        Candidate(
            f"task-overdue:task:{t.pk}:{_iso(t.due_at)}",
            "task",
            t.pk,
            {"id": t.pk, "due_at": _iso(t.due_at)},
            f"Task “{t.title}” overdue",
        )
        for t in tasks
    ]


def _schedule(rule, options, now, since, limit) -> list[Candidate]:
    zone = conditions.rule_zone(rule)
    slots = []
    for slot in slots_before(now, options["weekdays"], options["time"], zone):
        if (since is not None and slot <= since) or len(slots) >= (limit or 1):
            break
        slots.append(slot)
    return [
        Candidate(
            f"schedule:{slot.isoformat(timespec='minutes')}",
            "",
            None,
            {"at": slot.isoformat(timespec="minutes"), "timezone": str(zone)},
            f"{slot:%A %H:%M} ({zone})",
        )
        for slot in slots
    ]


def slots_before(now: datetime, weekdays: list[int], at: str, zone):
    """The schedule's moments at or before ``now``, latest first (weeks back, endlessly).

    Each is ``at`` on a chosen weekday in ``zone``, as a wall-clock time: 09:00 stays
    09:00 across daylight saving changes. A time skipped by the change (02:30 on the
    night clocks go forward) is read with the offset before the change, so it still
    happens once, an hour later on the clock."""
    hour, minute = (int(part) for part in at.split(":"))
    day: date = timezone.localtime(now, zone).date()
    while True:
        if day.weekday() in weekdays:
            slot = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
            if slot <= now:
                yield slot
        day -= timedelta(days=1)


_FINDERS = {
    "ticket.sla_due_soon": _sla_due_soon,
    "ticket.sla_breached": _sla_breached,
    "handoff.unanswered": _handoff_unanswered,
    "task.overdue": _task_overdue,
}
TIMED = tuple(key for key, trigger in triggers.CATALOG.items() if trigger.timed)


def candidates(
    rule: Rule, now: datetime, limit: int | None = None, *, since: datetime | None = None
) -> list[Candidate]:
    """The moments ``rule``'s timed trigger fell due for: those in (``since``, ``now``],
    oldest first; or, with ``limit`` (a dry run), the latest ``limit`` ones at or before
    ``now`` (a ticket's SLA about to run out counts from ``now`` on).

    Raises ValidationError when the rule's options no longer make sense."""
    options = triggers.clean_options(rule.trigger, rule.trigger_options)
    if rule.trigger == "schedule":
        return _schedule(rule, options, now, since, limit)
    finder = _FINDERS.get(rule.trigger)
    return finder(options, now, since, limit) if finder else []


# --- The tick ------------------------------------------------------------------------


def tick(now: datetime | None = None) -> int:
    """Schedule a run for every moment of every enabled timed rule that fell due in the
    last ``CATCH_UP``; returns how many runs were scheduled. A rule whose options are
    broken is switched off (its owner told); any other error of one rule is logged and
    the others still run."""
    now = now or timezone.now()
    scheduled = 0
    rules = Rule.objects.filter(enabled=True, trigger__in=TIMED).select_related("department")
    for rule in rules:
        try:
            scheduled += _tick_rule(rule, now)
        except ValidationError as error:
            services.disable_broken_rule(
                rule_id=rule.pk, reason=f"its trigger no longer works: {' '.join(error.messages)}"
            )
        except Exception:
            logger.exception("The clock could not check rule %s", rule.pk)
    return scheduled


def _tick_rule(rule: Rule, now: datetime) -> int:
    found = candidates(rule, now, since=now - CATCH_UP)
    done = set(
        RuleRun.objects.filter(rule=rule, key__in=[c.key for c in found]).values_list(
            "key", flat=True
        )
    )
    scheduled = 0
    for candidate in found:
        if candidate.key in done:
            continue
        run = engine.schedule_run(
            rule=rule,
            key=candidate.key,
            subject_type=candidate.subject_type,
            subject_id=candidate.subject_id,
            trigger_kind=rule.trigger,
            payload=candidate.payload,
            summary=candidate.summary,
        )
        scheduled += run is not None
    return scheduled


@task
def clock_tick(every_seconds: int | None = None) -> int:
    """One tick of the automation clock; with ``every_seconds``, the next one is queued
    first (a recurring job: workspace/jobs/recurring.py)."""
    schedule_next(clock_tick, every_seconds)
    scheduled = tick()
    retention.prune(timezone.now())
    return scheduled
