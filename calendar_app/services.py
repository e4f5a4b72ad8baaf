"""Every write to calendars (DESIGN §3): policy, validation, one transaction, people, live.

Times: services take aware datetimes (naive ones are read in the event's
``timezone``); an all-day event takes dates (or datetimes, of which the date
counts), its end *exclusive* as in iCalendar — a one-day event on 1 Dec is
start 1 Dec, end 2 Dec.

Repeating events: a change or cancellation names the occurrence by its
original start (``occurrence``) and a ``scope``: ``"this"`` (an override row,
or an EXDATE), ``"following"`` (the series ends before it and a new series
takes over from it), or ``"all"``. A change of time on "all" moves the whole
series by the same amount and carries its exceptions along.

Locks: the series row (``select_for_update``) before people (``notify``).
"""

import copy
from datetime import UTC, date, datetime, timedelta
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import EmailNotifications, User, validate_timezone
from accounts.services import notify
from calendar_app import events, policies, reminders
from calendar_app.models import Attendee, Event
from calendar_app.recurrence import (
    all_day_bounds,
    format_utc,
    last_end,
    normalize_rule,
    occurrence_at,
    parse_utc,
    zone,
)
from calendar_app.selectors import busy_blocks

SCOPES = ("this", "following", "all")
# What an organizer may change with update_event.
EDITABLE = frozenset(
    {
        "title",
        "description",
        "location",
        "video_url",
        "start",
        "end",
        "all_day",
        "timezone",
        "rrule",
        "visibility",
        "client",
        "deal",
        "reminder_minutes",
        "attendees",
        "guests",
    }
)
# Changes after which attendees are told (and calendar apps re-read the event).
TIME_FIELDS = frozenset({"start", "end", "all_day", "timezone", "rrule"})
# Invitations by email: guests always; colleagues if their setting covers invites.
INVITE_EMAIL_SETTINGS = (EmailNotifications.ALL, EmailNotifications.IMPORTANT)
DOUBLE_BOOKING_CHECKS = 20  # occurrences of a new series checked for clashes


class StaleEvent(ValidationError):
    """The event changed since the person loaded it (their ``seen_sequence`` is old)."""


class DoubleBooked(ValidationError):
    """Someone invited is busy at that time; ``clashes`` lists (person, start, end)."""

    def __init__(self, clashes):
        self.clashes = clashes
        names = ", ".join(dict.fromkeys(str(person) for person, _, _ in clashes))
        super().__init__(
            f"{names} {'is' if len(clashes) == 1 else 'are'} already busy then. "
            "Pick another time, or save anyway to double-book.",
            code="double_booked",
        )


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def event_link(event: Event) -> str:
    return reverse("calendar:event_detail", args=[event.pk])


def local_when(start: datetime, tz_name: str, *, all_day: bool = False) -> str:
    """“Tue 1 Dec 2026, 10:00 (Europe/Berlin)”, or “Tue 1 Dec 2026 (all day)”."""
    local = start.astimezone(zone(tz_name))
    if all_day:
        return f"{local:%a} {local.day} {local:%b %Y} (all day)"
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} ({tz_name})"


# --- Input ---------------------------------------------------------------------------


def _moment(value, tz_name: str, field: str) -> datetime:
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = parse_datetime(text) or parse_date(text)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError(
                {field: f"“{text}” is not a date and time. Use a form like 2026-12-01 10:00."}
            )
        value = parsed
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, datetime.min.time())
    if not isinstance(value, datetime):
        raise ValidationError({field: "Pick a date and time."})
    if timezone.is_naive(value):
        value = value.replace(tzinfo=zone(tz_name))
    return value.replace(microsecond=0).astimezone(UTC)


def _day(value, tz_name: str, field: str) -> date:
    if isinstance(value, datetime):
        return value.astimezone(zone(tz_name)).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    return _moment(value, tz_name, field).astimezone(zone(tz_name)).date()


def _span(start, end, *, all_day: bool, tz_name: str) -> tuple[datetime, datetime]:
    """The UTC span of the given start and end (see the module's note on times)."""
    if not all_day:
        return _moment(start, tz_name, "start"), _moment(end, tz_name, "end")
    first = _day(start, tz_name, "start")
    after = _day(end, tz_name, "end")
    return all_day_bounds(first, max(after, first + timedelta(days=1)) - timedelta(days=1), tz_name)


