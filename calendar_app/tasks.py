"""Background jobs of the calendar (django.tasks; run by ``manage.py db_worker``)."""

from django.tasks import task


@task
def send_event_reminder(event_id: int, reminder_at: str) -> int:
    """Remind an event's attendees, unless it was moved, changed or cancelled meanwhile.

    Returns how many people were reminded.
    """
    from calendar_app.reminders import remind_attendees

    return remind_attendees(event_id=event_id, reminder_at=reminder_at)
