"""Changing and moving events: the whole event, one occurrence (an override) or this and
the following ones (a new series), with the exceptions of a series kept in step."""

import copy
from datetime import datetime, timedelta
from functools import partial
from operator import attrgetter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from calendar_app import events, policies, reminders
from calendar_app.models import Event, new_uid
from calendar_app.recurrence import (
    build_rule,
    format_utc,
    in_rule,
    normalize_rule,
    occurrence_end,
    parse_utc,
    rule_parts,
    rule_text,
    shift_weekdays,
    shifted,
    wall_clock,
)
from calendar_app.services.base import (
    CARRIED,
    DETAIL_FIELDS,
    EDITABLE,
    Change,
    check_fresh,
    check_links,
    check_scope,
    check_timezone,
    email_later,
    end_before,
    hide_from_timeline,
    invitation_text,
    lock_series,
    mail_recipients,
    meeting_name,
    publish,
    record_on_timeline,
    require,
    require_occurrence,
    resolve,
    save_checked,
    scheduled_summary,
    span,
    tell,
    wanting_mail,
    when_text,
)
from calendar_app.services.people import (
    check_double_booking,
    copy_attendees,
    share_people,
    staff_ids,
    sync_guests,
    sync_staff,
)


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
    occurrence goes). Raises StaleEvent if ``seen_sequence`` (of the row the
    person looked at: the occurrence's override, else the series) is old,
    DoubleBooked if an invited colleague is busy at a new time, unless allowed.
    A change that changes nothing saves nothing (no override, no split).
    """
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError(f"These cannot be changed: {', '.join(sorted(unknown))}.")
    check_scope(scope)
    require(policies.can_edit_event(actor, event), "Only the organizer can change this event.")
    with transaction.atomic():
        series = lock_series(event)
        named, occurrence = resolve(series, event, occurrence)
        check_fresh(named, seen_sequence)
        require_occurrence(series, occurrence, scope)
        target, changes = _target(series, named, occurrence, scope, changes)
        before = staff_ids(target)
        change = _apply(target, changes)
        if not change:
            transaction.set_rollback(True)  # leave no override or split behind
            return named
        _after_change(actor, target, change, before, allow_double_booking)
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


def _target(series: Event, named: Event, occurrence, scope: str, changes: dict):
    """The row to change — a new override for "this", a new series for "following" — and
    the changes to make to it (an occurrence moved under "all" moves the whole series)."""
    if not series.is_recurring or (named.series_id and scope == "this"):
        return named, changes
    if occurrence is None:
        return series, changes
    if scope == "this":
        return _override(series, occurrence), changes
    if scope == "following" and occurrence != series.start:
        return _split(series, occurrence), changes
    return series, _as_series_change(series, occurrence, changes)


def _as_series_change(series: Event, occurrence: datetime, changes: dict) -> dict:
    """Times given for one occurrence, as the series' own: the series moves by as much (by
    wall clock) and takes the occurrence's new length."""
    if not changes.keys() & {"start", "end"}:
        return changes
    tz_name = check_timezone(changes.get("timezone", series.timezone))
    all_day = bool(changes.get("all_day", series.all_day))
    begin, finish = span(
        changes.get("start", occurrence),
        changes.get("end", occurrence_end(series, occurrence)),
        all_day=all_day,
        tz_name=tz_name,
    )
    start = shifted(series.start, occurrence, begin, series.timezone, tz_name)
    end = shifted(finish, begin, start, tz_name, tz_name) if all_day else start + (finish - begin)
    return {**changes, "start": start, "end": end}


# --- This, following ---------------------------------------------------------------------


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


def _override(series: Event, occurrence: datetime) -> Event:
    """A row of its own for one occurrence of ``series`` (same uid, RECURRENCE-ID)."""
    row = _copy(
        series,
        series=series,
        recurrence_id=occurrence,
        start=occurrence,
        end=occurrence_end(series, occurrence),
        rrule="",
        exdates=[],
        reminder_at=None,
        created_at=timezone.now(),
    )
    save_checked(row)
    copy_attendees(series.attendees.all(), row)
    reminders.schedule(series)  # the occurrence is the override's to remind of now
    return row


