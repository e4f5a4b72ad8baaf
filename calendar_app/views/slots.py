"""Free/busy and the slot finder: who is busy when, and the earliest common free times.

``slots`` answers the event form's slot finder (htmx: a fragment for
``#slot-finder``, from the form's ``[data-slot-input]`` fields) and, opened
directly, is a small "Find a time" page around the same fragment.
``freebusy`` is the busy time as JSON. Neither ever says what anyone is
doing: spans only, no titles, places or descriptions (selectors.busy_blocks).
Bad parameters answer 400 with what to fix.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import User
from calendar_app import policies
from calendar_app.recurrence import zone
from calendar_app.selectors import busy_blocks
from calendar_app.slots import (
    busy_in_windows,
    find_slots,
    is_within,
    length_label,
    overlaps,
    search_window,
    working_hours,
)
from calendar_app.views import params as parse

TEMPLATE = "calendar_app/slots.html"
MIN_DURATION, MAX_DURATION, DEFAULT_DURATION = 5, 1440, 30
MAX_PEOPLE = 50
MAX_FREEBUSY_DAYS = 62
ALWAYS_SHOWN = (time(8), time(18))  # the strip shows at least this much of the day
HOUR = timedelta(hours=1)
DASH = "\N{EN DASH}"  # between the two times of a span


def _people(viewer, ids: list[int]) -> list[User]:
    """The people of ``ids`` (one query); unknown ids and people who left are named."""
    if len(ids) > MAX_PEOPLE:
        raise parse.BadParams(f"Ask about at most {MAX_PEOPLE} people at once.")
    found = User.objects.in_bulk(ids)
    unknown = [str(pk) for pk in ids if pk not in found]
    if unknown:
        raise parse.BadParams(
            f"No colleague has the id {', '.join(unknown)}. Pick people from the list again."
        )
    gone = [found[pk] for pk in ids if not policies.can_view_calendar(viewer, found[pk])]
    if gone:
        verb = "no longer works" if len(gone) == 1 else "no longer work"
        raise parse.BadParams(f"{_names(gone)} {verb} here: take them off the list.")
    return [found[pk] for pk in ids]


def _duration(value: str | None, start: datetime | None, end: datetime | None) -> timedelta:
    """``duration`` minutes; without it, the length of the chosen time (if sensible), or 30."""
    text = (value or "").strip()
    if not text:
        if (
            start
            and end
            and MIN_DURATION * 60 <= (end - start).total_seconds() <= MAX_DURATION * 60
        ):
            return end - start
        return timedelta(minutes=DEFAULT_DURATION)
    if not (text.isascii() and text.isdigit()) or not MIN_DURATION <= int(text) <= MAX_DURATION:
        raise parse.BadParams(
            f"The duration is a number of minutes from {MIN_DURATION} to {MAX_DURATION} (a day)."
        )
    return timedelta(minutes=int(text))


def _form_value(params: QueryDict, name: str) -> str:
    """``name`` (``start``), or the form's ``<name>_date`` and ``<name>_time`` fields joined."""
    day, clock = params.get(f"{name}_date", "").strip(), params.get(f"{name}_time", "").strip()
    return params.get(name) or (f"{day}T{clock}" if day and clock else "")


def _ignored_uid(viewer, value: str | None) -> str:
    """The uid of the event being edited (``event=<id>``): its own time is not busy."""
    text = (value or "").strip()
    return policies.access_event(viewer, text).uid if text else ""


@dataclass(frozen=True)
class SlotQuery:
    people: list  # the person asking first
    duration: timedelta
    after: datetime
    display_tz: str  # the zone times are shown in
    event_tz: str  # the form's event zone: slot buttons carry times in it
    chosen: tuple[datetime, datetime] | None  # the time picked in the form
    day: date | None  # the day the strip shows, when asked for
    ignore_uid: str


def _slot_query(request) -> SlotQuery:
    params, viewer = request.GET, request.user
    event_tz = parse.zone_name(params.get("timezone"))
    display_tz = parse.zone_name(params.get("tz")) or event_tz or viewer.timezone
    event_tz = event_tz or display_tz
    start = parse.moment("start", _form_value(params, "start"), zone(event_tz), near=True)
    end = parse.moment("end", _form_value(params, "end"), zone(event_tz), near=True)
    duration = _duration(params.get("duration"), start, end)
    end = end or (start and start + duration)
    return SlotQuery(
        people=_people(viewer, [viewer.pk, *parse.ids(params.getlist("attendees"))]),
        duration=duration,
        after=parse.moment("after", params.get("after"), zone(display_tz), near=True)
        or timezone.now(),
        display_tz=display_tz,
        event_tz=event_tz,
        chosen=(start, end) if start and end > start else None,
        day=parse.day("day", params.get("day")),
        ignore_uid=_ignored_uid(viewer, params.get("event")),
    )


# --- Saying it -------------------------------------------------------------------------


