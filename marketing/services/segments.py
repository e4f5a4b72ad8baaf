"""Segments' writes (DESIGN §3): create, change, delete, and freeze into a static list.

Each checks ``can_manage_marketing``, validates the definition against the
catalog (marketing/segments.py), writes in one transaction and tells the open
segment pages (topic ``segments.all``).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from marketing import segments
from marketing.models import Campaign, Segment, SegmentMember
from marketing.policies import can_manage_marketing
from workspace import live

NAME_MAX_LENGTH = Segment._meta.get_field("name").max_length
DESCRIPTION_MAX_LENGTH = Segment._meta.get_field("description").max_length
# A campaign in these states reads its segment soon or now: the segment must stay.
ACTIVE_CAMPAIGN_STATES = (Campaign.Status.SCHEDULED, Campaign.Status.SENDING)


def _check(actor) -> None:
    if not can_manage_marketing(actor):
        raise PermissionDenied("Only the marketing team and admins can change segments.")


def _clean_name(name) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": "Give the segment a name."})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": f"A segment's name is at most {NAME_MAX_LENGTH} characters."}
        )
    return name


def _clean_description(description) -> str:
    description = " ".join(str(description or "").split())
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            {"description": f"The description is at most {DESCRIPTION_MAX_LENGTH} characters."}
        )
    return description


def _clean_definition(definition) -> dict:
    try:
        return segments.validate_definition(definition)
    except ValidationError as error:
        raise ValidationError({"definition": error.messages}) from None


def _published(kind: str, segment: Segment) -> None:
    live.publish(segments.TOPIC, kind, {"segment": segment.pk, "name": segment.name})


def create_segment(*, actor, name: str, definition: dict, description: str = "") -> Segment:
    """A new dynamic segment."""
    _check(actor)
    segment = Segment(
        name=_clean_name(name),
        description=_clean_description(description),
        definition=_clean_definition(definition),
        created_by=actor,
    )
    with transaction.atomic():
        segment.save()
        _published("segment.created", segment)
    return segment


def update_segment(
    *, actor, segment: Segment, name=None, description=None, definition=None
) -> Segment:
    """Change what is given (None: unchanged). A static list's members cannot be redefined."""
    _check(actor)
    if definition is not None and segment.is_static:
        raise ValidationError(
            {
                "definition": "A static list keeps the members it was frozen with; "
                "change the dynamic segment instead, or freeze it again."
            }
        )
    changes = {}
    if name is not None:
        changes["name"] = _clean_name(name)
    if description is not None:
        changes["description"] = _clean_description(description)
    if definition is not None:
        changes["definition"] = _clean_definition(definition)
    with transaction.atomic():
        segment = Segment.objects.select_for_update().get(pk=segment.pk)
        for attribute, value in changes.items():
            setattr(segment, attribute, value)
        segment.updated_at = timezone.now()
        segment.save()
        _published("segment.updated", segment)
    return segment


def delete_segment(*, actor, segment: Segment) -> None:
    """Delete a segment no scheduled or sending campaign uses.

    Other campaigns let go of it: a draft then asks for another segment, and a
    sent one keeps its recipients (rows of their own).
    """
    _check(actor)
    with transaction.atomic():
        segment = Segment.objects.select_for_update().get(pk=segment.pk)
        busy = list(
            segment.campaigns.filter(status__in=ACTIVE_CAMPAIGN_STATES).values_list(
                "name", flat=True
            )
        )
        if busy:
            names = ", ".join(f"“{name}”" for name in busy)
            raise ValidationError(
                f"This segment is the audience of {names}, scheduled or sending; "
                "cancel or finish that first."
            )
        segment.campaigns.update(segment=None)
        _published("segment.deleted", segment)
        segment.delete()


def freeze_segment(*, actor, segment: Segment, name: str | None = None) -> Segment:
    """A new static segment holding ``segment``'s members now; ``segment`` stays as it is.

    One member row per matching contact and one per matching client (its
    ``contact`` empty), so clients without contacts are kept too.
    """
    _check(actor)
    frozen = Segment(
        name=_clean_name(name or f"{segment.name} ({timezone.localdate():%Y-%m-%d})"),
        description=segment.description,
        kind=Segment.Kind.STATIC,
        definition=segment.definition,
        frozen_from=segment if not segment.is_static else segment.frozen_from,
        frozen_at=timezone.now(),
        created_by=actor,
    )
    with transaction.atomic():
        frozen.save()
        _copy_members(segment, frozen)
        _published("segment.created", frozen)
    return frozen


def _copy_members(source: Segment, target: Segment) -> None:
    """INSERT … SELECT, one statement per list: the rows never travel through Python
    (166,000 members in 3 s instead of 7 on the 100,000-client bench)."""
    contacts = segments.contacts_of(source).order_by().values_list("client_id", "pk")
    clients = segments.clients_of(source).order_by().values_list("pk")
    table = connection.ops.quote_name(SegmentMember._meta.db_table)
    with connection.cursor() as cursor:
        for members, columns in ((contacts, "client_id, contact_id"), (clients, "client_id")):
            select, params = members.query.sql_with_params()
            # Names are constants, the id an int, the SELECT Django's own (with params).
            insert = (
                f"INSERT INTO {table} (segment_id, {columns}) "  # noqa: S608
                f"SELECT {int(target.pk)}, * FROM ({select}) AS members"
            )
            cursor.execute(insert, params)
