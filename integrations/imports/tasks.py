"""The import job (django.tasks, run by ``manage.py run_worker``).

``run_import`` executes the run's plan (integrations/imports/engine.py) and
publishes its progress on ``import.<id>`` every few hundred rows, each in its
own short transaction so open pages see it move. A file that cannot be read
any more fails the whole run before anything is written.
"""

from django.db import transaction
from django.tasks import task

from integrations.imports import engine, reading
from integrations.imports.events import publish_progress, tell_open_lists
from integrations.imports.models import ImportRun

Status = ImportRun.Status


@task
def run_import(run_id: int) -> int:
    """Import the run's file; returns the rows processed (0 when it was not ready to run)."""
    run = ImportRun.objects.select_related("user").filter(pk=run_id, status=Status.RUNNING).first()
    if run is None:
        return 0

    def progress(outcome: engine.Outcome, done: int) -> None:
        run.progress = done
        run.created, run.updated = outcome.created, outcome.updated
        run.skipped, run.failed = outcome.skipped, outcome.failed
        with transaction.atomic():
            run.save(update_fields=["progress", "created", "updated", "skipped", "failed"])
            publish_progress(run)

    try:
        outcome = engine.execute(run, on_progress=progress)
    except reading.UnreadableFile as error:
        run.error = str(error)
        with transaction.atomic():
            engine.finish(run, engine.Outcome(), Status.FAILED)
            publish_progress(run, "import.finished")
        return 0
    with transaction.atomic():
        engine.finish(run, outcome, Status.DONE)
        publish_progress(run, "import.finished")
        if outcome.created:
            noun = run.get_kind_display().lower()
            tell_open_lists(run, f"{run.user} imported {outcome.created:,} {noun}.")
    return run.progress
