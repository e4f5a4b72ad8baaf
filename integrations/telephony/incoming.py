"""One call event as a phone system posts it (docs/TELEPHONY.md), checked field by field.

Every problem is a person-readable ValidationError naming the field, answered as a 400.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.telephony.models import Call

EVENTS = ("ringing", "answered", "ended", "missed")
MAX_DURATION = 7 * 24 * 3600


@dataclass(frozen=True)
class CallEvent:
    provider: str
    call_id: str
    event: str
    direction: str
    from_number: str
    to_number: str
    agent: str
    duration: int | None
    recording_url: str
    timestamp: datetime


def parse(body: bytes) -> CallEvent:
    """The event in ``body`` (a JSON object), or ValidationError saying what is wrong."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError(f"The body is not JSON: {error}.") from None
    if not isinstance(data, dict):
        raise ValidationError("The body must be a JSON object.")
    event = _text(data, "event", required=True)
    if event not in EVENTS:
        raise ValidationError(f"“event” must be one of {', '.join(EVENTS)}.")
    direction = _text(data, "direction") or Call.Direction.INBOUND
    if direction not in Call.Direction.values:
        raise ValidationError("“direction” must be inbound or outbound.")
    return CallEvent(
        provider=_text(data, "provider", required=True, limit=40),
        call_id=_text(data, "call_id", required=True, limit=200),
        event=event,
        direction=direction,
        from_number=_text(data, "from", limit=40),
        to_number=_text(data, "to", limit=40),
        agent=_text(data, "agent", limit=254),
        duration=_duration(data.get("duration")),
        recording_url=_recording(data.get("recording_url")),
        timestamp=_timestamp(data.get("timestamp")),
    )


def _text(data: dict, name: str, *, required: bool = False, limit: int = 40) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ValidationError(f"“{name}” is missing.")
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # an extension or a number sent as a JSON number
    if not isinstance(value, str):
        raise ValidationError(f"“{name}” must be a string.")
    value = value.strip()
    if len(value) > limit:
        raise ValidationError(f"“{name}” is longer than {limit} characters.")
    if required and not value:
        raise ValidationError(f"“{name}” is missing.")
    return value


def _duration(value) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationError("“duration” must be a number of seconds.")
    try:
        seconds = round(float(value))
    except ValueError:
        raise ValidationError("“duration” must be a number of seconds.") from None
    if not 0 <= seconds <= MAX_DURATION:
        raise ValidationError("“duration” must be between 0 and a week, in seconds.")
    return seconds


def _recording(value) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value) > 500:
        raise ValidationError("“recording_url” must be a link of at most 500 characters.")
    try:
        URLValidator(schemes=["https", "http"])(value)
    except ValidationError:
        raise ValidationError("“recording_url” must be an http(s) link.") from None
    return value


def _timestamp(value) -> datetime:
    """Unix seconds or ISO 8601 (without a zone: UTC); the time of receipt when absent."""
    if value is None or value == "":
        return timezone.now()
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=UTC)
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except (ValueError, OverflowError, OSError):
        parsed = None
    if parsed is None:
        raise ValidationError("“timestamp” must be unix seconds or an ISO 8601 time.")
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)
