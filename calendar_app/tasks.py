"""Background jobs of the calendar (django.tasks; run by ``manage.py run_worker``).

``send_event_reminder`` reminds an event's attendees; it is defined in
``calendar_app.reminders`` with the planning that enqueues it again (one module,
no import cycle), and listed here so the app's jobs are found in one place and
jobs queued under this path still run.
"""

from calendar_app.reminders import send_event_reminder

__all__ = ["send_event_reminder"]
