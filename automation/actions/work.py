"""Actions that give people work: create a task, hand the client off to a department."""

from datetime import timedelta

from django.core.exceptions import ValidationError

from accounts.models import User
from automation import assignment, templating
from automation.actions import base
from automation.actions.base import ActionType, Param
from records.models import CHECKLIST_ITEMS_MAX, Client, Deal, Handoff, Task, Ticket
from records.services import create_task, hand_off

# --- Create a task ----------------------------------------------------------------------

ASSIGNEES = {
    "owner": "The record's owner or assignee",
    "client_owner": "The client's owner",
    "person": "A named person",
    "rule_owner": "The rule's owner",
}
NEEDS_RECORD = ("owner", "client_owner")


def clean_task(config: dict, trigger_key: str, owner) -> dict:
    assignee = base.one_of(config, "assignee", ASSIGNEES, "who gets the task")
    if assignee in NEEDS_RECORD:
        base.require_record(trigger_key, f"“{ASSIGNEES[assignee]}”")
    cleaned = {
        "title": base.text(config, "title", trigger_key, max_length=200),
        "due_in_hours": base.whole_number(config, "due_in_hours", "Due in (hours)"),
        "checklist": _checklist(config.get("checklist"), trigger_key),
        "assignee": assignee,
    }
    if assignee == "person":
        cleaned["person"] = base.active_person(config.get("person"), "who gets the task")
    return cleaned


def describe_task(config: dict, ctx) -> str:
    title, assignee, _, _ = _task_plan(config, ctx)
    return f"Would create task “{title}” for {assignee}{_task_details(config)}"


def perform_task(config: dict, ctx) -> str:
    title, assignee, target, due_at = _task_plan(config, ctx)
    task = create_task(
        actor=ctx.actor,
        title=title,
        assignee=assignee,
        due_at=due_at,
        target=target,
        checklist=[templating.render(item, ctx) for item in config.get("checklist", [])],
    )
    return f"Created task “{task}” for {assignee}{_task_details(config)}"


def _checklist(items, trigger_key: str) -> list[str]:
    if items in (None, "", []):
        return []
    if isinstance(items, str):
        items = items.splitlines()
    if not isinstance(items, list | tuple):
        raise ValidationError("The checklist is a list of steps.")
    steps = [
        templating.check(str(item), base.subject_type(trigger_key), max_length=200)
        for item in items
        if str(item).strip()
    ]
    if len(steps) > CHECKLIST_ITEMS_MAX:
        raise ValidationError(f"A checklist has at most {CHECKLIST_ITEMS_MAX} steps.")
    return steps


def _task_plan(config: dict, ctx) -> tuple[str, User, object, object]:
    """Title, assignee, linked record and due time of the task this run would create."""
    title = templating.render(config["title"], ctx).strip() or ctx.rule.name
    hours = config.get("due_in_hours") or 0
    due_at = ctx.now + timedelta(hours=hours) if hours else None
    return title[:200], _assignee(config, ctx), _task_target(ctx), due_at


def _assignee(config: dict, ctx) -> User:
    match config["assignee"]:
        case "person":
            return assignment.person(config["person"], f"“{LABEL_TASK}”")
        case "rule_owner":
            return ctx.actor
        case "client_owner":
            return base.client(ctx).owner
    owner = assignment.subject_owner(ctx.subject_type, base.record(ctx))
    if owner is None:
        raise ValidationError(f"{base.record_name(ctx)} has no owner to give the task to.")
    return owner


def _task_target(ctx):
    """What the task is linked to: the record itself when it is a client, deal or ticket;
    a task's, a contact's or a handoff's client (a handoff's ticket when it has one)."""
    subject = ctx.subject
    if isinstance(subject, Client | Deal | Ticket):
        return subject
    if isinstance(subject, Task):
        return subject.target
    if isinstance(subject, Handoff) and subject.ticket_id:
        return subject.ticket
    return ctx.client


def _task_details(config: dict) -> str:
    parts = []
    if config.get("due_in_hours"):
        parts.append(f"due in {config['due_in_hours']} h")
    if config.get("checklist"):
        parts.append(f"{len(config['checklist'])} checklist steps")
    return f", {', '.join(parts)}" if parts else ""


# --- Hand off ---------------------------------------------------------------------------


def clean_hand_off(config: dict, trigger_key: str, owner) -> dict:
    base.require_record(trigger_key, "Handing off")
    cleaned = {
        "department": base.existing_department(config.get("department")),
        "note": base.text(config, "note", trigger_key, max_length=2000),
    }
    if config.get("person") not in (None, ""):
        person = base.active_person(config.get("person"), "the receiver")
        if not User.objects.filter(pk=person, departments=cleaned["department"]).exists():
            raise ValidationError("The receiver must belong to the department handed to.")
        cleaned["person"] = person
    return cleaned


def describe_hand_off(config: dict, ctx) -> str:
    client, department, person, note = _hand_off_plan(config, ctx)
    return f"Would hand {client} to {person or department}: {note}"


def perform_hand_off(config: dict, ctx) -> str:
    client, department, person, note = _hand_off_plan(config, ctx)
    subject = ctx.subject
    hand_off(
        actor=ctx.actor,
        client=client,
        note=note,
        to_department=department,
        to_user=person,
        ticket=subject if isinstance(subject, Ticket) else None,
        deal=subject if isinstance(subject, Deal) else None,
    )
    return f"Handed {client} to {person or department}"


def _hand_off_plan(config: dict, ctx):
    base.record(ctx)
    department = assignment.department(config["department"], f"“{LABEL_HAND_OFF}”")
    person = config.get("person")
    person = assignment.person(person, f"“{LABEL_HAND_OFF}”") if person else None
    note = templating.render(config["note"], ctx).strip() or ctx.rule.name
    return base.client(ctx), department, person, note


LABEL_TASK = "Create a task"
LABEL_HAND_OFF = "Hand off to a department"

ACTIONS = (
    ActionType(
        key="create_task",
        label=LABEL_TASK,
        clean=clean_task,
        describe=describe_task,
        perform=perform_task,
        params=(
            Param("title", "Title", "text", required=True, help="e.g. Onboard {client.name}"),
            Param("assignee", "For", "choice", required=True, choices=tuple(ASSIGNEES.items())),
            Param("person", "Person", "person", shown_when=("assignee", ("person",))),
            Param("due_in_hours", "Due in (hours)", "number", help="0: no due time."),
            Param("checklist", "Checklist", "lines", help="One step a line."),
        ),
    ),
    ActionType(
        key="hand_off",
        label=LABEL_HAND_OFF,
        clean=clean_hand_off,
        describe=describe_hand_off,
        perform=perform_hand_off,
        params=(
            Param("department", "To department", "department", required=True),
            Param("person", "To person (optional)", "person"),
            Param("note", "Note", "text", required=True, help="What the client needs."),
        ),
    ),
)
