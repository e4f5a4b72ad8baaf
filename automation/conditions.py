"""The "if" of a rule: conditions on the record, its client, its owner, and the time.

A condition is ``{"field": …, "op": …, "value": …}``; the rule's ``match`` says whether
all or any must hold. Fields, by what the trigger's record offers (``field_choices``):

* ``<subject>.<name>`` and ``client.<name>``: a field of the record or of its client
  ("deal.amount", "client.country"), and ``client.custom.<key>`` for the admins'
  custom client fields, each with the operators of its type (``OPERATORS``);
* ``owner``: the person the record is with (a client's or deal's owner, a ticket's or
  task's assignee, a contact's or handoff's client's owner) is, or is not, someone;
* ``department``: that person belongs, or not, to a department;
* ``segment``: the record's client is, or is not, in a marketing segment (its
  definition now, or a static list's members);
* ``time``: the time of day is between two times, in the rule's department's zone
  (UTC for a workspace-wide rule); a span like 22:00-06:00 passes midnight;
* ``working_hours``: now is within, or outside, the owner's working hours in the
  owner's own zone (their profile's days and hours).

``clean`` refuses what cannot be evaluated — an operator a field has not, a value of
the wrong type — naming the condition ("Condition 2: “abc” is not a number for Deal
amount."). ``evaluate`` reports every condition (text, passed, what was found) and
raises ``errors.BrokenReference`` when something a condition names has gone since it
was saved: a custom field, a segment, a person, a department, a deal stage.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import Department, User
from automation import subjects, triggers
from automation.assignment import is_available, subject_owner
from automation.errors import BrokenReference
from marketing.models import Segment
from marketing.segments import clients_of
from records.models import CustomField, Stage
from workspace import moments

# --- Types and their operators ------------------------------------------------------------

TEXT, NUMBER, DATE, DATETIME, CHOICE, LIST = "text", "number", "date", "datetime", "choice", "list"
PERSON, DEPARTMENT, SEGMENT, TIME, WORKING_HOURS = (
    "person",
    "department",
    "segment",
    "time",
    "working_hours",
)
EMPTY_OPS = [("is_empty", "is empty"), ("not_empty", "is not empty")]
OPERATORS: dict[str, list[tuple[str, str]]] = {
    TEXT: [
        ("eq", "is"),
        ("ne", "is not"),
        ("contains", "contains"),
        ("not_contains", "does not contain"),
        *EMPTY_OPS,
    ],
    NUMBER: [
        ("eq", "is"),
        ("ne", "is not"),
        ("gt", "is more than"),
        ("gte", "is at least"),
        ("lt", "is less than"),
        ("lte", "is at most"),
        *EMPTY_OPS,
    ],
    DATE: [("eq", "is"), ("gt", "is after"), ("lt", "is before"), *EMPTY_OPS],
    DATETIME: [("gt", "is after"), ("lt", "is before"), ("past", "has passed"), *EMPTY_OPS],
    CHOICE: [
        ("eq", "is"),
        ("ne", "is not"),
        ("in", "is one of"),
        ("not_in", "is none of"),
        *EMPTY_OPS,
    ],
    LIST: [("contains", "contains"), ("not_contains", "does not contain"), *EMPTY_OPS],
    PERSON: [("is", "is"), ("is_not", "is not"), *EMPTY_OPS],
    DEPARTMENT: [("is", "is"), ("is_not", "is not")],
    SEGMENT: [("in", "is in"), ("not_in", "is not in")],
    TIME: [("between", "is between"), ("not_between", "is not between")],
    WORKING_HOURS: [("within", "is within"), ("outside", "is outside")],
}
CLIENT_CUSTOM = f"client.{triggers.CUSTOM_PREFIX}"  # "client.custom.<key>"
# Operators that take no value.
VALUELESS = {"is_empty", "not_empty", "past"}
# Operators that take a list of values.
MULTIPLE = {"in", "not_in"}

# --- The fields a condition can look at ---------------------------------------------------


@dataclass(frozen=True)
class Field:
    """Something a condition reads. ``read(ctx)`` gives the raw value now (None: not set or
    nothing to read); ``choices()`` the allowed values of choice-like types as strings."""

    key: str
    label: str
    type: str
    read: Callable
    choices: Callable[[], list[tuple[str, str]]] | None = None


# The fields offered per record type, in the form's order.
_RECORD_FIELDS = {
    "client": (
        "name",
        "domain",
        "industry",
        "country",
        "size",
        "lifecycle",
        "source",
        "tags",
        "department",
    ),
    "contact": ("name", "title", "preferred_channel"),
    "deal": ("title", "amount", "currency", "stage", "status", "expected_close", "owner"),
    "ticket": ("subject", "priority", "status", "channel", "satisfaction", "sla_due", "assignee"),
    "task": ("title", "priority", "status", "due_at", "assignee"),
    "handoff": ("status", "to_department", "to_user", "from_user", "note"),
}


def _stage_choices() -> list[tuple[str, str]]:
    stages = Stage.objects.select_related("pipeline").order_by("pipeline__name", "order")
    return [(str(stage.pk), f"{stage.pipeline.name}: {stage.name}") for stage in stages]


def _people_choices() -> list[tuple[str, str]]:
    return [
        (str(pk), name)
        for pk, name in User.objects.filter(is_active=True).values_list("pk", "full_name")
    ]


def _department_choices() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Department.objects.values_list("pk", "name")]


def _segment_choices() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Segment.objects.values_list("pk", "name")]


def _model_choices(model_field) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(str(value), str(label)) for value, label in model_field.flatchoices]


def _type_of(model_field) -> tuple[str, Callable | None]:
    """The condition type of a model field, and its choices when it has some."""
    if model_field.is_relation:
        target = model_field.related_model
        if target is Stage:
            return CHOICE, _stage_choices
        return (
            (DEPARTMENT, _department_choices) if target is Department else (PERSON, _people_choices)
        )
    if model_field.choices:
        return CHOICE, _model_choices(model_field)
    if isinstance(model_field, models.DecimalField | models.IntegerField):
        return NUMBER, None
    if isinstance(model_field, models.DateTimeField):
        return DATETIME, None
    if isinstance(model_field, models.DateField):
        return DATE, None
    if isinstance(model_field, models.JSONField):
        return LIST, None
    return TEXT, None


def _record_field(entity: str, name: str) -> Field:
    model = subjects.MODELS[entity]
    model_field = model._meta.get_field(name)
    kind, choices = _type_of(model_field)
    label = f"{model._meta.verbose_name.capitalize()} {model_field.verbose_name}"
    attribute = model_field.attname  # a foreign key reads its id: no query
    return Field(
        f"{entity}.{name}",
        label,
        kind,
        lambda ctx: getattr(_entity(ctx, entity), attribute, None),
        choices,
    )


def _custom_field(definition: CustomField) -> Field:
    kind = {CustomField.Type.NUMBER: NUMBER, CustomField.Type.DATE: DATE}.get(
        definition.type, CHOICE if definition.type == CustomField.Type.CHOICE else TEXT
    )
    choices = (lambda: [(c, c) for c in definition.choices]) if kind == CHOICE else None
    return Field(
        f"{CLIENT_CUSTOM}{definition.key}",
        f"Client {definition.label}",
        kind,
        lambda ctx: (getattr(ctx.client, "custom_values", None) or {}).get(definition.key),
        choices,
    )


def _entity(ctx, entity: str):
    if entity == ctx.subject_type:
        return ctx.subject
    return ctx.client if entity == "client" else None


def _owner(ctx):
    return subject_owner(ctx.subject_type, ctx.subject)


_OWNER = Field(
    "owner", "Owner", PERSON, lambda ctx: getattr(_owner(ctx), "pk", None), _people_choices
)
_DEPARTMENT = Field(
    "department", "Owner's department", DEPARTMENT, lambda ctx: _owner(ctx), _department_choices
)
_SEGMENT = Field("segment", "Client", SEGMENT, lambda ctx: ctx.client, _segment_choices)
_TIME = Field("time", "Time of day", TIME, lambda ctx: ctx.now)
_WORKING_HOURS = Field(
    "working_hours",
    "Now",
    WORKING_HOURS,
    lambda ctx: ctx.now,
    lambda: [("owner", "owner's working hours")],
)


def _fields_for(trigger_key: str, *, custom: bool = True) -> dict[str, Field]:
    """Every field a rule on this trigger may test, by key."""
    subject = triggers.get(trigger_key).subject_type
    if not subject:
        return {_TIME.key: _TIME}
    fields = [_record_field(subject, name) for name in _RECORD_FIELDS[subject]]
    if subject != "client":
        fields += [_record_field("client", name) for name in _RECORD_FIELDS["client"]]
    if custom:
        fields += [_custom_field(d) for d in triggers.custom_fields()]
    fields += [_OWNER, _DEPARTMENT, _SEGMENT, _TIME, _WORKING_HOURS]
    return {field.key: field for field in fields}


def field_choices(trigger_key: str) -> list[tuple[str, str, str]]:
    """``(key, label, type)`` of every field a rule on this trigger may test, for the form."""
    if trigger_key not in triggers.CATALOG:
        return []
    return [(f.key, f.label, f.type) for f in _fields_for(trigger_key).values()]


def value_choices(trigger_key: str, field_key: str) -> list[tuple[str, str]]:
    """The values the form offers for a choice-like field (a stage, a person, a segment…);
    [] for a field typed freely."""
    if trigger_key not in triggers.CATALOG:
        return []
    found = _fields_for(trigger_key).get(field_key)
    if found is None:
        return []
    return found.choices() if found.choices else []


# --- Checking -----------------------------------------------------------------------------


def clean(trigger_key: str, conditions) -> list:
    """The conditions checked against what the trigger offers, values normalized.

    ValidationError lists every problem, each naming its condition by number."""
    if conditions in (None, ""):
        return []
    if not isinstance(conditions, list):
        raise ValidationError("Conditions must be a list.")
    fields = _fields_for(triggers.get(trigger_key).key)
    cleaned, errors = [], []
    for number, condition in enumerate(conditions, start=1):
        try:
            cleaned.append(_clean_one(condition, fields))
        except ValidationError as error:
            errors += [f"Condition {number}: {message}" for message in error.messages]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_one(condition, fields: dict[str, Field]) -> dict:
    if not isinstance(condition, dict):
        raise ValidationError("choose a field, an operator and a value.")
    field = fields.get(condition.get("field"))
    if field is None:
        raise ValidationError(
            f"“{condition.get('field')}” is not something this trigger's rules can test."
        )
    op = condition.get("op")
    if op not in dict(OPERATORS[field.type]):
        raise ValidationError(f"“{op}” is not a way to test {field.label}.")
    value = None if op in VALUELESS else _clean_value(field, op, condition.get("value"))
    return {"field": field.key, "op": op, "value": value}


def _clean_value(field: Field, op: str, value):
    if op in MULTIPLE and field.type == CHOICE:
        values = value if isinstance(value, list) else [value]
        values = [v for v in values if v not in (None, "")]
        if not values:
            raise ValidationError(f"choose at least one value of {field.label}.")
        return [_CHECKS[CHOICE](field, v) for v in values]
    if value in (None, "", []):
        raise ValidationError(f"give a value for {field.label}.")
    return _CHECKS[field.type](field, value)


def _check_text(field: Field, value) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValidationError(f"“{value}” is not text for {field.label}.")
    return str(value).strip()


def _check_number(field: Field, value) -> str:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = None
    if isinstance(value, bool) or number is None or not number.is_finite():
        raise ValidationError(f"“{value}” is not a number for {field.label}.")
    return str(value).strip()


def _check_date(field: Field, value) -> str:
    try:
        parsed = parse_date(str(value).strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError(f"“{value}” is not a date (YYYY-MM-DD) for {field.label}.")
    return parsed.isoformat()


def _check_datetime(field: Field, value) -> str:
    text = str(value).strip()
    try:
        moments.parse_moment(text, field="value", example="2026-12-07 09:00")
    except ValidationError:
        raise ValidationError(
            f"“{value}” is not a date and time (2026-12-07 09:00) for {field.label}."
        ) from None
    return text


def _check_choice(field: Field, value) -> str:
    allowed = dict(field.choices())
    if str(value) not in allowed:
        raise ValidationError(f"“{value}” is not one of the values of {field.label}.")
    return str(value)


def _named(model, what: str, field: Field, value):
    """The row a condition names by its id, or ValidationError: not an id, or gone."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        pk = None
    if pk is None or isinstance(value, bool):
        raise ValidationError(f"“{value}” is not a {what} for {field.label}.")
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError(f"there is no {what} #{value}.")
    return found


