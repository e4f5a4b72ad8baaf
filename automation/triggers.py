"""The triggers a rule can start from: "When <trigger>, …".

Two families:

* **bus triggers** hear the live event log (DESIGN §4): every write already publishes
  an event in its transaction, so a rule never needs the writing code to know about it.
  A trigger names the bus kinds it listens to (``bus_kinds``) and may look at the
  payload: "deal amount changed" hears ``deal.updated`` for the field ``amount``
  only; "deal won" hears ``deal.won`` only when the stage changed (a won deal
  reordered within its column publishes ``deal.won`` again);
* **timed triggers** (``timed=True``) have no event: the clock (automation/clock.py)
  looks each minute for what became due — a ticket's SLA about to run out or run
  out, a handoff nobody answered, an overdue task, a weekly moment.

``trigger_options`` is the small JSON document the form builds for the chosen trigger
(``option_fields`` says what to draw, ``clean_options`` checks it):
``{"fields": ["amount"]}`` (empty: any field), ``{"statuses": ["solved"]}``,
``{"minutes": 60}``, ``{"hours": 24}``, ``{"weekdays": [0], "time": "09:00"}``.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist, ValidationError

from records.models import Client, Contact, CustomField, Deal, Stage, Task, Ticket
from records.services import EDITABLE_FIELDS

CUSTOM_PREFIX = "custom."
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIME_FORMAT = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

# --- What a trigger may be told (its options) ---------------------------------------------


@dataclass(frozen=True)
class OptionField:
    """One input of a trigger's options in the rule form.

    ``kind``: "choices" (several of ``choices``; empty means any), "weekdays" (several
    days, 0 = Monday), "number" (a whole number from ``minimum`` to ``maximum``) or
    "time" ("HH:MM").
    """

    name: str
    label: str
    kind: str
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    default: object = None
    minimum: int | None = None
    maximum: int | None = None
    required: bool = False


def _field_label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name).capitalize()


def custom_fields() -> list[CustomField]:
    """The custom client fields in use (a switched-off one can no longer be chosen)."""
    return list(CustomField.objects.filter(active=True))


# The fields whose change a "… field changed" trigger can listen to, beyond those
# ``update_field`` edits: a task's status and assignee, a ticket's status have services
# of their own that publish their own kinds (see ``_changed_field``).
_EXTRA_CHANGING = {Task: ("status", "assignee"), Ticket: ("status",)}


def changing_fields(model) -> list[tuple[str, str]]:
    """``(name, label)`` of every field of ``model`` whose change a rule can hear."""
    names = sorted(EDITABLE_FIELDS.get(model, set()) | set(_EXTRA_CHANGING.get(model, ())))
    fields = [(name, _field_label(model, name)) for name in names]
    if model is Client:
        fields += [(f"{CUSTOM_PREFIX}{f.key}", f.label) for f in custom_fields()]
    return fields


def _fields_option(model) -> Callable[[], list[OptionField]]:
    def build() -> list[OptionField]:
        return [
            OptionField(
                "fields",
                "Fields",
                "choices",
                help="Only a change of these fields starts the rule; none chosen: any field.",
                choices=tuple(changing_fields(model)),
                default=[],
            )
        ]

    return build


def _statuses_option() -> list[OptionField]:
    return [
        OptionField(
            "statuses",
            "New status",
            "choices",
            help="Only a change to one of these; none chosen: any status.",
            choices=tuple(Ticket.Status.choices),
            default=[],
        )
    ]


def _minutes_option() -> list[OptionField]:
    return [
        OptionField(
            "minutes",
            "Minutes before the SLA runs out",
            "number",
            default=60,
            minimum=5,
            maximum=7 * 24 * 60,
            required=True,
        )
    ]


def _hours_option() -> list[OptionField]:
    return [
        OptionField(
            "hours",
            "Hours without an answer",
            "number",
            default=24,
            minimum=1,
            maximum=30 * 24,
            required=True,
        )
    ]


def _schedule_options() -> list[OptionField]:
    return [
        OptionField(
            "weekdays",
            "On",
            "weekdays",
            choices=tuple((str(day), name) for day, name in enumerate(WEEKDAYS)),
            default=[0],
            required=True,
        ),
        OptionField(
            "time",
            "At",
            "time",
            help="In the rule's department's time zone (workspace-wide rules: UTC).",
            default="09:00",
            required=True,
        ),
    ]


def _no_options() -> list[OptionField]:
    return []


# --- What a trigger hears -----------------------------------------------------------------


def _always(options: dict, kind: str, payload: dict) -> bool:
    return True


def _stage_changed(options: dict, kind: str, payload: dict) -> bool:
    return payload.get("from_stage") != payload.get("stage")


# The bus kinds of services that change one field each, beyond ``update_field``'s.
_ONE_FIELD_KINDS = {
    "task.status": "status",
    "task.reassigned": "assignee",
    "ticket.status": "status",
}


def _changed_field(kind: str, payload: dict) -> str | None:
    """The field a bus event says changed (None: the event is not a field change)."""
    if kind.endswith(".updated"):
        return payload.get("field")
    return _ONE_FIELD_KINDS.get(kind)


def _field_in_scope(options: dict, kind: str, payload: dict) -> bool:
    changed = _changed_field(kind, payload)
    fields = options.get("fields") or []
    return changed is not None and (not fields or changed in fields)


def _priority_changed(options: dict, kind: str, payload: dict) -> bool:
    return payload.get("field") == "priority"


def _status_in_scope(options: dict, kind: str, payload: dict) -> bool:
    statuses = options.get("statuses") or []
    return payload.get("status") != payload.get("from_status") and (
        not statuses or payload.get("status") in statuses
    )


def _has_client(options: dict, kind: str, payload: dict) -> bool:
    return payload.get("client") is not None


# --- The catalog --------------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    key: str
    label: str
    subject_type: str  # "client", "contact", "deal", "ticket", "task", "handoff"; "" for schedule
    bus_kinds: tuple[str, ...] = ()
    timed: bool = False
    group: str = ""
    applies: Callable[[dict, str, dict], bool] = field(default=_always, repr=False)
    options: Callable[[], list[OptionField]] = field(default=_no_options, repr=False)


def _bus(key, label, subject, kinds, group, applies=_always, options=_no_options) -> Trigger:
    return Trigger(key, label, subject, tuple(kinds), False, group, applies, options)


def _timed(key, label, subject, group, options=_no_options) -> Trigger:
    return Trigger(key, label, subject, (), True, group, _always, options)


_TRIGGERS = (
    _bus("client.created", "A client is created", "client", ["client.created"], "Clients"),
    _bus(
        "client.field_changed",
        "A client field changes",
        "client",
        ["client.updated"],
        "Clients",
        _field_in_scope,
        _fields_option(Client),
    ),
    _bus("contact.created", "A contact is added", "contact", ["contact.created"], "Clients"),
    _bus("deal.created", "A deal is created", "deal", ["deal.created"], "Deals"),
    _bus(
        "deal.stage_changed",
        "A deal changes stage",
        "deal",
        ["deal.moved", "deal.won", "deal.lost"],
        "Deals",
        _stage_changed,
    ),
    _bus("deal.won", "A deal is won", "deal", ["deal.won"], "Deals", _stage_changed),
    _bus("deal.lost", "A deal is lost", "deal", ["deal.lost"], "Deals", _stage_changed),
    _bus(
        "deal.field_changed",
        "A deal field changes",
        "deal",
        ["deal.updated"],
        "Deals",
        _field_in_scope,
        _fields_option(Deal),
    ),
    _bus("ticket.created", "A ticket is opened", "ticket", ["ticket.created"], "Tickets"),
    _bus(
        "ticket.priority_changed",
        "A ticket's priority changes",
        "ticket",
        ["ticket.updated"],
        "Tickets",
        _priority_changed,
    ),
    _bus(
        "ticket.status_changed",
        "A ticket's status changes",
        "ticket",
        ["ticket.status"],
        "Tickets",
        _status_in_scope,
        _statuses_option,
    ),
    _bus(
        "ticket.field_changed",
        "A ticket field changes",
        "ticket",
        ["ticket.updated", "ticket.status"],
        "Tickets",
        _field_in_scope,
        _fields_option(Ticket),
    ),
    _bus("ticket.rated", "A ticket is rated (CSAT)", "ticket", ["ticket.rated"], "Tickets"),
    _timed(
        "ticket.sla_due_soon", "A ticket's SLA is due soon", "ticket", "Tickets", _minutes_option
    ),
    _timed("ticket.sla_breached", "A ticket's SLA is breached", "ticket", "Tickets"),
    _bus("task.created", "A task is created", "task", ["task.created"], "Tasks"),
    _bus(
        "task.field_changed",
        "A task field changes",
        "task",
        ["task.updated", "task.status", "task.reassigned"],
        "Tasks",
        _field_in_scope,
        _fields_option(Task),
    ),
    _timed("task.overdue", "A task is overdue", "task", "Tasks"),
    _bus("handoff.sent", "A handoff is sent", "handoff", ["handoff.created"], "Handoffs"),
    _bus("handoff.accepted", "A handoff is accepted", "handoff", ["handoff.accepted"], "Handoffs"),
    _bus("handoff.declined", "A handoff is declined", "handoff", ["handoff.declined"], "Handoffs"),
    _timed(
        "handoff.unanswered",
        "A handoff is unanswered for a while",
        "handoff",
        "Handoffs",
        _hours_option,
    ),
    _bus("form.submitted", "A web form is submitted", "client", ["web_form.submitted"], "Inbound"),
    _bus("mail.received", "An email is received", "client", ["mail.received"], "Inbound"),
    _bus("call.missed", "A call is missed", "client", ["call.missed"], "Inbound", _has_client),
    _timed("schedule", "On a schedule", "", "Schedule", _schedule_options),
)
CATALOG: dict[str, Trigger] = {trigger.key: trigger for trigger in _TRIGGERS}


def choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The triggers grouped for the form's ``<optgroup>``s, in catalog order."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for trigger in CATALOG.values():
        groups.setdefault(trigger.group, []).append((trigger.key, trigger.label))
    return list(groups.items())


def get(trigger_key: str) -> Trigger:
    """The trigger, or ValidationError for a key the catalog does not have."""
    trigger = CATALOG.get(trigger_key)
    if trigger is None:
        raise ValidationError(f"“{trigger_key}” is not a trigger a rule can start from.")
    return trigger


def bus_kinds() -> set[str]:
    """Every live bus kind some trigger listens to."""
    return {kind for trigger in CATALOG.values() for kind in trigger.bus_kinds}


def option_fields(trigger_key: str) -> list[OptionField]:
    """What the form draws for this trigger's options ([] for none or an unknown trigger)."""
    trigger = CATALOG.get(trigger_key)
    return trigger.options() if trigger else []


