from django.core.management.base import BaseCommand
from django.tasks import TaskResultStatus

from reports.health import rescore_all
from reports.tasks import rescore_clients, rescore_jobs


def rescoring_scheduled() -> bool:
    """Whether a rescoring cycle is already queued or running in the task database."""
    return rescore_jobs(TaskResultStatus.READY, TaskResultStatus.RUNNING).exists()


class Command(BaseCommand):
    help = "Rescore every client's health (now, or as a recurring background task)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=int,
            metavar="SECONDS",
            help="Start a rescoring task that re-schedules itself every SECONDS. "
            "Safe to run on every deploy: it does nothing while a cycle is already scheduled.",
        )

    def handle(self, *args, every=None, **options):
        if not every:
            self.stdout.write(f"Rescored every client; {rescore_all()} scores changed.")
        elif rescoring_scheduled():
            self.stdout.write("Rescoring is already scheduled; nothing to do.")
        else:
            rescore_clients.enqueue(every)
            self.stdout.write(
                f"Rescoring enqueued; it will repeat every {every} s under run_worker."
            )
