"""update_field: one field of a record, with field-level conflict detection (DESIGN §5)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import notify
from records import events, policies
from records.models import (
    Client,
    Contact,
    Deal,
    Task,
    Ticket,
    TimelineEntry,
)
from records.services.base import (
    CUSTOM_PREFIX,
    FieldConflict,
    _assign,
    _audit,
    _check_active_user,
    _client_id,
    _current,
    _display,
    _json,
    _label,
    _lock,
    _normalize,
    _require,
    _sla_due,
    _topics,
    change_summary,
    last_change,
)
from records.services.reminders import _schedule_reminder, aware_due, local_due, task_link
from records.services.tickets import priority_changed
from records.timeline import add_entry
from workspace.text import render_markdown

# The fields ``update_field`` may change, per model. Others have their own service
# (deal stage → move_deal, ticket status → set_ticket_status, archived → archive_client).
EDITABLE_FIELDS = {
    Client: {
        "name",
        "domain",
        "industry",
        "country",
        "size",
        "address",
        "phone",
        "tags",
        "lifecycle",
        "owner",
        "department",
        "source",
    },
    Contact: {"name", "title", "emails", "phones", "preferred_channel", "notes"},
    Deal: {"title", "amount", "currency", "owner", "expected_close"},
    Ticket: {"subject", "priority", "assignee", "channel", "contact"},
    # The assignee changes through reassign_task (both people are told), the
    # status through set_task_status (completion, recurrence).
    Task: {"title", "description", "due_at", "priority", "reminder_minutes", "recurrence"},
}
# Task fields whose change moves the reminder.
REMINDER_FIELDS = {"due_at", "reminder_minutes"}

# --- One field of a record -----------------------------------------------------


def update_field(*, actor: User, obj, field: str, value, seen_value):
    """Set one field of a client, contact, deal, ticket or task, unless it changed meanwhile.

    ``seen_value`` is the value the editor started from. If the stored value
    differs, raise :class:`FieldConflict` (their value and name). Setting the
    value already stored is a no-op (nothing written, nothing published).
    Different fields never conflict. Custom client fields are ``custom.<key>``.
    A task's ``due_at`` may be naive (the assignee's local time) or past (see
    records/services/tasks.py); moving it re-plans the reminder and tells the
    assignee. A change of a task of no client has no timeline entry.
    Returns the saved record.
    """
    model = type(obj)
    allowed = EDITABLE_FIELDS.get(model, set())
    if field not in allowed and not (model is Client and field.startswith(CUSTOM_PREFIX)):
        raise ValidationError(f"{field} cannot be edited here.", code="not_editable")
    with transaction.atomic():
        obj = _lock(obj)
        _require(
            policies.can_edit_field(actor, obj, field),
            f"You cannot change {_label(model, field).lower()} of this {model._meta.verbose_name}.",
        )
        new = _value(obj, field, value)
        try:
            seen = _value(obj, field, seen_value)
        except ValidationError:
            seen = seen_value
        current = _current(obj, field)
        if new == current:
            return obj
        if seen != current:
            raise FieldConflict(
                field=field,
                label=_label(model, field),
                current=_json(current),
                current_display=_display(obj, field, current),
                change=last_change(obj, field),
            )
        _assign(obj, field, new)
        if isinstance(obj, Client) and field == "owner" and new is None:
            raise ValidationError({"owner": "A client always has an owner."})
        if field in ("owner", "assignee") and new is not None:
            _check_active_user(new, field)
        if isinstance(obj, Ticket) and field == "priority":
            obj.sla_due = _sla_due(obj.created_at, obj.priority)
        obj.updated_at = timezone.now()
        obj.full_clean()
        if isinstance(obj, Task) and field == "description":
            obj.description_html = render_markdown(obj.description) if obj.description else ""
        was = (getattr(obj, "reminder_at", None), getattr(obj, "assignee_id", None))
        obj.save()
        stored = _current(obj, field)  # after the model's own normalization
        change = _audit(actor=actor, obj=obj, field=field, old=current, new=stored)
        client_id = _client_id(obj)
        entry = client_id and add_entry(
            actor=actor,
            client_id=client_id,
            kind=TimelineEntry.Kind.TASK if isinstance(obj, Task) else TimelineEntry.Kind.FIELD,
            summary=change_summary(actor, obj, field, change),
            obj=obj,
            data={"model": model._meta.model_name, "id": obj.pk, "change": change.pk},
        )
        events.publish(
            _topics(obj),
            f"{model._meta.model_name}.updated",
            {
                "id": obj.pk,
                "field": field,
                "value": _json(stored),
                "display": change.new_display,
                "actor": actor.pk,
                "change": change.pk,
                "timeline": entry.pk if entry else None,
            },
        )
        if isinstance(obj, Task):
            _task_changed(actor, obj, field, was)
        if isinstance(obj, Ticket) and field == "priority":
            priority_changed(actor=actor, ticket=obj, old=current)
    return obj


def _value(obj, field: str, value):
    """``value`` normalized for ``field`` of ``obj`` (a task's naive due time is its assignee's)."""
    if isinstance(obj, Task) and field == "due_at":
        return aware_due(value, obj.assignee)
    return _normalize(type(obj), field, value)


def _task_changed(actor: User, task: Task, field: str, was: tuple) -> None:
    if field in REMINDER_FIELDS:
        _schedule_reminder(task, was=was)
    if field == "due_at":
        when = f"to {local_due(task)}" if task.due_at else "to no due time"
        notify(
            recipient=task.assignee,
            actor=actor,
            kind="task-moved",
            text=f"{actor} moved “{task}” {when}.",
            link=task_link(task),
        )
