"""Repeating events: RRULE checking and expansion, with python-dateutil's rrule.

A series repeats in its own time zone's wall clock: a weekly 09:00 meeting in
Europe/Berlin stays at 09:00 Berlin time across the change to summer time
(its UTC instant moves). dateutil builds each occurrence from the aware
DTSTART's fields with its tzinfo, so a ``zoneinfo`` DTSTART gives exactly that;
the rule's UNTIL is kept in UTC ("…Z"), as RFC 5545 asks when DTSTART has a
zone.

Occurrences are computed, never stored: :func:`expand` turns rows (series,
overrides, single events) into the occurrences meeting a window.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr
from django.core.exceptions import ValidationError

ALLOWED_FREQUENCIES = {DAILY: "daily", WEEKLY: "weekly", MONTHLY: "monthly", YEARLY: "yearly"}
MAX_COUNT = 1000  # a rule with COUNT may repeat at most this often
MAX_OCCURRENCES_PER_WINDOW = 2000  # no view asks for more of one series at once


@dataclass(frozen=True)
class Occurrence:
    """One appearance of an event in a calendar.

    ``event`` is the row it comes from (the series for a computed occurrence,
    the override row for a changed one). ``recurrence_id`` is the original
    start of a series' occurrence (None for a single event): with the series it
    names the occurrence in edits, RSVPs and iCalendar.
    """

    event: object
    start: datetime
    end: datetime
    recurrence_id: datetime | None = None

    @property
    def key(self) -> str:
        """A stable id for the browser: the row, and the occurrence within its series."""
        series_id = self.event.series_id or self.event.pk
        if self.recurrence_id is None:
            return str(series_id)
        return f"{series_id}-{format_utc(self.recurrence_id)}"


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def format_utc(moment: datetime) -> str:
    """``20261201T090000Z``: the form RRULE UNTIL, EXDATE ids and occurrence keys use."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def _invalid(message: str) -> ValidationError:
    return ValidationError({"rrule": message}, code="invalid_rrule")


def build_rule(text: str, start: datetime, tz_name: str) -> rrule:
    """The dateutil rule of ``text`` (an RRULE value) for a series starting at ``start``."""
    local_start = start.astimezone(zone(tz_name))
    try:
        rule = rrulestr(f"RRULE:{text}", dtstart=local_start, forceset=False)
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise _invalid(
            f"“{text}” is not a repeat rule this calendar understands ({error}). "
            "Example: FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"
        ) from None
    if not isinstance(rule, rrule):
        raise _invalid("Give one repeat rule (RRULE), not a set of them.")
    return rule


def normalize_rule(text: str, start: datetime, tz_name: str) -> str:
    """``text`` checked and written back in a canonical form (UNTIL in UTC).

    Raises ValidationError, with a reason a person can act on, for rules that
    do not parse, repeat more often than daily, repeat more than MAX_COUNT
    times, end before they start or never produce an occurrence.
    """
    text = text.strip().removeprefix("RRULE:").strip().upper()
    if not text:
        return ""
    if len(text) > 500:
        raise _invalid("That repeat rule is too long (500 characters at most).")
    rule = build_rule(_until_in_utc(text, start, tz_name), start, tz_name)
    if rule._freq not in ALLOWED_FREQUENCIES:
        raise _invalid("Events can repeat daily, weekly, monthly or yearly, not more often.")
    if rule._count is not None and rule._count > MAX_COUNT:
        raise _invalid(f"An event can repeat at most {MAX_COUNT} times.")
    if rule._until is not None and rule._until < start:
        raise _invalid("The repeat rule ends (UNTIL) before the event starts.")
    if next(iter(rule), None) is None:
        raise _invalid("This repeat rule never produces a date.")
    return _canonical(rule)


def _until_in_utc(text: str, start: datetime, tz_name: str) -> str:
    """Rewrite a date-only or local UNTIL as the UTC instant RFC 5545 asks for.

    A date means "through that day" in the event's zone.
    """
    parts = []
    for part in text.split(";"):
        name, _, value = part.partition("=")
        if name == "UNTIL" and not value.endswith("Z"):
            parts.append(f"UNTIL={format_utc(_local_until(value, start, tz_name))}")
        else:
            parts.append(part)
    return ";".join(parts)


def _local_until(value: str, start: datetime, tz_name: str) -> datetime:
    try:
        if len(value) == 8:
            day = datetime.strptime(value, "%Y%m%d").date()
            return datetime.combine(day, time(23, 59, 59), zone(tz_name))
        return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone(tz_name))
    except ValueError:
        raise _invalid(f"UNTIL={value} is not a date (use 20261231 or 20261231T170000Z).") from None


