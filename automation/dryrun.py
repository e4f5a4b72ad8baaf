"""“Test against the last 20 events”: what a rule would have done, without doing it.

A bus rule is tried on the latest changes its trigger hears in the live event log
(``workspace.live.models.Event``); a timed rule on the latest moments its trigger fell
due (``clock.candidates``). For each: what happened, whether the conditions hold, and
what each action would do (``actions.describe``) or why the rule would not act.

Conditions and actions see the records as they are now (a run loads them fresh too),
not as they were when the event happened. Nothing is written: the whole dry run runs
in a transaction that is rolled back, and no action is performed (tests/automation/
test_dryrun.py checks that no write reaches the database).
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from automation import actions, clock, conditions, engine, errors, subjects, triggers
from automation.context import RunContext
from automation.models import Rule, RuleRun
from workspace.live.models import Event

# Events looked at, newest first, to find ``limit`` the trigger hears.
SCAN_BATCH = 500
SCAN_LIMIT = 5_000
# Rows of one kind and payload this close together are one change on several topics.
SAME_CHANGE = timedelta(seconds=1)


@dataclass
class DryRunRow:
    """One event or moment, and what the rule would have made of it."""

    when: datetime
    happened: str  # "Deal amount changed to 12000.00"
    subject_label: str = ""  # "Deal: Rollout" ("" for a schedule)
    subject_link: str = ""
    matched: bool = False  # the conditions hold (the rule would act)
    conditions: list[dict] = field(default_factory=list)  # {"text", "passed", "actual"}
    actions: list[str] = field(default_factory=list)  # what each action would do
    reason: str = ""  # why it would not act, or what would go wrong
    already_ran: bool = False  # the rule has a run for this moment already (timed rules)


@dataclass(frozen=True)
class _Heard:
    when: datetime
    kind: str
    payload: dict
    subject_type: str
    subject_id: int | None
    summary: str
    key: str = ""


def dry_run(rule: Rule, limit: int = 20) -> list[DryRunRow]:
    """What ``rule`` would have done with the latest ``limit`` events (or moments) its
    trigger hears, newest first."""
    trigger = triggers.CATALOG.get(rule.trigger)
    if trigger is None:
        return []
    with transaction.atomic():
        heard = _moments(rule, limit) if trigger.timed else _events(rule, trigger, limit)
        rows = [_try(rule, one) for one in heard]
        _mark_already_ran(rule, heard, rows)
        transaction.set_rollback(True)  # nothing a describe might have written survives
    return rows


def _events(rule: Rule, trigger: triggers.Trigger, limit: int) -> list[_Heard]:
    """The latest changes the trigger hears, each once: a change is logged once per
    topic it was published on (a deal's move on the deal, its client and its board)."""
    found, last_seen, before = [], {}, None
    scanned = 0
    while len(found) < limit and scanned < SCAN_LIMIT:
        batch = _batch(trigger.bus_kinds, before)
        if not batch:
            break
        scanned += len(batch)
        before = batch[-1].pk
        for event in batch:
            change = (event.kind, json.dumps(event.payload, sort_keys=True, default=str))
            same = last_seen.get(change)
            last_seen[change] = event.created_at
            if same and same - event.created_at < SAME_CHANGE:
                continue
            if not triggers.hears(rule, event.kind, event.payload):
                continue
            found.append(_heard_event(rule, trigger, event))
            if len(found) == limit:
                break
    return found


def _batch(kinds, before: int | None) -> list[Event]:
    events = Event.objects.filter(kind__in=kinds)
    if before is not None:
        events = events.filter(pk__lt=before)
    return list(events.only("pk", "kind", "payload", "created_at").order_by("-pk")[:SCAN_BATCH])


def _heard_event(rule: Rule, trigger: triggers.Trigger, event: Event) -> _Heard:
    return _Heard(
        when=event.created_at,
        kind=event.kind,
        payload=event.payload,
        subject_type=trigger.subject_type,
        subject_id=triggers.subject_id(rule.trigger, event.kind, event.payload),
        summary=triggers.describe(event.kind, event.payload),
    )


def _moments(rule: Rule, limit: int) -> list[_Heard]:
    now = timezone.now()
    try:
        found = clock.candidates(rule, now, limit=limit)
    except ValidationError:
        return []
    return [
        _Heard(
            when=now,
            kind=rule.trigger,
            payload=candidate.payload,
            subject_type=candidate.subject_type,
            subject_id=candidate.subject_id,
            summary=candidate.summary,
            key=candidate.key,
        )
        for candidate in reversed(found)  # newest first, as the events are
    ]


def _try(rule: Rule, heard: _Heard) -> DryRunRow:
    row = DryRunRow(when=heard.when, happened=heard.summary)
    subject = subjects.load(heard.subject_type, heard.subject_id)
    if heard.subject_id is not None and subject is None:
        row.reason = f"The {heard.subject_type} is gone."
        return row
    if subject is not None:
        row.subject_label = subjects.label(heard.subject_type, subject)
        row.subject_link = subjects.link(heard.subject_type, subject)
    ctx = RunContext(
        rule=rule,
        trigger_kind=heard.kind,
        payload=heard.payload,
        subject_type=heard.subject_type,
        subject=subject,
        client=subjects.client_of(subject) if subject is not None else None,
        now=timezone.now(),
        dry_run=True,
    )
    try:
        row.matched, row.conditions = conditions.evaluate(rule, ctx)
    except errors.BrokenReference as broken:
        row.reason = f"The rule would be switched off: {broken}"
        return row
    if not row.matched:
        row.reason = "The conditions do not hold."
        return row
    if not rule.owner.is_active:
        row.reason = f"Would be refused: {engine.deactivated_owner(rule)}"
        return row
    for number, action in enumerate(rule.actions, start=1):
        text, problem = _describe(action, ctx)
        row.actions.append(text)
        if problem and not row.reason:
            row.reason = f"Action {number} {problem}"
    return row


def _describe(action: dict, ctx: RunContext) -> tuple[str, str]:
    """What the action would do, and what would go wrong ("" for nothing)."""
    try:
        return actions.describe(action, ctx), ""
    except PermissionDenied as refusal:
        return f"Would be refused: {refusal}", f"would be refused: {refusal}"
    except ValidationError as invalid:
        reason = " ".join(invalid.messages)
        return f"Would fail: {reason}", f"would fail: {reason}"
    except errors.BrokenReference as broken:
        return (
            f"Would fail: {broken}",
            f"names something gone; the rule would be switched off: {broken}",
        )


def _mark_already_ran(rule: Rule, heard: list[_Heard], rows: list[DryRunRow]) -> None:
    keys = {one.key for one in heard if one.key}
    if not keys:
        return
    ran = set(RuleRun.objects.filter(rule=rule, key__in=keys).values_list("key", flat=True))
    for one, row in zip(heard, rows, strict=True):
        row.already_ran = one.key in ran