def _check_named(model, what: str) -> Callable:
    return lambda field, value: _named(model, what, field, value).pk


def _check_person(field: Field, value) -> int:
    person = _named(User, "person", field, value)
    if not person.is_active:
        raise ValidationError(f"{person} has left or was deactivated.")
    return person.pk


def _check_span(field: Field, value) -> list[str]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValidationError(f"give two times, like 09:00 and 17:00, for {field.label}.")
    start, end = (triggers.clean_time(v, field.label) for v in value)
    if start == end:
        raise ValidationError(f"{field.label}: the two times must differ.")
    return [start, end]


def _check_whose_hours(field: Field, value) -> str:
    if value != "owner":
        raise ValidationError("working hours are the owner's: choose “owner”.")
    return value


_CHECKS = {
    TEXT: _check_text,
    NUMBER: _check_number,
    DATE: _check_date,
    DATETIME: _check_datetime,
    CHOICE: _check_choice,
    LIST: _check_text,
    PERSON: _check_person,
    DEPARTMENT: _check_named(Department, "department"),
    SEGMENT: _check_named(Segment, "segment"),
    TIME: _check_span,
    WORKING_HOURS: _check_whose_hours,
}

# --- Evaluating ---------------------------------------------------------------------------


def evaluate(rule, ctx) -> tuple[bool, list[dict]]:
    """Whether the rule's conditions hold for ``ctx`` (a RunContext), and one report row per
    condition: ``{"text", "passed", "actual"}``. No conditions: it holds.

    Raises BrokenReference when a condition names something gone since the rule was saved
    (or its stored value cannot be read any more): the engine switches the rule off."""
    if not rule.conditions:
        return True, []
    if rule.trigger not in triggers.CATALOG:
        raise BrokenReference(f"Its trigger “{rule.trigger}” no longer exists.")
    fields = _fields_for(rule.trigger, custom=_names_custom(rule.conditions))
    rows = []
    for number, condition in enumerate(rule.conditions, start=1):
        field = _resolve(fields, condition, number)
        value = _revalidated(field, condition, number)
        passed, actual = _TESTS[field.type](field, condition["op"], value, ctx, rule)
        rows.append(
            {"text": describe(field, condition["op"], value), "passed": passed, "actual": actual}
        )
    results = [row["passed"] for row in rows]
    return (any(results) if rule.match == "any" else all(results)), rows


