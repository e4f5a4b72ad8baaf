"""Writing the checked events through the services (create_event, update_event,
set_exceptions), inside the import's one transaction; a refusal names the component.

A file's event that is already the importer's own is updated in place; one they are
only invited to is left alone.
"""

import hashlib
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError

from calendar_app import services
from calendar_app.importing.checking import _is_occurrence
from calendar_app.importing.items import ImportResult, Item
from calendar_app.models import Attendee, Event


def _write(actor, items: list[Item], result: ImportResult) -> None:
    overrides: dict[str, list[Item]] = {}
    for item in items:
        if item.recurrence_id is not None:
            overrides.setdefault(item.uid, []).append(item)
    for item in items:
        if item.recurrence_id is not None:
            continue
        changed = overrides.get(item.uid, [])
        exdates = _exdates_to_keep(item, changed)
        existing, uid = _match(actor, item.uid)
        if existing is not None and existing.organizer_id != actor.pk:
            result.skip(
                f"Line {item.outline.line}, VEVENT “{item.title}”: already in your calendar."
            )
            continue
        try:
            if existing is None:
                _create(actor, item, uid, changed, exdates)
                result.created += 1
            elif _update(actor, existing, item, changed, exdates):
                result.updated += 1
            else:
                result.unchanged += 1
        except ValidationError as error:
            raise item.fail(" ".join(error.messages)) from None


def _exdates_to_keep(item: Item, changed: list[Item]) -> set[datetime]:
    """The series' EXDATEs that name an occurrence no VEVENT of the file changes."""
    if not item.rrule:
        return set()
    moved = {override.recurrence_id for override in changed}
    return {
        moment for moment in item.exdates if moment not in moved and _is_occurrence(item, moment)
    }


def _derived_uid(actor, uid: str) -> str:
    digest = hashlib.sha256(f"{actor.pk}:{uid}".encode()).hexdigest()[:32]
    return f"import-{digest}@{settings.CALENDAR_UID_DOMAIN}"


def _match(actor, uid: str) -> tuple[Event | None, str]:
    """(the live event the file's event already is, or None; the UID to create with).

    The event is the importer's own (a re-import updates it) or one they are
    invited to (left alone). Otherwise the file's UID is used if free; else
    one derived from the importer and it (the same on every re-import); else
    a new one.
    """
    for candidate in (uid, _derived_uid(actor, uid)):
        existing = Event.objects.filter(uid=candidate, series__isnull=True).first()
        if existing is None:
            return None, candidate
        if not existing.is_cancelled and (
            existing.organizer_id == actor.pk or _in_calendar(actor, existing)
        ):
            return existing, candidate
    return None, Event._meta.get_field("uid").default()


def _in_calendar(actor, event: Event) -> bool:
    return event.attendees.filter(user=actor).exclude(response=Attendee.Response.DECLINED).exists()


def _create(actor, item: Item, uid: str, changed: list[Item], exdates: set[datetime]) -> None:
    details = item.details
    event = services.create_event(
        actor=actor,
        title=item.title,
        start=item.start,
        end=item.end,
        timezone_name=item.tz_name,
        all_day=item.all_day,
        description=details["description"],
        location=details["location"],
        video_url=details["video_url"],
        visibility=details["visibility"],
        reminder_minutes=details["reminder_minutes"],
        rrule=item.rrule,
        allow_double_booking=True,
        uid=uid,
    )
    for override in changed:
        _change_occurrence(actor, event, override)
    recurrence_ids = {override.recurrence_id for override in changed}
    services.set_exceptions(actor=actor, event=event, exdates=exdates, changed=recurrence_ids)


def _change_occurrence(actor, series: Event, override: Item, row: Event | None = None) -> bool:
    """Apply a changed occurrence (to its override ``row`` if it has one); whether it changed."""
    try:
        changed = services.update_event(
            actor=actor,
            event=row or series,
            changes=override.changes(series=False),
            occurrence=None if row else override.recurrence_id,
            scope="this",
            allow_double_booking=True,
        )
    except ValidationError as error:
        raise override.fail(" ".join(error.messages)) from None
    return row is None or changed.sequence != row.sequence


def _update(actor, event: Event, item: Item, changed: list[Item], exdates: set[datetime]) -> bool:
    """Bring the importer's ``event`` in line with the file; whether anything changed."""
    sequence = event.sequence
    event = services.update_event(
        actor=actor,
        event=event,
        changes=item.changes(series=True),
        scope="all",
        allow_double_booking=True,
    )
    wanted = {override.recurrence_id: override for override in changed}
    different = event.sequence != sequence
    different |= services.set_exceptions(
        actor=actor, event=event, exdates=exdates, changed=set(wanted)
    )
    if event.rrule:
        rows = {row.recurrence_id: row for row in event.overrides.all()}
        for moment, override in wanted.items():
            different |= _change_occurrence(actor, event, override, rows.get(moment))
    return different
