"""Running rules: from a change on the live bus (or a moment of a time trigger) to actions.

The path of one change::

    a service publishes "deal.updated"             (the request: its transaction)
      └ listeners.event_published                  Occurrence row + dispatch job, same transaction
    after commit, a worker (``run_worker``):
      └ dispatch(occurrence)                       one RuleRun per rule that hears it, in order
          └ execute(run)                           conditions, then each action as one step

Why this shape:

* **Nothing in the request.** The listener only writes two rows (the occurrence and
  its job) when some enabled rule listens to that kind; rules are matched, conditions
  evaluated and actions performed by a background job after commit. A write that rolls
  back leaves neither row behind.
* **At most once.** ``RuleRun (rule, key)`` is unique (``key`` = "occ:<occurrence id>",
  or the clock's deterministic key), so dispatching an occurrence twice, or two clocks
  finding the same moment, never makes a second run.
* **Crash-safe, no doubles.** Each action is one transaction that locks the run, skips
  the step if it is already recorded, performs the action and appends the step: either
  both the action's writes and its step commit, or neither. A worker killed mid-run
  leaves its job RUNNING; workspace/jobs/recovery.py gives it back after the lease and
  the rerun resumes at the first step not recorded.
* **Loops stop.** Actions run inside ``workspace.acting.on_behalf_of_rule``; the events
  they publish carry the chain of rules that led to them, stored on the occurrence. A
  rule never hears its own actions (the chain ends with it), and a chain as long as
  ``AUTOMATION_MAX_DEPTH`` is stopped and reported in the run log of every rule in it.
* **Debounce.** A rule with ``debounce_seconds`` keeps one WAITING run per record; each
  further edit pushes its ``due_at`` back and the run executes once, when the edits
  settled, on the record as it is then.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

from automation import (
    actions,
    conditions,
    errors,
    events,
    fragments,
    services,
    subjects,
    triggers,
)
from automation.context import RunContext
from automation.models import Occurrence, Rule, RuleRun
from workspace import acting, live

logger = logging.getLogger(__name__)

Status = RuleRun.Status
STEP_DONE, STEP_REFUSED, STEP_FAILED = "done", "refused", "failed"


# --- Creating runs ------------------------------------------------------------------


def schedule_run(
    *,
    rule: Rule,
    key: str,
    subject_type: str,
    subject_id: int | None,
    trigger_kind: str,
    payload: dict,
    summary: str,
    chain=(),
    occurrence: Occurrence | None = None,
    due_at=None,
) -> RuleRun | None:
    """The run of ``rule`` for ``key``, queued to execute at ``due_at`` (default: now), or
    None when that (rule, key) has a run already (the clock found the same moment twice).

    Without ``occurrence`` (a time trigger), an occurrence holding ``trigger_kind`` and
    ``payload`` is recorded with it, already dispatched: a run always finds what it
    heard on ``run.occurrence``. The job is written in the caller's transaction, so it
    exists exactly when the run commits.
    """
    with transaction.atomic():
        run = _create_run(
            rule=rule,
            key=key,
            subject_type=subject_type,
            subject_id=subject_id,
            summary=summary,
            chain=chain,
            occurrence=occurrence,
            make_occurrence=lambda: Occurrence.objects.create(
                kind=trigger_kind,
                payload=payload,
                chain=list(chain),
                dispatched_at=timezone.now(),
            ),
            due_at=due_at,
        )
        if run is not None:
            _enqueue_execution(run)
    return run


def _create_run(
    *,
    rule: Rule,
    key: str,
    subject_type: str,
    subject_id: int | None,
    summary: str,
    chain,
    occurrence: Occurrence | None,
    make_occurrence=None,
    due_at=None,
    status: str = Status.PENDING,
    error: str = "",
    subject_label: str = "",
    conditions_report=(),
) -> RuleRun | None:
    """Insert the (rule, key) run; None when it exists (nothing written). A run is
    published once it has something to show: finished, waiting or stopped (a run that
    starts RUNNING or PENDING is published when it ends — most end within a second, and
    a row per status would double the live events of a busy rule)."""
    try:
        with transaction.atomic():  # a savepoint: a concurrent insert loses cleanly
            if occurrence is None and make_occurrence is not None:
                occurrence = make_occurrence()
            now = timezone.now()
            run = RuleRun.objects.create(
                rule=rule,
                key=key[:160],
                occurrence=occurrence,
                subject_type=subject_type,
                subject_id=subject_id,
                trigger_summary=summary[:300],
                subject_label=subject_label,
                conditions_report=list(conditions_report),
                chain=list(chain),
                status=status,
                error=error,
                due_at=due_at or now,
                started_at=now if status == Status.RUNNING else None,
                finished_at=now if status in RuleRun.FINISHED else None,
            )
    except IntegrityError:
        return None
    run.rule = rule
    if status not in (Status.PENDING, Status.RUNNING):
        publish_run(run)
    return run


def _enqueue_execution(run: RuleRun) -> None:
    job = execute_run
    if run.due_at > timezone.now():
        job = execute_run.using(run_after=run.due_at)
    job.enqueue(run.pk)


def publish_run(run: RuleRun) -> None:
    """The run's row, live on its rule's page and the rules list."""
    live.publish_each(
        [events.rule_topic(run.rule_id), events.RULES_TOPIC],
        "automation.run",
        {"id": run.pk, "rule": run.rule_id, "status": run.status},
        html=fragments.run_row_html(run),
    )


# --- Dispatching an occurrence ------------------------------------------------------


def dispatch(occurrence_id: int) -> None:
    """Give an occurrence to the enabled rules that hear it, in order, then run them.

    Creating the runs and marking the occurrence dispatched is one transaction; a
    dispatch run again (its worker died, or the job was queued twice) creates nothing
    new and only executes what is left unfinished. An occurrence no rule took (a rule
    on "amount changed" hears every deal edit, most of other fields) is deleted then,
    so the table keeps only what run logs point to.
    """
    with transaction.atomic():
        occurrence = Occurrence.objects.select_for_update().filter(pk=occurrence_id).first()
        if occurrence is None:
            return
        if occurrence.dispatched_at is None:
            records = {}  # (subject type, id) → (record, client), loaded once for all rules
            for rule in rules_hearing(occurrence):
                _dispatch_safely(rule, occurrence, records)
            if not occurrence.runs.exists():
                occurrence.delete()
                return
            occurrence.dispatched_at = timezone.now()
            occurrence.save(update_fields=["dispatched_at"])
    for run_id in _unfinished_runs(occurrence):
        execute(run_id)


def rules_hearing(occurrence: Occurrence) -> list[Rule]:
    """The enabled rules, in order, whose trigger fires on this occurrence — except the
    rule whose own action caused it."""
    chain = occurrence.chain
    candidates = Rule.objects.filter(enabled=True).select_related("owner")
    return [
        rule
        for rule in candidates
        if not (chain and chain[-1] == rule.pk) and _hears(rule, occurrence)
    ]


def _hears(rule: Rule, occurrence: Occurrence) -> bool:
    trigger = triggers.CATALOG.get(rule.trigger)
    if trigger is None or occurrence.kind not in trigger.bus_kinds:
        return False
    try:
        return triggers.hears(rule, occurrence.kind, occurrence.payload)
    except Exception:  # one rule's odd options must not keep the others from hearing
        logger.exception("Automation: rule %s could not judge %s", rule.pk, occurrence)
        return False


def _dispatch_safely(rule: Rule, occurrence: Occurrence, records: dict) -> None:
    """One rule's share of the dispatch, in a savepoint: a rule that cannot be dispatched
    (a bug, options the trigger no longer understands) is logged and the others still
    get the occurrence."""
    try:
        with transaction.atomic():
            _dispatch_to(rule, occurrence, records)
    except Exception:
        logger.exception("Automation: rule %s could not take occurrence %s", rule.pk, occurrence.pk)


def _dispatch_to(rule: Rule, occurrence: Occurrence, records: dict) -> None:
    trigger = triggers.CATALOG[rule.trigger]
    subject_id = triggers.subject_id(rule.trigger, occurrence.kind, occurrence.payload)
    facts = {
        "rule": rule,
        "subject_type": trigger.subject_type,
        "subject_id": subject_id,
        "summary": triggers.describe(occurrence.kind, occurrence.payload),
        "chain": occurrence.chain,
        "occurrence": occurrence,
    }
    if occurrence.depth >= settings.AUTOMATION_MAX_DEPTH:
        _stop_loop(occurrence, facts)
    elif rule.debounce_seconds and subject_id is not None:
        _debounce(rule, occurrence, facts)
    else:  # claimed at once: the dispatch runs it right after its commit
        judged = _judge_at_dispatch(rule, occurrence, facts, records)
        _create_run(key=occurrence_key(occurrence), **facts, **judged)


def _judge_at_dispatch(rule: Rule, occurrence: Occurrence, facts: dict, records: dict) -> dict:
    """The conditions, evaluated while dispatching: most runs of a busy rule do not match
    (a rule on urgent tickets hears every ticket), and such a run is then written once,
    SKIPPED with its report, instead of being claimed, judged and finished in three
    transactions. A run that matches starts RUNNING with its report; one that cannot be
    judged here (its record gone, a reference broken) is judged again when it executes."""
    key = (facts["subject_type"], facts["subject_id"])
    if key not in records:
        record = subjects.load(*key)
        records[key] = (record, subjects.client_of(record) if record is not None else None)
    record, client = records[key]
    if facts["subject_id"] is not None and record is None:
        return {"status": Status.RUNNING}
    ctx = RunContext(
        rule=rule,
        trigger_kind=occurrence.kind,
        payload=occurrence.payload,
        subject_type=facts["subject_type"],
        subject=record,
        client=client,
        now=timezone.now(),
        chain=tuple(occurrence.chain),
    )
    try:
        matched, report = conditions.evaluate(rule, ctx)
    except errors.BrokenReference:
        return {"status": Status.RUNNING}
    label = subjects.label(facts["subject_type"], record) if record is not None else ""
    return {
        "status": Status.RUNNING if matched else Status.SKIPPED,
        "subject_label": label,
        "conditions_report": report,
    }


def occurrence_key(occurrence: Occurrence) -> str:
    return f"occ:{occurrence.pk}"


def _unfinished_runs(occurrence: Occurrence) -> list[int]:
    runs = RuleRun.objects.filter(occurrence=occurrence, status=Status.RUNNING)
    runs = runs.order_by("rule__position", "rule_id")
    return list(runs.values_list("pk", flat=True))


def _stop_loop(occurrence: Occurrence, facts: dict) -> None:
    """Too many rules in a row: the hearing rule's run is STOPPED, and every rule of the
    chain gets the same notice in its run log (each once per occurrence)."""
    rule = facts["rule"]
    chain = [*occurrence.chain, rule.pk]
    names = dict(Rule.objects.filter(pk__in=chain).values_list("pk", "name"))
    path = " → ".join(names.get(pk, f"rule #{pk}") for pk in chain)
    notice = (
        f"Stopped a loop: {path} — at most {settings.AUTOMATION_MAX_DEPTH} rules may set "
        "one another off in a row."
    )
    _create_run(key=occurrence_key(occurrence), status=Status.STOPPED, error=notice, **facts)
    for other in Rule.objects.filter(pk__in=set(occurrence.chain) - {rule.pk}):
        _create_run(
            **(facts | {"rule": other}),
            key=f"loop:{occurrence.pk}",
            status=Status.STOPPED,
            error=notice,
        )


def _debounce(rule: Rule, occurrence: Occurrence, facts: dict) -> None:
    """One WAITING run per (rule, record), due ``debounce_seconds`` after the last edit: a
    later edit moves it to its occurrence and pushes its time back; the first creates it
    with a job for when it is due. The rule row is locked so two workers' edits of one
    record agree on one waiting run."""
    Rule.objects.select_for_update().filter(pk=rule.pk).first()
    due_at = occurrence.created_at + timedelta(seconds=rule.debounce_seconds)
    waiting = (
        RuleRun.objects.select_for_update()
        .filter(
            rule=rule,
            subject_type=facts["subject_type"],
            subject_id=facts["subject_id"],
            status=Status.WAITING,
        )
        .first()
    )
    if waiting is None:
        run = _create_run(
            key=occurrence_key(occurrence), status=Status.WAITING, due_at=due_at, **facts
        )
        if run is not None:
            _enqueue_execution(run)
        return
    waiting.due_at = due_at
    waiting.occurrence = occurrence
    waiting.trigger_summary = facts["summary"][:300]
    waiting.chain = list(occurrence.chain)
    waiting.save(update_fields=["due_at", "occurrence", "trigger_summary", "chain"])


# --- Executing a run ----------------------------------------------------------------


def execute(run_id: int) -> None:
    """Run one rule run: conditions, then each action as its own step. Never raises for
    what a rule does wrong (the run records it as FAILED); resumes a run a dead worker
    left RUNNING at its first step not recorded."""
    run = _claim(run_id)
    if run is None:
        return
    try:
        _run(run)
    except Exception as error:  # a bug or an outage: recorded, the worker goes on
        logger.exception("Automation run %s failed", run_id)
        _finish(run_id, Status.FAILED, error=f"{type(error).__name__}: {error}")


def _claim(run_id: int) -> RuleRun | None:
    """Take the run (PENDING, or WAITING and due → RUNNING; a RUNNING one as it is); None
    when there is nothing to do: finished, gone, its rule switched off meanwhile, or a
    WAITING run whose edits have not settled (its job is then queued again for the new
    time)."""
    with transaction.atomic():
        run = (
            RuleRun.objects.select_for_update(of=("self",))
            .select_related("rule__owner", "occurrence")
            .filter(pk=run_id)
            .first()
        )
        if run is None or run.status in RuleRun.FINISHED:
            return None
        if run.status == Status.WAITING and run.due_at > timezone.now():
            _enqueue_execution(run)
            return None
        if run.status == Status.RUNNING:
            return run  # its dispatch's, or resumed after a crash: steps done stay done
        if not run.rule.enabled:
            _set_status(run, Status.SKIPPED, error="The rule was switched off before it ran.")
            return None
        run.status = Status.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["status", "started_at"])
    return run


def _run(run: RuleRun) -> None:
    ctx = build_context(run)
    if ctx is None:
        _finish(run.pk, Status.SKIPPED, error=f"The {run.subject_type} is gone.")
        return
    # Judged already: at dispatch (its report kept), or before a crash (steps recorded).
    if not run.steps and not run.conditions_report:
        try:
            matched, report = conditions.evaluate(run.rule, ctx)
        except errors.BrokenReference as broken:
            _broken(run, str(broken))
            return
        RuleRun.objects.filter(pk=run.pk).update(conditions_report=report)
        if not matched:
            _finish(run.pk, Status.SKIPPED)
            return
    for index, action in enumerate(run.rule.actions):
        if _perform_step(run.pk, index, action, ctx) == "broken":
            return
    steps = RuleRun.objects.get(pk=run.pk).steps
    problems = [step for step in steps if step["status"] != STEP_DONE]
    if problems:
        _finish(run.pk, Status.FAILED, error=_problem(problems[0]))
    else:
        _finish(run.pk, Status.DONE)


def build_context(run: RuleRun) -> RunContext | None:
    """What the run's conditions and actions see: the record loaded fresh (None when the
    run is about a record that is gone)."""
    subject = subjects.load(run.subject_type, run.subject_id)
    if run.subject_id is not None and subject is None:
        return None
    occurrence = run.occurrence
    if subject is not None and not run.subject_label:
        run.subject_label = subjects.label(run.subject_type, subject)
        RuleRun.objects.filter(pk=run.pk).update(subject_label=run.subject_label)
    return RunContext(
        rule=run.rule,
        trigger_kind=occurrence.kind if occurrence else run.rule.trigger,
        payload=occurrence.payload if occurrence else {},
        subject_type=run.subject_type,
        subject=subject,
        client=subjects.client_of(subject) if subject is not None else None,
        now=timezone.now(),
        run=run,
        chain=tuple(run.chain),
    )


def _perform_step(run_id: int, index: int, action: dict, ctx: RunContext) -> str | None:
    """One action, one transaction: the run locked, the step skipped if recorded, the
    action's writes and its step committed together. Returns the step's status, or
    "broken" when the rule was switched off for a reference that is gone."""
    with transaction.atomic():
        run = RuleRun.objects.select_for_update().get(pk=run_id)
        if any(step["index"] == index for step in run.steps):
            return None
        status, summary = _attempt(action, ctx)
        run.steps = [*run.steps, _step(index, action, status, summary)]
        run.save(update_fields=["steps"])
    if status == "broken":
        _broken(run, summary)
    return status


def _attempt(action: dict, ctx: RunContext) -> tuple[str, str]:
    """Perform the action as the rule (a savepoint: a refused or failed action leaves no
    half-made change); its status and the run log's line."""
    rule = ctx.rule
    if not rule.owner.is_active:
        return STEP_REFUSED, deactivated_owner(rule)
    try:
        with (
            transaction.atomic(),
            acting.on_behalf_of_rule(rule_id=rule.pk, name=rule.name, chain=ctx.chain),
        ):
            return STEP_DONE, actions.perform(action, ctx)
    except PermissionDenied as refusal:
        return STEP_REFUSED, str(refusal) or f"{rule.owner} may not do this."
    except ValidationError as invalid:
        return STEP_FAILED, " ".join(invalid.messages)
    except errors.BrokenReference as broken:
        return "broken", str(broken)


