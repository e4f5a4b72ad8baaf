"""Segments: a definition (and/or groups of conditions) compiled to a query of clients and contacts.

A definition::

    {"match": "all" | "any",
     "groups": [{"match": "all" | "any",
                 "conditions": [{"field": "lifecycle", "op": "is", "value": "lead"}, …]}, …]}

Every field is declared once in the catalog (:data:`FIELDS`, plus the active
custom client fields), with its label, its operators and the kind of value each
operator takes — the builder page is generated from it, and
:func:`validate_definition` checks a definition against it.

A field is about a client (lifecycle, tags, open deals…) or a contact (has an
email, title, consent, campaign engagement). Each condition compiles to a
``Q`` in a :class:`Scope`: on the clients list a client condition is plain and
a contact condition becomes "one of its contacts matches" (``Exists``); on the
contacts list a client condition goes through ``contact.client``. Archived and
merged clients (and their contacts) never match. A definition with no
conditions matches every live client and contact.

Tags are JSON lists: containment on PostgreSQL, a quoted-text match on SQLite
(as records' TagFilter does). A contact's email for consent and suppression is
its first (primary) address, as the campaigns send to.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.dateparse import parse_date

from accounts.models import Department, User
from marketing.models import Campaign, Consent, Recipient, Segment, SegmentMember, Suppression
from marketing.policies import can_view_marketing
from records.models import Client, Contact, CustomField, Deal, Ticket, TimelineEntry
from records.models.values import TAG_MAX_LENGTH, TAGS_MAX, normalize_tags
from records.selectors import lists
from records.selectors.lists import OPEN_STATUSES, Filter, Invalid
from reports.models import ClientHealth

MAX_GROUPS = 10
MAX_CONDITIONS = 30  # in all groups together: each is a subquery or a join
MAX_DAYS = 3650
TEXT_MAX_LENGTH = 100
PREVIEW_SIZE = 10
TOPIC = "segments.all"  # open segment pages follow it: a segment created, changed or deleted
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


def _live(scope: Scope) -> Q:
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


# --- Validation --------------------------------------------------------------------


def validate_definition(definition, fields: dict[str, SegmentField] | None = None) -> dict:
    """The definition normalized (values cleaned, empty groups dropped), or ValidationError.

    The error has one sentence per problem, naming the group and condition by
    their position as the builder shows them ("Group 2, condition 1: …").
    """
    fields = fields if fields is not None else catalog()
    if not isinstance(definition, dict):
        raise ValidationError("A segment definition must be a mapping of groups.")
    errors: list[str] = []
    top = _clean_match(definition.get("match", "all"), "The segment", errors)
    raw_groups = definition.get("groups", [])
    if not isinstance(raw_groups, list):
        raise ValidationError("A segment's groups must be a list.")
    if len(raw_groups) > MAX_GROUPS:
        errors.append(f"A segment has at most {MAX_GROUPS} groups; this one has {len(raw_groups)}.")
    groups, total = [], 0
    for number, raw in enumerate(raw_groups[:MAX_GROUPS], start=1):
        where = f"Group {number}"
        if not isinstance(raw, dict) or not isinstance(raw.get("conditions", []), list):
            errors.append(f"{where} is not a group of conditions.")
            continue
        match = _clean_match(raw.get("match", "all"), where, errors)
        conditions = []
        for position, condition in enumerate(raw.get("conditions", []), start=1):
            cleaned = _clean_condition(condition, fields, f"{where}, condition {position}", errors)
            if cleaned is not None:
                conditions.append(cleaned)
        total += len(raw.get("conditions", []))
        if conditions:
            groups.append({"match": match, "conditions": conditions})
    if total > MAX_CONDITIONS:
        errors.append(f"A segment has at most {MAX_CONDITIONS} conditions; this one has {total}.")
    if errors:
        raise ValidationError(errors)
    return {"match": top, "groups": groups}


def _clean_match(value, where: str, errors: list[str]) -> str:
    if value in MATCHES:
        return value
    errors.append(f"{where} must match “all” or “any” of its conditions, not “{value}”.")
    return "all"


def _clean_condition(condition, fields, where: str, errors: list[str]) -> dict | None:
    if not isinstance(condition, dict):
        errors.append(f"{where} is not a condition.")
        return None
    key = condition.get("field")
    segment_field = fields.get(key) if isinstance(key, str) else None
    if segment_field is None:
        errors.append(f"{where}: there is no field “{key}” to filter on.")
        return None
    op = segment_field.op(condition.get("op"))
    if op is None:
        known = ", ".join(f"“{each.label}”" for each in segment_field.ops)
        errors.append(
            f"{where}: {segment_field.label} cannot be filtered with “{condition.get('op')}”; "
            f"use {known}."
        )
        return None
    try:
        value = segment_field.clean_value(op, condition.get("value"))
    except BadValue as error:
        errors.append(f"{where}: “{segment_field.label} {op.label}” needs {error}.")
        return None
    return {"field": key, "op": op.key, "value": value}


# --- Compiling ---------------------------------------------------------------------


def _condition_q(condition: dict, fields, scope: Scope) -> Q:
    segment_field = fields.get(condition["field"])
    if segment_field is None:  # a custom field deactivated since: match no one, never everyone
        return Q(pk__in=[])
    op, value = condition["op"], condition["value"]
    if not segment_field.about_contact:
        return segment_field.compile(op, value, scope)
    contact_q = segment_field.compile(op, value)
    if scope is CONTACTS:
        return contact_q
    return Q(Exists(Contact.objects.filter(contact_q, client=OuterRef("pk"))))


def _combine(parts: Iterable[Q], match: str) -> Q:
    combined = None
    for part in parts:
        if combined is None:
            combined = part
        else:
            combined = (combined & part) if match == "all" else (combined | part)
    return combined if combined is not None else Q()


def _group_q(group: dict, fields, scope: Scope) -> Q:
    return _combine(
        (_condition_q(condition, fields, scope) for condition in group["conditions"]),
        group["match"],
    )


def compile_definition(definition: dict, scope: Scope, fields=None) -> Q:
    """The ``Q`` for a definition already validated, on the clients or the contacts list."""
    fields = fields if fields is not None else catalog()
    groups = [_group_q(group, fields, scope) for group in definition.get("groups", [])]
    return _live(scope) & _combine(groups, definition.get("match", "all"))


def clients_matching(definition: dict, fields=None) -> QuerySet:
    return Client.objects.filter(compile_definition(definition, CLIENTS, fields))


def contacts_matching(definition: dict, fields=None) -> QuerySet:
    return Contact.objects.filter(compile_definition(definition, CONTACTS, fields))


def clients_of(segment: Segment) -> QuerySet:
    """The segment's live clients: its definition now, or (static) its frozen members."""
    if segment.is_static:
        members = SegmentMember.objects.filter(segment=segment).values("client_id")
        return Client.objects.filter(_live(CLIENTS), pk__in=members)
    return clients_matching(segment.definition)