def _split(series: Event, occurrence: datetime) -> Event:
    """End ``series`` before ``occurrence``; a new series (new uid) carries on from it.

    A COUNT is shared out; exceptions from the occurrence on (EXDATEs,
    overrides) move to the new series. Attendees' calendar apps get the
    shortened series too.
    """
    rule = rule_parts(series.rrule)
    if "COUNT" in rule:
        rule["COUNT"] = str(int(rule["COUNT"]) - _count_before(series, occurrence))
    tail = _copy(
        series,
        uid=new_uid(),
        start=occurrence,
        end=occurrence_end(series, occurrence),
        rrule=rule_text(rule),
        exdates=[text for text in series.exdates if parse_utc(text) >= occurrence],
        sequence=0,
        reminder_at=None,
        created_at=timezone.now(),
    )
    save_checked(tail)
    copy_attendees(series.attendees.all(), tail)
    series.overrides.filter(recurrence_id__gte=occurrence).update(series=tail, uid=tail.uid)
    end_before(series, occurrence)
    reminders.schedule(series)
    email_later(series, "REQUEST", mail_recipients(series))
    events.event_page_changed(series, "updated")
    return tail


def _count_before(series: Event, occurrence: datetime) -> int:
    """How many of the series' occurrences (EXDATEs included) start before ``occurrence``."""
    rule = build_rule(series.rrule, series.start, series.timezone)
    return len(rule.between(series.start, occurrence - timedelta(seconds=1), inc=True))


# --- Applying a change -------------------------------------------------------------------


def _apply(event: Event, changes: dict) -> Change:
    """Make ``changes`` to ``event`` (saved, with people and exceptions); returns what changed."""
    change = Change()
    before = {name: getattr(event, name) for name in CARRIED}
    _apply_time(event, changes, change)
    for name in (*DETAIL_FIELDS, "rrule"):
        if name in changes:
            _set(event, change, name, _cleaned(event, name, changes[name]))
    _apply_links(event, changes, change)
    if change.fields:
        event.sequence += 1
        save_checked(event, snap="rrule" in change.fields)
        if "rrule" in change.fields:
            _prune_exceptions(event)
        if event.is_recurring:
            _carry_to_overrides(event, before)
    _apply_people(event, changes, change)
    return change


def _set(event: Event, change: Change, name: str, value) -> None:
    if getattr(event, name) != value:
        setattr(event, name, value)
        change.fields.add(name)


def _cleaned(event: Event, name: str, value):
    if name == "title":
        return " ".join(str(value).split())
    if name == "rrule":
        return normalize_rule(value or "", event.start, event.timezone)
    return value.strip() if isinstance(value, str) else value


def _apply_time(event: Event, changes: dict, change: Change) -> None:
    if not changes.keys() & {"start", "end", "all_day", "timezone"}:
        return
    tz_name = check_timezone(changes.get("timezone", event.timezone))
    all_day = bool(changes.get("all_day", event.all_day))
    begin, finish = span(
        changes.get("start", event.start),
        changes.get("end", event.end),
        all_day=all_day,
        tz_name=tz_name,
    )
    old_start, old_tz = event.start, event.timezone
    for name, value in (("start", begin), ("end", finish), ("all_day", all_day)):
        _set(event, change, name, value)
    _set(event, change, "timezone", tz_name)
    if event.is_recurring and (begin, tz_name) != (old_start, old_tz):
        if "rrule" not in changes:
            days = (wall_clock(begin, tz_name).date() - wall_clock(old_start, old_tz).date()).days
            event.rrule = shift_weekdays(event.rrule, days)
        _move_exceptions(event, old_start, old_tz)


def _apply_links(event: Event, changes: dict, change: Change) -> None:
    if not changes.keys() & {"client", "deal"}:
        return
    client = changes.get("client", event.client)
    deal = changes.get("deal", event.deal)
    check_links(client, deal)
    _set(event, change, "client", client or (deal.client if deal else None))
    _set(event, change, "deal", deal)


def _apply_people(event: Event, changes: dict, change: Change) -> None:
    if "attendees" in changes:
        change.staff_added, change.staff_removed = sync_staff(event, changes["attendees"])
    if "guests" in changes:
        change.guests_added, change.guests_removed = sync_guests(event, changes["guests"])
    if not change.people:
        return
    event.__dict__.pop("_attendee_user_ids", None)  # the policies' cache of who is invited
    if not change.fields:
        event.sequence += 1
        event.save(update_fields=["sequence"])
    if event.is_recurring:
        share_people(event, change)


