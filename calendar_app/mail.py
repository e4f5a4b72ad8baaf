"""Invitation and cancellation emails, each carrying the event as an .ics (iTIP, RFC 5546).

The services call :func:`send_event_mail` once their transaction commits, with
the addresses to tell (guests always; colleagues by their email setting). Each
person gets a message of their own: a plain-text summary — when (in their own
time zone if they work here, else the event's), where, the video link, who
organizes, a link to the event for colleagues — and ``invite.ics`` as
``text/calendar; method=REQUEST`` (or ``CANCEL``), which mail and calendar
apps turn into "add to calendar" / "remove" buttons. The .ics has the same UID
and SEQUENCE as the feed, so an updated invitation replaces the old one.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db.models import Prefetch
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from calendar_app import ical
from calendar_app.models import Attendee, Event
from calendar_app.recurrence import describe, zone
from calendar_app.wording import event_link

METHODS = (ical.REQUEST, ical.CANCEL)
ATTACHMENT_NAME = {ical.REQUEST: "invite.ics", ical.CANCEL: "cancel.ics"}


def _load(event_id: int) -> Event | None:
    attendees = Attendee.objects.select_related("user")
    return (
        Event.objects.select_related("organizer", "series")
        .prefetch_related(Prefetch("attendees", queryset=attendees))
        .filter(pk=event_id)
        .first()
    )


def _overrides(event: Event) -> list[Event]:
    if not event.is_recurring:
        return []
    attendees = Attendee.objects.select_related("user")
    return list(
        event.overrides.live()
        .select_related("organizer")
        .prefetch_related(Prefetch("attendees", queryset=attendees))
    )


def when_text(event: Event, tz_name: str) -> str:
    """“Tue 1 Dec 2026, 10:00-11:00 (Europe/Berlin)”, or “Tue 1 Dec to Thu 3 Dec 2026 (all day)”."""
    if event.all_day:
        first = event.start.astimezone(zone(event.timezone)).date()
        last = event.end.astimezone(zone(event.timezone)).date() - timedelta(days=1)
        if first == last:
            return f"{first:%a} {first.day} {first:%b %Y} (all day)"
        return f"{first:%a} {first.day} {first:%b} to {last:%a} {last.day} {last:%b %Y} (all day)"
    start = event.start.astimezone(zone(tz_name))
    end = event.end.astimezone(zone(tz_name))
    day = f"{start:%a} {start.day} {start:%b %Y}"
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}-{end:%H:%M} ({tz_name})"
    return f"{day}, {start:%H:%M} to {end:%a} {end.day} {end:%b %Y}, {end:%H:%M} ({tz_name})"


def _headline(event: Event, method: str) -> tuple[str, str]:
    """(subject start, first sentence) for the kind of message."""
    organizer = event.organizer.full_name
    if method == ical.CANCEL:
        if event.is_cancelled:
            return "Cancelled", f"{organizer} cancelled “{event.title}”."
        return "Cancelled", f"{organizer} took you off “{event.title}”."
    if event.sequence == 0:
        return "Invitation", f"{organizer} invited you to “{event.title}”."
    return "Updated invitation", f"{organizer} changed “{event.title}”."


def _message(event: Event, method: str, recipient: str, person: User | None, ics: bytes):
    tz_name = person.timezone if person else event.timezone
    label, headline = _headline(event, method)
    when = when_text(event, tz_name)
    guests = [
        attendee.user.full_name if attendee.user else (attendee.name or attendee.email)
        for attendee in event.attendees.all()
        if not attendee.is_organizer
    ]
    context = {
        "event": event,
        "headline": headline,
        "when": when,
        "repeats": describe(event.rrule) if event.is_recurring else "",
        "one_occurrence": event.series_id is not None,
        "guests": guests,
        "link": f"{settings.SITE_URL}{event_link(event)}" if person else "",
        "cancel": method == ical.CANCEL,
        "attachment": ATTACHMENT_NAME[method],
    }
    message = EmailMessage(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{label}: {event.title} — {when}",
        body=render_to_string("calendar_app/email/event.txt", context),
        to=[recipient],
        reply_to=[event.organizer.email],
    )
    message.attach(ATTACHMENT_NAME[method], ics, f"text/calendar; method={method}; charset=utf-8")
    return message


def event_ics(event: Event, method: str, *, stamp: datetime | None = None) -> bytes:
    """The iTIP calendar of ``event``: a series with its overrides, or one override alone."""
    calendar = ical.event_calendar(
        event, _overrides(event), method=method, stamp=stamp or timezone.now(), alarm=False
    )
    return ical.to_bytes(calendar)


def send_event_mail(event_id: int, method: str, recipients: list[str]) -> None:
    """Email ``recipients`` about the event, with an .ics of ``method`` (REQUEST or CANCEL)."""
    if method not in METHODS:
        raise ValueError(f"Unknown iTIP method {method!r}; use one of {METHODS}.")
    event = _load(event_id)
    recipients = sorted({address.strip().lower() for address in recipients if address})
    if event is None or not recipients:
        return
    ics = event_ics(event, method)
    people = {
        person.email.lower(): person
        for person in User.objects.annotate(address=Lower("email")).filter(
            address__in=recipients, is_active=True
        )
    }
    messages = [
        _message(event, method, address, people.get(address), ics) for address in recipients
    ]
    mailers.default.send_messages(messages)
