"""Query and form parameters of the calendar's endpoints, read one way.

Every refusal is a ``BadParams`` whose message says what to fix, answered
as a 400 by the view (the calendar feed, moves, free/busy, the slot finder).
"""

import re
import zoneinfo
from datetime import UTC, date, datetime, time

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import validate_timezone

YEARS_AROUND = 10  # calendars have nothing to say further out (nor a series expanded to 9999)
MAX_ID_DIGITS = 18  # what a database integer key holds
# A "+01:00" offset typed into a URL unencoded arrives as " 01:00".
SPACED_OFFSET = re.compile(r"(\d\d:\d\d(?::\d\d)?) (\d\d:?\d\d)$")


class BadParams(ValueError):
    """A parameter a person (or a hand-edited link) got wrong; the message says how."""


def is_id(text: str) -> bool:
    """Digits, few enough for a database key (a longer number would overflow the query)."""
    return text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS


def ids(values: list[str], what: str = "person") -> list[int]:
    """Ids given as ``name=3&name=5`` or ``name=3,5``, in order, once each."""
    found = []
    for value in values:
        for text in filter(None, (part.strip() for part in value.split(","))):
            if not is_id(text):
                raise BadParams(f"“{text}” is not a {what}'s id. Pick from the list again.")
            found.append(int(text))
    return list(dict.fromkeys(found))


def zone_name(value: str | None) -> str:
    """A known time zone's name, or "" when none is given."""
    text = (value or "").strip()
    if text:
        try:
            validate_timezone(text)
        except ValidationError as error:
            raise BadParams(error.messages[0]) from None
    return text


def zone_of(value: str | None, default: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(zone_name(value) or default)


def moment(
    name: str, value: str | None, tz: zoneinfo.ZoneInfo, *, near: bool = False
) -> datetime | None:
    """An ISO 8601 date and time (or a date: its midnight), naive ones read in ``tz``;
    in UTC. None when empty. ``near``: within YEARS_AROUND years of today."""
    text = SPACED_OFFSET.sub(r"\1+\2", (value or "").strip())
    if not text:
        return None
    try:
        parsed = parse_datetime(text)
        day = None if parsed else parse_date(text)
    except ValueError:
        parsed = day = None
    if day is not None:
        parsed = datetime.combine(day, time())
    if parsed is None:
        raise BadParams(
            f"{name}: “{value}” is not a date and time. Use ISO 8601, like 2026-12-01T10:00."
        )
    if near:
        check_year(name, parsed)
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=tz)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise BadParams(f"{name}: “{value}” is too far from today.") from None


def required_moment(name: str, value: str | None, tz: zoneinfo.ZoneInfo) -> datetime:
    found = moment(name, value, tz)
    if found is None:
        raise BadParams(f"{name}: give a date and time in ISO 8601, like 2026-12-01T10:00.")
    return found


def day(name: str, value: str | None) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        found = parse_date(text)
    except ValueError:
        found = None
    if found is None:
        raise BadParams(f"{name}: “{text}” is not a date. Use a form like 2026-12-01.")
    return check_year(name, found)


def check_year(name: str, found):
    """Dates within YEARS_AROUND years of today."""
    if abs(found.year - timezone.now().year) > YEARS_AROUND:
        raise BadParams(f"{name}: pick a date within {YEARS_AROUND} years of today.")
    return found