def _names_custom(conditions: list) -> bool:
    return any(_key(condition).startswith(CLIENT_CUSTOM) for condition in conditions)


def _key(condition) -> str:
    return str(condition.get("field", "")) if isinstance(condition, dict) else ""


def _resolve(fields: dict[str, Field], condition, number: int) -> Field:
    key = _key(condition)
    if key in fields:
        return fields[key]
    if key.startswith(CLIENT_CUSTOM):
        raise BrokenReference(
            f"Condition {number} tests the custom field “{key.removeprefix(CLIENT_CUSTOM)}”, "
            "which was deleted or switched off."
        )
    raise BrokenReference(f"Condition {number} tests “{key}”, which this trigger no longer has.")


def _revalidated(field: Field, condition: dict, number: int):
    """The condition's value, checked again: what it names may have gone since it was saved."""
    try:
        return _clean_one(condition, {field.key: field})["value"]
    except ValidationError as error:
        raise BrokenReference(f"Condition {number}: {' '.join(error.messages)}") from None


def in_words(trigger_key: str, condition) -> str:
    """A saved condition in words for the rule's page ("Deal amount is more than 10000");
    never raises: what is no longer offered, or named and gone, is said so."""
    key = _key(condition)
    if trigger_key not in triggers.CATALOG or not key:
        return f"{key or condition} (no longer offered)"
    field = _fields_for(trigger_key, custom=key.startswith(CLIENT_CUSTOM)).get(key)
    op = condition.get("op")
    if field is None or op not in dict(OPERATORS[field.type]):
        return f"{key} {op} (no longer offered)"
    return describe(field, op, condition.get("value"))


