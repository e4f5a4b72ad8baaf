"""Finding times for the demo's meetings, as a person would.

``Planner`` places each meeting on a working day, inside the organizer's
working hours, at the first free time that suits most of the invited (their
working hours and time zones from their profiles), and keeps track of who is
busy when, so the demo has no accidental double bookings. It also deletes and
moves occurrences of a series (EXDATEs and override rows), in the services'
shapes. demo/meetings.py says what to plan.
"""

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from accounts.models import User
from calendar_app.models import Attendee, Event
from calendar_app.recurrence import (
    all_day_bounds,
    build_rule,
    format_utc,
    normalize_rule,
    series_starts,
    zone,
)
from demo.people import Cast
from records.models import Contact

WINDOW = timedelta(days=21)  # how far from today the planner keeps track of who is busy
STEP = timedelta(minutes=30)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
Response = Attendee.Response
# Answers of invited colleagues to events still to come, cycled through.
FUTURE_ANSWERS = (
    Response.ACCEPTED,
    Response.ACCEPTED,
    Response.TENTATIVE,
    Response.NEEDS_ACTION,
    Response.ACCEPTED,
    Response.DECLINED,
)


@dataclass
class Plan:
    """An event to write, who is invited, and (for a series) its changed occurrences."""

    event: Event
    people: list[User]  # invited colleagues, the organizer left out
    guests: list[Contact] = field(default_factory=list)
    pending: bool = False  # the login has not answered (and has a notification about it)
    overrides: list["Plan"] = field(default_factory=list)


class Planner:
    """Places meetings at free times in working hours and keeps the plans, in order."""

    def __init__(self, cast: Cast, now: datetime):
        self.cast, self.now = cast, now
        self.today = now.astimezone(zone(cast.login.timezone)).date()
        self.busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.plans: list[Plan] = []
        self.answers = itertools.cycle(FUTURE_ANSWERS)

    def workday(self, offset: int) -> date:
        """The ``offset``-th working day from today (0: today, or the next one at a weekend)."""
        day, step = self.today, 1 if offset >= 0 else -1
        while day.weekday() >= 5:
            day += DAY
        for _ in range(abs(offset)):
            day += step * DAY
            while day.weekday() >= 5:
                day += step * DAY
        return day

    def monday(self, weeks: int) -> date:
        """The Monday ``weeks`` weeks from this week's."""
        return self.today - timedelta(days=self.today.weekday()) + weeks * 7 * DAY

    def slot(self, day: date, organizer: User, people, length: timedelta, from_hour: int):
        """The start (UTC) of a free time on ``day`` in the organizer's working hours.

        Of the organizer's free times, the one inside the working hours of the
        most of ``people`` (free then too); among equals, the first from
        ``from_hour`` on (local), then the earlier ones.
        """
        tz = zone(organizer.timezone)
        opens = datetime.combine(day, organizer.work_start, tz)
        closes = datetime.combine(day, organizer.work_end, tz) - length
        prefer = datetime.combine(day, time(from_hour), tz)
        starts = []
        moment = opens
        while moment <= closes:
            starts.append(moment)
            moment += STEP
        starts.sort(key=lambda start: (start < prefer, start))
        best, best_score = None, -1
        for start in (start.astimezone(UTC) for start in starts):
            if not self.free(organizer, start, start + length):
                continue
            score = sum(
                self.free(person, start, start + length) and working(person, start, length)
                for person in people
            )
            if score > best_score:
                best, best_score = start, score
        return best or datetime.combine(day, time(from_hour), tz).astimezone(UTC)

    def free(self, person: User, start: datetime, end: datetime) -> bool:
        return all(end <= begin or start >= finish for begin, finish in self.busy[person.pk])

    def book(self, event: Event, people) -> None:
        """Mark the event's occurrences near today busy for its people (all-day ones aside)."""
        if event.all_day:
            return
        if event.rrule:
            low = self.now - WINDOW
            spans = [(s, s + event.duration) for s in series_starts(event, low, self.now + WINDOW)]
        else:
            spans = [(event.start, event.end)]
        for person in [event.organizer, *people]:
            self.busy[person.pk].extend(spans)

    def meeting(
        self,
        organizer: User,
        title: str,
        day: date,
        minutes: int,
        people=(),
        *,
        from_hour: int = 10,
        guests=(),
        pending: bool = False,
        rrule: str = "",
        **fields,
    ) -> Plan:
        """Plan a meeting on ``day`` (the first occurrence of a series) at a good time."""
        people = [person for person in dict.fromkeys(people) if person != organizer]
        length = timedelta(minutes=minutes)
        start = self.slot(day, organizer, people, length, from_hour)
        event = Event(
            organizer=organizer,
            title=title,
            start=start,
            end=start + length,
            timezone=organizer.timezone,
            **fields,
        )
        if rrule:
            event.rrule = normalize_rule(rrule, start, organizer.timezone)
        self.book(event, people)
        return self.keep(Plan(event, people, list(guests), pending))

    def all_day(self, organizer: User, title: str, first: date, last: date, people, **fields):
        start, end = all_day_bounds(first, last, organizer.timezone)
        event = Event(
            organizer=organizer,
            title=title,
            start=start,
            end=end,
            all_day=True,
            timezone=organizer.timezone,
            **fields,
        )
        people = [person for person in dict.fromkeys(people) if person != organizer]
        return self.keep(Plan(event, people))

    def keep(self, plan: Plan) -> Plan:
        event = plan.event
        if plan.pending:  # invited a few hours ago
            event.created_at = self.now - (2 + len(self.plans) % 5) * HOUR
        else:
            event.created_at = min(event.start - 6 * DAY, self.now - 3 * HOUR)
        event.updated_at = event.created_at
        self.plans.append(plan)
        return plan

    def skip(self, plan: Plan, number: int) -> None:
        """Delete the series' occurrence ``number`` (0: the first) — an EXDATE."""
        series = plan.event
        series.exdates = sorted({*series.exdates, format_utc(nth(series, number))})
        series.sequence += 1

    def move(self, plan: Plan, number: int, day: date, minutes: int, **changes) -> Plan:
        """Move the series' occurrence ``number`` to ``day`` (an override row)."""
        series = plan.event
        original = nth(series, number)
        length = timedelta(minutes=minutes)
        start = self.slot(day, series.organizer, plan.people, length, from_hour=14)
        row = Event(
            uid=series.uid,
            series=series,
            recurrence_id=original,
            organizer=series.organizer,
            title=series.title,
            description=series.description,
            location=series.location,
            video_url=series.video_url,
            start=start,
            end=start + length,
            timezone=series.timezone,
            visibility=series.visibility,
            reminder_minutes=series.reminder_minutes,
            created_at=series.created_at,
            updated_at=min(self.now - HOUR, start - DAY),
            sequence=1,
        )
        for name, value in changes.items():
            setattr(row, name, value)
        self.book(row, plan.people)
        series.sequence += 1
        override = Plan(row, plan.people, plan.guests)
        plan.overrides.append(override)
        return override


def nth(series: Event, number: int) -> datetime:
    """The original start (UTC) of a series' occurrence ``number`` (0: the first)."""
    return build_rule(series.rrule, series.start, series.timezone)[number].astimezone(UTC)


def working(person: User, start: datetime, length: timedelta) -> bool:
    """Whether [start, start + length) is inside ``person``'s working hours, in their zone."""
    local = start.astimezone(zone(person.timezone))
    opens = datetime.combine(local.date(), person.work_start, local.tzinfo)
    closes = datetime.combine(local.date(), person.work_end, local.tzinfo)
    return opens <= local and local + length <= closes
