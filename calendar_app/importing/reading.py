"""Reading an .ics file into checked events: its text, its structure line by line, then
each VEVENT (times and zones, end after start, length, the repeat rule, details).

The first problem raises :class:`~calendar_app.importing.items.Broken`, naming its
line and component; what is left out is noted on the result.
"""

import hashlib
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from functools import cache

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from calendar_app import ical
from calendar_app.importing.items import (
    DEFAULT_LENGTH,
    MAX_IMPORT_EVENTS,
    MAX_REMINDER,
    NO_TITLE,
    ImportResult,
    Item,
    _original_start,
    _shown,
    _utc,
)
from calendar_app.models import DESCRIPTION_MAX_LENGTH, MAX_EVENT_LENGTH, TITLE_MAX_LENGTH, Event
from calendar_app.recurrence import normalize_rule

# Properties the import reads: a broken one stops it; other broken ones are ignored.
READ = ("UID", "SUMMARY", "DTSTART", "DTEND", "DURATION", "RRULE", "EXDATE", "RECURRENCE-ID")
DATE_PROPERTIES = ("DTSTART", "DTEND", "EXDATE", "RECURRENCE-ID")


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
