"""Task reminders, and the due-time helpers they share with the task services.

**Reminders** are ``django.tasks`` jobs (``records.tasks.send_task_reminder``)
enqueued at write time with ``run_after`` = due - lead time (the task's
``reminder_minutes``, else the assignee's profile default). When that moment
has already passed but the task is not yet due, the job runs at once. The
planned moment is stored on the task (``reminder_at``); whenever the due time,
lead time, assignee or status changes, ``reminder_at`` is recomputed and, if it
moved, a new job is enqueued. Old jobs are not hunted down: when a job runs it
re-reads the task under a row lock and sends nothing unless the task still
exists, is open or in progress, has the same ``reminder_at`` and assignee, and
its reminder was not sent yet. With django-tasks-db the job row is written
in the service's transaction, so a rolled-back change schedules nothing and a
committed one cannot lose its reminder.
"""

from datetime import date, datetime, time, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from accounts.models import EmailNotifications, User
from accounts.services import notify
from records.models import Task
from workspace.moments import parse_moment, zone

# Reminder emails go to people whose email setting covers them: reminders are
# about their own assignments, so "important" includes them.
REMINDER_EMAIL_SETTINGS = (EmailNotifications.ALL, EmailNotifications.IMPORTANT)


def task_link(task: Task) -> str:
    """The path of a task's page (the views keep this path)."""
    return f"/tasks/{task.pk}/"


def aware_due(value, assignee: User) -> datetime | None:
    """``value`` as an aware moment, to the second; naive values are the assignee's local time.

    Accepts a datetime, a date (the end of the assignee's working day), an ISO
    string of either, or nothing (no due time).
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = parse_moment(value, field="due_at", example="2026-11-24 15:00")
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, assignee.work_end or time(17, 0))
    if not isinstance(value, datetime):
        raise ValidationError({"due_at": "Pick a due date and time."}, code="invalid")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, zone(assignee.timezone))
    return value.replace(microsecond=0)


def local_due(task: Task) -> str:
    """The due time as its assignee reads it, e.g. “Tue 24 Nov 15:00”."""
    if task.due_at is None:
        return ""
    return timezone.localtime(task.due_at, zone(task.assignee.timezone)).strftime("%a %d %b %H:%M")


# --- Reminders -----------------------------------------------------------------


def _reminder_time(task: Task, moment: datetime) -> datetime | None:
    """When the reminder is due: due - lead time; None when done, cancelled, undated or late."""
    if not task.is_active or task.due_at is None or task.due_at <= moment:
        return None
    lead = task.reminder_minutes
    if lead is None:
        lead = task.assignee.reminder_minutes
    return (task.due_at - timedelta(minutes=lead)).replace(microsecond=0)


def _schedule_reminder(task: Task, *, was: tuple = (None, None)) -> None:
    """Plan the task's reminder for its current state (inside the writer's transaction).

    ``was`` is ``(reminder_at, assignee_id)`` before the change. If neither
    moved, the job already queued (or the reminder already sent) stands.
    Otherwise the new moment is stored and a job enqueued for it; the old job
    will find a different ``reminder_at`` and do nothing.
    """
    moment = timezone.now()
    when = _reminder_time(task, moment)
    if (when, task.assignee_id) == tuple(was):
        return
    task.reminder_at = when
    task.reminder_sent_at = None
    task.save(update_fields=["reminder_at", "reminder_sent_at"])
    if when is not None:
        send_task_reminder.using(run_after=max(when, moment)).enqueue(
            task.pk, when.isoformat(), task.assignee_id
        )


def remind_assignee(*, task_id: int, reminder_at: str, assignee_id: int):
    """Send a task's reminder, if it is still wanted (run by the reminder job).

    Re-reads the task under a row lock; sends nothing (returns None) when the
    task was deleted, is done or cancelled, was moved (``reminder_at`` differs)
    or reassigned, or its reminder was already sent. Otherwise notifies the
    assignee (bell, live) and, if their email setting allows, emails them
    once the transaction commits. Returns the Notification.
    """
    expected = datetime.fromisoformat(reminder_at)
    with transaction.atomic():
        task = (
            Task.objects.select_for_update(of=("self",))
            .select_related("assignee")
            .filter(pk=task_id)
            .first()
        )
        if (
            task is None
            or not task.is_active
            or task.assignee_id != assignee_id
            or task.reminder_at != expected
            or task.reminder_sent_at is not None
        ):
            return None
        task.reminder_sent_at = timezone.now()
        task.save(update_fields=["reminder_sent_at"])
        assignee = task.assignee
        text = f"Reminder: “{task}” is due {local_due(task)}."
        notification = notify(
            recipient=assignee, kind="task-reminder", text=text, link=task_link(task)
        )
        if notification is not None and assignee.email_notifications in REMINDER_EMAIL_SETTINGS:
            transaction.on_commit(partial(_email_reminder, task.pk, text), robust=True)
    return notification


@task
def send_task_reminder(task_id: int, reminder_at: str, assignee_id: int) -> bool:
    """The job ``_schedule_reminder`` enqueues (run by ``manage.py run_worker``): remind the
    assignee unless the task was moved, done, reassigned or deleted meanwhile.

    Returns whether a reminder was sent.
    """
    sent = remind_assignee(task_id=task_id, reminder_at=reminder_at, assignee_id=assignee_id)
    return sent is not None


def _email_reminder(task_id: int, text: str) -> None:
    task = Task.objects.select_related("assignee").filter(pk=task_id).first()
    if task is None:
        return
    lines = [
        f"Hello {task.assignee.get_short_name()},",
        "",
        text,
        "",
        f"Open the task: {settings.SITE_URL}{task_link(task)}",
    ]
    if task.description:
        lines[3:3] = ["", task.description]
    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{text}",
        message="\n".join(lines) + "\n",
        from_email=None,
        recipient_list=[task.assignee.email],
    )
