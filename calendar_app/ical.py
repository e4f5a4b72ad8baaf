"""iCalendar (RFC 5545) for the calendar: events written as VEVENTs, files read line by line.

**Writing.** One event is one VEVENT; a series is its VEVENT with RRULE and
EXDATE plus one VEVENT per override, sharing the UID, told apart by
RECURRENCE-ID (the occurrence's original start). Times are written in the
event's own zone (``DTSTART;TZID=Europe/Berlin``, with a VTIMEZONE for every
zone used) so calendar apps repeat a 09:00 meeting at 09:00 across DST, as
this app does; events kept in UTC are written with ``Z``; all-day events as
dates (``VALUE=DATE``, end exclusive). ``UID`` never changes and ``SEQUENCE``
is the event's, so subscribers and invitees recognise an edited event.

**Reading.** icalendar's parser is lenient: it keeps what it cannot read as a
"broken" property and forgets line numbers. :func:`outline` reads the file's
content lines itself first — unfolded, numbered, BEGIN/END nesting checked —
so the importer can say which line of which component is wrong.
"""

import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache

from django.conf import settings
from icalendar import Alarm, Calendar, Timezone, vCalAddress, vDuration, vRecur
from icalendar import Event as VEvent

from calendar_app.models import Attendee, Event
from calendar_app.recurrence import parse_utc, zone
from calendar_app.wording import event_link

PRODID = "-//Workspace//Calendar//EN"
PUBLISH, REQUEST, CANCEL = "PUBLISH", "REQUEST", "CANCEL"
PARTSTAT = {
    Attendee.Response.NEEDS_ACTION: "NEEDS-ACTION",
    Attendee.Response.ACCEPTED: "ACCEPTED",
    Attendee.Response.TENTATIVE: "TENTATIVE",
    Attendee.Response.DECLINED: "DECLINED",
}
VIDEO_LINE = "Video call: "
FEED_REFRESH = timedelta(hours=1)


# --- Writing -----------------------------------------------------------------------------


def local_value(moment: datetime, tz_name: str, *, all_day: bool) -> date | datetime:
    """A stored UTC moment as iCalendar should carry it for an event in ``tz_name``."""
    if all_day:
        return moment.astimezone(zone(tz_name)).date()
    if tz_name == "UTC":
        return moment.astimezone(UTC)
    return moment.astimezone(zone(tz_name))


def description_with_video(event: Event) -> str:
    """The description, with the video link on a last line of its own (see split_video)."""
    if not event.video_url:
        return event.description
    video = f"{VIDEO_LINE}{event.video_url}"
    return f"{event.description}\n\n{video}" if event.description else video


def split_video(text: str) -> tuple[str, str]:
    """(description, video link) of a description written by description_with_video."""
    head, _, last = text.rstrip().rpartition("\n")
    if last.startswith(VIDEO_LINE) and " " not in last.removeprefix(VIDEO_LINE):
        return head.rstrip(), last.removeprefix(VIDEO_LINE)
    return text, ""


def _rule(event: Event) -> vRecur:
    """The RRULE; an all-day series' UNTIL as a date (RFC 5545: UNTIL has DTSTART's type)."""
    rule = vRecur.from_ical(event.rrule)
    if event.all_day and "UNTIL" in rule:
        rule["UNTIL"] = [local_value(rule["UNTIL"][0], event.timezone, all_day=True)]
    return rule


def _address(email: str, name: str, **params) -> vCalAddress:
    return vCalAddress.new(email, cn=name or None, **params)


def _attendee(attendee: Attendee) -> vCalAddress:
    person = attendee.user
    name = person.full_name if person else attendee.name
    return _address(
        person.email if person else attendee.email,
        name,
        cutype="INDIVIDUAL",
        role="CHAIR" if attendee.is_organizer else "REQ-PARTICIPANT",
        partstat=PARTSTAT[attendee.response],
        rsvp=attendee.response == Attendee.Response.NEEDS_ACTION and not attendee.is_organizer,
    )


