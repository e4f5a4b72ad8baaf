"""Background jobs of records (django.tasks; run by ``manage.py run_worker``).

Each is defined beside the service that schedules it at write time with
``run_after`` (one module, no import cycle) and re-checks the database when it
runs, since the world may have moved on meanwhile (DESIGN §5): nothing polls.
They are listed here so the app's jobs are found in one place, and so jobs
queued under these paths still run.
"""

from records.services.handoffs import escalate_unanswered_handoff
from records.services.reminders import send_task_reminder

__all__ = ["escalate_unanswered_handoff", "send_task_reminder"]
