"""Reading calendars: whose occurrences fall in a window, busy blocks, masked titles.

Every read of several people's calendars goes through :func:`calendar_occurrences`
— three queries whatever the number of events or people: the rows meeting the
window, the overrides of the series among them, their attendees.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch

from calendar_app import policies
from calendar_app.models import Attendee, Event
from calendar_app.recurrence import Occurrence, expand

BUSY_TITLE = "Busy"


@dataclass
class CalendarEntry:
    """An occurrence, with the people (of those asked about) in whose calendar it is."""

    occurrence: Occurrence
    people: list[int] = field(default_factory=list)

    @property
    def event(self) -> Event:
        return self.occurrence.event


def _rows(user_ids, start: datetime, end: datetime) -> list[Event]:
    # Attendees without their users: who and what they answered is all a calendar needs
    # (loading 1,300 User objects for a month of 500 events cost a quarter of the time).
    attendees = Attendee.objects.order_by("-is_organizer", "name", "pk")
    return list(
        Event.objects.live()
        .overlapping(start, end)
        .attended_by(user_ids)
        .select_related("organizer")
        .prefetch_related(Prefetch("attendees", queryset=attendees))
    )


def _replaced(rows) -> set[tuple[int, datetime]]:
    series_ids = [row.pk for row in rows if row.is_recurring]
    if not series_ids:
        return set()
    return set(
        Event.objects.filter(series_id__in=series_ids).values_list("series_id", "recurrence_id")
    )


def calendar_occurrences(user_ids, start: datetime, end: datetime) -> list[CalendarEntry]:
    """Occurrences in the calendars of ``user_ids`` meeting [start, end), sorted by start.

    A person's calendar holds the events they organize or are invited to and
    have not declined. ``people`` keeps the order of ``user_ids``.
    """
    user_ids = list(dict.fromkeys(int(pk) for pk in user_ids))
    rows = _rows(user_ids, start, end)
    order = {pk: index for index, pk in enumerate(user_ids)}
    entries = []
    for occurrence in expand(rows, start, end, replaced=_replaced(rows)):
        people = sorted(
            {
                attendee.user_id
                for attendee in occurrence.event.attendees.all()
                if attendee.user_id in order and attendee.response != Attendee.Response.DECLINED
            },
            key=order.get,
        )
        entries.append(CalendarEntry(occurrence, people))
    return entries


def busy_blocks(user_ids, start: datetime, end: datetime, *, ignore_uid: str = "") -> dict:
    """Each person's busy spans in [start, end) as sorted, merged (start, end) pairs.

    No titles: free/busy never says what someone is doing. ``ignore_uid`` leaves
    out one event (the one being rescheduled).
    """
    user_ids = [int(pk) for pk in user_ids]
    spans = defaultdict(list)
    for entry in calendar_occurrences(user_ids, start, end):
        if ignore_uid and entry.event.uid == ignore_uid:
            continue
        for person in entry.people:
            spans[person].append((entry.occurrence.start, entry.occurrence.end))
    return {person: merge_spans(spans[person]) for person in user_ids}


def merge_spans(spans) -> list[tuple[datetime, datetime]]:
    """``spans`` sorted, with overlapping or touching ones joined."""
    merged = []
    for begin, finish in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def shown_title(viewer, event: Event) -> str:
    """The title ``viewer`` may read: a private event's is “Busy” to the uninvited."""
    return event.title if policies.can_see_details(viewer, event) else BUSY_TITLE


def response_of(user_id: int, event: Event) -> str | None:
    """``user_id``'s answer to ``event`` (from prefetched attendees), None if not invited."""
    for attendee in event.attendees.all():
        if attendee.user_id == user_id:
            return attendee.response
    return None
