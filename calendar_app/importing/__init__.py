"""Importing an .ics file into a person's calendar — all of it, or nothing.

:func:`import_calendar` first reads and checks the whole file: its structure
line by line (:func:`calendar_app.ical.outline`), then every VEVENT (dates,
time zones, end after start, at most 31 days, the repeat rule) with the same
rules the services apply. The first problem is reported with its line and
component — “Line 14, VEVENT “Kickoff”: DTSTART “20261301” is not a date or
time.” — and nothing is saved. Only then are the events written, through the
services (create_event, update_event), in one transaction; a refusal there
still rolls everything back and names the component.

Decisions:

* Imported events are organized by the importer and **invite nobody**: no
  one gets a notification or email because a file was uploaded. The people
  the file lists (ORGANIZER, ATTENDEE) are kept as a line of the description.
* **UIDs are kept** when free, so calendar apps recognise the events in the
  feed, and re-importing a file updates the events it made instead of
  doubling them. A UID that is someone else's event (or a cancelled one) is
  replaced by one derived from the importer and the original UID — the same
  on every re-import.
* Repeating events keep their RRULE, EXDATEs and changed occurrences
  (RECURRENCE-ID); a cancelled occurrence becomes an EXDATE.
* Times keep their zone (TZID, or the calendar's X-WR-TIMEZONE for UTC times
  as Google writes them); times without a zone and all-day dates are read in
  the importer's zone. A TZID that is no known zone is an error; a zone
  defined only inside the file (its own VTIMEZONE) is accepted for single
  events (the moment is kept) but not for repeating ones.
* A timed event without an end (or ending when it starts) lasts
  :data:`~calendar_app.importing.items.DEFAULT_LENGTH`; an all-day one, a day.
* Not imported, with a note: to-dos, journals and other components; extra
  dates (RDATE); changed occurrences of a series not in the file; cancelled
  events.

Modules, by stage: ``reading`` (the file into checked events), ``checking``
(the file as a whole: series and their changed occurrences), ``writing``
(through the services); ``items`` holds what they pass along.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from calendar_app import ical, policies
from calendar_app.importing.checking import _check_series
from calendar_app.importing.items import MAX_IMPORT_BYTES, Broken, ImportResult
from calendar_app.importing.reading import _read, _text
from calendar_app.importing.writing import _write

__all__ = ["MAX_IMPORT_BYTES", "ImportResult", "import_calendar"]


def import_calendar(*, actor, data: bytes, filename: str = "") -> ImportResult:
    """Add the events of an .ics file to ``actor``'s calendar (all or nothing).

    Raises ValidationError naming the first broken line and component (nothing
    saved), PermissionDenied if the actor may not schedule events.
    """
    if not policies.can_create_event(actor):
        raise PermissionDenied("You cannot add events.")
    name = f"“{filename}”" if filename else "The file"
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(
            f"{name} is {len(data) / 1024 / 1024:.1f} MB; import files of up to "
            f"{MAX_IMPORT_BYTES // 1024 // 1024} MB (split a larger calendar by year)."
        )
    result = ImportResult()
    try:
        items = _read(actor, _text(data, name), result)
        _check_series(items, result)
        with transaction.atomic():
            _write(actor, items, result)
    except (Broken, ical.IcsSyntaxError) as problem:
        raise ValidationError(f"{problem} Nothing was imported.", code="broken_ics") from None
    result.skipped.sort(key=_line_number)
    return result


def _line_number(note: str) -> int:
    """The N of a note starting “Line N, …”."""
    return int(note.split(",", 1)[0].removeprefix("Line "))
