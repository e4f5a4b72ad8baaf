"""How long the run log keeps what it did (run by the clock's recurring job).

Runs finished more than ``AUTOMATION_RUN_LOG_DAYS`` ago are deleted, and so are the
occurrences no run refers to any more (a debounced run that moved on to a later edit
leaves its earlier ones behind). Old keys can go: a bus run's key names an occurrence id,
never reused, and the clock looks back one hour only, so a deleted run's moment is never
found again.
"""

from datetime import datetime, timedelta

from django.conf import settings

from automation.models import Occurrence, RuleRun

# Deleted per tick at most, so one tick never holds a long transaction.
BATCH = 5000


def prune(now: datetime) -> int:
    """Delete a batch of old runs and orphaned occurrences; returns how many rows went."""
    before = now - timedelta(days=settings.AUTOMATION_RUN_LOG_DAYS)
    old_runs = RuleRun.objects.filter(finished_at__lt=before).values_list("pk", flat=True)
    runs, _ = RuleRun.objects.filter(pk__in=list(old_runs[:BATCH])).delete()
    orphans = Occurrence.objects.filter(
        created_at__lt=now - timedelta(days=1), runs__isnull=True, dispatched_at__isnull=False
    ).values_list("pk", flat=True)
    occurrences, _ = Occurrence.objects.filter(pk__in=list(orphans[:BATCH])).delete()
    return runs + occurrences
