"""Background jobs of records (django.tasks; run by ``manage.py db_worker``).

Both are scheduled at write time with ``run_after`` and re-check the database
when they run, since the world may have moved on meanwhile (DESIGN §5):
nothing polls.
"""

from django.tasks import task


@task
def send_task_reminder(task_id: int, reminder_at: str, assignee_id: int) -> bool:
    """Remind the assignee of a task, unless it was moved, done, reassigned or deleted.

    Returns whether a reminder was sent.
    """
    from records.services import remind_assignee

    sent = remind_assignee(task_id=task_id, reminder_at=reminder_at, assignee_id=assignee_id)
    return sent is not None


@task
def escalate_unanswered_handoff(handoff_id: int) -> bool:
    """Escalate a handoff still unanswered to the receiving department's managers.

    Returns whether it escalated (False: answered, withdrawn or gone meanwhile).
    """
    from records.services import escalate_handoff

    return escalate_handoff(handoff_id=handoff_id) is not None
