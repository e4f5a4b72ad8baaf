"""Demo calendars for ``seed_demo``: three weeks of meetings around today.

``seed_calendar`` writes, once: the sales team's weekly sync (a series with a
deleted occurrence last week and one moved to another day next week), a
weekly open-ended 1:1 of the demo login with the head of sales, a support
series, managers' 1:1s with their people, client meetings (a review, a demo,
a negotiation linked to an open deal, a kick-off, a check-in; the client's
contacts invited as guests, entries in the client's timeline), a private
client lunch, a two-day all-day offsite, the login's private dentist
appointment, and three invitations the login has not answered yet (each with
its unread bell notification). Other people's answers vary: going, maybe,
not going, not yet.

Meeting times are chosen like a person would: on working days, inside the
organizer's working hours, at the first free time that suits most of the
invited (their working hours and time zones from their profiles), so the
demo has no accidental double bookings.

Written with ``bulk_create`` for the reasons given in records/demo.py
(generated history must not notify anyone, publish live events or send
invitation emails), in the services' shapes: rules in their normalized form
and ``last_end`` as ``services._finish`` computes them, an accepted organizer
row in every event, override rows sharing the series' uid with their own
copies of its attendees, and the timeline entries and notifications
``create_event`` writes, in its words. Reminders are planned through
``calendar_app.reminders`` (background jobs), the one side effect kept.
"""

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, User
from calendar_app import reminders
from calendar_app.models import Attendee, Event
from calendar_app.recurrence import (
    all_day_bounds,
    build_rule,
    format_utc,
    last_end,
    normalize_rule,
    series_starts,
    zone,
)
from calendar_app.services import event_link
from calendar_app.services.base import invitation_text, scheduled_summary, timeline_data
from calendar_app.services.people import attendee_copies
from chat.demo import Cast
from records.models import Client, Contact, Deal, TimelineEntry

MARKER = "demo-sales-sync"  # the uid (before the @) of the series that says "seeded"
WINDOW = timedelta(days=21)  # how far from today the planner keeps track of who is busy
STEP = timedelta(minutes=30)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
CLIENT_MEETINGS = 5
VIDEO = "https://meet.northwind.example/"
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


def marker_uid() -> str:
    return f"{MARKER}@{settings.CALENDAR_UID_DOMAIN}"


@dataclass
class Plan:
    """An event to write, who is invited, and (for a series) its changed occurrences."""

    event: Event
    people: list[User]  # invited colleagues, the organizer left out
    guests: list[Contact] = field(default_factory=list)
    pending: bool = False  # the login has not answered (and has a notification about it)
    overrides: list["Plan"] = field(default_factory=list)


@dataclass
class Booked:
    """The clients a meeting can be about: each with an open deal and contacts with email."""

    client: Client
    deal: Deal | None
    contacts: list[Contact]

    @classmethod
    def load(cls, cast: Cast, count: int) -> list["Booked"]:
        sellers = cast.team("sales")
        clients = list(
            Client.objects.filter(
                archived=False,
                merged_into__isnull=True,
                owner__in=sellers,
                lifecycle__in=[Client.Lifecycle.PROSPECT, Client.Lifecycle.CUSTOMER],
                deals__status=Deal.Status.OPEN,
            )
            .distinct()
            .select_related("owner")
            .order_by("pk")[: count * 4]
        )
        clients = _owners_in_turn(clients, cast.login)
        contacts = defaultdict(list)
        for contact in Contact.objects.filter(client__in=clients).order_by("pk"):
            if any(contact.emails):
                contacts[contact.client_id].append(contact)
        deals = {}
        for deal in Deal.objects.filter(client__in=clients, status=Deal.Status.OPEN).order_by("pk"):
            deals.setdefault(deal.client_id, deal)
        found = [cls(c, deals.get(c.pk), contacts[c.pk]) for c in clients if contacts[c.pk]]
        return found[:count]


def _owners_in_turn(clients: list[Client], login: User) -> list[Client]:
    """The login's first client, then one of each other owner's, then their second ones, …"""
    seen = defaultdict(int)
    turns = {}
    for client in clients:
        turns[client.pk] = seen[client.owner_id]
        seen[client.owner_id] += 1
    return sorted(clients, key=lambda c: (turns[c.pk], c.owner_id != login.pk, c.pk))


# --- Planning ------------------------------------------------------------------------


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


# --- What happens in the demo company ------------------------------------------------