def _check_timezone(name: str) -> str:
    try:
        validate_timezone(name)
    except ValidationError as error:
        raise ValidationError({"timezone": error.messages}) from None
    return name


def _check_links(actor: User, client, deal) -> None:
    if deal is not None and client is not None and deal.client_id != client.pk:
        raise ValidationError({"deal": f"“{deal}” is a deal of another client."})


# --- Attendees -------------------------------------------------------------------------


def _guest_email(contact) -> str:
    emails = [email for email in (contact.emails or []) if email]
    if not emails:
        raise ValidationError(
            {"guests": f"{contact.name} has no email address, so cannot be invited."}
        )
    return emails[0].strip().lower()


def _check_people(users) -> list[User]:
    users = list(dict.fromkeys(users))
    inactive = [str(user) for user in users if not user.is_active]
    if inactive:
        raise ValidationError(
            {"attendees": f"{', '.join(inactive)} no longer works here and cannot be invited."}
        )
    return users


def _sync_attendees(event: Event, users, guests) -> tuple[set[int], set[int], set[str]]:
    """Make the invited staff ``users`` and guest contacts ``guests``; the organizer is kept.

    Answers of people who stay invited are kept. Returns (staff added, staff
    removed, guest emails added).
    """
    current = {
        attendee.user_id: attendee for attendee in event.attendees.filter(user__isnull=False)
    }
    wanted = {user.pk for user in _check_people(users)} | {event.organizer_id}
    removed = set(current) - wanted
    Attendee.objects.filter(event=event, user_id__in=removed).delete()
    for user in users:
        if user.pk not in current and user.pk != event.organizer_id:
            Attendee.objects.create(event=event, user=user, name=user.full_name, email=user.email)
    if event.organizer_id not in current:
        _add_organizer(event)
    emails = {}
    for contact in guests:
        emails.setdefault(_guest_email(contact), contact)
    known = set(event.attendees.filter(user__isnull=True).values_list("email", flat=True))
    event.attendees.filter(user__isnull=True).exclude(email__in=emails).delete()
    for email, contact in emails.items():
        if email not in known:
            Attendee.objects.create(event=event, contact=contact, name=contact.name, email=email)
    added = wanted - set(current) - {event.organizer_id}
    return added, removed, set(emails) - known


def _add_organizer(event: Event) -> None:
    organizer = event.organizer
    Attendee.objects.create(
        event=event,
        user=organizer,
        name=organizer.full_name,
        email=organizer.email,
        is_organizer=True,
        response=Attendee.Response.ACCEPTED,
        responded_at=timezone.now(),
    )


def _staff(event: Event) -> list[User]:
    return [attendee.user for attendee in event.attendees.select_related("user") if attendee.user]


def _staff_ids(event: Event) -> set[int]:
    return set(event.attendees.filter(user__isnull=False).values_list("user_id", flat=True))


# --- Checks ------------------------------------------------------------------------------


def _check_double_booking(event: Event, people_ids) -> None:
    """Raise DoubleBooked if any of ``people_ids`` is busy during the event's first occurrences."""
    spans = _first_spans(event)
    if not spans or not people_ids:
        return
    busy = busy_blocks(people_ids, spans[0][0], spans[-1][1], ignore_uid=event.uid)
    people = User.objects.in_bulk(list(people_ids))
    clashes = [
        (people[person], begin, finish)
        for person, blocks in busy.items()
        for begin, finish in blocks
        if any(begin < end and finish > start for start, end in spans)
    ]
    if clashes:
        raise DoubleBooked(clashes)


def _first_spans(event: Event) -> list[tuple[datetime, datetime]]:
    if not event.is_recurring:
        return [(event.start, event.end)]
    from calendar_app.recurrence import build_rule

    rule = build_rule(event.rrule, event.start, event.timezone)
    length = event.end - event.start
    starts = rule.xafter(event.start, count=DOUBLE_BOOKING_CHECKS, inc=True)
    return [(moment.astimezone(UTC), moment.astimezone(UTC) + length) for moment in starts]


