"""Dragging and resizing in the calendar: POST the new times, answered in JSON.

Body: ``start``, ``end`` (ISO; without an offset read in ``timeZone``, else the
viewer's zone; dates when ``all_day``), ``all_day`` (1/0), ``occurrence`` (a
series occurrence's recurrence id, ``YYYYMMDDTHHMMSSZ``), ``scope``
(this / following / all), ``sequence`` (the version the browser drew),
``force`` (1: double-book anyway).

Answers: 200 ``{"ok": true, ...}``; 400 bad input; 403 not the organizer;
409 ``{"error", "reason": "stale" | "double_booked" | "gone", "people"}``. The
change reaches every open calendar through the live topics (calendar_app/events.py).
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from calendar_app import policies, services
from calendar_app.recurrence import parse_utc
from calendar_app.views import params as parse
from calendar_app.views.calendar import calendar_zone

GONE_CODES = {"cancelled", "no_occurrence"}


@require_POST
def event_move(request, pk):
    event = policies.access_event(request.user, pk)
    if not policies.can_edit_event(request.user, event):
        return _refusal("Only the organizer can move this event.", "forbidden", 403)
    try:
        arguments = _move_arguments(request)
    except parse.BadParams as error:
        return _refusal(str(error), "invalid", 400)
    try:
        moved = services.move_event(actor=request.user, event=event, **arguments)
    except PermissionDenied as denied:
        return _refusal(str(denied) or "You cannot move this event.", "forbidden", 403)
    except services.StaleEvent as stale:
        return _refusal(" ".join(stale.messages), "stale", 409)
    except services.DoubleBooked as clash:
        people = {person.pk: person.full_name for person, _, _ in clash.clashes}
        return _refusal(
            " ".join(clash.messages),
            "double_booked",
            409,
            people=[{"id": pk, "name": name} for pk, name in people.items()],
        )
    except ValidationError as invalid:
        if getattr(invalid, "code", None) in GONE_CODES:
            return _refusal(" ".join(invalid.messages), "gone", 409)
        return _refusal(" ".join(invalid.messages), "invalid", 400)
    return JsonResponse({"ok": True, "event": moved.pk, "sequence": moved.sequence})


def _refusal(message: str, reason: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"error": message, "reason": reason, **extra}, status=status)


def _move_arguments(request) -> dict:
    """The service's keyword arguments from the form body (BadParams names what is wrong)."""
    data = request.POST
    all_day = _flag(data.get("all_day", ""))
    tz = calendar_zone(data, request.user)
    start = parse.required_moment("start", data.get("start"), tz)
    end = parse.required_moment("end", data.get("end"), tz)
    if end <= start:
        raise parse.BadParams("The event must end after it starts.")
    scope = data.get("scope", "this")
    if scope not in services.SCOPES:
        raise parse.BadParams("scope must be this, following or all.")
    return {
        "start": _day(data["start"]) if all_day else start,
        "end": _day(data["end"]) if all_day else end,
        "all_day": all_day,
        "occurrence": _occurrence(data.get("occurrence", "")),
        "scope": scope,
        "seen_sequence": _sequence(data.get("sequence", "")),
        "allow_double_booking": _flag(data.get("force", "")),
    }


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _day(text: str) -> date:
    """An all-day event's date: a date, or the date part of what the browser sent."""
    return date.fromisoformat(text.strip()[:10])


def _occurrence(text: str):
    if not text.strip():
        return None
    try:
        return parse_utc(text.strip())
    except ValueError:
        raise parse.BadParams("occurrence must be a recurrence id like 20260301T090000Z.") from None


def _sequence(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise parse.BadParams("sequence must be a whole number.")
    return int(text)
