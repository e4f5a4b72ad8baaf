"""An import's live topic, ``import.<id>``: its progress while the job runs.

The job publishes, every few hundred rows and at the end, the progress
fragment (``_progress.html``, root ``#import-<id>-progress``) rendered once;
the run's page follows the topic (``data-live-topics``) and swaps it in place.
Only who may see the run may follow it.
"""

from django.template.loader import render_to_string

from integrations.imports import policies
from integrations.imports.models import ImportRun
from records import events as record_events
from workspace import live

PROGRESS_TEMPLATE = "integrations/imports/_progress.html"
LIST_NOTICE_TEMPLATE = "integrations/imports/_list_notice.html"


def can_follow_run(user, key: str) -> bool:
    run = ImportRun.objects.defer("data").filter(pk=key).first() if key.isdigit() else None
    return run is not None and policies.can_view_run(user, run)


def publish_progress(run: ImportRun, kind: str = "import.progress"):
    html = render_to_string(PROGRESS_TEMPLATE, {"run": run, "oob": True})
    payload = {"id": run.pk, "status": run.status, "progress": run.progress, "total": run.total}
    return live.publish(run.topic, kind, payload, html=html)


def tell_open_lists(run: ImportRun, text: str) -> None:
    """Open client or contact lists hear of an import's (bulk-written) records once, as a
    notice with a link that reloads the list, instead of one row event per record."""
    html = render_to_string(LIST_NOTICE_TEMPLATE, {"list": run.kind, "text": text})
    live.publish(record_events.list_topic(run.kind), "import.listed", {"id": run.pk}, html=html)


def load() -> None:
    live.register_topic("import", can_follow_run)