def _check_fresh(event: Event, seen_sequence) -> None:
    if seen_sequence is not None and int(seen_sequence) != event.sequence:
        raise StaleEvent(
            "Someone changed this event after you opened it. Reload to see the new version.",
            code="stale",
        )


def _lock(event: Event) -> Event:
    """The series (or single event) row, locked, fresh; 404-like ValidationError if gone."""
    series_id = event.series_id or event.pk
    locked = Event.objects.select_for_update().select_related("organizer").filter(pk=series_id)
    series = locked.first()
    if series is None or series.is_cancelled:
        raise ValidationError("This event was cancelled.", code="cancelled")
    return series


def _finish(event: Event) -> None:
    """Validate and save ``event`` with its derived fields (rule, last end)."""
    event.rrule = normalize_rule(event.rrule, event.start, event.timezone) if event.rrule else ""
    event.full_clean()
    event.last_end = last_end(event)
    event.updated_at = timezone.now()
    event.save()


# --- Telling people ------------------------------------------------------------------------


def _email_later(event: Event, method: str, recipients) -> None:
    recipients = sorted(set(recipients))
    if recipients:
        from calendar_app.mail import send_event_mail

        transaction.on_commit(partial(send_event_mail, event.pk, method, recipients), robust=True)


def _mail_recipients(event: Event, *, user_ids=None, guest_emails=None) -> list[str]:
    """Addresses to email about ``event``: the chosen guests and colleagues who want mail."""
    emails = []
    for attendee in event.attendees.select_related("user"):
        if attendee.is_organizer:
            continue
        if attendee.user is None:
            if guest_emails is None or attendee.email in guest_emails:
                emails.append(attendee.email)
        elif (user_ids is None or attendee.user_id in user_ids) and (
            attendee.user.email_notifications in INVITE_EMAIL_SETTINGS
        ):
            emails.append(attendee.user.email)
    return emails


def _tell(actor: User, event: Event, user_ids, kind: str, text: str) -> None:
    for person in User.objects.filter(pk__in=user_ids):
        notify(recipient=person, kind=kind, text=text, link=event_link(event), actor=actor)


def _record_on_timeline(actor: User, event: Event, summary: str) -> None:
    """Note a client's meeting in its timeline (private ones without their title or link)."""
    if event.client_id is None:
        return
    from records import events as record_events
    from records.models import TimelineEntry
    from records.services.base import _timeline

    data = {} if event.is_private else {"event": event.pk}
    entry = _timeline(
        actor=actor,
        client_id=event.client_id,
        kind=TimelineEntry.Kind.MEETING,
        summary=summary,
        data=data,
        deal=event.deal,
    )
    record_events.publish(
        [record_events.client_topic(event.client_id)],
        "calendar.meeting",
        {"timeline": entry.pk, "actor": actor.pk},
    )


def _meeting_name(event: Event) -> str:
    return "a private meeting" if event.is_private else f"“{event.title}”"


def _publish(event: Event, change: str, user_ids) -> None:
    events.calendars_changed(event, change, user_ids)
    events.event_page_changed(event, change)
    if event.series_id:
        events.event_page_changed(event.series, change)


