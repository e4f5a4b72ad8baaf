"""An import run by a real ``manage.py run_worker`` process (PostgreSQL: the worker shares
the test's database; on the embedded default the worker's SQLite file is another one)."""

import pytest
from django.db import connection

from integrations.imports import services
from integrations.imports.models import ImportRun
from records.models import Client
from tests.integrations.imports.conftest import mapped
from tests.jobs.test_worker_crash import STARTUP_SECONDS, Worker, wait_for

pytestmark = pytest.mark.backend


@pytest.fixture
def worker(server_db, tmp_path):
    made = Worker(server_db, tmp_path, "imports")
    yield made
    if made.process:
        made.stop()


def test_a_worker_runs_the_import(settings, worker, member, defaults, clients_csv):
    if connection.vendor != "postgresql":
        pytest.skip("the worker needs the test's own database: PostgreSQL")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    run = mapped(member, clients_csv)
    services.start(actor=member, run=run)  # committed: the job is queued
    worker.start()

    def finished():
        run.refresh_from_db()
        return run.status == ImportRun.Status.DONE

    wait_for(finished, STARTUP_SECONDS + 10, worker.output)
    assert (run.created, run.progress) == (2, 2)
    assert set(Client.objects.values_list("name", flat=True)) == {"Globex Corporation", "Initech"}
