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
  :data:`DEFAULT_LENGTH`; an all-day one, a day.
* Not imported, with a note: to-dos, journals and other components; extra
  dates (RDATE); changed occurrences of a series not in the file; cancelled
  events.
"""

import hashlib
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from calendar_app import ical, policies, services
from calendar_app.models import (
    DESCRIPTION_MAX_LENGTH,
    MAX_EVENT_LENGTH,
    TITLE_MAX_LENGTH,
    Attendee,
    Event,
)
from calendar_app.recurrence import all_day_bounds, build_rule, normalize_rule

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_EVENTS = 1000
DEFAULT_LENGTH = timedelta(minutes=30)
MAX_REMINDER = timedelta(weeks=4)
MAX_NOTES = 20
NO_TITLE = "(No title)"
# Properties the import reads: a broken one stops it; other broken ones are ignored.
READ = ("UID", "SUMMARY", "DTSTART", "DTEND", "DURATION", "RRULE", "EXDATE", "RECURRENCE-ID")
DATE_PROPERTIES = ("DTSTART", "DTEND", "EXDATE", "RECURRENCE-ID")


@dataclass
class ImportResult:
    """What an import did: events added, updated, already up to date; notes on what it skipped."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    more_skipped: int = 0

    def skip(self, note: str) -> None:
        if len(self.skipped) < MAX_NOTES:
            self.skipped.append(note)
        else:
            self.more_skipped += 1

    @property
    def summary(self) -> str:
        def count(number: int, what: str) -> str:
            return f"{number} event{'s' if number != 1 else ''} {what}"

        parts = [count(self.created, "added")]
        if self.updated:
            parts.append(f"{self.updated} updated")
        if self.unchanged:
            parts.append(f"{self.unchanged} already up to date")
        skipped = len(self.skipped) + self.more_skipped
        if skipped:
            parts.append(f"{skipped} skipped")
        return ", ".join(parts) + "."


class Broken(Exception):
    """A component the import cannot take; ``str()`` names the line and component."""

    def __init__(self, line: int, component: str, title: str, message: str):
        label = f"{component} “{title}”" if title else component
        super().__init__(f"Line {line}, {label}: {message}")


@dataclass
class Item:
    """One VEVENT, read and checked: what the services need to write it."""

    outline: ical.Outline
    title: str
    uid: str
    start: date | datetime  # a date for all-day events, else an aware UTC moment
    end: date | datetime  # exclusive
    all_day: bool
    tz_name: str
    rrule: str = ""
    exdates: set[datetime] = field(default_factory=set)  # original starts, UTC
    recurrence_value: date | datetime | None = None  # RECURRENCE-ID as written
    recurrence_id: datetime | None = None  # ... as the series' original start, UTC
    cancelled: bool = False
    details: dict = field(default_factory=dict)  # description, location, video_url, ...

    def fail(self, message: str, prop: str = "", index: int = 0) -> Broken:
        line = self.outline.line_of(prop, index) if prop else self.outline.line
        return Broken(line, "VEVENT", self.title, message)

    @property
    def first_start(self) -> datetime:
        """The start as an aware UTC moment (all-day: local midnight)."""
        if self.all_day:
            return all_day_bounds(self.start, self.start, self.tz_name)[0]
        return self.start

    def changes(self, *, series: bool) -> dict:
        """The fields for services.update_event (a series also gets its rule and settings)."""
        changes = {
            "title": self.title,
            "start": self.start,
            "end": self.end,
            "all_day": self.all_day,
            "timezone": self.tz_name,
            "description": self.details["description"],
            "location": self.details["location"],
            "video_url": self.details["video_url"],
        }
        if series:
            changes |= {
                "rrule": self.rrule,
                "visibility": self.details["visibility"],
                "reminder_minutes": self.details["reminder_minutes"],
            }
        return changes


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


# --- Reading -------------------------------------------------------------------------------


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ValidationError(
            f"Line {line}: {name} is not UTF-8 text, so not an iCalendar file. "
            "Nothing was imported."
        ) from None