def contacts_of(segment: Segment) -> QuerySet:
    """The segment's contacts of live clients: its definition now, or its frozen members."""
    if segment.is_static:
        members = SegmentMember.objects.filter(segment=segment, contact__isnull=False).values(
            "contact_id"
        )
        return Contact.objects.filter(_live(CONTACTS), pk__in=members)
    return contacts_matching(segment.definition)


def segment_q(segment: Segment, scope: Scope) -> Q:
    """The segment as a filter on the clients or contacts list (records' list pages)."""
    if segment.is_static:
        members = SegmentMember.objects.filter(segment=segment)
        if scope is CLIENTS:
            return _live(scope) & Q(pk__in=members.values("client_id"))
        return _live(scope) & Q(pk__in=members.filter(contact__isnull=False).values("contact_id"))
    return compile_definition(segment.definition, scope)


# --- Counts and previews -------------------------------------------------------------


@dataclass(frozen=True)
class SegmentCount:
    clients: int
    contacts: int

    @property
    def empty(self) -> bool:
        return not (self.clients or self.contacts)


def count(definition: dict, fields=None) -> SegmentCount:
    """How many live clients and contacts a (validated) definition matches: two queries
    (and one for the catalog, unless ``fields`` is given)."""
    fields = fields if fields is not None else catalog()
    return SegmentCount(
        _count(Client, CLIENTS, definition, fields),
        _count(Contact, CONTACTS, definition, fields),
    )


