"""Change a field of the rule's record, through ``records.services.update_field``.

The fields are those a person edits one at a time on the record's page
(``records.services.EDITABLE_FIELDS``; a client's custom fields as ``custom.<key>``).
The value is checked against the field when the rule is saved (a number for an
amount, one of the choices for a priority, an active person for an owner). At run
time the value the record holds then is the ``seen_value``: the rule overwrites
what is there, and a value already set changes nothing.
"""

from django.core.exceptions import ValidationError
from django.db import models

from accounts.models import User
from automation import subjects
from automation.actions import base
from automation.actions.base import ActionType, Param
from automation.errors import BrokenReference
from records.models import Client, CustomField
from records.services import EDITABLE_FIELDS, update_field

LABEL = "Change a field"
CUSTOM_PREFIX = "custom."


def clean(config: dict, trigger_key: str, owner) -> dict:
    subject_type = base.require_record(trigger_key, "Changing a field")
    model = subjects.MODELS.get(subject_type)
    field = config.get("field")
    if model is None or model not in EDITABLE_FIELDS:
        raise ValidationError("This trigger's record has no fields a rule may change.")
    if not isinstance(field, str) or not _editable(model, field):
        names = ", ".join(sorted(EDITABLE_FIELDS[model]))
        raise ValidationError(f"Choose a field to change: {names}.")
    _check_value(model, field, config.get("value"))
    return {"field": field, "value": config.get("value")}


def describe(config: dict, ctx) -> str:
    subject = base.record(ctx)
    shown = _shown(config["value"])
    if _current(subject, config["field"]) == _comparable(subject, config):
        return f"Would leave {_label(subject, config['field'])} as {shown} (already set)"
    return f"Would set {_label(subject, config['field'])} of {base.record_name(ctx)} to {shown}"


def perform(config: dict, ctx) -> str:
    field = config["field"]
    _check_still_there(type(base.record(ctx)), field)
    subject = base.locked(base.record(ctx))
    update_field(
        actor=ctx.actor,
        obj=subject,
        field=field,
        value=config["value"],
        seen_value=_current(subject, field),
    )
    return f"Set {_label(subject, field)} of {base.record_name(ctx)} to {_shown(config['value'])}"


def _editable(model, field: str) -> bool:
    if model is Client and field.startswith(CUSTOM_PREFIX):
        return CustomField.objects.filter(
            key=field.removeprefix(CUSTOM_PREFIX), active=True
        ).exists()
    return field in EDITABLE_FIELDS[model]


def _check_value(model, field: str, value) -> None:
    """A ValidationError, naming the field, when ``value`` cannot be stored in it."""
    if field.startswith(CUSTOM_PREFIX):
        CustomField.objects.get(key=field.removeprefix(CUSTOM_PREFIX)).coerce(value)
        return
    model_field = model._meta.get_field(field)
    label = str(model_field.verbose_name)
    if model_field.is_relation:
        _check_related(model_field, label, value)
        return
    try:
        model_field.clean(value, None)
    except ValidationError as error:
        raise ValidationError(f"{label.capitalize()}: {' '.join(error.messages)}") from None


def _check_related(model_field, label: str, value) -> None:
    if value in (None, ""):
        if not model_field.null:
            raise ValidationError(f"Choose the {label}.")
        return
    if model_field.related_model is User:
        base.active_person(value, f"the {label}")
        return
    try:
        exists = model_field.related_model.objects.filter(pk=int(value)).exists()
    except (TypeError, ValueError):
        exists = False
    if not exists:
        raise ValidationError(f"Choose the {label}: #{value} does not exist.")


def _check_still_there(model, field: str) -> None:
    if field.startswith(CUSTOM_PREFIX) and not _editable(model, field):
        raise BrokenReference(
            f"The custom field “{field.removeprefix(CUSTOM_PREFIX)}” the rule changes was removed."
        )


def _current(subject, field: str):
    if field.startswith(CUSTOM_PREFIX):
        return subject.custom_values.get(field.removeprefix(CUSTOM_PREFIX))
    model_field = type(subject)._meta.get_field(field)
    return getattr(subject, model_field.attname)


def _comparable(subject, config: dict):
    """The configured value as the record would store it (for the dry run's "already set")."""
    field, value = config["field"], config["value"]
    if field.startswith(CUSTOM_PREFIX):
        definition = CustomField.objects.filter(key=field.removeprefix(CUSTOM_PREFIX)).first()
        return definition.coerce(value) if definition else value
    model_field = type(subject)._meta.get_field(field)
    if isinstance(model_field, models.ForeignKey):
        return int(value) if value not in (None, "") else None
    return model_field.to_python(value)


def _label(subject, field: str) -> str:
    if field.startswith(CUSTOM_PREFIX):
        return field.removeprefix(CUSTOM_PREFIX)
    return str(type(subject)._meta.get_field(field).verbose_name)


def _shown(value) -> str:
    return "empty" if value in (None, "", []) else f"“{value}”"


ACTIONS = (
    ActionType(
        key="change_field",
        label=LABEL,
        clean=clean,
        describe=describe,
        perform=perform,
        params=(
            Param("field", "Field", "field", required=True),
            Param("value", "New value", "value"),
        ),
    ),
)
