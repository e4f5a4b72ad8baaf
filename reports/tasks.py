"""Background jobs of reports (django.tasks; run by ``manage.py run_worker``)."""

from django.tasks import task

from reports.services import rescore_all
from workspace.jobs.recurring import schedule_next


@task
def rescore_clients(every_seconds: int | None = None) -> int:
    """Rescore every client's health; with ``every_seconds``, schedule the next run too
    (a recurring job: workspace/jobs/recurring.py).

    Writes keep the scores current as they happen (reports/events.py's
    listener); this sweep catches what time alone changes: days without
    activity add up, breaches and lost deals leave the 90-day window.
    Start the cycle once (``manage.py rescore_clients --every 86400``).
    """
    schedule_next(rescore_clients, every_seconds)
    return rescore_all()
