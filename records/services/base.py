"""Shared by the services: locking, value handling, audit rows, topics."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models

from accounts.models import User
from records import events
from records.models import (
    COMMENT_MAX_LENGTH,
    Client,
    Comment,
    Contact,
    CustomField,
    Deal,
    FieldChange,
    Handoff,
    Task,
    Ticket,
    TicketSlaPolicy,
    normalize_tags,
)
from workspace import acting
from workspace.errors import Conflict

CUSTOM_PREFIX = "custom."

LIST_FIELDS = {"tags", "emails", "phones"}
COLLAPSED_FIELDS = {"name", "title", "subject"}


class FieldConflict(Conflict):
    """Someone changed the field since the editor opened it; nothing was saved.

    Carries what the view needs to show and let the person re-apply: the field,
    the stored value (``current`` raw, ``current_display`` for people), who
    changed it last and when (from the FieldChange audit; None if unknown).
    """

    def __init__(self, *, field: str, label: str, current, current_display: str, change):
        self.field = field
        self.current = current
        self.current_display = current_display
        self.changed_by = change.actor if change else None
        self.changed_at = change.created_at if change else None
        who = str(self.changed_by) if self.changed_by else "Someone"
        shown = f"“{current_display}”" if current_display else "empty"
        super().__init__(
            f"{who} changed {label} to {shown} while you were editing. "
            "Your change was not saved; apply it again to replace theirs.",
            code="conflict",
        )


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _lock(obj):
    """The row of ``obj`` re-read and locked, or a readable error if it was deleted."""
    model = type(obj)
    try:
        return model.objects.select_for_update().get(pk=obj.pk)
    except model.DoesNotExist:
        raise ValidationError(
            f"This {model._meta.verbose_name} was deleted by someone else."
        ) from None


def _client_id(obj) -> int | None:
    """The client whose timeline records a change of ``obj`` (None: a task of no client)."""
    if isinstance(obj, Client):
        return obj.pk
    if isinstance(obj, Task):
        return obj.target_client_id
    return obj.client_id


def _department_ids_of(user_id: int) -> list[int]:
    return list(
        User.departments.through.objects.filter(user_id=user_id)
        .order_by("department_id")
        .values_list("department_id", flat=True)
    )


def _task_topics(task: Task, *, also_for=()) -> list[str]:
    """A task's page, its assignee's feed and team boards, and the page of what it is linked to.

    ``also_for``: user ids of others whose feed and boards must hear of it too
    (the previous assignee of a reassigned task).
    """
    topics = [events.task_topic(task.pk)]
    for user_id in (task.assignee_id, *also_for):
        topics.append(events.user_topic(user_id))
        topics.extend(events.team_tasks_topic(pk) for pk in _department_ids_of(user_id))
    if task.deal_id:
        topics.append(events.deal_topic(task.deal_id))
    if task.ticket_id:
        topics.append(events.ticket_topic(task.ticket_id))
    if task.target_client_id:
        topics.append(events.client_topic(task.target_client_id))
    return topics


def _topics(obj) -> list[str]:
    """The topics a change of ``obj`` concerns: its page, its list or board, its client's page."""
    match obj:
        case Client():
            return [events.client_topic(obj.pk), events.list_topic("clients")]
        case Deal():
            return [
                events.deal_topic(obj.pk),
                events.pipeline_topic(obj.pipeline_id),
                events.list_topic("deals"),
                events.client_topic(obj.client_id),
            ]
        case Ticket():
            return [
                events.ticket_topic(obj.pk),
                events.list_topic("tickets"),
                events.client_topic(obj.client_id),
            ]
        case Comment() if obj.client_id:
            return [events.client_topic(obj.client_id)]
        case Comment() if obj.deal_id:
            return [events.deal_topic(obj.deal_id), events.client_topic(obj.target_client_id)]
        case Comment() if obj.ticket_id:
            return [events.ticket_topic(obj.ticket_id), events.client_topic(obj.target_client_id)]
        case Comment():  # on a task: its page, and its client's page when it has one
            client_id = obj.target_client_id
            return [events.task_topic(obj.task_id)] + (
                [events.client_topic(client_id)] if client_id else []
            )
        case Task():
            return _task_topics(obj)
        case Handoff():
            topics = [
                events.handoffs_topic(obj.to_department_id),
                events.client_topic(obj.client_id),
            ]
            if obj.ticket_id:
                topics.append(events.ticket_topic(obj.ticket_id))
            topics.append(events.user_topic(obj.from_user_id))
            if obj.to_user_id:
                topics.append(events.user_topic(obj.to_user_id))
            return topics
    return [events.client_topic(obj.client_id), events.list_topic("contacts")]  # contacts


# --- Values: normalize, compare, show ------------------------------------------


def _field(model, name: str) -> models.Field:
    return model._meta.get_field(name)


def _label(model, field: str) -> str:
    if field.startswith(CUSTOM_PREFIX):
        definition = CustomField.objects.filter(key=field.removeprefix(CUSTOM_PREFIX)).first()
        return definition.label if definition else field
    return str(_field(model, field).verbose_name).capitalize()