def _read(actor, text: str, result: ImportResult) -> list[Item]:
    outlines = ical.outline(text)
    try:
        calendars = ical.parse(text)
    except Exception as error:  # icalendar's own refusals: no line number to give
        raise ValidationError(
            f"The file could not be read as iCalendar ({error}). Nothing was imported."
        ) from None
    items = []
    for shape, calendar in zip(outlines, calendars, strict=True):
        _note_other_components(shape, result)
        shapes = list(shape.walk("VEVENT"))
        components = calendar.walk("VEVENT")
        if len(shapes) + len(items) > MAX_IMPORT_EVENTS:
            raise ValidationError(
                f"The file has more than {MAX_IMPORT_EVENTS} events; import at most "
                f"{MAX_IMPORT_EVENTS} at a time. Nothing was imported."
            )
        reader = Reader(actor, _calendar_zone(calendar), result)
        for outline, component in zip(shapes, components, strict=True):
            item = reader.item(outline, component)
            if item is not None:
                items.append(item)
    return items


def _raw_title(outline: ical.Outline) -> str:
    return " ".join(outline.raw("SUMMARY").replace("\\,", ",").split()) or NO_TITLE


def _note_other_components(shape: ical.Outline, result: ImportResult) -> None:
    for child in shape.children:
        if child.name not in ("VEVENT", "VTIMEZONE"):
            result.skip(
                f"Line {child.line}, {child.name} “{_raw_title(child)}”: only events are imported."
            )


def _calendar_zone(calendar) -> str | None:
    """Google's X-WR-TIMEZONE: the zone its UTC times are meant in."""
    name = str(calendar.get("X-WR-TIMEZONE", "")).strip()
    return name if _known_zone(name) else None


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())  # reads the zone files: once


def _known_zone(name: str) -> bool:
    return name in _zones()


