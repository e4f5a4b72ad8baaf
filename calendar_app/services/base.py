"""What every calendar service shares: errors, reading times, locking and resolving rows,
saving a row with its derived fields, and telling people (bell, email, timeline, live)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import EmailNotifications, User, validate_timezone
from accounts.services import notify
from calendar_app import events, mail
from calendar_app.models import Event
from calendar_app.recurrence import (
    all_day_bounds,
    describe,
    first_start,
    format_utc,
    last_end,
    normalize_rule,
    occurrence_at,
    occurrence_end,
    parse_utc,
    rule_parts,
    rule_text,
    zone,
)
from calendar_app.wording import event_link, local_when
from workspace.moments import parse_moment

SCOPES = ("this", "following", "all")
DETAIL_FIELDS = ("title", "description", "location", "video_url", "visibility", "reminder_minutes")
# Changes after which attendees are told the new time (and calendar apps re-read the event).
TIME_FIELDS = frozenset({"start", "end", "all_day", "timezone", "rrule"})
# What an organizer may change with update_event.
EDITABLE = frozenset({*DETAIL_FIELDS, *TIME_FIELDS, "client", "deal", "attendees", "guests"})
# What an override takes over from its series when the series changes (unless changed alone).
CARRIED = (*DETAIL_FIELDS, "client_id", "deal_id")
# Invitations by email: guests always; colleagues if their setting covers invites.
INVITE_EMAIL_SETTINGS = (EmailNotifications.ALL, EmailNotifications.IMPORTANT)


class StaleEvent(ValidationError):
    """The event changed since the person loaded it (their ``seen_sequence`` is old)."""


class DoubleBooked(ValidationError):
    """Someone invited is busy at that time; ``clashes`` lists (person, start, end)."""

    def __init__(self, clashes):
        self.clashes = clashes
        names = list(dict.fromkeys(str(person) for person, _, _ in clashes))
        super().__init__(
            f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} already busy then. "
            "Pick another time, or save anyway to double-book.",
            code="double_booked",
        )


@dataclass
class Change:
    """What one update changed: field names, and the people invited or taken off."""

    fields: set[str] = field(default_factory=set)
    staff_added: set[int] = field(default_factory=set)
    staff_removed: set[int] = field(default_factory=set)
    guests_added: set[str] = field(default_factory=set)
    guests_removed: set[str] = field(default_factory=set)

    @property
    def timing(self) -> bool:
        return bool(self.fields & TIME_FIELDS)

    @property
    def people(self) -> bool:
        return any((self.staff_added, self.staff_removed, self.guests_added, self.guests_removed))

    def __bool__(self) -> bool:
        return bool(self.fields) or self.people


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def when_text(event: Event, moment: datetime | None = None, *, tz_name: str = "") -> str:
    """When ``event`` (or its occurrence at ``moment``) is, for people; a series says how
    it repeats. In ``tz_name`` (a reader's zone) if given; all-day dates stay the event's."""
    tz_name = event.timezone if event.all_day or not tz_name else tz_name
    when = local_when(moment or event.start, tz_name, all_day=event.all_day)
    if moment is not None or not event.is_recurring:
        return when
    return f"{when}, {_repeats(event)}"


def invitation_text(actor: User, event: Event) -> Callable[[User], str]:
    """The bell's invitation, with the time in each invitee's own zone."""
    return lambda person: (
        f"{actor} invited you to “{event.title}”, {when_text(event, tz_name=person.timezone)}."
    )


def _repeats(event: Event) -> str:
    """“repeats weekly on Monday”: how a series repeats, within a sentence."""
    text = describe(event.rrule)
    return text[:1].lower() + text[1:]


# --- Input -------------------------------------------------------------------------------


def _moment(value, tz_name: str, field_name: str) -> datetime:
    if isinstance(value, str):
        value = parse_moment(value, field=field_name, example="2026-12-01 10:00")
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, datetime.min.time())
    if not isinstance(value, datetime):
        raise ValidationError({field_name: "Pick a date and time."})
    if timezone.is_naive(value):
        value = value.replace(tzinfo=zone(tz_name))
    return value.replace(microsecond=0).astimezone(UTC)


def _day(value, tz_name: str, field_name: str) -> date:
    if isinstance(value, datetime):
        return value.astimezone(zone(tz_name)).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    return _moment(value, tz_name, field_name).astimezone(zone(tz_name)).date()


def span(start, end, *, all_day: bool, tz_name: str) -> tuple[datetime, datetime]:
    """The UTC span of the given start and end (see the note on times in ``__init__``)."""
    if not all_day:
        return _moment(start, tz_name, "start"), _moment(end, tz_name, "end")
    first = _day(start, tz_name, "start")
    after = _day(end, tz_name, "end")
    if after < first:
        raise ValidationError({"end": "The event must end after it starts."})
    return all_day_bounds(first, max(after, first + timedelta(days=1)) - timedelta(days=1), tz_name)


def check_timezone(name: str) -> str:
    try:
        validate_timezone(name)
    except ValidationError as error:
        raise ValidationError({"timezone": error.messages}) from None
    return name


def check_links(client, deal) -> None:
    if deal is not None and client is not None and deal.client_id != client.pk:
        raise ValidationError({"deal": f"“{deal}” is a deal of another client."})


def check_scope(scope: str) -> None:
    if scope not in SCOPES:
        raise ValidationError(f"“{scope}” is not one of {', '.join(SCOPES)}.", code="invalid_scope")


# --- Rows --------------------------------------------------------------------------------


def lock_series(event: Event) -> Event:
    """The series (or single event) row, locked, fresh; a ValidationError if it is gone."""
    series_id = event.series_id or event.pk
    series = (
        Event.objects.select_for_update().select_related("organizer").filter(pk=series_id).first()
    )
    if series is None or series.is_cancelled:
        raise ValidationError("This event was cancelled.", code="cancelled")
    return series


def occurrence_gone() -> ValidationError:
    return ValidationError(
        "That occurrence is no longer part of this event (moved or deleted). Reload the calendar.",
        code="no_occurrence",
    )


def resolve(series: Event, event: Event, occurrence) -> tuple[Event, datetime | None]:
    """(the row the person acted on, the occurrence it names), locked and checked to exist.

    The row is an override — the one given, or the named occurrence's — else the series.
    """
    if event.series_id:
        row = series.overrides.select_for_update().filter(pk=event.pk).first()
        if row is None:
            raise occurrence_gone()
        return row, row.recurrence_id
    if occurrence is None or not series.is_recurring:
        return series, None
    occurrence = occurrence.astimezone(UTC)
    row = series.overrides.select_for_update().filter(recurrence_id=occurrence).first()
    if row is None and not occurrence_at(series, occurrence):
        raise occurrence_gone()
    return row or series, occurrence


def require_occurrence(series: Event, occurrence, scope: str) -> None:
    if series.is_recurring and occurrence is None and scope != "all":
        raise ValidationError("Say which occurrence to change.", code="no_occurrence")


def check_fresh(row: Event, seen_sequence) -> None:
    if seen_sequence is None:
        return
    try:
        fresh = int(seen_sequence) == row.sequence
    except (TypeError, ValueError):
        fresh = False
    if not fresh:
        raise StaleEvent(
            "Someone changed this event after you opened it. Reload to see the new version.",
            code="stale",
        )


def save_checked(event: Event, *, snap: bool = False) -> None:
    """Validate and save ``event`` with its derived fields (canonical rule, last end).

    A series must start on its first occurrence: with ``snap`` (a new rule) the
    start moves there; otherwise a start the rule does not produce is refused.
    """
    event.rrule = normalize_rule(event.rrule, event.start, event.timezone)
    if event.is_recurring:
        _align_start(event, snap)
    event.full_clean()
    event.last_end = last_end(event)
    event.updated_at = timezone.now()
    event.save()


def _align_start(event: Event, snap: bool) -> None:
    first = first_start(event)
    if first == event.start:
        return
    if not snap:
        raise ValidationError(
            {
                "start": f"This event does not repeat on {when_text(event, event.start)} "
                f"({_repeats(event)}). Change the repeat rule too, "
                "or change only this occurrence."
            },
            code="start_not_in_rule",
        )
    event.start, event.end = first, occurrence_end(event, first)


def end_before(series: Event, occurrence: datetime) -> None:
    """Make ``series`` stop before ``occurrence`` (UNTIL); later exceptions go."""
    rule = {name: value for name, value in rule_parts(series.rrule).items() if name != "COUNT"}
    rule["UNTIL"] = format_utc(occurrence - timedelta(seconds=1))
    series.rrule = rule_text(rule)
    series.exdates = [text for text in series.exdates if parse_utc(text) < occurrence]
    series.overrides.filter(recurrence_id__gte=occurrence).delete()
    series.sequence += 1
    save_checked(series)


# --- Telling people ----------------------------------------------------------------------


def email_later(event: Event, method: str, recipients) -> None:
    recipients = sorted(set(recipients))
    if recipients:
        transaction.on_commit(partial(_send_mail, event.pk, method, recipients), robust=True)


def _send_mail(event_id: int, method: str, recipients: list[str]) -> None:
    mail.send_event_mail(event_id, method, recipients)


def wanting_mail(users) -> list[str]:
    return [
        user.email
        for user in users
        if user.is_active and user.email_notifications in INVITE_EMAIL_SETTINGS
    ]


def mail_recipients(event: Event, *, user_ids=None, guest_emails=None) -> list[str]:
    """Addresses to email about ``event``: guests, and colleagues whose setting says so.

    ``user_ids``/``guest_emails`` narrow it to those people (None: all but the organizer).
    """
    emails = []
    for attendee in event.attendees.select_related("user"):
        if attendee.is_organizer:
            continue
        if attendee.user is None:
            if guest_emails is None or attendee.email in guest_emails:
                emails.append(attendee.email)
        elif user_ids is None or attendee.user_id in user_ids:
            emails.extend(wanting_mail([attendee.user]))
    return emails


def tell(actor: User, event: Event, user_ids, kind: str, text: str | Callable[[User], str]):
    """Notify these people (never the actor: ``notify`` skips them, and the inactive).

    ``text`` may be a function of the person, to give times in their own zone.
    """
    for person in User.objects.filter(pk__in=user_ids):
        words = text(person) if callable(text) else text
        notify(recipient=person, kind=kind, text=words, link=event_link(event), actor=actor)


def timeline_data(event: Event) -> dict:
    """What a client's timeline entry keeps of a meeting: its page and title, unless private.

    The title is kept to take it out again should the meeting turn private.
    """
    if event.is_private:
        return {"private_event": event.pk}
    return {"event": event.pk, "title": event.title}


def record_on_timeline(actor: User, event: Event, summary: str) -> None:
    """Note a client's meeting in its timeline (private ones without their title or link)."""
    if event.client_id is None:
        return
    from records.models import TimelineEntry
    from records.timeline import add_entry

    entry = add_entry(
        actor=actor,
        client_id=event.client_id,
        kind=TimelineEntry.Kind.MEETING,
        summary=summary,
        data=timeline_data(event),
        deal=event.deal,
    )
    _publish_entry(actor, entry)


def hide_from_timeline(actor: User, event: Event) -> None:
    """A meeting turned private: its earlier timeline entries lose its title and link.

    Open client pages get each entry again (swapped in place by its id).
    """
    from records.models import TimelineEntry

    rows = [event.pk, *event.overrides.values_list("pk", flat=True)]
    meetings = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.MEETING)
    for entry in meetings.filter(data__event__in=rows):
        title = entry.data.get("title", "")
        entry.summary = entry.summary.replace(f"“{title}”", "a private meeting")
        entry.data = {"private_event": entry.data["event"]}
        entry.save(update_fields=["summary", "data"])
        _publish_entry(actor, entry)


def _publish_entry(actor: User, entry) -> None:
    from records import events as record_events

    record_events.publish(
        [record_events.client_topic(entry.client_id)],
        "calendar.meeting",
        {"timeline": entry.pk, "actor": actor.pk},
    )


def scheduled_summary(actor: User, event: Event) -> str:
    """The client timeline's line for a meeting put in the calendar."""
    return f"{actor} scheduled {meeting_name(event)} for {when_text(event)}"


def meeting_name(event: Event) -> str:
    return "a private meeting" if event.is_private else f"“{event.title}”"


def publish(event: Event, change: str, user_ids) -> None:
    events.calendars_changed(event, change, user_ids)
    events.event_page_changed(event, change)
    if event.series_id:
        events.event_page_changed(event.series, change)