# --- Checking options ---------------------------------------------------------------------


def clean_options(trigger_key: str, options) -> dict:
    """The trigger's options checked and normalized, or ValidationError in words: an unknown
    trigger, an option it does not take, a field it cannot hear, a number out of range."""
    trigger = get(trigger_key)
    if options in (None, ""):
        options = {}
    if not isinstance(options, dict):
        raise ValidationError("The trigger's options must be a mapping.")
    wanted = {option.name: option for option in trigger.options()}
    unknown = sorted(set(options) - set(wanted))
    if unknown:
        raise ValidationError(
            f"“{trigger.label}” takes no option {', '.join(f'“{name}”' for name in unknown)}."
        )
    cleaned, errors = {}, []
    for name, option in wanted.items():
        value = options.get(name)
        if value in (None, "", []) and option.default is not None:
            value = option.default
        try:
            cleaned[name] = _CLEANERS[option.kind](option, value)
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_choices(option: OptionField, value) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple):
        raise ValidationError(f"{option.label}: choose from the list.")
    allowed = dict(option.choices)
    wrong = [str(v) for v in values if v not in allowed]
    if wrong:
        raise ValidationError(
            f"{option.label}: {', '.join(f'“{w}”' for w in wrong)} "
            f"{'is' if len(wrong) == 1 else 'are'} not among the choices."
        )
    return list(dict.fromkeys(values))


