"""Reading calendars: whose occurrences fall in a window, busy blocks, masked titles.

Every read of several people's calendars goes through :func:`calendar_occurrences`
— three queries whatever the number of events or people: the rows meeting the
window, the overrides of the series among them, who is invited to them and
what they answered (``event.answers``; not Attendee objects).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

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
    rows = list(Event.objects.live().overlapping(start, end).attended_by(user_ids))
    _attach_answers(rows)
    return rows


def _attach_answers(rows: list[Event]) -> None:
    """Set each row's ``answers``: its invited colleagues' responses, ``{user id: response}``.

    One query of plain values: who is invited and what they answered is all a
    calendar reads, and building Attendee objects (1,300 for a month of 500
    events, with their users) was most of the time such a month took.
    """
    answers = defaultdict(dict)
    invited = Attendee.objects.filter(event__in=rows, user__isnull=False)
    for event_id, user_id, response in invited.values_list("event_id", "user_id", "response"):
        answers[event_id][user_id] = response
    for row in rows:
        row.answers = answers[row.pk]


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
        answers = occurrence.event.answers
        people = sorted(
            (pk for pk in answers if pk in order and answers[pk] != Attendee.Response.DECLINED),
            key=order.get,
        )
        entries.append(CalendarEntry(occurrence, people))
    return entries


def client_meetings(client, start: datetime, end: datetime, limit: int) -> list[Occurrence]:
    """The first ``limit`` occurrences of the meetings linked to ``client`` in [start, end).

    Three queries: the rows, the overrides of the series among them, who is invited.
    """
    rows = list(Event.objects.live().overlapping(start, end).filter(client=client))
    _attach_answers(rows)
    return expand(rows, start, end, replaced=_replaced(rows))[:limit]


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
    """``user_id``'s answer to ``event``, None if not invited."""
    return policies.answers_of(event).get(user_id)