def describe(field: Field, op: str, value) -> str:
    """ "Deal amount is more than 10000" — a condition in words."""
    words = dict(OPERATORS[field.type])[op]
    if op in VALUELESS:
        return f"{field.label} {words}"
    return f"{field.label} {words} {_shown(field, value)}"


def _shown(field: Field, value) -> str:
    if field.type == TIME and isinstance(value, list | tuple) and len(value) == 2:
        return f"{value[0]} and {value[1]}"
    if field.type == WORKING_HOURS:
        return "the owner's working hours"
    if field.type in _NAMED:
        found = _NAMED[field.type].objects.filter(pk=value).first() if _is_id(value) else None
        return str(found or f"#{value}")
    if field.type == CHOICE:
        names = dict(field.choices())
        values = value if isinstance(value, list) else [value]
        return ", ".join(names.get(str(v), str(v)) for v in values)
    return str(value)


def _is_id(value) -> bool:
    return not isinstance(value, bool) and str(value).isdigit()


_NAMED = {PERSON: User, DEPARTMENT: Department, SEGMENT: Segment}


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _test_emptiness(op: str, actual) -> bool:
    return _is_empty(actual) if op == "is_empty" else not _is_empty(actual)


def _test_text(field, op, value, ctx, rule):
    actual = field.read(ctx)
    if op in ("is_empty", "not_empty"):
        return _test_emptiness(op, actual), _actual(actual)
    text, wanted = str(actual or "").casefold(), str(value).casefold()
    passed = {
        "eq": text == wanted,
        "ne": text != wanted,
        "contains": wanted in text,
        "not_contains": wanted not in text,
    }[op]
    return passed, _actual(actual)


