"""Repeating events: RRULE checking and expansion, with python-dateutil's rrule.

A series repeats in its own time zone's wall clock: a weekly 09:00 meeting in
Europe/Berlin stays at 09:00 Berlin time across the change to summer time
(its UTC instant moves). dateutil builds each occurrence from the aware
DTSTART's fields with its tzinfo, so a ``zoneinfo`` DTSTART gives exactly that;
the rule's UNTIL is kept in UTC ("…Z"), as RFC 5545 asks when DTSTART has a
zone. A timed occurrence lasts as long as the first one; an all-day one runs
from local midnight to local midnight (23 or 25 hours on the days the clocks
change).

A series' start is always its first occurrence (RFC 5545 leaves a DTSTART
that the rule does not produce undefined; calendar apps disagree about it).

Occurrences are computed, never stored: :func:`expand` turns rows (series,
overrides, single events) into the occurrences meeting a window.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice

from dateutil.rrule import rrule, rrulestr
from django.core.exceptions import ValidationError

from workspace.moments import zone

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
TOO_OFTEN = ("HOURLY", "MINUTELY", "SECONDLY")
# The parts of RFC 5545's RRULE this calendar takes (no BYHOUR…: a series keeps its time of day).
RULE_PARTS = (
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYDAY",
    "BYMONTHDAY",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
)
MAX_COUNT = 1000  # a rule with COUNT may repeat at most this often
MAX_INTERVAL = 1000
MAX_LISTED = 5000  # occurrences listed to find a series' end; beyond, it counts as open-ended
MAX_OCCURRENCES_PER_WINDOW = 2000  # no view asks for more of one series at once
EXAMPLE = "Example: FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"
WEEKDAYS = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
WEEKDAY_ITEM = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")


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


def format_utc(moment: datetime) -> str:
    """``20261201T090000Z``: the form RRULE UNTIL, EXDATE ids and occurrence keys use."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def wall_clock(moment: datetime, tz_name: str) -> datetime:
    """``moment`` as a naive local time in ``tz_name``."""
    return moment.astimezone(zone(tz_name)).replace(tzinfo=None)


def from_wall_clock(local: datetime, tz_name: str) -> datetime:
    return local.replace(tzinfo=zone(tz_name)).astimezone(UTC)


def shifted(
    moment: datetime, old_start: datetime, new_start: datetime, old_tz: str, new_tz: str
) -> datetime:
    """Where ``moment`` of a series goes when the series' start moves from ``old_start``.

    The shift is by wall clock, as the series repeats: a series moved from
    9:00 to 10:00 in winter moves its summer occurrences from 9:00 to 10:00
    summer time, and one moved from March to April (across the change) keeps
    its occurrences' times of day.
    """
    delta = wall_clock(new_start, new_tz) - wall_clock(old_start, old_tz)
    return from_wall_clock(wall_clock(moment, old_tz) + delta, new_tz)


# --- Checking rules ---------------------------------------------------------------


def _invalid(message: str) -> ValidationError:
    return ValidationError({"rrule": message}, code="invalid_rrule")


def build_rule(text: str, start: datetime, tz_name: str) -> rrule:
    """The dateutil rule of ``text`` (an RRULE value) for a series starting at ``start``."""
    local_start = start.astimezone(zone(tz_name))
    try:
        rule = rrulestr(f"RRULE:{text}", dtstart=local_start, forceset=False)
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise _invalid(f"{_culprit(text, error)} {EXAMPLE}") from None
    if not isinstance(rule, rrule):
        raise _invalid("Give one repeat rule (RRULE), not a set of them.")
    return rule


def _culprit(text: str, error: Exception) -> str:
    """Which part of ``text`` dateutil refused, said for a person (dateutil names it in quotes)."""
    named = re.search(r"'([A-Z]+)'", str(error))
    for name, value in _split(text):
        if named and name == named.group(1):
            return f"“{name}={value}” is not a value this calendar understands."
    return f"“{text}” is not a repeat rule this calendar understands."


def _split(text: str) -> list[tuple[str, str]]:
    return [tuple(part.partition("=")[::2]) for part in text.split(";") if part]


