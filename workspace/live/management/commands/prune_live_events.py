from workspace.jobs.recurring import RecurringJobCommand
from workspace.live.tasks import prune, prune_events


class Command(RecurringJobCommand):
    help = "Delete live events older than LIVE_RETENTION (now, or as a recurring background task)."
    job = prune_events
    what = "Pruning"

    def run_now(self) -> str:
        return f"Pruned {prune()} live events."
