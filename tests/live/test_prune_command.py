"""The pruning cycle is started by every deploy; it must never run twice."""

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from workspace.jobs.recurring import jobs_of
from workspace.live.tasks import prune_events

pytestmark = [pytest.mark.django_db, pytest.mark.backend]


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def scheduled_prunes() -> int:
    return DBTaskResult.objects.filter(task_path=prune_events.module_path).count()


def test_every_starts_one_cycle_however_often_it_is_run(database_tasks, capsys):
    call_command("prune_live_events", every=3600)
    call_command("prune_live_events", every=3600)

    assert scheduled_prunes() == 1
    assert "already scheduled" in capsys.readouterr().out


def test_a_finished_cycle_does_not_block_a_new_one(database_tasks):
    call_command("prune_live_events", every=3600)
    DBTaskResult.objects.update(status="FAILED")

    call_command("prune_live_events", every=3600)

    assert scheduled_prunes() == 2


def test_a_failed_run_still_schedules_the_next(database_tasks, monkeypatch):
    def database_gone():
        raise OSError("server closed the connection unexpectedly")

    monkeypatch.setattr("workspace.live.tasks.prune", database_gone)
    with pytest.raises(OSError):
        prune_events.call(3600)

    assert scheduled_prunes() == 1
    nxt = DBTaskResult.objects.get(task_path=prune_events.module_path)
    assert nxt.args_kwargs["args"] == [3600] and nxt.run_after is not None


def test_a_run_started_again_after_its_worker_died_keeps_one_cycle(database_tasks):
    """workspace/jobs/ runs a job again when its worker died mid-run: the pruning
    run that already queued its successor must not queue a second one."""
    call_command("prune_live_events", every=3600)
    DBTaskResult.objects.get().claim("worker-that-dies")

    prune_events.call(3600)  # the first attempt, cut short after it queued the next run
    prune_events.call(3600)  # the same run again, on another worker

    assert jobs_of(prune_events, TaskResultStatus.READY).count() == 1
