"""The calendar page (month, week, day, agenda) and the JSON feed FullCalendar reads.

Whose calendars are shown is in the query string, so a view can be shared and
reloaded: ``people=1,5`` (person ids, comma-separated or repeated) and
``dept=2`` (a department's members, as an overlay); with neither, the
viewer's own. Malformed values answer 400 with the reason; ids of nobody, or
of people who have left, are left out (an old link still opens) and the page
says so. The viewer's calendar comes first, so their colour wins on shared
events.

The page is drawn in the viewer's profile time zone (FullCalendar's named
``timeZone`` without a zone plugin keeps the wall-clock time of the ISO
strings it gets, so the feed writes them with that zone's offsets); the feed
reads naive ``start``/``end`` in the zone FullCalendar names (``timeZone``).
"""

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from accounts.models import Department, User
from calendar_app import policies, selectors
from calendar_app.feed_items import colour_of, feed_items
from calendar_app.views import params as parse

MAX_WINDOW = timedelta(days=100)
MAX_PEOPLE = 50
VIEWS = ("dayGridMonth", "timeGridWeek", "timeGridDay", "listWeek")  # month, week, day, agenda
# FullCalendar draws its CSS through the CSSOM into one empty <style> element it
# makes; this page's policy allows exactly that (the SHA-256 of ""), nothing else
# inline. Its CSS embeds its icon font as a data: URL, which Chromium fetches at once
# (even unused), so this page also takes fonts from data: URLs.
EMPTY_STYLE = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
PAGE_CSP = {
    **settings.SECURE_CSP,
    "style-src": [*settings.SECURE_CSP["style-src"], EMPTY_STYLE],
    "font-src": [*settings.SECURE_CSP["font-src"], "data:"],
}


@dataclass
class Shown:
    """The calendars on screen: people in colour order, and whether asked-for ids were dropped."""

    people: list[User]
    chosen: set[int]  # people picked one by one (the rest come with the department)
    left_out: bool = False  # asked-for ids of nobody, or of people who left
    trimmed: bool = False  # more than MAX_PEOPLE: the first are shown

    @property
    def ids(self) -> list[int]:
        return [person.pk for person in self.people]


# --- Reading the query -----------------------------------------------------------------


def shown_calendars(viewer: User, query) -> Shown:
    """Whose calendars ``query`` asks for (see the module's note), at most MAX_PEOPLE."""
    ids = _person_ids(query.getlist("people"))
    department_id = _department_id(query.get("dept", ""))
    if not ids and department_id is None:
        ids = [viewer.pk]
    wanted = Q(pk__in=ids)
    if department_id is not None:
        wanted |= Q(departments=department_id)
    found = [
        person
        for person in User.objects.filter(wanted, is_active=True).distinct()
        if policies.can_view_calendar(viewer, person)
    ]
    by_id = {person.pk: person for person in found}
    asked = [pk for pk in dict.fromkeys([viewer.pk, *ids]) if pk in by_id]
    members = [person for person in found if person.pk not in asked]  # the department's
    people = [by_id[pk] for pk in asked] + members
    return Shown(
        people[:MAX_PEOPLE],
        chosen={pk for pk in ids if pk in by_id},
        left_out=any(pk not in by_id for pk in ids),
        trimmed=len(people) > MAX_PEOPLE,
    )


def _person_ids(values: list[str]) -> list[int]:
    found = parse.ids(values)
    if len(found) > MAX_PEOPLE:
        raise parse.BadParams(f"Show at most {MAX_PEOPLE} people's calendars at once.")
    return found


def _department_id(value: str) -> int | None:
    found = parse.ids([value], "department")
    return found[0] if found else None


def calendar_zone(query, viewer: User) -> zoneinfo.ZoneInfo:
    """The zone the calendar is drawn in: FullCalendar's ``timeZone``, else the viewer's."""
    return parse.zone_of(query.get("timeZone"), viewer.timezone)


def requested_window(query, tz: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    start = parse.required_moment("start", query.get("start"), tz)
    end = parse.required_moment("end", query.get("end"), tz)
    if end <= start:
        raise parse.BadParams("end must be after start.")
    if end - start > MAX_WINDOW:
        raise parse.BadParams(f"Ask for at most {MAX_WINDOW.days} days of events at once.")
    return start, end


def _bad_request(error: parse.BadParams) -> HttpResponse:
    return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")


# --- The feed ------------------------------------------------------------------------------


@require_GET
def events_json(request):
    """FullCalendar's event feed: ``start``, ``end`` (ISO), ``timeZone``, ``people``, ``dept``.

    A small constant number of queries whatever the number of events or people.
    """
    try:
        tz = calendar_zone(request.GET, request.user)
        start, end = requested_window(request.GET, tz)
        shown = shown_calendars(request.user, request.GET)
    except parse.BadParams as error:
        return JsonResponse({"error": str(error)}, status=400)
    entries = selectors.calendar_occurrences(shown.ids, start, end)
    return JsonResponse(feed_items(request.user, entries, tz), safe=False)


# --- The page --------------------------------------------------------------------------------


@require_GET
@csp_override(PAGE_CSP)
def calendar_home(request):
    viewer = request.user
    try:
        shown = shown_calendars(viewer, request.GET)
    except parse.BadParams as error:
        return _bad_request(error)
    department = _chosen_department(request.GET)
    context = {
        "shown": [(person, colour_of(person.pk)) for person in shown.people],
        "chosen": shown.chosen,
        "left_out": shown.left_out,
        "trimmed": shown.trimmed,
        "max_people": MAX_PEOPLE,
        "department": department,
        "departments": Department.objects.all(),
        "colleagues": sorted(  # those shown first, then by name
            User.objects.filter(is_active=True).exclude(pk=viewer.pk),
            key=lambda person: person.pk not in shown.chosen,
        ),
        "config": _calendar_config(request, viewer),
    }
    return render(request, "calendar_app/calendar.html", context)


def _chosen_department(query) -> Department | None:
    department_id = _department_id(query.get("dept", ""))
    if department_id is None:
        return None
    return Department.objects.filter(pk=department_id).first()


def _calendar_config(request, viewer: User) -> dict:
    """What calendar.js needs, as the calendar element's data attributes."""
    view = request.GET.get("view", "")
    return {
        "time_zone": viewer.timezone,
        "work_days": " ".join(str((day + 1) % 7) for day in sorted(viewer.work_days)),
        "work_start": viewer.work_start.strftime("%H:%M"),
        "work_end": viewer.work_end.strftime("%H:%M"),
        "view": view if view in VIEWS else "",
        "date": _valid_date(request.GET.get("date", "")),
        "feed_url": reverse("calendar:events_json"),
        "move_url": reverse("calendar:event_move", args=[0]),
    }


def _valid_date(text: str) -> str:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return ""
    return day.isoformat()
