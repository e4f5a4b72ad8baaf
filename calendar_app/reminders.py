"""Event reminders: a notification ``reminder_minutes`` before each occurrence.

Like task reminders (records/services/reminders.py), they are ``django.tasks``
jobs enqueued at write time with ``run_after``, for the *next* occurrence
only; the planned moment is kept on the series (``reminder_at``). A job that
runs re-reads the event under a row lock and sends nothing unless the event
still stands and still plans that moment; having sent, it plans the next
occurrence's reminder. Any change to the event re-plans (``schedule``): old
jobs then find a different ``reminder_at`` and do nothing. With
django-tasks-db the job row is written in the writer's transaction.

The job (:func:`send_event_reminder`) lives here with the planning it repeats,
so that planning and job need no import of each other; ``calendar_app.tasks``
lists it with the app's other background jobs.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from calendar_app.models import Attendee, Event
from calendar_app.recurrence import expand
from calendar_app.wording import event_link, local_when


def _next_reminder(event: Event, moment: datetime, after: datetime | None):
    """(reminder moment, occurrence start) of the first occurrence still to be reminded of.

    That is the first occurrence starting after ``after`` (if given) whose
    reminder moment is not past; None when there is none (or no reminder).
    """
    if event.reminder_minutes is None or event.is_cancelled:
        return None
    lead = timedelta(minutes=event.reminder_minutes)
    horizon = moment + lead + timedelta(days=400)
    rows = [event]
    replaced = None
    if event.is_recurring:
        replaced = set(event.overrides.values_list("series_id", "recurrence_id"))
    for occurrence in expand(rows, moment + lead, horizon, replaced=replaced):
        if after is not None and occurrence.start <= after:
            continue
        if occurrence.start - lead >= moment - timedelta(seconds=1):
            return occurrence.start - lead, occurrence.start
    return None


def schedule(event: Event, *, after: datetime | None = None) -> None:
    """Plan ``event``'s next reminder for its current state (inside the writer's transaction).

    ``after``: plan only for occurrences starting later (the one just reminded of).
    """
    moment = timezone.now().replace(microsecond=0)
    planned = _next_reminder(event, moment, after)
    when = planned[0] if planned else None
    if when == event.reminder_at:
        return
    event.reminder_at = when
    event.save(update_fields=["reminder_at"])
    if when is not None:
        send_event_reminder.using(run_after=max(when, moment)).enqueue(event.pk, when.isoformat())


def remind_attendees(*, event_id: int, reminder_at: str) -> int:
    """Send an event's planned reminder, if still wanted (run by the job); returns how many.

    Everyone in the event's calendar is reminded but those who declined. Then
    the next occurrence's reminder is planned.
    """
    from accounts.services import notify

    expected = datetime.fromisoformat(reminder_at)
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.is_cancelled or event.reminder_at != expected:
            return 0
        starts = expected + timedelta(minutes=event.reminder_minutes or 0)
        sent = 0
        for attendee in event.attendees.select_related("user").exclude(
            response=Attendee.Response.DECLINED
        ):
            if attendee.user is None:
                continue
            tz_name = event.timezone if event.all_day else attendee.user.timezone
            when = local_when(starts, tz_name, all_day=event.all_day)
            text = f"Reminder: “{event.title}” starts {when}."
            if notify(
                recipient=attendee.user, kind="event-reminder", text=text, link=event_link(event)
            ):
                sent += 1
        schedule(event, after=starts)  # the next occurrence's (or none)
    return sent


@task
def send_event_reminder(event_id: int, reminder_at: str) -> int:
    """Remind an event's attendees, unless it was moved, changed or cancelled meanwhile.

    Returns how many people were reminded.
    """
    return remind_attendees(event_id=event_id, reminder_at=reminder_at)
