"""Heartbeats and the recovery of jobs whose worker died (see the package docstring)."""

import logging
import os
import socket

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Now
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from workspace.jobs.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


class WorkerLost(Exception):
    """Recorded as the error of a job whose workers kept dying while they ran it."""


def beat(worker_id: str) -> None:
    """Tell the other workers that ``worker_id`` is alive (creating its row the first time)."""
    if not WorkerHeartbeat.objects.filter(pk=worker_id).update(beat_at=Now()):
        WorkerHeartbeat.objects.create(
            worker_id=worker_id, host=socket.gethostname()[:255], pid=os.getpid()
        )


def forget(worker_id: str) -> None:
    """Remove a worker that stops cleanly (it finished its job first)."""
    WorkerHeartbeat.objects.filter(pk=worker_id).delete()


def stale_beat():
    """The database's "now" minus the lease: a beat older than this is a dead worker's."""
    return Now() - settings.JOBS_LEASE


def recover_orphaned_jobs(*, restarted: str | None = None) -> int:
    """Give back to the queue every job RUNNING under a worker that stopped beating.

    Such a job goes back to READY (its ``worker_ids`` keep the dead workers, so
    they count its attempts), or to FAILED once ``JOBS_MAX_ATTEMPTS`` workers
    died running it. Only jobs claimed more than a lease ago are judged: a
    worker without a heartbeat (a plain ``db_worker`` during a rolling deploy)
    keeps a short job. ``restarted``: the id of a worker that is starting, so
    whatever is RUNNING under that id was left by a dead process that had the
    same id (a fixed ``--worker-id``), and goes back at once. Returns how many
    jobs were recovered.
    """
    # Claims are stamped by the claiming worker's clock, so judged by ours.
    claimed_before = timezone.now() - settings.JOBS_LEASE
    with transaction.atomic():
        alive = set(
            WorkerHeartbeat.objects.filter(beat_at__gte=stale_beat()).values_list("pk", flat=True)
        )
        WorkerHeartbeat.objects.filter(beat_at__lt=stale_beat()).delete()
        orphans = [
            job
            for job in DBTaskResult.objects.running().select_for_update(skip_locked=True)
            if last_worker(job) == restarted
            or (last_worker(job) not in alive and job.started_at < claimed_before)
        ]
        for job in orphans:
            give_back(job)
    return len(orphans)


def last_worker(job: DBTaskResult) -> str | None:
    return job.worker_ids[-1] if job.worker_ids else None


def give_back(job: DBTaskResult) -> None:
    attempts = len(job.worker_ids)
    if attempts >= settings.JOBS_MAX_ATTEMPTS:
        logger.error(
            "Job id=%s path=%s failed: %d workers died running it", job.id, job.task_path, attempts
        )
        job.set_failed(WorkerLost(f"{attempts} workers died while running this job"))
        return
    logger.warning(
        "Job id=%s path=%s requeued: its worker %s stopped beating",
        job.id,
        job.task_path,
        last_worker(job),
    )
    job.status = TaskResultStatus.READY
    job.save(update_fields=["status"])