def _count(model, scope: Scope, definition: dict, fields) -> int:
    """One list's count. Groups joined by "any" are counted as the UNION of each group's
    rows: each group alone is a plain AND that PostgreSQL joins (hash semi and anti
    joins), where their OR checks every row against every subquery (2 to 3 times slower
    on the bench)."""
    groups = definition.get("groups", [])
    if definition.get("match") != "any" or len(groups) < 2:
        return model.objects.filter(compile_definition(definition, scope, fields)).count()
    each = [
        model.objects.filter(_live(scope) & _group_q(group, fields, scope)).values("pk")
        for group in groups
    ]
    return each[0].union(*each[1:]).count()


def count_of(segment: Segment) -> SegmentCount:
    """A segment's members now: its definition's count, or (static) its frozen members'."""
    if not segment.is_static:
        return count(segment.definition)
    return SegmentCount(clients_of(segment).count(), contacts_of(segment).count())


@dataclass(frozen=True)
class PreviewRow:
    client: Client
    contact: Contact | None

    @property
    def email(self) -> str:
        return self.contact.emails[0] if self.contact and self.contact.emails else ""


def preview(definition: dict, fields=None, size: int = PREVIEW_SIZE) -> list[PreviewRow]:
    """The first members of a (validated) definition by client name. At most 2 queries
    (and one for the catalog, unless ``fields`` is given)."""
    fields = fields if fields is not None else catalog()
    return _first_members(
        contacts_matching(definition, fields), clients_matching(definition, fields), size
    )


def preview_of(segment: Segment, size: int = PREVIEW_SIZE) -> list[PreviewRow]:
    return _first_members(contacts_of(segment), clients_of(segment), size)


def _first_members(contacts: QuerySet, clients: QuerySet, size: int) -> list[PreviewRow]:
    """Contacts (with their client and its owner); when no contact matches, the clients."""
    contacts = contacts.select_related("client__owner").order_by("client__name", "name", "pk")
    rows = [PreviewRow(contact.client, contact) for contact in contacts[:size]]
    if rows:
        return rows
    clients = clients.select_related("owner").order_by("name", "pk")[:size]
    return [PreviewRow(client, None) for client in clients]


# --- Reading a definition back ------------------------------------------------------


@dataclass
class DescribedGroup:
    match: str
    conditions: list[str] = field(default_factory=list)


def describe(definition: dict, fields=None) -> list[DescribedGroup]:
    """Each group's conditions as phrases ("Lifecycle is Lead"), for read-only views."""
    fields = fields if fields is not None else catalog()
    described = []
    for group in definition.get("groups", []):
        phrases = []
        for condition in group["conditions"]:
            segment_field = fields.get(condition["field"])
            op = segment_field.op(condition["op"]) if segment_field else None
            if op is None:
                phrases.append(f"{condition['field']} (no longer available)")
                continue
            value = segment_field.display_value(op, condition["value"])
            phrases.append(
                " ".join(part for part in (segment_field.label, op.label, value) if part)
            )
        described.append(DescribedGroup(group["match"], phrases))
    return described


# --- Segments on records' client and contact lists -----------------------------------


@dataclass(frozen=True)
class SegmentFilter(Filter):
    """A list filter keeping the members of one segment (``?segment=<id>``)."""

    scope: Scope = CLIENTS

    def parse(self, raw, viewer):
        segment = Segment.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if segment is None:
            raise Invalid(f"{self.label}: there is no segment “{raw}”.")
        return segment

    def where(self, value, viewer):
        return segment_q(value, self.scope)

    def options(self):
        return [(str(pk), name) for pk, name in Segment.objects.values_list("pk", "name")]


def can_follow_segments(user, key: str) -> bool:
    return key == "all" and can_view_marketing(user)


def load() -> None:
    """At start-up: the segment filter on the client and contact lists, and the live topic."""
    from workspace import live

    lists.add_filter("clients", SegmentFilter("segment", "Segment", scope=CLIENTS))
    lists.add_filter("contacts", SegmentFilter("segment", "Segment", scope=CONTACTS))
    live.register_topic("segments", can_follow_segments)
