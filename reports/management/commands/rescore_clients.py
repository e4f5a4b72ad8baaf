from reports.services import rescore_all
from reports.tasks import rescore_clients
from workspace.jobs.recurring import RecurringJobCommand


class Command(RecurringJobCommand):
    help = "Rescore every client's health (now, or as a recurring background task)."
    job = rescore_clients
    what = "Rescoring"

    def run_now(self) -> str:
        return f"Rescored every client; {rescore_all()} scores changed."
