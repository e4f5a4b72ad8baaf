"""Calendar occurrences as FullCalendar event objects: the items of the calendar's JSON feed.

One item per occurrence (``selectors.calendar_occurrences`` already gives each
once, with the shown people whose calendar holds it). Times are ISO 8601 with
the UTC offset of the zone the calendar is drawn in (the viewer's), so the
browser places them on that zone's wall clock whatever its own zone; all-day
events are dates in the event's own zone, the end exclusive.

Private events the viewer is not invited to are masked here, once, for every
caller: “Busy”, no link, place, description or attendees, not editable.
"""

import zoneinfo

from django.urls import reverse

from calendar_app import policies
from calendar_app.models import Attendee
from calendar_app.recurrence import format_utc, zone
from calendar_app.selectors import BUSY_TITLE, CalendarEntry, response_of

PALETTE_SIZE = 8  # the avatar colours (User.avatar_colour): a person looks the same everywhere

RESPONSE_CLASSES = {
    Attendee.Response.NEEDS_ACTION: "is-needs-action",
    Attendee.Response.TENTATIVE: "is-tentative",
    Attendee.Response.DECLINED: "is-declined",
}


def colour_of(user_id: int) -> int:
    """A person's calendar colour (0-7), stable whoever else is shown."""
    return user_id % PALETTE_SIZE


def feed_items(viewer, entries: list[CalendarEntry], tz: zoneinfo.ZoneInfo) -> list[dict]:
    pages = event_pages()
    return [feed_item(viewer, entry, tz, pages) for entry in entries]


def event_pages() -> str:
    """Where event pages live (``/calendar/events/``): one ``reverse`` for a whole feed."""
    return reverse("calendar:event_detail", args=[0]).removesuffix("0/")


def feed_item(viewer, entry: CalendarEntry, tz: zoneinfo.ZoneInfo, pages: str = "") -> dict:
    """The FullCalendar event object of one occurrence, as ``viewer`` may see it."""
    event = entry.event
    colour = colour_of(entry.people[0] if entry.people else viewer.pk)
    item = {"id": entry.occurrence.key, **_times(entry, tz)}
    if not policies.can_see_details(viewer, event):
        return {
            **item,
            "title": BUSY_TITLE,
            "editable": False,
            "classNames": ["is-busy", f"cal-c{colour}"],
            "extendedProps": {"people": entry.people, "private": True, "colour": colour},
        }
    response = response_of(viewer.pk, event)
    classes = [f"cal-c{colour}"]
    if response in RESPONSE_CLASSES:
        classes.append(RESPONSE_CLASSES[response])
    return {
        **item,
        "title": event.title,
        "url": occurrence_url(entry, pages or event_pages()),
        "editable": policies.can_edit_event(viewer, event),
        "classNames": classes,
        "extendedProps": {
            "eventId": event.pk,
            "recurrenceId": _recurrence_id(entry),
            "recurring": bool(event.rrule or event.series_id),
            "sequence": event.sequence,
            "response": response,
            "private": event.is_private,
            "location": event.location,
            "people": entry.people,
            "colour": colour,
        },
    }


def occurrence_url(entry: CalendarEntry, pages: str) -> str:
    """The event's page; a computed occurrence of a series names itself in the query."""
    url = f"{pages}{entry.event.pk}/"
    if entry.event.is_recurring:
        url += f"?occurrence={_recurrence_id(entry)}"
    return url


def _recurrence_id(entry: CalendarEntry) -> str | None:
    moment = entry.occurrence.recurrence_id
    return format_utc(moment) if moment is not None else None


def _times(entry: CalendarEntry, tz: zoneinfo.ZoneInfo) -> dict:
    occurrence = entry.occurrence
    if entry.event.all_day:
        own = zone(entry.event.timezone)
        return {
            "start": occurrence.start.astimezone(own).date().isoformat(),
            "end": occurrence.end.astimezone(own).date().isoformat(),
            "allDay": True,
        }
    return {
        "start": occurrence.start.astimezone(tz).isoformat(),
        "end": occurrence.end.astimezone(tz).isoformat(),
        "allDay": False,
    }