def _clean_weekdays(option: OptionField, value) -> list[int]:
    values = [value] if isinstance(value, int | str) else value
    try:
        days = sorted({int(day) for day in values})
    except (TypeError, ValueError):
        raise ValidationError(f"{option.label}: choose days of the week.") from None
    if not days or any(day < 0 or day > 6 for day in days):
        raise ValidationError(f"{option.label}: choose at least one day of the week.")
    return days


def _clean_number(option: OptionField, value) -> int:
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(f"{option.label}: “{value}” is not a whole number.") from None
    if not option.minimum <= number <= option.maximum:
        raise ValidationError(
            f"{option.label}: choose from {option.minimum} to {option.maximum}, not {number}."
        )
    return number


def _clean_time(option: OptionField, value) -> str:
    return clean_time(value, option.label)


def clean_time(value, label: str) -> str:
    """A time of day as "HH:MM" ("9:00" is "09:00"), or ValidationError naming ``label``."""
    text = str(value or "").strip()
    if len(text) == 4 and text[1] == ":":
        text = f"0{text}"
    if not TIME_FORMAT.match(text):
        raise ValidationError(f"{label}: “{value}” is not a time like 09:00.")
    return text


_CLEANERS = {
    "choices": _clean_choices,
    "weekdays": _clean_weekdays,
    "number": _clean_number,
    "time": _clean_time,
}

