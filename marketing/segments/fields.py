"""The segment fields' catalog: every condition a segment can test, its operators and the
values they take, and how each compiles to a query in a scope (clients or contacts)."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.dateparse import parse_date

from accounts.models import Department, User
from marketing.models import Campaign, Consent, Recipient, Suppression
from records.models import Client, CustomField, Deal, Ticket, TimelineEntry
from records.models.values import TAG_MAX_LENGTH, TAGS_MAX, normalize_tags
from records.selectors.lists import OPEN_STATUSES
from reports.models import ClientHealth

MAX_GROUPS = 10
MAX_CONDITIONS = 30  # in all groups together: each is a subquery or a join
MAX_DAYS = 3650
TEXT_MAX_LENGTH = 100
MATCHES = ("all", "any")
CUSTOM_PREFIX = "custom."

# --- Values ------------------------------------------------------------------------

# The kinds of value an operator takes; the builder shows one input per kind.
CHOICE, NUMBER, DATE, TEXT, TAGS, NONE = "choice", "number", "date", "text", "tags", "none"


class BadValue(ValueError):
    """A condition's value that does not fit; the message completes "… needs …"."""


@dataclass(frozen=True)
class Op:
    key: str
    label: str  # reads after the field's label: "Lifecycle" "is not" "Lead"
    kind: str = CHOICE
    minimum: int | None = None
    maximum: int | None = None
    unit: str = ""  # shown after a number: "days"


def _clean_number(op: Op, raw) -> int | float:
    if isinstance(raw, bool):
        raise BadValue("a number")
    try:
        number = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise BadValue("a number") from None
    if not number.is_finite():
        raise BadValue("a number")
    if op.minimum is not None and number < op.minimum:
        raise BadValue(f"a number from {op.minimum}" + (f" to {op.maximum}" if op.maximum else ""))
    if op.maximum is not None and number > op.maximum:
        raise BadValue(f"a number up to {op.maximum}")
    return int(number) if number == number.to_integral_value() else float(number)


def _clean_date(raw) -> str:
    try:
        day = parse_date(str(raw).strip())
    except ValueError:
        day = None
    if day is None:
        raise BadValue("a date (YYYY-MM-DD)")
    return day.isoformat()


def _clean_text(raw) -> str:
    text = " ".join(str(raw if raw is not None else "").split())
    if not text or len(text) > TEXT_MAX_LENGTH:
        raise BadValue(f"some text (1 to {TEXT_MAX_LENGTH} characters)")
    return text


def _clean_tags(raw) -> list[str]:
    tags = normalize_tags(raw if isinstance(raw, list | str) else [])
    if not tags or len(tags) > TAGS_MAX:
        raise BadValue(f"1 to {TAGS_MAX} tags, separated by commas")
    if any(len(tag) > TAG_MAX_LENGTH or '"' in tag for tag in tags):
        raise BadValue(f"tags of at most {TAG_MAX_LENGTH} characters, without quotes")
    return tags