def _team_meetings(planner: Planner) -> None:
    cast = planner.cast
    login, sales_lead = cast.login, cast.manager("sales")
    sales = cast.team("sales")
    sync = planner.meeting(
        sales_lead,
        "Sales team sync",
        planner.monday(-2),
        45,
        sales,
        from_hour=15,
        rrule="FREQ=WEEKLY;COUNT=26",
        uid=marker_uid(),
        description="Pipeline, forecasts and who needs help this week.",
        location="Berlin office, Spree room",
        video_url=f"{VIDEO}sales-sync",
        reminder_minutes=10,
    )
    planner.skip(sync, 1)  # last week's: the team was at the trade show
    planner.move(
        sync,
        3,
        day=planner.monday(1) + DAY,
        minutes=60,
        title="Sales team sync: Q4 pipeline review",
        description="Moved to Tuesday for the quarter's pipeline review: bring your top deals.",
    )
    planner.meeting(
        login,
        f"1:1 {first_name(login)} / {first_name(sales_lead)}",
        planner.monday(-2) + 3 * DAY,
        30,
        [sales_lead],
        from_hour=13,
        rrule="FREQ=WEEKLY",
        description="Standing weekly catch-up.",
    )
    support_lead = cast.manager("support")
    planner.meeting(
        support_lead,
        "Support queue review",
        planner.monday(-1) + 2 * DAY,
        30,
        cast.team("support"),
        from_hour=15,
        rrule="FREQ=WEEKLY;COUNT=10",
        description="Tickets close to their SLA, escalations, the week's themes.",
        video_url=f"{VIDEO}support-review",
    )
    for offset, slug in enumerate(("sales", "sales", "support", "marketing")):
        lead = cast.manager(slug)
        reports = [p for p in cast.team(slug) if p not in (lead, login)]
        if reports:
            person = reports[offset % len(reports)]
            title = f"1:1 {first_name(lead)} / {first_name(person)}"
            day = planner.workday(offset * 2 - 3)
            planner.meeting(lead, title, day, 30, [person], from_hour=11)
    marketing = cast.team("marketing")
    planner.meeting(
        marketing[-1],
        "Webinar dry run",
        planner.workday(2),
        60,
        marketing,
        from_hour=11,
        location="Studio",
        video_url=f"{VIDEO}webinar",
    )
    planner.meeting(
        support_lead,
        "Training: the new ticket views",
        planner.workday(-2),
        60,
        [*cast.team("support"), *sales[:2]],
        from_hour=10,
        description="A tour of the new queues and saved views. Recorded for those who miss it.",
        video_url=f"{VIDEO}training",
    )


def _offsite_and_private(planner: Planner) -> None:
    cast, login = planner.cast, planner.cast.login
    planner.all_day(
        login,
        "Sales & marketing offsite",
        planner.monday(1) + 3 * DAY,  # next week's Thursday and Friday
        planner.monday(1) + 4 * DAY,
        [*cast.team("sales"), *cast.team("marketing")],
        location="Barnsley House, Cotswolds",
        description="Two days on next year's plan. Coach leaves the office at 8:00.",
    )
    planner.meeting(
        login,
        "Dentist",
        planner.workday(2),
        45,
        from_hour=8,
        location="Harley Street Dental Clinic",
        visibility=Event.Visibility.PRIVATE,
    )


def _invitations_for_the_login(planner: Planner) -> None:
    """Three meetings the login is invited to and has not answered yet."""
    cast, login = planner.cast, planner.cast.login
    finance = [p for p in cast.team("management") if p != login]
    for day, organizer, title, people in (
        (1, cast.manager("marketing"), "Q4 launch: campaign review", cast.team("marketing")),
        (2, cast.manager("support"), "Escalation review: enterprise accounts",
         cast.team("support")[:3]),
        (3, finance[-1] if finance else cast.manager("sales"), "Budget planning 2027",
         [cast.manager("sales"), cast.manager("marketing")]),
    ):  # fmt: skip
        planner.meeting(
            organizer,
            title,
            planner.workday(day),
            60,
            [login, *people],
            from_hour=9,
            pending=True,
            reminder_minutes=10,
        )


def _client_meetings(planner: Planner) -> None:
    cast, login = planner.cast, planner.cast.login
    helpers = [p for p in cast.team("support") if p != login]
    scripts = (
        (-3, "Quarterly business review: {client}", [login, *helpers[:1]], 60),
        (-1, "Renewal check-in: {client}", [], 30),
        (1, "Product demo for {client}", [cast.manager("sales")], 45),
        (2, "Contract negotiation: {client}", [login, cast.manager("sales")], 60),
        (6, "Onboarding kick-off: {client}", [login, *helpers[1:2]], 90),
    )
    booked = Booked.load(cast, CLIENT_MEETINGS)
    for (day, title, people, minutes), book in zip(scripts, booked, strict=False):
        negotiation = title.startswith("Contract")
        planner.meeting(
            book.client.owner,
            title.format(client=book.client.name),
            planner.workday(day),
            minutes,
            people,
            from_hour=14,
            guests=book.contacts[:2],
            client=book.client,
            deal=book.deal if negotiation else None,
            description="Agenda in the deal notes." if negotiation else "",
            video_url=f"{VIDEO}{book.client.pk}",
            reminder_minutes=15,
        )
    if booked:
        book = booked[0]
        planner.meeting(
            login,
            f"Lunch with {book.contacts[0].name}",
            planner.workday(4),
            90,
            from_hour=12,
            guests=book.contacts[:1],
            client=book.client,
            location="Dishoom, Covent Garden",
            visibility=Event.Visibility.PRIVATE,
        )