def _names(people, viewer=None) -> str:
    """“Sam Lee”, “You and Sam Lee”, “Ann, Bo and Cy”."""
    labels = ["You" if person == viewer else str(person) for person in people]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _is_are(people, viewer) -> str:
    return "is" if len(people) == 1 and people[0] != viewer else "are"


def _clock(moment: datetime, tz) -> str:
    return f"{moment.astimezone(tz):%H:%M}"


def _city(tz_name: str) -> str:
    return tz_name.rsplit("/", 1)[-1].replace("_", " ")


def _hours_label(person) -> str:
    """“09:00-17:00 New York”: a person's working hours on their own clock."""
    return f"{person.work_start:%H:%M}{DASH}{person.work_end:%H:%M} {_city(person.timezone)}"


def _day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _slot_label(start: datetime, end: datetime, tz) -> str:
    """“Tue 2 Dec, 10:00-10:30” (an en dash) in ``tz``."""
    local = start.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}{DASH}{_clock(end, tz)}"


def _local_iso(moment: datetime, tz) -> str:
    """ISO 8601 with the offset of ``tz``: its first 16 characters fit a datetime-local input."""
    return moment.astimezone(tz).isoformat(timespec="minutes")


def _warnings(query: SlotQuery, viewer, busy: dict) -> list[dict]:
    """Who is busy, or not at work, at the time chosen in the form (names only)."""
    if query.chosen is None:
        return []
    warnings = []
    taken = [person for person in query.people if overlaps(busy[person.pk], query.chosen)]
    if taken:
        text = f"{_names(taken, viewer)} {_is_are(taken, viewer)} busy then."
        warnings.append({"kind": "busy", "text": text})
    away = [
        person
        for person in query.people
        if not is_within(working_hours(person, *query.chosen), query.chosen)
    ]
    if away:
        text = f"{_names(away, viewer)} {_is_are(away, viewer)} not at work then."
        warnings.append({"kind": "away", "text": text})
    return warnings


# --- The day strip -------------------------------------------------------------------------


def _day_span(day: date, tz) -> tuple[datetime, datetime]:
    """The local day in UTC (23 or 25 hours long on a day the clocks change)."""
    return (
        datetime.combine(day, time(), tz).astimezone(UTC),
        datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC),
    )


def _whole_days(span, tz) -> tuple[datetime, datetime]:
    """``span`` widened to the local midnights around it."""
    return (
        _day_span(span[0].astimezone(tz).date(), tz)[0],
        _day_span(span[1].astimezone(tz).date(), tz)[1],
    )


def _hour_floor(moment: datetime, tz) -> datetime:
    return moment.astimezone(tz).replace(minute=0, second=0, microsecond=0).astimezone(UTC)


def _shown_range(day: date, tz, work: list, chosen) -> tuple[datetime, datetime]:
    """The part of ``day`` the strip shows, in whole local hours: 8:00 to 18:00, widened to
    anyone's working hours and the chosen time on that day."""
    day_start, day_end = _day_span(day, tz)
    spans = [
        (datetime.combine(day, ALWAYS_SHOWN[0], tz), datetime.combine(day, ALWAYS_SHOWN[1], tz)),
        *work,
    ]
    if chosen and chosen[0] < day_end and chosen[1] > day_start:
        spans.append(chosen)
    first = max(_hour_floor(min(span[0] for span in spans), tz), day_start)
    last = max(span[1] for span in spans)
    last = _hour_floor(last, tz) + (HOUR if _hour_floor(last, tz) < last else timedelta())
    return first, min(last, day_end)


