"""Background jobs of the live bus (django.tasks; run by ``manage.py run_worker``)."""

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from workspace.jobs.recurring import schedule_next
from workspace.live import conf
from workspace.live.models import Event, Watermark

PRUNE_BATCH = 5_000


def prune() -> int:
    """Delete events older than ``LIVE_RETENTION``; returns how many.

    The highest deleted id becomes the watermark: a client whose last id is
    below it is told to resync, since some of what it missed is gone.
    """
    cutoff = timezone.now() - conf.get("LIVE_RETENTION")
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                Event.objects.filter(created_at__lt=cutoff)
                .order_by("id")
                .values_list("id", flat=True)[:PRUNE_BATCH]
            )
            if not ids:
                return deleted
            # The watermark moves first, in the same transaction: no moment
            # exists where events are gone and the watermark does not say so.
            mark, _ = Watermark.objects.select_for_update().get_or_create(pk=1)
            mark.pruned_through = max(mark.pruned_through, ids[-1])
            mark.pruned_at = timezone.now()
            mark.save()
            deleted += Event.objects.filter(id__in=ids).delete()[0]


@task
def prune_events(every_seconds: int | None = None) -> int:
    """Prune the event log; with ``every_seconds``, schedule the next run too (a recurring
    job: workspace/jobs/recurring.py; start it with ``manage.py prune_live_events --every
    3600``)."""
    schedule_next(prune_events, every_seconds)
    return prune()
