"""Jobs that repeat themselves, and the management command that starts such a cycle.

A recurring job (the event log's pruning, the clients' health sweep) takes
``every_seconds``; each run first enqueues the next with ``run_after`` and
then does its work, so a worker (``run_worker``) keeps the cycle going. The
next run is enqueued first (jobs run in autocommit: it is saved at once), so
a run that fails (the database gone for a moment) does not end the cycle; and
only if none is queued yet, so a run started again after its worker died
(workspace/jobs/recovery.py) does not start a second cycle.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult


def jobs_of(job, *statuses: TaskResultStatus):
    """``job``'s runs in the task database that are in one of ``statuses``."""
    return DBTaskResult.objects.filter(task_path=job.module_path, status__in=statuses)


def schedule_next(job, every_seconds: int | None) -> None:
    """Enqueue ``job``'s next run ``every_seconds`` from now, unless one is queued."""
    if every_seconds and not jobs_of(job, TaskResultStatus.READY).exists():
        later = timezone.now() + timedelta(seconds=every_seconds)
        job.using(run_after=later).enqueue(every_seconds)


class RecurringJobCommand(BaseCommand):
    """Run the work now, or (``--every SECONDS``) start its recurring job once.

    Subclasses set ``job`` (the task), ``what`` ("Pruning") and ``run_now()``,
    which does the work and returns the sentence to print.
    """

    job = None
    what = ""

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=int,
            metavar="SECONDS",
            help=f"Start a {self.what.lower()} task that re-schedules itself every SECONDS. "
            "Safe to run on every deploy: it does nothing while a cycle is already scheduled.",
        )

    def run_now(self) -> str:
        raise NotImplementedError

    def handle(self, *args, every=None, **options):
        if not every:
            self.stdout.write(self.run_now())
        elif jobs_of(self.job, TaskResultStatus.READY, TaskResultStatus.RUNNING).exists():
            self.stdout.write(f"{self.what} is already scheduled; nothing to do.")
        else:
            self.job.enqueue(every)
            self.stdout.write(
                f"{self.what} enqueued; it will repeat every {every} s under run_worker."
            )