class Reader:
    """Turns a calendar's VEVENT components into checked Items (or raises Broken)."""

    def __init__(self, actor, calendar_zone: str | None, result: ImportResult):
        self.actor = actor
        self.calendar_zone = calendar_zone
        self.result = result

    def item(self, outline: ical.Outline, component) -> Item | None:
        """The checked Item of a VEVENT; None (noted) for a cancelled one not an override."""
        item = Item(
            outline=outline,
            title=_title(component),
            uid="",
            start=date.min,
            end=date.min,
            all_day=False,
            tz_name=self.actor.timezone,
        )
        self._check_broken(item, component)
        item.uid = self._uid(item, component)
        start = self._time(item, component, "DTSTART")
        if start is None:
            raise item.fail("DTSTART is missing (every event needs a start).")
        recurring = "RRULE" in component
        item.all_day = not isinstance(start, datetime)
        item.tz_name = self._zone(item, start, recurring=recurring)
        item.start = start if item.all_day else _utc(start, item.tz_name)
        item.end = self._end(item, component, start)
        item.cancelled = str(component.get("STATUS", "")).upper() == "CANCELLED"
        recurrence = self._time(item, component, "RECURRENCE-ID")
        if recurrence is not None:
            item.recurrence_value = recurrence
        elif item.cancelled:
            self.result.skip(f"Line {outline.line}, VEVENT “{item.title}”: cancelled.")
            return None
        if recurring and recurrence is None:
            item.rrule = self._rule(item, component)
            item.exdates = self._exdates(item, component)
        if "RDATE" in component:
            self.result.skip(
                f"Line {outline.line_of('RDATE')}, VEVENT “{item.title}”: extra dates (RDATE) "
                "are not imported; the event's other dates are."
            )
        item.details = self._details(component)
        return item

    def _check_broken(self, item: Item, component) -> None:
        for name, message in component.errors:
            if name not in READ:
                continue
            raw = item.outline.raw(name)
            if name in DATE_PROPERTIES:
                reason = f"{name} “{raw}” is not a date or time."
            elif name == "DURATION":
                reason = f"DURATION “{raw}” is not a duration (like PT1H30M)."
            elif name == "RRULE":
                reason = f"RRULE “{raw}” is not a repeat rule ({message})."
            else:
                reason = f"{name} “{raw}” cannot be read ({message})."
            raise item.fail(reason, name)

    def _uid(self, item: Item, component) -> str:
        uid = str(component.get("UID", "")).strip()
        if not uid:  # RFC 5545 requires one; derive it, so a re-import finds the event again
            uid = f"{item.title}|{item.outline.raw('DTSTART')}|{item.outline.raw('RRULE')}"
            return f"import-{hashlib.sha256(uid.encode()).hexdigest()[:32]}"
        if len(uid) > 255:
            return f"import-{hashlib.sha256(uid.encode()).hexdigest()[:32]}"
        return uid

    def _time(self, item: Item, component, name: str) -> date | datetime | None:
        prop = component.get(name)
        if prop is None:
            return None
        if isinstance(prop, list):
            raise item.fail(f"{name} appears more than once.", name, 1)
        value = prop.dt
        if not isinstance(value, date):
            raise item.fail(f"{name} “{item.outline.raw(name)}” is not a date or time.", name)
        tzid = prop.params.get("TZID")
        if isinstance(value, datetime) and value.tzinfo is None and tzid:
            raise item.fail(
                f"time zone “{tzid}” (TZID of {name}) is not one this calendar knows. "
                "Use a name like Europe/Berlin.",
                name,
            )
        return value

    def _zone(self, item: Item, start: date | datetime, *, recurring: bool) -> str:
        """The zone the event lives in (see the module's notes on times)."""
        if not isinstance(start, datetime) or start.tzinfo is None:
            return self.actor.timezone
        key = getattr(start.tzinfo, "key", None)
        if key == "UTC" or start.tzinfo is UTC:
            if self.calendar_zone:
                return self.calendar_zone
            return "UTC" if recurring else self.actor.timezone
        if _known_zone(key or ""):
            return key
        if recurring:
            tzid = start.tzinfo.tzname(start) if key is None else key
            raise item.fail(
                f"the time zone of DTSTART (“{tzid}”) is defined only in this file; a "
                "repeating event needs a standard zone name like Europe/Berlin.",
                "DTSTART",
            )
        return self.actor.timezone

    def _end(self, item: Item, component, start: date | datetime) -> date | datetime:
        end = self._time(item, component, "DTEND")
        duration = component.get("DURATION")
        if end is not None and duration is not None:
            raise item.fail("has both DTEND and DURATION; give one.", "DURATION")
        if duration is not None:
            end = self._end_of_duration(item, start, duration)
        elif end is not None and isinstance(end, datetime) != isinstance(start, datetime):
            kinds = ("a date", "a time") if item.all_day else ("a time", "a date")
            raise item.fail(
                f"DTSTART is {kinds[0]} but DTEND “{item.outline.raw('DTEND')}” is {kinds[1]}.",
                "DTEND",
            )
        if item.all_day:
            end = end or start + timedelta(days=1)
            if end < start:
                raise item.fail(
                    f"DTEND {end:%Y-%m-%d} is before DTSTART {start:%Y-%m-%d}.",
                    "DURATION" if duration is not None else "DTEND",
                )
            end = max(end, start + timedelta(days=1))
            length = end - start
        else:
            end = item.start if end is None else _utc(end, item.tz_name)
            if end < item.start:
                shown = _shown(end, item.tz_name), _shown(item.start, item.tz_name)
                raise item.fail(
                    f"the event ends before it starts (DTEND {shown[0]}, DTSTART {shown[1]}).",
                    "DURATION" if duration is not None else "DTEND",
                )
            if end == item.start:
                end = item.start + DEFAULT_LENGTH
            length = end - item.start
        if length > MAX_EVENT_LENGTH:
            raise item.fail(
                f"lasts {_length_text(length)}; an event can last at most 31 days.",
                "DURATION" if duration is not None else "DTEND",
            )
        return end

    def _end_of_duration(self, item: Item, start, duration) -> date | datetime:
        length = duration.dt
        raw = item.outline.raw("DURATION")
        if not isinstance(length, timedelta):
            raise item.fail(f"DURATION “{raw}” is not a duration (like PT1H30M).", "DURATION")
        if length < timedelta(0):
            raise item.fail(f"DURATION “{raw}” is negative.", "DURATION")
        if item.all_day:
            if length.seconds:
                raise item.fail(
                    f"an all-day event lasts whole days, not DURATION “{raw}”.", "DURATION"
                )
            return start + length
        local = item.start.astimezone(zoneinfo.ZoneInfo(item.tz_name))
        return local + length  # days count on the wall clock, as RFC 5545 asks

    def _rule(self, item: Item, component) -> str:
        rules = component.get("RRULE")
        if isinstance(rules, list):
            raise item.fail("has more than one RRULE; this calendar takes one.", "RRULE", 1)
        text = rules.to_ical().decode()
        try:
            return normalize_rule(text, item.first_start, item.tz_name)
        except ValidationError as error:
            raise item.fail(" ".join(error.messages), "RRULE") from None

    def _exdates(self, item: Item, component) -> set[datetime]:
        found = component.get("EXDATE", [])
        lists = found if isinstance(found, list) else [found]
        return {
            _original_start(value.dt, item)
            for values in lists
            for value in getattr(values, "dts", [])
        }

    def _details(self, component) -> dict:
        description = str(component.get("DESCRIPTION", "")).strip()
        rest, written = ical.split_video(description)
        if _is_web_link(written):  # the line this app's export adds: the link again
            description = rest
        video = _video_link(component) or (written if _is_web_link(written) else "")
        people = _people(component, self.actor.email)
        if people and people not in description:
            description = f"{description}\n\n{people}" if description else people
        return {
            "description": _cut(description, DESCRIPTION_MAX_LENGTH),
            "location": _cut(" ".join(str(component.get("LOCATION", "")).split()), 300),
            "video_url": video,
            "visibility": (
                Event.Visibility.PRIVATE
                if str(component.get("CLASS", "")).upper() in ("PRIVATE", "CONFIDENTIAL")
                else Event.Visibility.NORMAL
            ),
            "reminder_minutes": _reminder(component),
        }


