"""Cancelling an event, one occurrence, or the rest of a series."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from calendar_app import policies, reminders
from calendar_app.models import Event
from calendar_app.recurrence import (
    format_utc,
    series_starts,
)
from calendar_app.services.base import (
    check_scope,
    email_later,
    end_before,
    lock_series,
    mail_recipients,
    meeting_name,
    publish,
    record_on_timeline,
    require,
    require_occurrence,
    resolve,
    save_checked,
    tell,
    when_text,
)
from calendar_app.services.people import staff_ids


def cancel_event(
    *, actor: User, event: Event, occurrence: datetime | None = None, scope: str = "all"
) -> Event:
    """Cancel an event, one occurrence (``this``) or the rest of a series (``following``).

    Attendees are told (bell; email with METHOD:CANCEL, or the shortened
    series as a REQUEST). Nothing is deleted but single occurrences' override
    rows: a cancelled event keeps its uid for calendar apps. A series left
    without occurrences is cancelled as a whole. Returns the series (or single event).
    """
    check_scope(scope)
    require(policies.can_edit_event(actor, event), "Only the organizer can cancel this event.")
    with transaction.atomic():
        series = lock_series(event)
        named, occurrence = resolve(series, event, occurrence)
        require_occurrence(series, occurrence, scope)
        people = staff_ids(series) | staff_ids(named)
        shown = named.start if named.series_id else occurrence
        part = _cancel(series, occurrence, scope)

        def which(tz_name: str = "") -> str:
            when = when_text(series, shown, tz_name=tz_name)
            return {"this": f" on {when}", "following": f" from {when} on"}.get(part, "")

        reminders.schedule(series)
        tell(
            actor,
            series,
            people,
            "event-cancelled",
            lambda person: f"{actor} cancelled “{series.title}”{which(person.timezone)}.",
        )
        record_on_timeline(actor, series, f"{actor} cancelled {meeting_name(series)}{which()}")
        email_later(series, "CANCEL" if series.is_cancelled else "REQUEST", mail_recipients(series))
        publish(series, "cancelled", people | {actor.pk})
    return series


def _cancel(series: Event, occurrence, scope: str) -> str:
    """Cancel what ``scope`` names; returns which part went: "this", "following" or "all"."""
    part = "all"
    if occurrence is not None and scope == "this":
        _drop_occurrence(series, occurrence)
        part = "this"
    elif occurrence is not None and scope == "following" and occurrence > series.start:
        end_before(series, occurrence)
        part = "following"
    if part == "all" or _nothing_left(series):
        _cancel_whole(series)
    return part


def _drop_occurrence(series: Event, occurrence: datetime) -> None:
    series.overrides.filter(recurrence_id=occurrence).delete()
    series.exdates = sorted({*series.exdates, format_utc(occurrence)})
    series.sequence += 1
    save_checked(series)


def _nothing_left(series: Event) -> bool:
    """Whether a finite series has no occurrence left (all deleted)."""
    return (
        series.last_end is not None
        and not series_starts(series, series.start, series.last_end)
        and not series.overrides.filter(status=Event.Status.CONFIRMED).exists()
    )


def _cancel_whole(series: Event) -> None:
    series.status = Event.Status.CANCELLED
    series.sequence += 1
    series.updated_at = timezone.now()
    series.save(update_fields=["status", "sequence", "updated_at"])
    series.overrides.update(status=Event.Status.CANCELLED, reminder_at=None)
