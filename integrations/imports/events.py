"""An import's live topic, ``import.<id>``: its progress while the job runs.

The job publishes, every few hundred rows and at the end, the progress
fragment (``_progress.html``, root ``#import-<id>-progress``) rendered once;
the run's page follows the topic (``data-live-topics``) and swaps it in place.
Only who may see the run may follow it.
"""

from django.template.loader import render_to_string

from integrations.imports import policies
from integrations.imports.models import ImportRun
from workspace import live

PROGRESS_TEMPLATE = "integrations/imports/_progress.html"


def can_follow_run(user, key: str) -> bool:
    run = ImportRun.objects.defer("data").filter(pk=key).first() if key.isdigit() else None
    return run is not None and policies.can_view_run(user, run)


def publish_progress(run: ImportRun, kind: str = "import.progress"):
    html = render_to_string(PROGRESS_TEMPLATE, {"run": run, "oob": True})
    payload = {"id": run.pk, "status": run.status, "progress": run.progress, "total": run.total}
    return live.publish(run.topic, kind, payload, html=html)


def load() -> None:
    live.register_topic("import", can_follow_run)