def _title(component) -> str:
    title = " ".join(str(component.get("SUMMARY", "")).split())
    return _cut(title, TITLE_MAX_LENGTH) or NO_TITLE


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _utc(value: date | datetime, tz_name: str) -> datetime:
    """A DTSTART-like value as an aware UTC moment; floating times and dates read in ``tz_name``."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(tz_name))
    return value.astimezone(UTC).replace(microsecond=0)


def _original_start(value: date | datetime, series: Item) -> datetime:
    """An EXDATE or RECURRENCE-ID value as the series' original start it names (UTC).

    A date on a timed series names that day's occurrence (at the series' time of day).
    """
    if series.all_day:
        day = value.date() if isinstance(value, datetime) else value
        return all_day_bounds(day, day, series.tz_name)[0]
    if not isinstance(value, datetime):
        local_start = series.start.astimezone(zoneinfo.ZoneInfo(series.tz_name))
        value = datetime.combine(value, local_start.time())
    return _utc(value, series.tz_name)


def _shown(moment: datetime, tz_name: str) -> str:
    return f"{moment.astimezone(zoneinfo.ZoneInfo(tz_name)):%Y-%m-%d %H:%M}"


def _length_text(length: timedelta) -> str:
    return f"{length.days} days" if length.days else f"{length}"


def _video_link(component) -> str:
    """A meeting link: RFC 7986 CONFERENCE, or Google's X-GOOGLE-CONFERENCE."""
    for name in ("CONFERENCE", "X-GOOGLE-CONFERENCE"):
        values = component.get(name, [])
        for value in values if isinstance(values, list) else [values]:
            link = str(value).strip()
            if _is_web_link(link):
                return link
    return ""


def _is_web_link(link: str) -> bool:
    if len(link) > 500:
        return False
    try:
        URLValidator(schemes=["http", "https"])(link)
    except ValidationError:
        return False
    return True