def _alarm(event: Event) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", event.title)
    alarm.add("trigger", timedelta(minutes=-event.reminder_minutes))
    return alarm


def vevent(
    row: Event,
    *,
    series: Event | None = None,
    stamp: datetime | None = None,
    hidden=(),
    cancelled: bool = False,
    alarm: bool = True,
) -> VEvent:
    """The VEVENT of ``row`` (a single event, a series, or an override of ``series``).

    Reads ``row.organizer`` and ``row.attendees.all()`` (with their users): select
    and prefetch them. ``hidden``: further original starts (UTC) to leave out of
    a series as EXDATEs (overrides not in this calendar). ``stamp`` defaults to
    the row's last change, so an unchanged feed is byte-for-byte the same.
    """
    component = VEvent()
    tz_name, all_day = row.timezone, row.all_day
    component.add("uid", row.uid)
    component.add("dtstamp", (stamp or row.updated_at).astimezone(UTC))
    component.add("created", row.created_at.astimezone(UTC))
    component.add("last-modified", row.updated_at.astimezone(UTC))
    component.add("sequence", row.sequence)
    component.add("dtstart", local_value(row.start, tz_name, all_day=all_day))
    component.add("dtend", local_value(row.end, tz_name, all_day=all_day))
    if series is not None and row.recurrence_id is not None:
        component.add(
            "recurrence-id",
            local_value(row.recurrence_id, series.timezone, all_day=series.all_day),
        )
    if row.is_recurring:
        component.add("rrule", _rule(row))
        excluded = sorted({*(parse_utc(text) for text in row.exdates), *hidden})
        if excluded:
            component.add(
                "exdate", [local_value(moment, tz_name, all_day=all_day) for moment in excluded]
            )
    component.add("summary", row.title)
    description = description_with_video(row)
    if description:
        component.add("description", description)
    if row.location:
        component.add("location", row.location)
    component.add("url", f"{settings.SITE_URL}{event_link(row)}")
    component.add("status", "CANCELLED" if cancelled or row.is_cancelled else "CONFIRMED")
    component.add("class", "PRIVATE" if row.is_private else "PUBLIC")
    component.add("transp", "OPAQUE")
    component.add("organizer", _address(row.organizer.email, row.organizer.full_name))
    for attendee in row.attendees.all():
        component.add("attendee", _attendee(attendee))
    if alarm and row.reminder_minutes is not None and not row.is_cancelled:
        component.add_component(_alarm(row))
    return component


@cache
def _timezone_component(tz_name: str) -> bytes:
    """A zone's VTIMEZONE (transitions 1970 to 2038), built once per process and zone."""
    return Timezone.from_tzid(tz_name).to_ical()


def new_calendar(components, *, method: str, name: str = "") -> Calendar:
    """A VCALENDAR of ``components``, with a VTIMEZONE for every zone they name."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.calendar_name = name
        calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    components = list(components)
    zones = sorted(
        {
            value.params["TZID"]
            for component in components
            for _, value in component.property_items(sorted=False)
            if hasattr(value, "params") and value.params.get("TZID")
        }
    )
    for tz_name in zones:
        calendar.add_component(Timezone.from_ical(_timezone_component(tz_name)))
    for component in components:
        calendar.add_component(component)
    return calendar


def event_calendar(
    series: Event,
    overrides=(),
    *,
    method: str = PUBLISH,
    stamp: datetime | None = None,
    alarm: bool = True,
    hidden=(),
) -> Calendar:
    """One event as a calendar: the series (or single event, or lone override) and overrides.

    ``hidden``: original starts of overrides left out, written as EXDATEs.
    METHOD:CANCEL writes only the cancelled component (cancelling every occurrence).
    """
    cancelled = method == CANCEL
    components = [
        vevent(
            series,
            series=series.series,
            stamp=stamp,
            hidden=hidden,
            cancelled=cancelled,
            alarm=alarm,
        ),
    ]
    if not cancelled:
        components += [vevent(row, series=series, stamp=stamp, alarm=alarm) for row in overrides]
    return new_calendar(components, method=method)


def to_bytes(calendar: Calendar) -> bytes:
    return calendar.to_ical()


# --- Reading -----------------------------------------------------------------------------


class IcsSyntaxError(ValueError):
    """The file's structure is broken at ``line`` (1-based)."""

    def __init__(self, line: int, message: str):
        self.line = line
        super().__init__(f"Line {line}: {message}")