def first_name(person: User) -> str:
    return (person.full_name or person.email).split()[0]


# --- Writing -----------------------------------------------------------------------


def _answer(planner: Planner, event: Event, person: User, pending: bool) -> str:
    if person == planner.cast.login:
        return Response.NEEDS_ACTION if pending else Response.ACCEPTED
    if event.end <= planner.now:
        return Response.ACCEPTED
    return next(planner.answers)


def _attendees(planner: Planner, plan: Plan) -> list[Attendee]:
    """The rows create_event would have made, with answers given since."""
    event = plan.event
    answered = min(event.created_at + 2 * HOUR, planner.now)
    rows = [Attendee.of_organizer(event, event.created_at)]
    for person in plan.people:
        response = _answer(planner, event, person, plan.pending)
        rows.append(
            Attendee.of_colleague(
                event,
                person,
                response=response,
                responded_at=None if response == Response.NEEDS_ACTION else answered,
            )
        )
    for number, contact in enumerate(plan.guests):
        past = event.end <= planner.now
        response = Response.ACCEPTED if past or number % 2 else Response.NEEDS_ACTION
        rows.append(
            Attendee(
                event=event,
                contact=contact,
                name=contact.name,
                email=next(email for email in contact.emails if email).strip().lower(),
                response=response,
                responded_at=None if response == Response.NEEDS_ACTION else answered,
            )
        )
    return rows


def _timeline(plans: list[Plan]) -> list[TimelineEntry]:
    """What create_event notes in a client's timeline (private meetings without title or link)."""
    return [
        TimelineEntry(
            client=plan.event.client,
            kind=TimelineEntry.Kind.MEETING,
            actor=plan.event.organizer,
            summary=scheduled_summary(plan.event.organizer, plan.event),
            data=timeline_data(plan.event),
            deal=plan.event.deal,
            created_at=plan.event.created_at,
        )
        for plan in plans
        if plan.event.client_id
    ]


def _invitations(planner: Planner, plans: list[Plan]) -> list[Notification]:
    """The login's unread bell items for the invitations they have not answered."""
    return [
        Notification(
            recipient=planner.cast.login,
            actor=plan.event.organizer,
            kind="event-invite",
            text=invitation_text(plan.event.organizer, plan.event)(planner.cast.login),
            link=event_link(plan.event),
            created_at=plan.event.created_at,
        )
        for plan in plans
        if plan.pending
    ]


def _write(planner: Planner) -> dict[str, int]:
    plans = planner.plans
    overrides = [override for plan in plans for override in plan.overrides]
    for plan in [*plans, *overrides]:
        plan.event.last_end = last_end(plan.event)
    Event.objects.bulk_create([plan.event for plan in plans])
    Event.objects.bulk_create([override.event for override in overrides])
    attendees = []
    for plan in plans:
        rows = _attendees(planner, plan)
        attendees += rows
        for override in plan.overrides:
            attendees += attendee_copies(rows, override.event)
    Attendee.objects.bulk_create(attendees)
    entries = TimelineEntry.objects.bulk_create(_timeline(plans))
    notifications = Notification.objects.bulk_create(_invitations(planner, plans))
    for plan in plans:
        if plan.event.reminder_minutes is not None:
            reminders.schedule(plan.event)
    return {
        "events": len(plans),
        "changed occurrences": len(overrides),
        "attendees": len(attendees),
        "timeline entries": len(entries),
        "invitations": len(notifications),
    }


@transaction.atomic
def seed_calendar(login_email: str) -> dict[str, int]:
    """Write the demo calendars once; returns what it made (nothing when they are there).

    The calendars are there when the sales sync series (its fixed uid) is.
    """
    if Event.objects.filter(uid=marker_uid()).exists():
        return {}
    planner = Planner(Cast.load(login_email), timezone.now().replace(second=0, microsecond=0))
    _team_meetings(planner)
    _offsite_and_private(planner)
    _invitations_for_the_login(planner)
    _client_meetings(planner)
    return _write(planner)