def deactivated_owner(rule: Rule) -> str:
    return f"{rule.owner} is deactivated, and the rule acts as them."


def _problem(step: dict) -> str:
    """ "Action 2 refused: Dana may not notify Support." """
    return f"Action {step['index'] + 1} {step['status']}: {step['summary']}"


def _step(index: int, action: dict, status: str, summary: str) -> dict:
    return {
        "index": index,
        "type": action.get("type", ""),
        "summary": summary[:500],
        "status": STEP_FAILED if status == "broken" else status,
        "at": timezone.now().isoformat(),
    }


def _broken(run: RuleRun, reason: str) -> None:
    """A named person, department, field… is gone: switch the rule off, tell its owner."""
    services.disable_broken_rule(rule_id=run.rule_id, reason=reason)
    _finish(run.pk, Status.FAILED, error=f"The rule was switched off: {reason}")


def _finish(run_id: int, status: str, *, error: str = "") -> None:
    with transaction.atomic():
        run = RuleRun.objects.select_for_update().select_related("rule").get(pk=run_id)
        _set_status(run, status, error=error)


def _set_status(run: RuleRun, status: str, *, error: str = "") -> None:
    run.status = status
    run.error = error[:2000]
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])
    publish_run(run)


# --- The background jobs (django.tasks; run by ``manage.py run_worker``) -------------
# Both are safe to run again after a crashed worker (workspace/jobs/recovery.py gives the
# job back): ``dispatch`` creates each rule's run at most once and ``execute`` skips the
# steps already recorded.


@task
def dispatch_occurrence(occurrence_id: int) -> None:
    """Find the rules that hear an occurrence and run them (queued by the bus listener)."""
    dispatch(occurrence_id)


@task
def execute_run(run_id: int) -> None:
    """Run one rule run (queued by ``schedule_run``, a debounce, or the clock)."""
    execute(run_id)
