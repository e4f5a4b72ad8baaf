"""The heartbeat thread of a ``run_worker`` process."""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connections

from workspace.jobs.recovery import beat, forget, recover_orphaned_jobs

logger = logging.getLogger(__name__)


class Heartbeat:
    """While entered: beat for ``worker_id`` and recover orphaned jobs every lease / 4.

    The first tick runs before the worker starts, so a restarted worker first
    gives back what dead workers left RUNNING (at once if they had its id), then
    claims. The rest run in a thread, because the worker's own thread is busy
    with jobs that may take longer than a lease. Leaving it (the worker stopped
    cleanly, its job finished) removes the worker's row; a process that dies
    never leaves, and its row goes stale.
    """

    def __init__(self, worker_id: str):
        self.worker_id = worker_id
        self.interval = settings.JOBS_LEASE.total_seconds() / 4
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="job-heartbeat", daemon=True)

    def __enter__(self) -> "Heartbeat":
        beat(self.worker_id)
        recover_orphaned_jobs(restarted=self.worker_id)
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self.thread.join(self.interval + 5)
        forget(self.worker_id)

    def run(self) -> None:
        try:
            while not self.stopping.wait(self.interval):
                self.safe_tick()
        finally:
            connections.close_all()  # this thread's own

    def tick(self) -> None:
        beat(self.worker_id)
        recover_orphaned_jobs()

    def safe_tick(self) -> None:
        """A tick that survives a database hiccup: the next one, a moment later, tries again."""
        try:
            close_old_connections()
            self.tick()
        except Exception:
            logger.exception("Worker %s: heartbeat failed; retrying", self.worker_id)
