"""Background jobs of reports (django.tasks; run by ``manage.py run_worker``)."""

from datetime import timedelta

from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from reports.health import rescore_all


@task
def rescore_clients(every_seconds: int | None = None) -> int:
    """Rescore every client's health; with ``every_seconds``, schedule the next run too.

    Writes keep the scores current as they happen (reports/health.py's
    listener); this sweep catches what time alone changes: days without
    activity add up, breaches and lost deals leave the 90-day window.
    Start the cycle once (``manage.py rescore_clients --every 86400``). The next
    run is enqueued first, and only when none is queued, as
    workspace/live/tasks.py's ``prune_events`` does (and for the same reasons).
    """
    if every_seconds and not rescore_jobs(TaskResultStatus.READY).exists():
        later = timezone.now() + timedelta(seconds=every_seconds)
        rescore_clients.using(run_after=later).enqueue(every_seconds)
    return rescore_all()


def rescore_jobs(*statuses: TaskResultStatus):
    """The rescoring jobs in the task database that are in one of ``statuses``."""
    return DBTaskResult.objects.filter(task_path=rescore_clients.module_path, status__in=statuses)
