"""Segment definitions: validated, compiled to a query, counted, previewed, described."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet

from marketing.models import Segment, SegmentMember
from marketing.segments.fields import (
    CLIENTS,
    CONTACTS,
    MATCHES,
    MAX_CONDITIONS,
    MAX_GROUPS,
    BadValue,
    Scope,
    SegmentField,
    catalog,
    live_clients,
)
from records.models import Client, Contact

# --- Validation --------------------------------------------------------------------

PREVIEW_SIZE = 10


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
    return live_clients(scope) & _combine(groups, definition.get("match", "all"))


def clients_matching(definition: dict, fields=None) -> QuerySet:
    return Client.objects.filter(compile_definition(definition, CLIENTS, fields))


def contacts_matching(definition: dict, fields=None) -> QuerySet:
    return Contact.objects.filter(compile_definition(definition, CONTACTS, fields))


def clients_of(segment: Segment) -> QuerySet:
    """The segment's live clients: its definition now, or (static) its frozen members."""
    if segment.is_static:
        members = SegmentMember.objects.filter(segment=segment).values("client_id")
        return Client.objects.filter(live_clients(CLIENTS), pk__in=members)
    return clients_matching(segment.definition)


def contacts_of(segment: Segment) -> QuerySet:
    """The segment's contacts of live clients: its definition now, or its frozen members."""
    if segment.is_static:
        members = SegmentMember.objects.filter(segment=segment, contact__isnull=False).values(
            "contact_id"
        )
        return Contact.objects.filter(live_clients(CONTACTS), pk__in=members)
    return contacts_matching(segment.definition)


def segment_q(segment: Segment, scope: Scope) -> Q:
    """The segment as a filter on the clients or contacts list (records' list pages)."""
    if segment.is_static:
        members = SegmentMember.objects.filter(segment=segment)
        if scope is CLIENTS:
            return live_clients(scope) & Q(pk__in=members.values("client_id"))
        return live_clients(scope) & Q(
            pk__in=members.filter(contact__isnull=False).values("contact_id")
        )
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
        model.objects.filter(live_clients(scope) & _group_q(group, fields, scope)).values("pk")
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