def _canonical(rule: rrule) -> str:
    """dateutil's own RRULE text, less the DTSTART line it adds, UNTIL in UTC."""
    lines = [line for line in str(rule).splitlines() if line.startswith("RRULE:")]
    text = lines[0].removeprefix("RRULE:")
    if rule._until is not None:
        text = ";".join(
            f"UNTIL={format_utc(rule._until)}" if part.startswith("UNTIL=") else part
            for part in text.split(";")
        )
    return text


def describe(text: str) -> str:
    """A short description for people: “Repeats weekly”, “Repeats daily, 10 times”."""
    if not text:
        return ""
    fields = dict(part.partition("=")[::2] for part in text.split(";"))
    frequency = fields.get("FREQ", "").lower()
    interval = int(fields.get("INTERVAL", "1") or 1)
    unit = {"daily": "day", "weekly": "week", "monthly": "month", "yearly": "year"}.get(frequency)
    summary = f"Repeats {frequency}" if interval == 1 else f"Repeats every {interval} {unit}s"
    if "BYDAY" in fields:
        summary += f" on {fields['BYDAY'].replace(',', ', ')}"
    if "COUNT" in fields:
        summary += f", {fields['COUNT']} times"
    if "UNTIL" in fields:
        summary += f", until {parse_utc(fields['UNTIL']).date():%d %b %Y}"
    return summary


# --- Expansion -----------------------------------------------------------------


def series_starts(event, window_start: datetime, window_end: datetime) -> list[datetime]:
    """Original starts (UTC) of a series' occurrences that overlap the window, less EXDATEs."""
    rule = build_rule(event.rrule, event.start, event.timezone)
    length = event.end - event.start
    deleted = set(event.exdates)
    found = rule.xafter(window_start - length, count=MAX_OCCURRENCES_PER_WINDOW, inc=False)
    starts = []
    for local in found:
        if local >= window_end:
            break
        moment = local.astimezone(UTC)
        if format_utc(moment) not in deleted:
            starts.append(moment)
    return starts


def last_end(event) -> datetime | None:
    """When the last occurrence ends: None if the series repeats forever."""
    if not event.is_recurring:
        return event.end
    rule = build_rule(event.rrule, event.start, event.timezone)
    if rule._count is None and rule._until is None:
        return None
    starts = list(islice(rule, MAX_COUNT * 40))  # UNTIL far away on a daily rule: bounded
    return starts[-1].astimezone(UTC) + (event.end - event.start) if starts else event.end


def occurrence_at(event, recurrence_id: datetime) -> bool:
    """Whether ``recurrence_id`` is one of the series' own occurrence starts (not deleted)."""
    window = recurrence_id + timedelta(seconds=1)
    return recurrence_id in series_starts(event, recurrence_id, window)


def expand(rows, window_start: datetime, window_end: datetime, replaced=None) -> list[Occurrence]:
    """The occurrences of ``rows`` (series, overrides, single events) that meet the window.

    An override replaces its series' occurrence (by recurrence id) wherever it
    moved, also out of the window: ``replaced`` holds ``(series id, recurrence
    id)`` of every override of these series (by default, those among ``rows``).
    Cancelled rows show nothing, and hide what they replace. Sorted by start.
    """
    rows = list(rows)
    if replaced is None:
        replaced = {(row.series_id, row.recurrence_id) for row in rows if row.series_id}
    found = []
    for row in rows:
        if row.is_cancelled:
            continue
        if row.is_recurring:
            found.extend(_series_occurrences(row, replaced, window_start, window_end))
        elif row.start < window_end and row.end > window_start:
            found.append(Occurrence(row, row.start, row.end, row.recurrence_id))
    return sorted(found, key=lambda occurrence: (occurrence.start, occurrence.event.pk))


def _series_occurrences(series, replaced, window_start, window_end):
    length = series.end - series.start
    for start in series_starts(series, window_start, window_end):
        if (series.pk, start) not in replaced:
            yield Occurrence(series, start, start + length, start)


def all_day_bounds(first: date, last: date, tz_name: str) -> tuple[datetime, datetime]:
    """An all-day event from ``first`` through ``last``: local midnight to the midnight after."""
    tz = zone(tz_name)
    return (
        datetime.combine(first, time(), tz).astimezone(UTC),
        datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC),
    )