def _bars(spans, first: datetime, last: datetime) -> list[dict]:
    """Spans cut to [first, last), as minutes from ``first`` (SVG x and width)."""
    bars = []
    for begin, finish in spans:
        begin, finish = max(begin, first), min(finish, last)
        if begin < finish:
            bars.append(
                {
                    "x": int((begin - first).total_seconds() // 60),
                    "width": int((finish - begin).total_seconds() // 60),
                }
            )
    return bars


def _times(spans, tz) -> str:
    return ", ".join(f"{_clock(begin, tz)}{DASH}{_clock(finish, tz)}" for begin, finish in spans)


def _strip(day: date, tz, query: SlotQuery, viewer, busy: dict) -> dict:
    """Each person's working hours and busy blocks on ``day`` (local to the viewer)."""
    day_start, day_end = _day_span(day, tz)
    work = {person.pk: working_hours(person, day_start, day_end) for person in query.people}
    first, last = _shown_range(day, tz, [s for spans in work.values() for s in spans], query.chosen)
    rows = []
    for person in query.people:
        blocks = [span for span in busy[person.pk] if span[0] < last and span[1] > first]
        at_work = _times(work[person.pk], tz)
        busy_text = f"busy {_times(blocks, tz)}" if blocks else "no busy time"
        rows.append(
            {
                "person": person,
                "is_viewer": person == viewer,
                "hours": _hours_label(person),
                "off": not work[person.pk],
                "work": _bars(work[person.pk], first, last),
                "busy": _bars(blocks, first, last),
                "summary": f"{person}: "
                + (f"at work {at_work}" if at_work else "not working")
                + f", {busy_text}.",
            }
        )
    minutes = int((last - first).total_seconds() // 60)
    return {
        "rows": rows,
        "minutes": minutes,
        "hours": [(first + HOUR * index).astimezone(tz).hour for index in range(minutes // 60)],
        "lines": [60 * index for index in range(1, minutes // 60)],
        "chosen": _bars([query.chosen], first, last) if query.chosen else [],
        "label": _day_label(day),
        "previous": day - timedelta(days=1),
        "next": day + timedelta(days=1),
    }


# --- The finder ----------------------------------------------------------------------------


def _finder_context(request, query: SlotQuery) -> dict:
    """Slots, the day strip and warnings, from one read of busy time (one window, or one
    per separate window when the chosen time or shown day lies outside the search)."""
    viewer, tz = request.user, zone(query.display_tz)
    event_tz = zone(query.event_tz)
    search = search_window(query.after)
    asked_day = query.day or (query.chosen and query.chosen[0].astimezone(tz).date())
    windows = [_whole_days(search, tz)]
    windows += [_day_span(asked_day, tz)] if asked_day else []
    windows += [query.chosen] if query.chosen else []
    busy = busy_in_windows([p.pk for p in query.people], windows, ignore_uid=query.ignore_uid)
    found = find_slots(query.people, query.duration, query.after, busy=busy)
    day = asked_day or (found[0][0] if found else search[0]).astimezone(tz).date()
    return {
        "slots": [
            {
                "label": _slot_label(start, end, tz),
                "start": _local_iso(start, event_tz),
                "end": _local_iso(end, event_tz),
                "chosen": (start, end) == query.chosen,
            }
            for start, end in found
        ],
        "reason": found.reason,
        "duration": length_label(query.duration),
        "display_tz": query.display_tz,
        "strip": _strip(day, tz, query, viewer, busy),
        "warnings": _warnings(query, viewer, busy),
        "standalone": bool(request.GET.get("page")) or not _is_fragment(request),
        "page_query": _page_query(request),
    }


def _page_query(request) -> str:
    """The current query less ``day``/``start``/``end``: links that change one of those."""
    params = request.GET.copy()
    for name in ("day", "start", "end"):
        params.pop(name, None)
    return params.urlencode()


def _page_context(request, query: SlotQuery | None) -> dict:
    """The "Find a time" page's form: colleagues to pick from, the chosen ones marked."""
    chosen = {person.pk for person in query.people} if query else set()
    return {
        "colleagues": User.objects.filter(is_active=True).exclude(pk=request.user.pk),
        "picked": chosen,
        "durations": [15, 30, 45, 60, 90, 120],
        "duration_minutes": int(query.duration.total_seconds() // 60) if query else 30,
        "after_day": request.GET.get("after", "")[:10],
    }


def _is_fragment(request) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


@require_GET
def slots(request):
    """The slot finder: a fragment for htmx, the "Find a time" page otherwise."""
    if not policies.can_create_event(request.user):
        raise PermissionDenied("You cannot schedule events.")
    fragment = _is_fragment(request)
    try:
        query = _slot_query(request)
    except parse.BadParams as error:
        context = {"error": str(error)}
        query = None
    else:
        context = _finder_context(request, query)
    if not fragment:
        context |= _page_context(request, query)
    template = f"{TEMPLATE}#finder" if fragment else TEMPLATE
    return render(request, template, context, status=400 if query is None else 200)


# --- Free/busy as JSON -------------------------------------------------------------------


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _freebusy_window(params: QueryDict, tz_name: str) -> tuple[datetime, datetime]:
    start = parse.moment("start", params.get("start"), zone(tz_name), near=True)
    end = parse.moment("end", params.get("end"), zone(tz_name), near=True)
    if start is None or end is None:
        raise parse.BadParams("Give start and end, e.g. start=2026-12-01&end=2026-12-08.")
    if end <= start:
        raise parse.BadParams("end must be after start.")
    if end - start > timedelta(days=MAX_FREEBUSY_DAYS):
        raise parse.BadParams(f"Ask for at most {MAX_FREEBUSY_DAYS} days at once.")
    return start, end


@require_GET
def freebusy(request):
    """``{"<person id>": [{"start", "end"}, ...]}``: busy spans (UTC) meeting [start, end)."""
    try:
        asked = parse.ids(request.GET.getlist("people"))
        if not asked:
            raise parse.BadParams("Name at least one person, e.g. people=3,5.")
        people = _people(request.user, asked)
        start, end = _freebusy_window(request.GET, request.user.timezone)
    except parse.BadParams as error:
        return JsonResponse({"error": str(error)}, status=400)
    busy = busy_blocks([person.pk for person in people], start, end)
    return JsonResponse(
        {
            str(person): [{"start": _iso_utc(b), "end": _iso_utc(f)} for b, f in spans]
            for person, spans in busy.items()
        }
    )