@dataclass
class Outline:
    """A component as written in the file: its name, lines, properties and children."""

    name: str
    line: int
    properties: list[tuple[str, int, str]] = field(default_factory=list)  # name, line, value
    children: list["Outline"] = field(default_factory=list)

    def line_of(self, name: str, index: int = 0) -> int:
        """The line of the ``index``-th ``name`` property (the component's line if absent)."""
        found = [line for prop, line, _ in self.properties if prop == name]
        return found[min(index, len(found) - 1)] if found else self.line

    def raw(self, name: str) -> str:
        """The value of the first ``name`` property as written (unfolded), or ""."""
        return next((value for prop, _, value in self.properties if prop == name), "")

    def walk(self, name: str):
        for child in self.children:
            if child.name == name:
                yield child
            yield from child.walk(name)


_NAME = re.compile(r"[A-Za-z0-9-]+")


def _unfolded(text: str):
    """(line number, content line) pairs: continuation lines joined to theirs (RFC 5545 3.1)."""
    number, current = 0, None
    for index, line in enumerate(text.splitlines(), start=1):
        if line[:1] in (" ", "\t") and current is not None:
            current += line[1:]
            continue
        if current is not None:
            yield number, current
        number, current = index, line
    if current is not None:
        yield number, current


def _split(line: str) -> tuple[str, str]:
    """(NAME, value) of a content line ``NAME;PARAM="x:y":value``; quotes may hold colons."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            head, value = line[:index], line[index + 1 :]
            return head.split(";", 1)[0].upper(), value
    return "", ""


def outline(text: str) -> list[Outline]:
    """The VCALENDARs of ``text``, as written; IcsSyntaxError on broken structure.

    Checks what icalendar lets pass: lines that are not ``NAME:value``, END
    lines that close a component other than the open one, components never
    closed, anything outside a VCALENDAR.
    """
    calendars, stack = [], []
    for number, line in _unfolded(text):
        if not line.strip():
            continue
        name, value = _split(line)
        if not stack and name != "BEGIN":
            raise IcsSyntaxError(
                number, "This is not an iCalendar file (it must start with BEGIN:VCALENDAR)."
            )
        if not name or not _NAME.fullmatch(name):
            shown = line if len(line) <= 60 else line[:57] + "…"
            raise IcsSyntaxError(number, f"“{shown}” is not an iCalendar line (NAME:value).")
        if name == "BEGIN":
            component = Outline(value.strip().upper(), number)
            if not stack and component.name != "VCALENDAR":
                raise IcsSyntaxError(
                    number, "This is not an iCalendar file (it must start with BEGIN:VCALENDAR)."
                )
            (stack[-1].children if stack else calendars).append(component)
            stack.append(component)
        elif name == "END":
            closing = value.strip().upper()
            if not stack:
                raise IcsSyntaxError(number, f"END:{closing} without a matching BEGIN.")
            if closing != stack[-1].name:
                opened = stack[-1]
                raise IcsSyntaxError(
                    number,
                    f"END:{closing}, but the open component is {opened.name} "
                    f"(BEGIN on line {opened.line}).",
                )
            stack.pop()
        else:
            stack[-1].properties.append((name, number, value))
    if stack:
        raise IcsSyntaxError(
            stack[-1].line, f"{stack[-1].name} is never closed (END:{stack[-1].name} is missing)."
        )
    if not calendars:
        raise IcsSyntaxError(1, "This is not an iCalendar file (no BEGIN:VCALENDAR).")
    return calendars


def parse(text: str) -> list[Calendar]:
    """icalendar's reading of ``text`` (call :func:`outline` first for structure errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # guessed TZIDs and the like: checked per property
        return Calendar.from_ical(text, multiple=True)
