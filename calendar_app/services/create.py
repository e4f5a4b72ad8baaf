"""Scheduling an event."""

from django.db import transaction

from accounts.models import User
from calendar_app import policies, reminders
from calendar_app.models import Event, new_uid
from calendar_app.services.base import (
    check_links,
    check_timezone,
    email_later,
    invitation_text,
    mail_recipients,
    publish,
    record_on_timeline,
    require,
    save_checked,
    scheduled_summary,
    span,
    tell,
)
from calendar_app.services.people import (
    add_organizer,
    check_double_booking,
    sync_guests,
    sync_staff,
)


def create_event(
    *,
    actor: User,
    title: str,
    start,
    end,
    timezone_name: str | None = None,
    all_day: bool = False,
    description: str = "",
    location: str = "",
    video_url: str = "",
    attendees=(),
    guests=(),
    client=None,
    deal=None,
    visibility: str = Event.Visibility.NORMAL,
    reminder_minutes: int | None = None,
    rrule: str = "",
    allow_double_booking: bool = False,
    uid: str = "",
) -> Event:
    """Schedule an event organized by ``actor`` and invite people; returns the Event.

    ``uid`` keeps an imported event's iCalendar UID (the caller checks it is free).

    Invitees get a notification (bell, live) and, by their email setting —
    guests always — an invitation email with an .ics (METHOD:REQUEST).
    Raises DoubleBooked when an invited colleague is busy, unless allowed.
    A series starts on the first day its rule produces.
    """
    require(policies.can_create_event(actor), "You cannot schedule events.")
    tz_name = check_timezone(timezone_name or actor.timezone)
    check_links(client, deal)
    begin, finish = span(start, end, all_day=all_day, tz_name=tz_name)
    with transaction.atomic():
        event = Event(
            uid=uid or new_uid(),
            organizer=actor,
            title=" ".join(title.split()),
            description=description.strip(),
            location=location.strip(),
            video_url=video_url.strip(),
            start=begin,
            end=finish,
            all_day=all_day,
            timezone=tz_name,
            rrule=rrule,
            visibility=visibility,
            client=client or (deal.client if deal else None),
            deal=deal,
            reminder_minutes=reminder_minutes,
        )
        save_checked(event, snap=True)
        add_organizer(event)
        added, _ = sync_staff(event, attendees)
        sync_guests(event, guests)
        if not allow_double_booking:
            check_double_booking(event, added)
        reminders.schedule(event)
        tell(actor, event, added, "event-invite", invitation_text(actor, event))
        record_on_timeline(actor, event, scheduled_summary(actor, event))
        email_later(event, "REQUEST", mail_recipients(event))
        publish(event, "created", added | {actor.pk})
    return event
