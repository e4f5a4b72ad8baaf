"""Setting a series' exceptions wholesale: what an imported file says they are."""

from datetime import datetime

from django.db import transaction

from accounts.models import User
from calendar_app import policies, reminders
from calendar_app.models import Event
from calendar_app.recurrence import format_utc
from calendar_app.services.base import lock_series, publish, require, save_checked
from calendar_app.services.people import staff_ids


def set_exceptions(
    *, actor: User, event: Event, exdates: set[datetime], changed: set[datetime]
) -> bool:
    """Make ``exdates`` the series' deleted occurrences and drop the changed occurrences
    (override rows) not in ``changed``; whether anything changed.

    For re-imports: an occurrence the file no longer deletes comes back, one it no
    longer changes returns to the series' time. A single event keeps no overrides.
    """
    require(policies.can_edit_event(actor, event), "Only the organizer can change this event.")
    with transaction.atomic():
        series = lock_series(event)
        keep = changed if series.is_recurring else set()
        stale = series.overrides.exclude(recurrence_id__in=keep - exdates)
        wanted = sorted(format_utc(moment) for moment in exdates) if series.is_recurring else []
        if series.exdates == wanted and not stale.exists():
            return False
        stale.delete()
        series.exdates = wanted
        series.sequence += 1
        save_checked(series)
        reminders.schedule(series)
        publish(series, "updated", staff_ids(series) | {actor.pk})
    return True