def _test_list(field, op, value, ctx, rule):
    actual = field.read(ctx) or []
    if op in ("is_empty", "not_empty"):
        return _test_emptiness(op, actual), _actual(actual)
    found = str(value).casefold() in [str(item).casefold() for item in actual]
    return found == (op == "contains"), _actual(actual)


def _compare(op: str, actual, wanted) -> bool:
    return {
        "eq": actual == wanted,
        "ne": actual != wanted,
        "gt": actual > wanted,
        "gte": actual >= wanted,
        "lt": actual < wanted,
        "lte": actual <= wanted,
    }[op]


def _test_ordered(parse: Callable) -> Callable:
    """A test for numbers or dates: ``parse`` reads both the stored and the wanted value."""

    def test(field, op, value, ctx, rule):
        actual = field.read(ctx)
        if op in ("is_empty", "not_empty"):
            return _test_emptiness(op, actual), _actual(actual)
        if _is_empty(actual):
            return op == "ne", _actual(actual)
        try:
            return _compare(op, parse(actual), parse(value)), _actual(actual)
        except (InvalidOperation, TypeError, ValueError):  # a custom value of another type
            return False, _actual(actual)

    return test


def _as_number(value) -> Decimal:
    return Decimal(str(value))


def _as_date(value):
    if hasattr(value, "isoformat"):
        return value if not isinstance(value, datetime) else value.date()
    return parse_date(str(value))