# --- Hearing the bus ----------------------------------------------------------------------


def hears(rule, kind: str, payload: dict) -> bool:
    """Whether this bus event fires ``rule``'s trigger (its kind, and its options' scope)."""
    trigger = CATALOG.get(rule.trigger)
    if trigger is None or kind not in trigger.bus_kinds:
        return False
    return trigger.applies(rule.trigger_options or {}, kind, payload)


def subject_id(trigger_key: str, kind: str, payload: dict) -> int | None:
    """The pk of the record (of the trigger's ``subject_type``) the event is about."""
    if kind == "mail.received":
        return _mail_client(payload.get("id"))
    if kind == "call.missed":
        return payload.get("client")
    return payload.get("id")


def _mail_client(message_id) -> int | None:
    from integrations.mail.models import EmailMessage

    return EmailMessage.objects.filter(pk=message_id).values_list("client_id", flat=True).first()


# --- Saying what happened -----------------------------------------------------------------

_MODELS = {"client": Client, "contact": Contact, "deal": Deal, "ticket": Ticket, "task": Task}
_HAPPENED = {
    "client.created": "Client created",
    "contact.created": "Contact added",
    "deal.created": "Deal created",
    "ticket.created": "Ticket opened",
    "task.created": "Task created",
    "task.reassigned": "Task reassigned",
    "handoff.created": "Handoff sent",
    "handoff.accepted": "Handoff accepted",
    "handoff.declined": "Handoff declined",
    "web_form.submitted": "Web form submitted",
    "mail.received": "Email received",
}


def describe(kind: str, payload: dict) -> str:
    """One line for the run log: "Deal amount changed to 12000", "Deal won"."""
    model_name, _, action = kind.partition(".")
    if action == "updated" and model_name in _MODELS:
        return _describe_field_change(_MODELS[model_name], payload)
    if kind in ("deal.moved", "deal.won", "deal.lost"):
        return _describe_deal_move(kind, payload)
    if action == "status":
        return f"{model_name.title()} status changed to {payload.get('status')}"
    if kind == "ticket.rated":
        return f"Ticket rated {payload.get('satisfaction')} of 5"
    if kind == "call.missed":
        return f"Missed call from {payload.get('number') or 'an unknown number'}"
    return _HAPPENED.get(kind, kind)


def _describe_field_change(model, payload: dict) -> str:
    name = str(payload.get("field") or "")
    if name.startswith(CUSTOM_PREFIX):
        key = name.removeprefix(CUSTOM_PREFIX)
        label = CustomField.objects.filter(key=key).values_list("label", flat=True).first() or key
    else:
        try:
            label = _field_label(model, name).lower()
        except FieldDoesNotExist:  # renamed since the event: say its stored name
            label = name
    shown = payload.get("display", payload.get("value"))
    what = f"changed to {shown}" if shown not in (None, "") else "cleared"
    return f"{model._meta.verbose_name.capitalize()} {label} {what}"


def _describe_deal_move(kind: str, payload: dict) -> str:
    if kind != "deal.moved":
        return "Deal won" if kind == "deal.won" else "Deal lost"
    stage = Stage.objects.filter(pk=payload.get("stage")).values_list("name", flat=True).first()
    return f"Deal moved to {stage}" if stage else "Deal moved to another stage"