def rule_parts(text: str) -> dict[str, str]:
    """A (checked) rule's parts by name: ``{"FREQ": "WEEKLY", "COUNT": "4"}``."""
    return dict(_split(text))


def rule_text(parts: dict[str, str]) -> str:
    return ";".join(f"{name}={value}" for name, value in parts.items())


def normalize_rule(text: str, start: datetime, tz_name: str) -> str:
    """``text`` checked and written back in a canonical form (UNTIL in UTC).

    Raises ValidationError, with a reason a person can act on, for rules that
    do not parse, repeat more often than daily, repeat more than MAX_COUNT
    times, end before they start or never produce an occurrence.
    """
    text = text.strip().upper().removeprefix("RRULE:").strip()
    if not text:
        return ""
    if len(text) > 500:
        raise _invalid("That repeat rule is too long (500 characters at most).")
    parts = _checked_parts(text)
    if "UNTIL" in parts:
        parts["UNTIL"] = format_utc(_until(parts["UNTIL"], tz_name))
        if parse_utc(parts["UNTIL"]) < start:
            raise _invalid("The repeat rule ends (UNTIL) before the event starts.")
    rule = build_rule(rule_text(parts), start, tz_name)
    try:
        first = next(iter(rule), None)
    except (ValueError, OverflowError):  # dateutil runs past year 9999
        first = None
    if first is None:
        raise _invalid("This repeat rule never produces a date. Check its days and months.")
    return _canonical(rule)


def _checked_parts(text: str) -> dict[str, str]:
    """The rule's NAME=VALUE parts, each checked; raises with the first mistake found."""
    parts = {}
    for name, value in _split(text):
        if not name or not value:
            raise _invalid(f"Each part is NAME=VALUE; “{name or value}” is not. {EXAMPLE}")
        if name not in RULE_PARTS:
            raise _invalid(
                f"{name} is not supported in repeat rules; use {', '.join(RULE_PARTS)}. {EXAMPLE}"
            )
        if name in parts:
            raise _invalid(f"{name} is given twice.")
        parts[name] = value
    _check_frequency(parts.get("FREQ"))
    if "COUNT" in parts and "UNTIL" in parts:
        raise _invalid("Give COUNT (how many times) or UNTIL (until when), not both.")
    for name, limit in (("COUNT", MAX_COUNT), ("INTERVAL", MAX_INTERVAL)):
        if name in parts:
            _check_number(name, parts[name], limit)
    _check_days(parts)
    return parts


def _check_frequency(freq: str | None) -> None:
    if freq in FREQUENCIES:
        return
    if freq in TOO_OFTEN:
        raise _invalid("Events can repeat daily, weekly, monthly or yearly, not more often.")
    given = f", not {freq}" if freq else ""
    raise _invalid(f"Say how often it repeats: FREQ=DAILY, WEEKLY, MONTHLY or YEARLY{given}.")


def _check_number(name: str, value: str, limit: int) -> None:
    if not value.isdigit() or int(value) < 1:
        raise _invalid(f"{name} must be a whole number from 1, like {name}=10, not “{value}”.")
    if int(value) > limit:
        raise _invalid(
            f"An event can repeat at most {limit} times."
            if name == "COUNT"
            else f"{name} can be at most {limit}."
        )


def _check_days(parts: dict[str, str]) -> None:
    """Weekdays, month days and months that exist, and at least one month with those days.

    Cheap here; dateutil would search thousands of years before saying that a
    rule like "30 February" never happens.
    """
    _check_weekdays(parts)
    if parts.get("WKST", "MO") not in WEEKDAYS:
        raise _invalid(f"WKST={parts['WKST']}: the week starts on MO, TU, WE, TH, FR, SA or SU.")
    if "BYSETPOS" in parts and parts["FREQ"] not in ("MONTHLY", "YEARLY"):
        raise _invalid("BYSETPOS (like the last weekday) works in monthly or yearly rules only.")
    _numbers(parts, "BYSETPOS", 366)
    months = _numbers(parts, "BYMONTH", 12, signed=False)
    days = _numbers(parts, "BYMONTHDAY", 31)
    if months and days and not any(abs(d) <= _longest(m) for m in months for d in days):
        raise _invalid("Those months never have those days (like 30 February).")


