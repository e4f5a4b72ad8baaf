"""Event search: the global search's "Events" group.

Only events whose details the viewer may see are ever matched
(``policies.can_see_details`` written as one query, :func:`visible_to`):
normal events, and private ones the viewer organizes or is invited to. A
private event of someone else is not found by its title, place or
description, so search never tells that it exists. Cancelled events are not
found either.

One result per event: a series is found by its own words or by those of any
of its changed occurrences (override rows share the series' page), and
override rows are never results of their own.

Matching: every word of the query (records' ``search_words``) must appear,
case insensitively, in the title, description or place. No full-text index
(unlike records and chat): the table is small next to messages, the words
are looked for among the visible live rows only, and a substring match finds
"sync" in "#sales-sync" as people expect of a calendar.

Order: upcoming first, soonest first (an ongoing series counts as now), then
past events, latest first. The time shown is the next occurrence of a
repeating event (its last one when it is over).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from calendar_app.models import Attendee, Event
from calendar_app.recurrence import describe, expand, zone
from calendar_app.wording import event_link
from records.policies import can_view
from workspace.search import Group, search_words

SEARCHED_FIELDS = ("title", "description", "location")
HIT_TEMPLATE = "calendar_app/search_hits.html#event"
NEXT_OCCURRENCE_HORIZON = timedelta(days=400)  # a yearly event's next occurrence is within it


def visible_to(viewer) -> Q:
    """Events whose details ``viewer`` may see: normal ones, and private ones they are in."""
    invited = Attendee.objects.filter(user=viewer).values("event_id")
    return Q(visibility=Event.Visibility.NORMAL) | Q(organizer=viewer) | Q(pk__in=invited)


def _words_match(words: list[str]) -> Q:
    condition = Q()
    for word in words:
        any_field = Q()
        for name in SEARCHED_FIELDS:
            any_field |= Q(**{f"{name}__icontains": word})
        condition &= any_field
    return condition


def matching_events(viewer, query: str) -> QuerySet:
    """Live events (singles and series) ``viewer`` may see matching every word, upcoming first."""
    words = search_words(query)
    if not words or not can_view(viewer):
        return Event.objects.none()
    matched = _words_match(words)
    changed_occurrences = Event.objects.live().filter(matched, series__isnull=False)
    now = timezone.now()
    upcoming = Q(last_end__isnull=True) | Q(last_end__gt=now)
    return (
        Event.objects.live()
        .filter(series__isnull=True)
        .filter(matched | Q(pk__in=changed_occurrences.values("series_id")))
        .filter(visible_to(viewer))
        .select_related("organizer")
        .annotate(
            upcoming=Case(When(upcoming, then=Value(True)), default=Value(False)),
            soon=Case(
                When(upcoming & Q(start__lt=now), then=Value(now)),
                When(upcoming, then=F("start")),
                default=None,
            ),
        )
        .order_by(F("upcoming").desc(), F("soon").asc(nulls_last=True), F("last_end").desc(), "pk")
    )


@dataclass
class Hit:
    """One found event as a result row shows it: its next (or last) occurrence."""

    event: Event
    start: datetime
    end: datetime

    @property
    def link(self) -> str:
        return event_link(self.event)

    @property
    def day(self) -> date:
        """The (first) day of an all-day occurrence, in the event's own time zone."""
        return self.start.astimezone(zone(self.event.timezone)).date()

    @property
    def repeats(self) -> str:
        return describe(self.event.rrule)


def _overrides(rows: list[Event]) -> dict[int, list[Event]]:
    """The override rows (cancelled ones too: they hide what they replace) of the series."""
    series_ids = [row.pk for row in rows if row.is_recurring]
    found: dict[int, list[Event]] = {pk: [] for pk in series_ids}
    if series_ids:
        for row in Event.objects.filter(series_id__in=series_ids):
            found[row.series_id].append(row)
    return found


def _shown_occurrence(row: Event, overrides: list[Event], now: datetime) -> tuple:
    """(start, end) of the occurrence a result shows: the next one, or the last one."""
    if not row.is_recurring:
        return row.start, row.end
    if row.last_end is None or row.last_end > now:
        upcoming = expand([row, *overrides], now, now + NEXT_OCCURRENCE_HORIZON)
        if upcoming:
            return upcoming[0].start, upcoming[0].end
    last_start = (row.last_end or row.end) - row.duration
    return last_start, last_start + row.duration


def hits(rows) -> list[Hit]:
    """Result rows for ``rows`` (fetched in search order): one query for their overrides.

    The upcoming ones are put in the order of the occurrence shown (the query
    could only rank an ongoing series as "now").
    """
    rows = list(rows)
    overrides = _overrides(rows)
    now = timezone.now().astimezone(UTC)
    found = [Hit(row, *_shown_occurrence(row, overrides.get(row.pk, []), now)) for row in rows]
    upcoming = sorted((hit for hit in found if hit.end > now), key=lambda hit: hit.start)
    return upcoming + [hit for hit in found if hit.end <= now]


def first_hits(viewer, query: str, limit: int) -> tuple[list[Hit], bool]:
    """The first ``limit`` results and whether there are more."""
    rows = list(matching_events(viewer, query)[: limit + 1])
    return hits(rows[:limit]), len(rows) > limit


def events_group(viewer, query: str, limit: int) -> list[Group]:
    """The global search's group (workspace/search.py): events whose details ``viewer``
    may see (never others' private events), upcoming first. No page lists every match,
    so the group has no "see all" link."""
    found, has_more = first_hits(viewer, query, limit)
    return [Group("events", "Events", "calendar-event", "", found, has_more, HIT_TEMPLATE)]