def _normalize(model, field: str, value):
    """``value`` as it would be stored (a pk for foreign keys); ValidationError if it cannot be."""
    if field.startswith(CUSTOM_PREFIX):
        definition = CustomField.objects.filter(
            key=field.removeprefix(CUSTOM_PREFIX), active=True
        ).first()
        if definition is None:
            raise ValidationError(
                f"There is no custom field “{field.removeprefix(CUSTOM_PREFIX)}”."
            )
        return definition.coerce(value)
    model_field = _field(model, field)
    if isinstance(value, models.Model):
        value = value.pk
    if model_field.is_relation:
        if value in (None, ""):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValidationError(
                {field: f"Pick a valid {model_field.verbose_name}."}, code="invalid"
            ) from None
    if field in LIST_FIELDS:
        if value is None:
            return []
        if field == "tags":
            return normalize_tags(value)
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list | tuple):
            raise ValidationError({field: f"{_label(model, field)} must be a list."})
        value = [str(item).strip() for item in value if str(item).strip()]
        return [item.lower() for item in value] if field == "emails" else value
    if isinstance(value, str):
        value = " ".join(value.split()) if field in COLLAPSED_FIELDS else value.strip()
    if value in (None, "") and model_field.null:
        return None
    if value is None:
        if model_field.blank and isinstance(model_field, models.CharField | models.TextField):
            return ""
        raise ValidationError({field: f"{_label(model, field)} cannot be empty."}, code="required")
    try:
        return model_field.to_python(value)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None


def _current(obj, field: str):
    if field.startswith(CUSTOM_PREFIX):
        return obj.custom_values.get(field.removeprefix(CUSTOM_PREFIX))
    model_field = _field(type(obj), field)
    if model_field.is_relation:
        return getattr(obj, model_field.attname)
    return getattr(obj, field)


def _assign(obj, field: str, value) -> None:
    if field.startswith(CUSTOM_PREFIX):
        values = dict(obj.custom_values)
        key = field.removeprefix(CUSTOM_PREFIX)
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
        obj.custom_values = values
        return
    model_field = _field(type(obj), field)
    if model_field.is_relation:
        setattr(obj, model_field.attname, value)
        if model_field.is_cached(obj):  # so validation and display see the new object
            model_field.delete_cached_value(obj)
    else:
        setattr(obj, field, value)


def _display(obj, field: str, value) -> str:
    """How a person reads ``value`` of ``field`` (a name, a choice label, a date)."""
    if value is None or value == "" or value == []:
        return ""
    if field.startswith(CUSTOM_PREFIX):
        return str(value)
    model_field = _field(type(obj), field)
    if model_field.is_relation:
        related = model_field.related_model.objects.filter(pk=value).first()
        return str(related) if related else f"#{value}"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# --- History: audit rows and timeline entries ----------------------------------


def _audit(*, actor, obj, field: str, old, new) -> FieldChange:
    change = FieldChange(
        actor=actor,
        via=acting.via_label(),
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        field=field,
        old=_json(old),
        new=_json(new),
        old_display=_display(obj, field, old)[:300],
        new_display=_display(obj, field, new)[:300],
    )
    change.full_clean()
    change.save()
    return change


def last_change(obj, field: str) -> FieldChange | None:
    """The latest audit row of ``field`` on ``obj`` (who changed it last, and when)."""
    return (
        FieldChange.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, field=field
        )
        .select_related("actor")
        .first()
    )


def record_name(obj) -> str:
    """A record as timelines and notifications name it: a client by its name, anything
    else with its kind first ("deal Pilot: Acme", "ticket Export times out")."""
    match obj:
        case Client():
            return str(obj)
        case Contact():
            return f"contact {obj}"
        case Deal():
            return f"deal {obj}"
        case Ticket():
            return f"ticket {obj}"
        case Task():
            return f"task {obj}"
    return str(obj)


def _target_name(target) -> str:
    match target:
        case Client():
            return "client"
        case Deal():
            return "deal"
        case Ticket():
            return "ticket"
        case Task():
            return "task"
    raise ValidationError("Comments go on a client, a deal, a ticket or a task.")


def _sla_due(start, priority: str):
    return start + timedelta(hours=TicketSlaPolicy.hours_for(priority))


def _check_active_user(pk: int, field: str) -> None:
    if not User.objects.filter(pk=pk, is_active=True).exists():
        raise ValidationError({field: "Pick an active member of staff."})


def change_summary(actor, obj, field: str, change: FieldChange) -> str:
    """The timeline's words for an audited change of ``obj.field``: "Ana changed Status of
    ticket Export times out from “Open” to “Solved”" (the values as ``change`` shows them)."""
    label = _label(type(obj), field)
    where = "" if isinstance(obj, Client) else f" of {record_name(obj)}"
    old = f"“{change.old_display}”" if change.old_display else "empty"
    new = f"“{change.new_display}”" if change.new_display else "empty"
    return f"{actor} changed {label}{where} from {old} to {new}"


def _check_body(body: str) -> str:
    if not isinstance(body, str) or not body.strip():
        raise ValidationError({"body": "Write something first."})
    if len(body) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "body": f"A comment is limited to {COMMENT_MAX_LENGTH:,} characters; "
                f"this one has {len(body):,}."
            },
            code="too_long",
        )
    return body.strip()
