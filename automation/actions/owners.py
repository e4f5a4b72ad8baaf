"""Assign the owner: give the record to a person chosen by automation/assignment.py.

A client or deal gets a new ``owner``, a ticket or task a new ``assignee``; a contact's
or handoff's client gets a new owner. Changed through the services people use
(``update_field``, ``reassign_task`` for tasks), so the owner's rights apply and the
change is in the timeline and the audit as "Automation: <rule>".
"""

from django.core.exceptions import ValidationError

from automation import assignment
from automation.actions import base
from automation.actions.base import ActionType, Param
from records.models import Task
from records.services import reassign_task, update_field

LABEL = "Assign the owner"
NEEDS_DEPARTMENT = ("round_robin", "least_loaded")


def clean(config: dict, trigger_key: str, owner) -> dict:
    base.require_record(trigger_key, "Assigning an owner")
    strategy = base.one_of(config, "strategy", assignment.STRATEGIES, "how to pick the person")
    cleaned = {"strategy": strategy}
    if strategy == "person":
        cleaned["person"] = base.active_person(config.get("person"), "the person")
    if strategy in NEEDS_DEPARTMENT:
        cleaned["department"] = base.existing_department(config.get("department"))
    if config.get("fallback") not in (None, ""):
        cleaned["fallback"] = base.active_person(config.get("fallback"), "the fallback")
    return cleaned


def describe(config: dict, ctx) -> str:
    subject = base.record(ctx)
    choice = _choose(config, ctx, dry_run=True)
    kept = _kept(ctx, subject, choice)
    return f"Would give {base.record_name(ctx)} to {choice.person} ({choice.why}){kept}"


def perform(config: dict, ctx) -> str:
    subject = base.record(ctx)
    choice = _choose(config, ctx, dry_run=False)
    kept = _kept(ctx, subject, choice)
    _give(ctx, subject, choice.person)
    return f"Gave {base.record_name(ctx)} to {choice.person} ({choice.why}){kept}"


def _choose(config: dict, ctx, *, dry_run: bool) -> assignment.Choice:
    return assignment.choose(config, client=ctx.client, now=ctx.now, dry_run=dry_run)


def _target(ctx, subject):
    """The record whose owner changes, and the field: contacts and handoffs change their
    client's owner."""
    field = assignment.OWNER_FIELDS.get(ctx.subject_type)
    if field is None:
        return base.client(ctx), "owner"
    return subject, field


def _kept(ctx, subject, choice) -> str:
    target, field = _target(ctx, subject)
    return " — already theirs" if getattr(target, f"{field}_id") == choice.person.pk else ""


def _give(ctx, subject, person) -> None:
    target, field = _target(ctx, subject)
    target = base.locked(target)
    if isinstance(target, Task):
        reassign_task(actor=ctx.actor, task=target, assignee=person)
        return
    current = getattr(target, f"{field}_id")
    if current == person.pk:
        return
    try:
        update_field(actor=ctx.actor, obj=target, field=field, value=person.pk, seen_value=current)
    except ValidationError as error:
        raise ValidationError(
            f"Could not give it to {person}: {' '.join(error.messages)}"
        ) from None


ACTIONS = (
    ActionType(
        key="assign_owner",
        label=LABEL,
        clean=clean,
        describe=describe,
        perform=perform,
        params=(
            Param(
                "strategy",
                "Give it to",
                "choice",
                required=True,
                choices=tuple(assignment.STRATEGIES.items()),
            ),
            Param("person", "Person", "person", shown_when=("strategy", ("person",))),
            Param(
                "department", "Department", "department", shown_when=("strategy", NEEDS_DEPARTMENT)
            ),
            Param(
                "fallback",
                "When nobody is available",
                "person",
                help="Gets the record when everyone is away or outside their working hours.",
            ),
        ),
    ),
)
