"""Queue jobs in, and read jobs from, the database that real worker processes use.

    python -m tests.jobs.jobctl probe LOG GATE        -> {"job": "<uuid>"}
    python -m tests.jobs.jobctl due-reminder WORKER   -> {"job": "<uuid>", "task": 7}
    python -m tests.jobs.jobctl state JOB [--task 7]  -> {"status": ..., "worker_ids": [...],
                                                          "reminders": 1, "sent": true}

Runs in its own process (tests/servers.py ``ServerDatabase.run``), so it works
whatever database the workers use: a SQLite file, or the PostgreSQL test database.
"""

import argparse
import json
import os
import sys
import uuid
from datetime import timedelta


def main(argv: list[str]) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
    import django

    django.setup()
    parser = argparse.ArgumentParser(prog="jobctl")
    commands = parser.add_subparsers(dest="command", required=True)
    probe = commands.add_parser("probe")
    probe.add_argument("log")
    probe.add_argument("gate")
    due = commands.add_parser("due-reminder")
    due.add_argument("worker")
    state = commands.add_parser("state")
    state.add_argument("job")
    state.add_argument("--task", type=int)
    args = parser.parse_args(argv)
    return {"probe": queue_probe, "due-reminder": reminder_claimed_by, "state": job_state}[
        args.command
    ](args)


def queue_probe(args) -> dict:
    from tests.jobs.probe import wait_for_gate

    return {"job": wait_for_gate.enqueue(args.log, args.gate).id}


def reminder_claimed_by(args) -> dict:
    """A task whose reminder is due now, its job left RUNNING under ``worker``: the state
    a worker killed while sending that reminder leaves behind (issue 15)."""
    from django.db import transaction
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from records import services
    from records.tasks import send_task_reminder
    from tests.factories import UserFactory

    with transaction.atomic():  # no live worker may claim the job first
        person = UserFactory(email=f"reminded.{uuid.uuid4().hex[:8]}@example.com")
        task = services.create_task(
            actor=person,
            title="Call Acme back",
            due_at=timezone.now() + timedelta(minutes=10),
            reminder_minutes=60,  # the moment is past: the job is due at once
        )
        job = DBTaskResult.objects.get(task_path=send_task_reminder.module_path)
        job.claim(args.worker)
    return {"job": str(job.pk), "task": task.pk}


def job_state(args) -> dict:
    from django_tasks_db.models import DBTaskResult

    from accounts.models import Notification
    from records.models import Task

    job = DBTaskResult.objects.get(pk=args.job)
    answer = {"status": job.status, "worker_ids": job.worker_ids}
    if args.task:
        task = Task.objects.get(pk=args.task)
        reminders = Notification.objects.filter(kind="task-reminder", recipient=task.assignee)
        answer.update(reminders=reminders.count(), sent=task.reminder_sent_at is not None)
    return answer


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