def _longest(month: int) -> int:
    return 29 if month == 2 else calendar.monthrange(2001, month)[1]


def _check_weekdays(parts: dict[str, str]) -> None:
    """BYDAY: MO…SU; a number in front (2TU, -1FR) only in monthly (±5) or yearly (±53) rules."""
    if "BYDAY" not in parts:
        return
    limit = {"MONTHLY": 5, "YEARLY": 53}.get(parts["FREQ"], 0)
    hint = "; like 2TU or -1FR for the second Tuesday or the last Friday" if limit else ""
    for item in parts["BYDAY"].split(","):
        match = WEEKDAY_ITEM.match(item)
        ordinal = match and match.group(1)
        if not match or (ordinal and not 0 < abs(int(ordinal)) <= limit):
            raise _invalid(
                f"“BYDAY={parts['BYDAY']}”: use weekdays MO, TU, WE, TH, FR, SA, SU{hint}."
            )


def _numbers(parts, name: str, limit: int, *, signed: bool = True) -> list[int]:
    """The comma-separated numbers of part ``name``: 1…limit (or -limit…-1 if ``signed``)."""
    if name not in parts:
        return []
    values = parts[name].split(",")
    pattern = r"[+-]?\d{1,3}" if signed else r"\d{1,3}"
    if not all(re.fullmatch(pattern, value) and 0 < abs(int(value)) <= limit for value in values):
        raise _invalid(f"“{name}={parts[name]}” names a day or month that does not exist.")
    return [int(value) for value in values]


def _until(value: str, tz_name: str) -> datetime:
    """UNTIL as an instant: ``…Z`` is UTC, a local time is the event's zone; a date means
    "through that day" in the event's zone."""
    formats = (("%Y%m%dT%H%M%SZ", UTC), ("%Y%m%dT%H%M%S", zone(tz_name)), ("%Y%m%d", None))
    for pattern, tz in formats:
        try:
            parsed = datetime.strptime(value, pattern)
        except ValueError:
            continue
        if tz is None:
            return datetime.combine(parsed.date(), time(23, 59, 59), zone(tz_name))
        return parsed.replace(tzinfo=tz)
    raise _invalid(f"UNTIL={value} is not a date (use 20261231 or 20261231T170000Z).")


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


def shift_weekdays(text: str, days: int) -> str:
    """A weekly rule's plain BYDAY list moved ``days`` days along (others unchanged).

    Dragging a "weekly on Monday" series to a Tuesday makes it "weekly on Tuesday".
    """
    parts = rule_parts(text)
    if parts.get("FREQ") != "WEEKLY" or "BYDAY" not in parts or days % 7 == 0:
        return text
    names = list(WEEKDAYS)
    items = parts["BYDAY"].split(",")
    if not all(item in WEEKDAYS for item in items):
        return text
    parts["BYDAY"] = ",".join(names[(names.index(item) + days) % 7] for item in items)
    return rule_text(parts)


def describe(text: str) -> str:
    """For people: “Repeats weekly on Monday, Wednesday”, “Repeats monthly on the last Friday”."""
    if not text:
        return ""
    fields = rule_parts(text)
    frequency = fields.get("FREQ", "").lower()
    interval = int(fields.get("INTERVAL", "1") or 1)
    unit = {"daily": "day", "weekly": "week", "monthly": "month", "yearly": "year"}.get(frequency)
    summary = f"Repeats {frequency}" if interval == 1 else f"Repeats every {interval} {unit}s"
    if "BYDAY" in fields:
        summary += " on " + ", ".join(_day_name(item) for item in fields["BYDAY"].split(","))
    if "BYMONTHDAY" in fields:
        summary += f" on day {fields['BYMONTHDAY'].replace(',', ', ')}"
    if "BYMONTH" in fields:
        months = (calendar.month_name[int(month)] for month in fields["BYMONTH"].split(","))
        summary += f" in {', '.join(months)}"
    if "COUNT" in fields:
        summary += f", {fields['COUNT']} times"
    if "UNTIL" in fields:
        summary += f", until {parse_utc(fields['UNTIL']).date():%d %b %Y}"
    return summary


