"""Dates and times as people and forms give them: zone names and ISO text.

Services accept ISO text as well as datetimes (forms, the API and imports all
call them); these read it the same way everywhere.
"""

import zoneinfo
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date, parse_datetime


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone called ``name``; UTC for a name that is unknown (profiles are validated)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def parse_moment(text: str, *, field: str, example: str) -> date | datetime:
    """An ISO date or date and time in ``text``; a ValidationError on ``field`` otherwise.

    ``example`` shows the form to use, e.g. "2026-12-01 10:00".
    """
    text = text.strip()
    try:
        parsed = parse_datetime(text) or parse_date(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError(
            {field: f"“{text}” is not a date and time. Use a form like {example}."},
            code="invalid",
        )
    return parsed
