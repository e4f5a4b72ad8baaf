"""The live topics the calendar publishes (DESIGN §4).

* ``calendar.<user id>``: a person's calendar, as shown in any open calendar
  view (theirs, a colleague's overlay, a department's). Events say only *that*
  something changed (``{"event": id, "change": ...}``), never titles: the
  browser re-asks the JSON endpoint, which masks private events per viewer.
  Policy: anyone who may look at that calendar.
* ``calevent.<id>``: an event's page (its details and attendees' answers), for
  those who may see its details; the fragment swaps the page's live regions.

Invitations, moves and cancellations also reach the bell (``user.<id>``,
accounts' feed) through ``accounts.services.notify``.
"""

import copy
from datetime import UTC

from django.db.models import Prefetch, prefetch_related_objects
from django.template.loader import render_to_string
from django.utils import timezone

from calendar_app import policies
from calendar_app.models import Attendee
from workspace import live

live.register_topic("calendar", policies.can_follow_calendar)
live.register_topic("calevent", policies.can_follow_event)

EVENT_PAGE_LIVE = "calendar_app/event_detail.html#live"


def calendar_topic(user_id: int) -> str:
    return f"calendar.{user_id}"


def event_topic(event_id: int) -> str:
    return f"calevent.{event_id}"


def page_fragment(event) -> str:
    """The event page's live regions, rendered once for every viewer (in UTC).

    Attendees are read afresh (answers may have changed since ``event`` was
    loaded), with their users, in one query — onto a copy, so the caller's
    instance keeps what it had.
    """
    shown = copy.copy(event)
    shown._prefetched_objects_cache = {}
    people = Attendee.objects.select_related("user")
    prefetch_related_objects([shown], Prefetch("attendees", queryset=people))
    with timezone.override(UTC):
        return render_to_string(EVENT_PAGE_LIVE, {"event": shown})


def calendars_changed(event, change: str, user_ids) -> None:
    """Tell every open view of these people's calendars that ``event`` changed (no details)."""
    payload = {"event": event.series_id or event.pk, "change": change}
    for user_id in sorted(set(user_ids)):
        live.publish(calendar_topic(user_id), "calendar.changed", payload)


def access_changed(event) -> None:
    """The event was made private or people were taken off it: open tabs following its
    page (or one of its occurrences') re-check whether they still may."""
    rows = [event.pk, *event.overrides.values_list("pk", flat=True)]
    live.recheck_access(topics=[event_topic(pk) for pk in rows])


def event_page_changed(event, change: str) -> None:
    """Refresh the open pages of ``event`` (details, attendees and their answers)."""
    payload = {"event": event.pk, "change": change, "sequence": event.sequence}
    live.publish(event_topic(event.pk), "calendar.event", payload, html=page_fragment(event))