# --- Create ------------------------------------------------------------------------------


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
) -> Event:
    """Schedule an event organized by ``actor`` and invite people; returns the Event.

    Invitees get a notification (bell, live) and, by their email setting —
    guests always — an invitation email with an .ics (METHOD:REQUEST).
    Raises DoubleBooked when an invited colleague is busy, unless allowed.
    """
    _require(policies.can_create_event(actor), "You cannot schedule events.")
    tz_name = _check_timezone(timezone_name or actor.timezone)
    _check_links(actor, client, deal)
    begin, finish = _span(start, end, all_day=all_day, tz_name=tz_name)
    with transaction.atomic():
        event = Event(
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
        _finish(event)
        added, _, _ = _sync_attendees(event, attendees, guests)
        if not allow_double_booking:
            _check_double_booking(event, added)
        reminders.schedule(event)
        when = local_when(event.start, tz_name, all_day=all_day)
        _tell(
            actor, event, added, "event-invite", f"{actor} invited you to “{event.title}”, {when}."
        )
        _record_on_timeline(actor, event, f"{actor} scheduled {_meeting_name(event)} for {when}")
        _email_later(event, "REQUEST", _mail_recipients(event))
        _publish(event, "created", added | {actor.pk})
    return event


# --- Change ------------------------------------------------------------------------------


def update_event(
    *,
    actor: User,
    event: Event,
    changes: dict,
    occurrence: datetime | None = None,
    scope: str = "all",
    seen_sequence: int | None = None,
    allow_double_booking: bool = False,
) -> Event:
    """Change an event (or one occurrence, or the rest of a series); returns the changed row.

    ``changes`` maps names of EDITABLE to new values (``attendees``: users,
    ``guests``: contacts; ``start``/``end`` of an occurrence are where that
    occurrence goes). Raises StaleEvent if ``seen_sequence`` is old,
    DoubleBooked if an invited colleague is busy at a new time, unless allowed.
    """
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError(f"These cannot be changed: {', '.join(sorted(unknown))}.")
    if scope not in SCOPES:
        raise ValidationError(f"“{scope}” is not one of {', '.join(SCOPES)}.")
    _require(policies.can_edit_event(actor, event), "Only the organizer can change this event.")
    with transaction.atomic():
        series = _lock(event)
        _check_fresh(event if event.series_id else series, seen_sequence)
        target, occurrence = _target(series, event, occurrence, scope)
        before = _staff_ids(target)
        if target.is_recurring and scope == "following" and occurrence != target.start:
            target = _split(series, occurrence)
        elif target.is_recurring and scope == "this":
            target = _override(series, occurrence)
        elif target.is_recurring and occurrence is not None and "start" in changes:
            changes = _shift_changes(target, occurrence, changes)
        changed = _apply(actor, target, changes)
        if not changed:
            return target
        _after_change(actor, target, changed, before, allow_double_booking)
    return target


def move_event(
    *,
    actor: User,
    event: Event,
    start,
    end,
    occurrence: datetime | None = None,
    scope: str = "this",
    all_day: bool | None = None,
    seen_sequence: int | None = None,
    allow_double_booking: bool = False,
) -> Event:
    """Drag or resize in a calendar view: a new start and end for an event or occurrence."""
    changes = {"start": start, "end": end}
    if all_day is not None:
        changes["all_day"] = all_day
    return update_event(
        actor=actor,
        event=event,
        changes=changes,
        occurrence=occurrence,
        scope=scope,
        seen_sequence=seen_sequence,
        allow_double_booking=allow_double_booking,
    )


def _target(series: Event, event: Event, occurrence, scope: str) -> tuple[Event, datetime | None]:
    """The row a change applies to, and the occurrence it names (checked to exist)."""
    if event.series_id:  # an override row: "this" is itself; otherwise its occurrence
        row = Event.objects.select_for_update().get(pk=event.pk)
        return (row, None) if scope == "this" else (series, row.recurrence_id)
    if not series.is_recurring or occurrence is None:
        if series.is_recurring and scope != "all":
            raise ValidationError("Say which occurrence to change.", code="no_occurrence")
        return series, None
    occurrence = occurrence.astimezone(UTC)
    overridden = series.overrides.filter(recurrence_id=occurrence).first()
    if overridden is not None and scope == "this":
        return Event.objects.select_for_update().get(pk=overridden.pk), None
    if overridden is None and not occurrence_at(series, occurrence):
        raise ValidationError(
            "That occurrence is no longer part of this event (moved or deleted). "
            "Reload the calendar.",
            code="no_occurrence",
        )
    return series, occurrence


def _copy(source: Event, **fields) -> Event:
    row = copy.copy(source)
    row.pk = None
    row._state = copy.copy(source._state)
    row._state.adding = True
    row._state.fields_cache = {}
    for cached in ("_prefetched_objects_cache", "_attendee_user_ids"):
        row.__dict__.pop(cached, None)
    for name, value in fields.items():
        setattr(row, name, value)
    return row


def _copy_attendees(source: Event, target: Event) -> None:
    Attendee.objects.bulk_create(
        [
            Attendee(
                event=target,
                user_id=attendee.user_id,
                contact_id=attendee.contact_id,
                name=attendee.name,
                email=attendee.email,
                is_organizer=attendee.is_organizer,
                response=attendee.response,
                responded_at=attendee.responded_at,
            )
            for attendee in source.attendees.all()
        ]
    )


def _override(series: Event, occurrence: datetime) -> Event:
    """A row of its own for one occurrence of ``series`` (same uid, RECURRENCE-ID)."""
    length = series.end - series.start
    row = _copy(
        series,
        series=series,
        recurrence_id=occurrence,
        start=occurrence,
        end=occurrence + length,
        rrule="",
        exdates=[],
        reminder_at=None,
        created_at=timezone.now(),
    )
    _finish(row)
    _copy_attendees(series, row)
    return row


def _split(series: Event, occurrence: datetime) -> Event:
    """End ``series`` before ``occurrence``; a new series (new uid) carries on from it.

    Exceptions from the occurrence on (EXDATEs, overrides) move to the new series.
    """
    rule = dict(part.split("=", 1) for part in series.rrule.split(";"))
    remaining = None
    if "COUNT" in rule:
        remaining = int(rule["COUNT"]) - _count_before(series, occurrence)
    head = {key: value for key, value in rule.items() if key != "COUNT"}
    head["UNTIL"] = format_utc(occurrence - timedelta(seconds=1))
    tail_rule = {key: value for key, value in rule.items() if key != "UNTIL"}
    if remaining is not None:
        tail_rule["COUNT"] = str(remaining)
    elif "UNTIL" in rule:
        tail_rule["UNTIL"] = rule["UNTIL"]
    later = [text for text in series.exdates if parse_utc(text) >= occurrence]
    tail = _copy(
        series,
        uid=Event._meta.get_field("uid").default(),
        start=occurrence,
        end=occurrence + (series.end - series.start),
        rrule=";".join(f"{key}={value}" for key, value in tail_rule.items()),
        exdates=later,
        sequence=0,
        reminder_at=None,
        created_at=timezone.now(),
    )
    _finish(tail)
    _copy_attendees(series, tail)
    series.overrides.filter(recurrence_id__gte=occurrence).update(series=tail, uid=tail.uid)
    series.rrule = ";".join(f"{key}={value}" for key, value in head.items())
    series.exdates = [text for text in series.exdates if text not in later]
    series.sequence += 1
    _finish(series)
    reminders.schedule(series)
    return tail


def _count_before(series: Event, occurrence: datetime) -> int:
    from calendar_app.recurrence import build_rule

    rule = build_rule(series.rrule, series.start, series.timezone)
    return len(rule.between(series.start, occurrence, inc=True)) - (
        1 if occurrence_at(series, occurrence) else 0
    )


def _shift_changes(series: Event, occurrence: datetime, changes: dict) -> dict:
    """A moved occurrence under scope "all": the whole series moves by the same amount."""
    tz_name = changes.get("timezone") or series.timezone
    all_day = changes.get("all_day", series.all_day)
    begin, finish = _span(
        changes["start"], changes.get("end", changes["start"]), all_day=all_day, tz_name=tz_name
    )
    if "end" not in changes:
        finish = begin + (series.end - series.start)
    delta = begin - occurrence
    return {
        **changes,
        "start": series.start + delta,
        "end": series.start + delta + (finish - begin),
    }


def _apply(actor: User, event: Event, changes: dict) -> set[str]:
    """Set ``changes`` on ``event`` (saved, with attendees); returns the names that changed."""
    changed = set()
    tz_name = _check_timezone(changes.get("timezone", event.timezone))
    all_day = bool(changes.get("all_day", event.all_day))
    if {"start", "end", "all_day", "timezone"} & set(changes):
        begin, finish = _span(
            changes.get("start", event.start),
            changes.get("end", event.end),
            all_day=all_day,
            tz_name=tz_name,
        )
        delta = begin - event.start
        for name, value in (
            ("start", begin),
            ("end", finish),
            ("all_day", all_day),
            ("timezone", tz_name),
        ):
            if getattr(event, name) != value:
                setattr(event, name, value)
                changed.add(name)
        if delta and event.is_recurring:
            _shift_exceptions(event, delta)
    for name in (
        "title",
        "description",
        "location",
        "video_url",
        "rrule",
        "visibility",
        "reminder_minutes",
    ):
        if name in changes:
            value = changes[name]
            value = " ".join(value.split()) if name == "title" else value
            value = value.strip() if isinstance(value, str) and name != "title" else value
            if getattr(event, name) != value:
                setattr(event, name, value)
                changed.add(name)
    if "client" in changes or "deal" in changes:
        client = changes.get("client", event.client)
        deal = changes.get("deal", event.deal)
        _check_links(actor, client, deal)
        client = client or (deal.client if deal else None)
        if (event.client_id, event.deal_id) != (
            getattr(client, "pk", None),
            getattr(deal, "pk", None),
        ):
            event.client, event.deal = client, deal
            changed.add("client")
    if changed:
        event.sequence += 1
        _finish(event)
        if "rrule" in changed and event.is_recurring:
            _prune_exceptions(event)
    if "attendees" in changes or "guests" in changes:
        staff = changes.get("attendees")
        if staff is None:
            staff = [
                a.user
                for a in event.attendees.select_related("user")
                if a.user and not a.is_organizer
            ]
        guests = changes.get("guests")
        if guests is None:
            guests = [
                a.contact
                for a in event.attendees.filter(user__isnull=True).select_related("contact")
                if a.contact
            ]
        added, removed, guests_added = _sync_attendees(event, staff, guests)
        if added or removed or guests_added:
            changed.add("attendees")
            event._attendees_added, event._attendees_removed = added, removed
            event._guests_added = guests_added
            if "start" not in changed and not (changed - {"attendees"}):
                event.sequence += 1
                event.save(update_fields=["sequence"])
    return changed


def _shift_exceptions(series: Event, delta: timedelta) -> None:
    """Keep a moved series' EXDATEs and overrides on the occurrences they belonged to."""
    series.exdates = [format_utc(parse_utc(text) + delta) for text in series.exdates]
    for row in series.overrides.all():
        row.recurrence_id += delta
        row.save(update_fields=["recurrence_id"])


def _prune_exceptions(series: Event) -> None:
    """After a rule change: drop EXDATEs and overrides that no longer name an occurrence."""
    series.exdates = [text for text in series.exdates if occurrence_at_raw(series, parse_utc(text))]
    series.save(update_fields=["exdates"])
    for row in series.overrides.all():
        if not occurrence_at_raw(series, row.recurrence_id):
            row.delete()


def occurrence_at_raw(series: Event, moment: datetime) -> bool:
    """Whether the rule (EXDATEs aside) yields ``moment``."""
    from calendar_app.recurrence import build_rule

    rule = build_rule(series.rrule, series.start, series.timezone)
    found = rule.after(moment.astimezone(zone(series.timezone)) - timedelta(seconds=1))
    return found is not None and found.astimezone(UTC) == moment


def _after_change(
    actor: User, event: Event, changed: set[str], before: set[int], allow: bool
) -> None:
    added = getattr(event, "_attendees_added", set())
    removed = getattr(event, "_attendees_removed", set())
    staying = before - removed - {actor.pk}
    if not allow and (changed & TIME_FIELDS or added):
        _check_double_booking(event, (added | staying) if changed & TIME_FIELDS else added)
    reminders.schedule(event)
    when = local_when(event.start, event.timezone, all_day=event.all_day)
    if added:
        _tell(
            actor, event, added, "event-invite", f"{actor} invited you to “{event.title}”, {when}."
        )
    if removed:
        _tell(actor, event, removed, "event-cancelled", f"{actor} took you off “{event.title}”.")
    if changed & TIME_FIELDS:
        _tell(actor, event, staying - added, "event-update", f"“{event.title}” moved to {when}.")
        _record_on_timeline(actor, event, f"{_meeting_name(event).capitalize()} moved to {when}")
    elif changed - {"attendees"}:
        _tell(actor, event, staying - added, "event-update", f"{actor} updated “{event.title}”.")
    recipients = (
        _mail_recipients(event)
        if changed - {"attendees"}
        else _mail_recipients(
            event, user_ids=added, guest_emails=getattr(event, "_guests_added", set())
        )
    )
    _email_later(event, "REQUEST", recipients)
    if removed:
        _email_later(
            event, "CANCEL", User.objects.filter(pk__in=removed).values_list("email", flat=True)
        )
    change = "moved" if changed & TIME_FIELDS else "updated"
    _publish(event, change, before | _staff_ids(event) | {actor.pk})


# --- Cancel ------------------------------------------------------------------------------


def cancel_event(
    *, actor: User, event: Event, occurrence: datetime | None = None, scope: str = "all"
) -> Event:
    """Cancel an event, one occurrence (``this``) or the rest of a series (``following``).

    Attendees are told (bell; email with METHOD:CANCEL). Nothing is deleted
    but single occurrences' override rows: a cancelled event keeps its uid for
    calendar apps. Returns the series (or single event).
    """
    if scope not in SCOPES:
        raise ValidationError(f"“{scope}” is not one of {', '.join(SCOPES)}.")
    _require(policies.can_edit_event(actor, event), "Only the organizer can cancel this event.")
    with transaction.atomic():
        series = _lock(event)
        _, occurrence = _target(series, event, occurrence, "all" if scope == "all" else "following")
        people = _staff_ids(event if event.series_id else series)
        if occurrence is not None and scope == "this":
            _drop_occurrence(series, occurrence)
            what = f"“{series.title}” on {_when(series, occurrence)}"
        elif occurrence is not None and scope == "following" and occurrence > series.start:
            _end_series_before(series, occurrence)
            what = f"“{series.title}” from {_when(series, occurrence)} on"
        else:
            series.status = Event.Status.CANCELLED
            series.sequence += 1
            series.updated_at = timezone.now()
            series.save(update_fields=["status", "sequence", "updated_at"])
            series.overrides.update(status=Event.Status.CANCELLED)
            what = f"“{series.title}”"
        reminders.schedule(series)
        _tell(actor, series, people, "event-cancelled", f"{actor} cancelled {what}.")
        _record_on_timeline(actor, series, f"{actor} cancelled {_meeting_name(series)}")
        _email_later(
            series, "CANCEL" if series.is_cancelled else "REQUEST", _mail_recipients(series)
        )
        _publish(series, "cancelled", people | {actor.pk})
    return series


def _when(event: Event, moment: datetime) -> str:
    return local_when(moment, event.timezone, all_day=event.all_day)


def _drop_occurrence(series: Event, occurrence: datetime) -> None:
    series.overrides.filter(recurrence_id=occurrence).delete()
    series.exdates = sorted({*series.exdates, format_utc(occurrence)})
    series.sequence += 1
    _finish(series)


def _end_series_before(series: Event, occurrence: datetime) -> None:
    series.overrides.filter(recurrence_id__gte=occurrence).delete()
    rule = dict(part.split("=", 1) for part in series.rrule.split(";"))
    rule.pop("COUNT", None)
    rule["UNTIL"] = format_utc(occurrence - timedelta(seconds=1))
    series.rrule = ";".join(f"{key}={value}" for key, value in rule.items())
    series.exdates = [text for text in series.exdates if parse_utc(text) < occurrence]
    series.sequence += 1
    _finish(series)


# --- Answer ------------------------------------------------------------------------------


def rsvp(*, actor: User, event: Event, response: str) -> Attendee:
    """The actor's answer to an invitation (accepted, tentative, declined).

    Answers a whole series (or one changed occurrence, when ``event`` is its
    override row). The organizer sees it live on the event page and in the bell.
    """
    if response not in {
        Attendee.Response.ACCEPTED,
        Attendee.Response.TENTATIVE,
        Attendee.Response.DECLINED,
    }:
        raise ValidationError("Answer going, maybe or not going.", code="invalid_response")
    _require(policies.can_rsvp(actor, event), "You are not invited to this event.")
    with transaction.atomic():
        _lock(event)
        attendee = Attendee.objects.select_for_update().get(event=event, user=actor)
        if attendee.response == response:
            return attendee
        attendee.response = response
        attendee.responded_at = timezone.now()
        attendee.save(update_fields=["response", "responded_at"])
        label = Attendee.Response(response).label.lower()
        _tell(
            actor,
            event,
            {event.organizer_id},
            "event-rsvp",
            f"{actor} answered “{label}” to “{event.title}”.",
        )
        _publish(event, "rsvp", {event.organizer_id, actor.pk})
    return attendee