def _as_moment(value) -> datetime:
    if isinstance(value, datetime):
        return value
    parsed = parse_datetime(str(value)) or datetime.combine(parse_date(str(value)), time())
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, timezone.UTC)


def _test_datetime(field, op, value, ctx, rule):
    actual = field.read(ctx)
    if op in ("is_empty", "not_empty"):
        return _test_emptiness(op, actual), _actual(actual)
    if actual is None:
        return False, _actual(actual)
    wanted = ctx.now if op == "past" else _as_moment(value)
    return (actual > wanted if op == "gt" else actual < wanted), _actual(actual)


def _test_choice(field, op, value, ctx, rule):
    actual = field.read(ctx)
    shown = dict(field.choices()).get(str(actual), _actual(actual)) if actual is not None else ""
    if op in ("is_empty", "not_empty"):
        return _test_emptiness(op, actual), shown
    actual = "" if actual is None else str(actual)
    passed = {
        "eq": actual == value,
        "ne": actual != value,
        "in": actual in (value or []),
        "not_in": actual not in (value or []),
    }[op]
    return passed, shown


def _test_person(field, op, value, ctx, rule):
    actual = field.read(ctx)
    shown = str(User.objects.filter(pk=actual).first() or "") if actual else ""
    if op in ("is_empty", "not_empty"):
        return _test_emptiness(op, actual), shown
    return (actual == value) == (op == "is"), shown


def _test_department(field, op, value, ctx, rule):
    """``department``: the owner is in it; ``<entity>.department`` fields: the record's is it."""
    actual = field.read(ctx)
    if isinstance(actual, User):
        departments = dict(actual.departments.values_list("pk", "name"))
        inside = value in departments
        shown = ", ".join(departments.values())
    else:
        inside = actual == value
        shown = dict(_department_choices()).get(str(actual), "")
    return inside == (op == "is"), shown


def _test_segment(field, op, value, ctx, rule):
    client = field.read(ctx)
    segment = Segment.objects.get(pk=value)
    inside = client is not None and clients_of(segment).filter(pk=client.pk).exists()
    return inside == (op == "in"), f"{'in' if inside else 'not in'} {segment}"


def rule_zone(rule):
    """The zone a rule's times are read in: its department's, UTC for a workspace-wide rule."""
    return moments.zone(rule.department.timezone if rule.department_id else "UTC")


def _test_time(field, op, value, ctx, rule):
    local = timezone.localtime(field.read(ctx), rule_zone(rule))
    now, start, end = local.strftime("%H:%M"), value[0], value[1]
    inside = start <= now < end if start < end else (now >= start or now < end)
    return inside == (op == "between"), f"{now} ({local.tzname()})"


def _test_working_hours(field, op, value, ctx, rule):
    owner = _owner(ctx)
    if owner is None:
        return op == "outside", "nobody owns it"
    moment = field.read(ctx)
    working = is_available(owner, moment)
    local = timezone.localtime(moment, moments.zone(owner.timezone))
    shown = f"{local:%a %H:%M} for {owner} ({'working' if working else 'not working'})"
    return working == (op == "within"), shown


def _actual(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    return str(value)


_TESTS = {
    TEXT: _test_text,
    NUMBER: _test_ordered(_as_number),
    DATE: _test_ordered(_as_date),
    DATETIME: _test_datetime,
    CHOICE: _test_choice,
    LIST: _test_list,
    PERSON: _test_person,
    DEPARTMENT: _test_department,
    SEGMENT: _test_segment,
    TIME: _test_time,
    WORKING_HOURS: _test_working_hours,
}