# --- Scopes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Where a condition is compiled: the clients list or the contacts list.

    ``client`` is the path from the row to its client ("" or "client__"),
    ``client_ref`` the outer reference to the client's id for subqueries.
    """

    name: str
    client: str
    client_ref: str

    def on_client(self, **lookups) -> Q:
        return Q(**{f"{self.client}{name}": value for name, value in lookups.items()})

    def related(self, model, client_field: str = "client", **lookups) -> Exists:
        """Whether a row of ``model`` pointing at this client matches ``lookups``."""
        return Exists(model.objects.filter(**{client_field: OuterRef(self.client_ref)}, **lookups))


CLIENTS = Scope("clients", "", "pk")
CONTACTS = Scope("contacts", "client__", "client_id")


def live_clients(scope: Scope) -> Q:
    return scope.on_client(archived=False, merged_into__isnull=True)


# --- Fields ------------------------------------------------------------------------

# compile(op_key, value, scope) -> Q; a contact field's compile gets no scope: it
# is always about Contact rows (clients reach it through Exists).
ClientCompile = Callable[[str, object, Scope], Q]
ContactCompile = Callable[[str, object], Q]


@dataclass(frozen=True)
class SegmentField:
    key: str
    label: str
    group: str  # the builder's optgroup: "Client", "Activity", "Engagement", "Contact"
    ops: tuple[Op, ...]
    compile: Callable
    choices: Callable[[], list[tuple[str, str]]] | None = None
    about_contact: bool = False

    def op(self, key: str) -> Op | None:
        return next((op for op in self.ops if op.key == key), None)

    def clean_value(self, op: Op, raw):
        match op.kind:
            case "none":
                return None
            case "number":
                return _clean_number(op, raw)
            case "date":
                return _clean_date(raw)
            case "text":
                return _clean_text(raw)
            case "tags":
                return _clean_tags(raw)
            case "choice":
                value = str(raw if raw is not None else "")
                if value not in dict(self.choices()):
                    raise BadValue("one of its choices")
                return value
        raise BadValue("a known kind of value")

    def display_value(self, op: Op, value) -> str:
        match op.kind:
            case "none":
                return ""
            case "choice":
                return dict(self.choices()).get(value, f"#{value}")
            case "tags":
                return ", ".join(value)
            case "number":
                return f"{value} {op.unit}".strip()
        return str(value)


IS_OPS = (Op("is", "is"), Op("is_not", "is not"))


def _by_equality(field_name: str, cast=str) -> ClientCompile:
    def compile(op, value, scope):
        matched = scope.on_client(**{field_name: cast(value)})
        return matched if op == "is" else ~matched

    return compile


def _text_compile(field_name: str) -> ClientCompile:
    def compile(op, value, scope):
        lookup = "iexact" if op == "is" else "icontains"
        return scope.on_client(**{f"{field_name}__{lookup}": value})

    return compile


def _has_tag(tag: str, scope: Scope) -> Q:
    if connection.vendor == "postgresql":
        return scope.on_client(tags__contains=[tag])
    return scope.on_client(tags__icontains=f'"{tag}"')


def _tags_compile(op, tags, scope):
    if op == "all" and connection.vendor == "postgresql":
        return scope.on_client(tags__contains=tags)
    if op == "any" and connection.vendor == "postgresql":
        return scope.on_client(tags__has_any_keys=tags)  # ?| : array elements, GIN-indexed
    combined = Q()
    for tag in tags:
        combined = (
            (combined & _has_tag(tag, scope)) if op == "all" else (combined | _has_tag(tag, scope))
        )
    return ~combined if op == "none" else combined


def _start_of(day_iso: str) -> datetime:
    return timezone.make_aware(datetime.combine(date.fromisoformat(day_iso), time.min))


def _days_ago(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)


def _created_compile(op, value, scope):
    if op == "before":
        return scope.on_client(created_at__lt=_start_of(value))
    if op == "since":
        return scope.on_client(created_at__gte=_start_of(value))
    return scope.on_client(created_at__gte=_days_ago(value))


def _activity_compile(op, days, scope):
    recent = Q(
        scope.related(
            TimelineEntry, kind__in=TimelineEntry.ACTIVITIES, created_at__gte=_days_ago(days)
        )
    )
    return recent if op == "within" else ~recent


def _exists_compile(model, **lookups) -> ClientCompile:
    def compile(op, value, scope):
        found = Q(scope.related(model, **lookups))
        return found if op == "has" else ~found

    return compile


def _health_compile(op, value, scope):
    if op == "at_risk":
        return Q(scope.related(ClientHealth, at_risk=True))
    if op == "not_at_risk":
        return ~Q(scope.related(ClientHealth, at_risk=True))
    return Q(scope.related(ClientHealth, score__gte=value))


def _people() -> list[tuple[str, str]]:
    return [
        (str(pk), name)
        for pk, name in User.objects.filter(is_active=True)
        .order_by("full_name")
        .values_list("pk", "full_name")
    ]


def _departments() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Department.objects.values_list("pk", "name")]


def _campaigns() -> list[tuple[str, str]]:
    return [
        (str(pk), name)
        for pk, name in Campaign.objects.exclude(status=Campaign.Status.DRAFT)
        .order_by("-created_at")
        .values_list("pk", "name")
    ]


def _countries() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in Client._meta.get_field("country").choices]


def _primary_email():
    return KeyTextTransform("0", OuterRef("emails"))


# Contact fields -------------------------------------------------------------------

ENGAGEMENT_AT = {"received": "sent_at", "opened": "opened_at", "clicked": "clicked_at"}


def _engagement_compile(op, value):
    action, _, within = op.partition("_")
    moment = ENGAGEMENT_AT[action]
    if within:
        lookups = {f"{moment}__gte": _days_ago(value)}
    else:
        lookups = {"campaign_id": int(value), f"{moment}__isnull": False}
    return Q(Exists(Recipient.objects.filter(contact=OuterRef("pk"), **lookups)))


def _email_compile(op, value):
    has = ~Q(emails=[])
    return has if op == "has" else ~has


def _title_compile(op, value):
    matched = Q(title__icontains=value)
    return matched if op == "contains" else ~matched


def _consent_compile(op, value):
    if op == "unsubscribed":
        return Q(Exists(Suppression.objects.filter(email=_primary_email())))
    given = Q(Exists(Consent.objects.filter(email=_primary_email())))
    return given if op == "given" else ~given


DAYS = {"kind": NUMBER, "minimum": 1, "maximum": MAX_DAYS, "unit": "days"}
HAS_OPS = (Op("has", "has some", NONE), Op("none", "has none", NONE))

FIELDS: tuple[SegmentField, ...] = (
    SegmentField(
        "lifecycle",
        "Lifecycle",
        "Client",
        IS_OPS,
        _by_equality("lifecycle"),
        lambda: list(Client.Lifecycle.choices),
    ),
    SegmentField(
        "industry",
        "Industry",
        "Client",
        (Op("is", "is", TEXT), Op("contains", "contains", TEXT)),
        _text_compile("industry"),
    ),
    SegmentField(
        "size", "Size", "Client", IS_OPS, _by_equality("size"), lambda: list(Client.Size.choices)
    ),
    SegmentField("country", "Country", "Client", IS_OPS, _by_equality("country"), _countries),
    SegmentField(
        "tags",
        "Tags",
        "Client",
        (
            Op("any", "has any of", TAGS),
            Op("all", "has all of", TAGS),
            Op("none", "has none of", TAGS),
        ),
        _tags_compile,
    ),
    SegmentField("owner", "Owner", "Client", IS_OPS, _by_equality("owner_id", int), _people),
    SegmentField(
        "department",
        "Department",
        "Client",
        IS_OPS,
        _by_equality("department_id", int),
        _departments,
    ),
    SegmentField(
        "source",
        "Source",
        "Client",
        IS_OPS,
        _by_equality("source"),
        lambda: list(Client.Source.choices),
    ),
    SegmentField(
        "created",
        "Created",
        "Client",
        (
            Op("before", "before", DATE),
            Op("since", "on or after", DATE),
            Op("within", "within the last", **DAYS),
        ),
        _created_compile,
    ),
    SegmentField(
        "activity",
        "Last activity",
        "Activity",
        (Op("none_for", "none for", **DAYS), Op("within", "within the last", **DAYS)),
        _activity_compile,
    ),
    SegmentField(
        "open_deals",
        "Open deals",
        "Activity",
        HAS_OPS,
        _exists_compile(Deal, status=Deal.Status.OPEN),
    ),
    SegmentField(
        "open_tickets",
        "Open tickets",
        "Activity",
        HAS_OPS,
        _exists_compile(Ticket, status__in=OPEN_STATUSES),
    ),
    SegmentField(
        "churn_risk",
        "Churn risk",
        "Activity",
        (
            Op("at_risk", "is at risk", NONE),
            Op("not_at_risk", "is not at risk", NONE),
            Op("score_gte", "score at least", NUMBER, minimum=0, maximum=100),
        ),
        _health_compile,
    ),
    SegmentField(
        "campaign",
        "Campaign",
        "Engagement",
        (
            Op("received", "received"),
            Op("opened", "opened"),
            Op("clicked", "clicked a link in"),
            Op("received_within", "received any in the last", **DAYS),
            Op("opened_within", "opened any in the last", **DAYS),
            Op("clicked_within", "clicked any in the last", **DAYS),
        ),
        _engagement_compile,
        _campaigns,
        about_contact=True,
    ),
    SegmentField(
        "email",
        "Contact email",
        "Contact",
        (Op("has", "is present", NONE), Op("none", "is missing", NONE)),
        _email_compile,
        about_contact=True,
    ),
    SegmentField(
        "title",
        "Contact title",
        "Contact",
        (Op("contains", "contains", TEXT), Op("lacks", "does not contain", TEXT)),
        _title_compile,
        about_contact=True,
    ),
    SegmentField(
        "consent",
        "Contact consent",
        "Contact",
        (
            Op("given", "is given", NONE),
            Op("missing", "is missing", NONE),
            Op("unsubscribed", "unsubscribed", NONE),
        ),
        _consent_compile,
        about_contact=True,
    ),
)

# Custom client fields, by type ------------------------------------------------------

CUSTOM_OPS = {
    CustomField.Type.TEXT: (Op("is", "is", TEXT), Op("contains", "contains", TEXT)),
    CustomField.Type.NUMBER: (
        Op("gte", "at least", NUMBER),
        Op("lte", "at most", NUMBER),
        Op("eq", "equals", NUMBER),
    ),
    CustomField.Type.DATE: (Op("before", "before", DATE), Op("since", "on or after", DATE)),
    CustomField.Type.CHOICE: IS_OPS,
}
CUSTOM_LOOKUPS = {
    "contains": "icontains",
    "gte": "gte",
    "lte": "lte",
    "eq": "exact",
    "before": "lt",
    "since": "gte",
}


def _custom_compile(custom: CustomField) -> ClientCompile:
    path = f"custom_values__{custom.key}"

    def compile(op, value, scope):
        if custom.type == CustomField.Type.TEXT and op == "is":
            return scope.on_client(**{f"{path}__iexact": value})
        if op in ("is", "is_not"):
            matched = scope.on_client(**{path: value})
            if op == "is":
                return matched
            return ~matched | scope.on_client(**{f"{path}__isnull": True})
        return scope.on_client(**{f"{path}__{CUSTOM_LOOKUPS[op]}": value})

    return compile


def _custom_field(custom: CustomField) -> SegmentField:
    choices = [(choice, choice) for choice in custom.choices or []]
    return SegmentField(
        f"{CUSTOM_PREFIX}{custom.key}",
        custom.label,
        "Custom fields",
        CUSTOM_OPS[custom.type],
        _custom_compile(custom),
        (lambda: choices) if custom.type == CustomField.Type.CHOICE else None,
    )


def _cached_choices(segment_field: SegmentField) -> SegmentField:
    """A copy whose choices are read at most once (a catalog lives for one request)."""
    if segment_field.choices is None:
        return segment_field
    return replace(segment_field, choices=cache(segment_field.choices))


def catalog() -> dict[str, SegmentField]:
    """Every field a condition may use, by key: the fixed ones, then the active custom fields."""
    fields = {each.key: _cached_choices(each) for each in FIELDS}
    for custom in CustomField.objects.filter(active=True).order_by("order", "label"):
        if custom.type in CUSTOM_OPS:
            fields[f"{CUSTOM_PREFIX}{custom.key}"] = _custom_field(custom)
    return fields