def _people(component, importer_email: str) -> str:
    """“Invited in the original: Ann (organizer), bob@example.com.” — "" when nobody was invited.

    The importer is left out; an organizer alone (no other attendee) is no meeting to
    describe, nor is the importer's own (its people are theirs to invite).
    """
    people: dict[str, str] = {}
    for name, suffix in (("ORGANIZER", " (organizer)"), ("ATTENDEE", "")):
        values = component.get(name, [])
        for address in values if isinstance(values, list) else [values]:
            email = str(address).strip().removeprefix("mailto:").removeprefix("MAILTO:").lower()
            label = str(address.params.get("CN", "")).strip() or email
            people.setdefault(email, f"{label}{suffix}")
    organizer = str(component.get("ORGANIZER", "")).removeprefix("mailto:").lower()
    guests = set(people) - {organizer}
    people.pop(importer_email.lower(), None)
    if not guests or not people or organizer == importer_email.lower():
        return ""
    return f"Invited in the original: {', '.join(people.values())}."


def _reminder(component) -> int | None:
    """Minutes before the start of the first VALARM that fires at or before it, if any."""
    for alarm in component.walk("VALARM"):
        trigger = alarm.get("TRIGGER")
        if trigger is None or str(trigger.params.get("RELATED", "START")).upper() != "START":
            continue
        offset = getattr(trigger, "dt", None)
        if isinstance(offset, timedelta) and -MAX_REMINDER <= offset <= timedelta(0):
            return int(-offset.total_seconds() // 60)
    return None


# --- Series and their changed occurrences -----------------------------------------------------


def _check_series(items: list[Item], result: ImportResult) -> None:
    """Attach overrides to their series; duplicate UIDs and occurrences are errors.

    Changed occurrences whose series is missing, does not repeat, or has no
    such occurrence are skipped with a note; cancelled ones become EXDATEs.
    """
    series: dict[str, Item] = {}
    for item in items:
        if item.recurrence_value is None:
            if item.uid in series:
                first = series[item.uid].outline.line
                raise item.fail(f"UID “{item.uid}” is also the UID of the VEVENT on line {first}.")
            series[item.uid] = item
    seen: dict[tuple[str, datetime], Item] = {}
    for item in [item for item in items if item.recurrence_value is not None]:
        owner = series.get(item.uid)
        reason = _orphan_reason(item, owner)
        if reason:
            result.skip(f"Line {item.outline.line}, VEVENT “{item.title}”: {reason}")
            items.remove(item)
            continue
        item.recurrence_id = _original_start(item.recurrence_value, owner)
        key = (item.uid, item.recurrence_id)
        if key in seen:
            raise item.fail(
                "changes the same occurrence as the VEVENT on line "
                f"{seen[key].outline.line} (same UID and RECURRENCE-ID)."
            )
        seen[key] = item
        if not _is_occurrence(owner, item.recurrence_id):
            result.skip(
                f"Line {item.outline.line_of('RECURRENCE-ID')}, VEVENT “{item.title}”: "
                f"“{owner.title}” has no occurrence at "
                f"{_shown(item.recurrence_id, owner.tz_name)} to change; skipped."
            )
            items.remove(item)
        elif item.cancelled:
            owner.exdates.add(item.recurrence_id)
            items.remove(item)


def _orphan_reason(item: Item, owner: Item | None) -> str:
    if owner is None:
        return "a changed occurrence of a repeating event that is not in this file; skipped."
    if not owner.rrule:
        return f"a changed occurrence, but “{owner.title}” does not repeat; skipped."
    return ""


def _is_occurrence(series: Item, moment: datetime) -> bool:
    rule = build_rule(series.rrule, series.first_start, series.tz_name)
    local = moment.astimezone(zoneinfo.ZoneInfo(series.tz_name))
    found = rule.after(local - timedelta(seconds=1))
    return found is not None and found.astimezone(UTC) == moment


# --- Writing -----------------------------------------------------------------------------------


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