def _day_name(item: str) -> str:
    match = WEEKDAY_ITEM.match(item)
    if not match:
        return item
    ordinal, day = match.groups()
    if not ordinal:
        return WEEKDAYS[day]
    number = int(ordinal)
    return f"the {ORDINALS.get(number, f'{number}.')} {WEEKDAYS[day]}"


# --- Expansion -----------------------------------------------------------------


def occurrence_end(event, start: datetime) -> datetime:
    """The end of ``event``'s occurrence starting at ``start``.

    Timed: as long as the first occurrence. All-day: as many local days, so it
    ends at a local midnight whatever the clocks did in between.
    """
    if not event.all_day:
        return start + (event.end - event.start)
    tz_name = event.timezone
    days = (wall_clock(event.end, tz_name) - wall_clock(event.start, tz_name)).days
    last = wall_clock(start, tz_name).date() + timedelta(days=days)
    return from_wall_clock(datetime.combine(last, time()), tz_name)


def first_start(event) -> datetime | None:
    """The first start the series' rule produces (EXDATEs aside), in UTC."""
    found = next(iter(build_rule(event.rrule, event.start, event.timezone)), None)
    return found and found.astimezone(UTC)


def first_spans(event, count: int) -> list[tuple[datetime, datetime]]:
    """The first ``count`` (start, end) spans of an event (one for a single event)."""
    if not event.is_recurring:
        return [(event.start, event.end)]
    rule = build_rule(event.rrule, event.start, event.timezone)
    deleted = set(event.exdates)
    starts = (local.astimezone(UTC) for local in rule)
    kept = (moment for moment in starts if format_utc(moment) not in deleted)
    return [(moment, occurrence_end(event, moment)) for moment in islice(kept, count)]


def series_starts(event, window_start: datetime, window_end: datetime) -> list[datetime]:
    """Original starts (UTC) of a series' occurrences that overlap the window, less EXDATEs."""
    rule = build_rule(event.rrule, event.start, event.timezone)
    deleted = set(event.exdates)
    reach = event.end - event.start + timedelta(hours=1)  # all-day lengths vary by an hour
    found = rule.xafter(window_start - reach, count=MAX_OCCURRENCES_PER_WINDOW, inc=False)
    starts = []
    for local in found:
        if local >= window_end:
            break
        moment = local.astimezone(UTC)
        if occurrence_end(event, moment) > window_start and format_utc(moment) not in deleted:
            starts.append(moment)
    return starts


def last_end(event) -> datetime | None:
    """When the last occurrence ends: None if the series repeats forever (or for ages)."""
    if not event.is_recurring:
        return event.end
    rule = build_rule(event.rrule, event.start, event.timezone)
    if rule._count is None and rule._until is None:
        return None
    starts = list(islice(rule, MAX_LISTED + 1))
    if len(starts) > MAX_LISTED:
        return None
    return occurrence_end(event, starts[-1].astimezone(UTC)) if starts else event.end


def in_rule(event, moment: datetime) -> bool:
    """Whether the series' rule produces a start at ``moment`` (EXDATEs aside)."""
    rule = build_rule(event.rrule, event.start, event.timezone)
    found = rule.after(moment - timedelta(seconds=1))
    return found is not None and found == moment


def occurrence_at(event, recurrence_id: datetime) -> bool:
    """Whether ``recurrence_id`` is one of the series' own occurrence starts (not deleted)."""
    return format_utc(recurrence_id) not in event.exdates and in_rule(event, recurrence_id)


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
    for start in series_starts(series, window_start, window_end):
        if (series.pk, start) not in replaced:
            yield Occurrence(series, start, occurrence_end(series, start), start)


def all_day_bounds(first: date, last: date, tz_name: str) -> tuple[datetime, datetime]:
    """An all-day event from ``first`` through ``last``: local midnight to the midnight after."""
    tz = zone(tz_name)
    return (
        datetime.combine(first, time(), tz).astimezone(UTC),
        datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC),
    )
