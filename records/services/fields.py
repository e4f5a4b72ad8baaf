"""update_field: one field of a record, with field-level conflict detection (DESIGN §5)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from records import events, policies
from records.models import (
    Client,
    Contact,
    Deal,
    Ticket,
    TimelineEntry,
)
from records.services.base import (
    CUSTOM_PREFIX,
    FieldConflict,
    _assign,
    _audit,
    _change_summary,
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
    _timeline,
    _topics,
    last_change,
)

# The fields ``update_field`` may change, per model. Others have their own service
# (deal stage → move_deal, ticket status → set_ticket_status, archived → archive_client).
EDITABLE_FIELDS = {
    Client: {
        "name",
        "domain",
        "industry",
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
}

# --- One field of a record -----------------------------------------------------


def update_field(*, actor: User, obj, field: str, value, seen_value):
    """Set one field of a client, contact, deal or ticket, unless it changed meanwhile.

    ``seen_value`` is the value the editor started from. If the stored value
    differs, raise :class:`FieldConflict` (their value and name). Setting the
    value already stored is a no-op (nothing written, nothing published).
    Different fields never conflict. Custom client fields are ``custom.<key>``.
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
        new = _normalize(model, field, value)
        try:
            seen = _normalize(model, field, seen_value)
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
        obj.save()
        stored = _current(obj, field)  # after the model's own normalization
        change = _audit(actor=actor, obj=obj, field=field, old=current, new=stored)
        entry = _timeline(
            actor=actor,
            client_id=_client_id(obj),
            kind=TimelineEntry.Kind.FIELD,
            summary=_change_summary(actor, obj, field, change),
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
                "timeline": entry.pk,
            },
        )
    return obj
