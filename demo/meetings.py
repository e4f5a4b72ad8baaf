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

Meeting times are chosen like a person would (demo/meeting_planner.py): on
working days, inside the organizer's working hours, at the first free time
that suits most of the invited, so the demo has no accidental double bookings.

Written with ``bulk_create`` for the reasons given in demo/book.py
(generated history must not notify anyone, publish live events or send
invitation emails), in the services' shapes: rules in their normalized form
and ``last_end`` as ``services._finish`` computes them, an accepted organizer
row in every event, override rows sharing the series' uid with their own
copies of its attendees, and the timeline entries and notifications
``create_event`` writes, in its words. Reminders are planned through
``calendar_app.reminders`` (background jobs), the one side effect kept.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, User
from calendar_app import reminders
from calendar_app.models import Attendee, Event
from calendar_app.recurrence import last_end
from calendar_app.services import event_link
from calendar_app.services.base import invitation_text, scheduled_summary, timeline_data
from calendar_app.services.people import attendee_copies
from demo.meeting_planner import Plan, Planner
from demo.people import Cast
from records.models import Client, Contact, Deal, TimelineEntry

MARKER = "demo-sales-sync"  # the uid (before the @) of the series that says "seeded"
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
CLIENT_MEETINGS = 5
VIDEO = "https://meet.northwind.example/"
Response = Attendee.Response


def marker_uid() -> str:
    return f"{MARKER}@{settings.CALENDAR_UID_DOMAIN}"


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
