from automation.clock import clock_tick, tick
from workspace.jobs.recurring import RecurringJobCommand


class Command(RecurringJobCommand):
    help = (
        "Run the automation clock: time triggers (SLA due soon or breached, handoffs "
        "unanswered, tasks overdue, schedules) — once now, or as a recurring background task."
    )
    job = clock_tick
    what = "The automation clock"

    def run_now(self) -> str:
        return f"The automation clock scheduled {tick()} runs."
