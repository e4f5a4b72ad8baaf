from django.core.management.base import BaseCommand
from django.tasks import TaskResultStatus

from workspace.live.tasks import prune, prune_events, prune_jobs


def pruning_scheduled() -> bool:
    """Whether a pruning cycle is already queued or running in the task database."""
    return prune_jobs(TaskResultStatus.READY, TaskResultStatus.RUNNING).exists()


class Command(BaseCommand):
    help = "Delete live events older than LIVE_RETENTION (now, or as a recurring background task)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=int,
            metavar="SECONDS",
            help="Start a pruning task that re-schedules itself every SECONDS. "
            "Safe to run on every deploy: it does nothing while a cycle is already scheduled.",
        )

    def handle(self, *args, every=None, **options):
        if not every:
            self.stdout.write(f"Pruned {prune()} live events.")
        elif pruning_scheduled():
            self.stdout.write("Pruning is already scheduled; nothing to do.")
        else:
            prune_events.enqueue(every)
            self.stdout.write(f"Pruning enqueued; it will repeat every {every} s under run_worker.")
