"""What the import's stages pass along: its limits, the result and its notes, the error
naming a broken line, the checked event (:class:`Item`), and its times as UTC moments."""

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from calendar_app import ical
from calendar_app.recurrence import all_day_bounds

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_EVENTS = 1000
DEFAULT_LENGTH = timedelta(minutes=30)
MAX_REMINDER = timedelta(weeks=4)
MAX_NOTES = 20
NO_TITLE = "(No title)"


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
