"""The recovery rules (workspace/jobs/recovery.py), one by one, in this process.

tests/jobs/test_worker_crash.py proves the whole with real worker processes,
among them that a busy worker's heartbeat thread keeps its job its own.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models.functions import Now
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.jobs.probe import wait_for_gate
from workspace.jobs.models import WorkerHeartbeat
from workspace.jobs.recovery import beat, recover_orphaned_jobs

LONG_AGO = timedelta(minutes=5)


@pytest.fixture(autouse=True)
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.JOBS_LEASE = timedelta(seconds=60)
    settings.JOBS_MAX_ATTEMPTS = 3


def running_job(*worker_ids: str, claimed_ago=LONG_AGO) -> DBTaskResult:
    """A job that ``worker_ids`` claimed in turn, the last one ``claimed_ago``."""
    job = DBTaskResult.objects.get(pk=wait_for_gate.enqueue("/dev/null", "/").id)
    for worker in worker_ids:
        job.claim(worker)
    DBTaskResult.objects.filter(pk=job.pk).update(started_at=timezone.now() - claimed_ago)
    return job


def silent_since(worker_id: str, ago: timedelta) -> None:
    beat(worker_id)
    WorkerHeartbeat.objects.filter(pk=worker_id).update(beat_at=Now() - ago)


def status(job: DBTaskResult) -> str:
    job.refresh_from_db()
    return job.status


@pytest.mark.django_db
def test_a_job_of_a_worker_silent_for_longer_than_the_lease_goes_back_to_ready():
    silent_since("dead", LONG_AGO)
    job = running_job("dead")

    assert recover_orphaned_jobs() == 1

    assert status(job) == TaskResultStatus.READY
    assert job.worker_ids == ["dead"]  # the attempt stays counted
    assert not WorkerHeartbeat.objects.filter(pk="dead").exists()


@pytest.mark.django_db
def test_a_live_workers_job_is_left_alone_however_long_it_runs():
    silent_since("alive", timedelta(seconds=50))
    job = running_job("alive", claimed_ago=timedelta(hours=3))

    assert recover_orphaned_jobs() == 0

    assert status(job) == TaskResultStatus.RUNNING


@pytest.mark.django_db
def test_a_worker_without_heartbeat_keeps_a_job_for_one_lease():
    """A plain db_worker (during a rolling deploy) has no heartbeat: its fresh job stays."""
    fresh = running_job("db-worker", claimed_ago=timedelta(seconds=10))
    stale = running_job("db-worker", claimed_ago=LONG_AGO)

    assert recover_orphaned_jobs() == 1

    assert (status(fresh), status(stale)) == (TaskResultStatus.RUNNING, TaskResultStatus.READY)


@pytest.mark.django_db
def test_a_job_whose_workers_keep_dying_fails_instead_of_killing_more():
    job = running_job("first", "second", "third")

    recover_orphaned_jobs()

    assert status(job) == TaskResultStatus.FAILED
    assert job.exception_class_path == "workspace.jobs.recovery.WorkerLost"
    assert "3 workers died" in job.traceback


@pytest.mark.django_db(transaction=True)
def test_run_worker_gives_back_a_dead_workers_job_runs_it_and_leaves_no_heartbeat(tmp_path):
    log, gate = tmp_path / "runs.log", tmp_path / "gate"
    gate.touch()
    job = DBTaskResult.objects.get(pk=wait_for_gate.enqueue(str(log), str(gate)).id)
    job.claim("killed")
    DBTaskResult.objects.filter(pk=job.pk).update(started_at=timezone.now() - LONG_AGO)

    call_command("run_worker", batch=True, worker_id="next", reload=False, verbosity=0)

    assert status(job) == TaskResultStatus.SUCCESSFUL
    assert job.worker_ids == ["killed", "next"]
    assert log.read_text().splitlines() == ["start next", "done next"]
    assert not WorkerHeartbeat.objects.exists()  # it stopped cleanly


@pytest.mark.django_db
def test_a_worker_restarted_under_its_old_id_gives_back_what_its_last_process_left():
    """With a fixed ``--worker-id`` the new process beats under the dead one's id."""
    beat("worker-1")
    job = running_job("worker-1", claimed_ago=timedelta(seconds=1))

    assert recover_orphaned_jobs(restarted="worker-1") == 1

    assert status(job) == TaskResultStatus.READY