def _move_exceptions(series: Event, old_start: datetime, old_tz: str) -> None:
    """Keep a moved series' EXDATEs and overrides on the occurrences they belonged to.

    An override that was not moved on its own moves with the series.
    """
    move = partial(shifted, old_start=old_start, new_start=series.start)
    move = partial(move, old_tz=old_tz, new_tz=series.timezone)
    series.exdates = sorted(format_utc(move(parse_utc(text))) for text in series.exdates)
    later = series.start > old_start  # so no two overrides ever share a recurrence id
    for row in sorted(series.overrides.all(), key=attrgetter("recurrence_id"), reverse=later):
        if row.start == row.recurrence_id:
            row.start, row.end = move(row.start), move(row.end)
        row.recurrence_id = move(row.recurrence_id)
        row.last_end = row.end
        row.sequence += 1
        row.save(update_fields=["recurrence_id", "start", "end", "last_end", "sequence"])
        reminders.schedule(row)


def _prune_exceptions(series: Event) -> None:
    """After a rule change: drop EXDATEs and overrides that no longer name an occurrence
    (all of them when the event stops repeating)."""
    repeats = series.is_recurring
    series.exdates = [
        text for text in series.exdates if repeats and in_rule(series, parse_utc(text))
    ]
    series.save(update_fields=["exdates"])
    for row in series.overrides.all():
        if not (repeats and in_rule(series, row.recurrence_id)):
            row.delete()


def _carry_to_overrides(series: Event, before: dict) -> None:
    """Details changed on a whole series change in each override that still had the old value."""
    now = {name: getattr(series, name) for name in CARRIED}
    changed = {name: value for name, value in now.items() if value != before[name]}
    if not changed:
        return
    for row in series.overrides.all():
        taken = {name: new for name, new in changed.items() if getattr(row, name) == before[name]}
        if taken:
            for name, value in taken.items():
                setattr(row, name, value)
            row.sequence += 1
            row.save(update_fields=[*taken, "sequence"])
            reminders.schedule(row)


# --- After a change ----------------------------------------------------------------------


def _after_change(actor: User, event: Event, change: Change, before: set[int], allow: bool):
    """Check clashes, re-plan the reminder, tell people, record, publish."""
    invitees = (before | change.staff_added) - change.staff_removed
    if not allow and (change.timing or change.staff_added):
        check_double_booking(event, invitees if change.timing else change.staff_added)
    reminders.schedule(event)
    _tell_about_change(actor, event, change, before)
    if "visibility" in change.fields and event.is_private:
        hide_from_timeline(actor, event)
    if "visibility" in change.fields or change.staff_removed:
        events.access_changed(event)
    if change.timing:
        record_on_timeline(
            actor, event, f"{actor} moved {meeting_name(event)} to {when_text(event)}"
        )
    elif "client" in change.fields:
        record_on_timeline(actor, event, scheduled_summary(actor, event))
    _mail_about_change(event, change)
    publish(event, "moved" if change.timing else "updated", before | invitees | {actor.pk})


def _tell_about_change(actor: User, event: Event, change: Change, before: set[int]) -> None:
    title = event.title
    tell(actor, event, change.staff_added, "event-invite", invitation_text(actor, event))
    tell(actor, event, change.staff_removed, "event-cancelled", f"{actor} took you off “{title}”.")
    staying = before - change.staff_removed
    if change.timing:

        def moved(person: User) -> str:
            return f"{actor} moved “{title}” to {when_text(event, tz_name=person.timezone)}."

        tell(actor, event, staying, "event-update", moved)
    elif change.fields:
        tell(actor, event, staying, "event-update", f"{actor} updated “{title}”.")


def _mail_about_change(event: Event, change: Change) -> None:
    """REQUEST to everyone when the event changed, else to the newly invited; CANCEL to those
    taken off."""
    if change.fields:
        invited = mail_recipients(event)
    else:
        invited = mail_recipients(
            event, user_ids=change.staff_added, guest_emails=change.guests_added
        )
    email_later(event, "REQUEST", invited)
    removed = wanting_mail(User.objects.filter(pk__in=change.staff_removed))
    email_later(event, "CANCEL", [*removed, *change.guests_removed])
