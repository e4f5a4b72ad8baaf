"""``manage.py run_worker``: django-tasks-db's ``db_worker`` with a heartbeat.

It takes every ``db_worker`` option. While it runs it beats and gives back the
jobs of workers that died (workspace/jobs/__init__.py tells how).
"""

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from workspace.jobs.heartbeat import Heartbeat


class Command(DbWorkerCommand):
    help = "Run background jobs (db_worker) with a heartbeat; recovers jobs of workers that died."

    def handle(self, *args, worker_id: str, reload: bool, batch: bool, **options) -> None:
        run = super().handle
        options.update(worker_id=worker_id, reload=reload, batch=batch)
        if reload and not batch and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            # The autoreloader's parent only restarts its child; the child runs jobs and beats.
            return run(*args, **options)
        with Heartbeat(worker_id):
            run(*args, **options)
