"""Jobs survive a crashed worker: real ``run_worker`` processes, one SIGKILLed mid-job.

Workers run on the test's database (PostgreSQL, or a SQLite file on the
embedded default) with a lease of LEASE seconds, so a dead worker's job comes
back within seconds. tests/jobs/test_recovery.py covers the rules one by one.
"""

import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.servers import ROOT

# Both databases: SQLite locks differently from PostgreSQL.
pytestmark = pytest.mark.backend

LEASE = 2
STARTUP_SECONDS = 20  # a loaded CI machine takes seconds to start Django


class Worker:
    """A ``manage.py run_worker`` process of its own id, its output in a log file."""

    def __init__(self, database, directory: Path, name: str):
        self.id = f"{name}-{uuid.uuid4().hex[:8]}"
        self.database = database
        self.log = directory / f"{self.id}.log"
        self.process = None

    def start(self) -> "Worker":
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    *(sys.executable, "manage.py", "run_worker", "--worker-id", self.id),
                    *("--interval", "0.1", "--no-startup-delay", "--no-reload"),
                ],
                cwd=ROOT,
                env=self.database.env(JOBS_LEASE_SECONDS=str(LEASE)),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_started(self) -> "Worker":
        """Until it beat once, recovered what was orphaned, and began taking jobs."""
        wait_for(lambda: f"worker_id={self.id}" in self.output(), STARTUP_SECONDS, self.output)
        return self

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(5)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(condition, seconds: float, explain=lambda: "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {seconds} s\n{explain()}"
        time.sleep(0.05)


@pytest.fixture
def workers(server_db, tmp_path):
    """``workers(name)`` makes a worker (not started); all are stopped at teardown."""
    made = []

    def make(name: str) -> Worker:
        made.append(Worker(server_db, tmp_path, name))
        return made[-1]

    yield make
    for worker in made:
        if worker.process:
            worker.stop()


def runs(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_a_killed_workers_job_runs_once_more_a_live_workers_is_left_alone(
    server_db, workers, tmp_path
):
    log, gate = tmp_path / "runs.log", tmp_path / "gate"
    first, second = workers("first"), workers("second")
    first.start()
    job = server_db.run("probe", str(log), str(gate), script="tests.jobs.jobctl")["job"]
    wait_for(lambda: runs(log) == [f"start {first.id}"], STARTUP_SECONDS, first.output)

    # A second worker, beside a first that is alive and busy: it leaves the job alone.
    second.start().wait_started()
    time.sleep(2 * LEASE)
    assert runs(log) == [f"start {first.id}"]

    first.kill()
    wait_for(lambda: len(runs(log)) == 2, LEASE + 3, second.output)  # a lease, a beat, a poll
    gate.touch()
    finished = f"Task id={job} path=tests.jobs.probe.wait_for_gate state=SUCCESSFUL"
    wait_for(lambda: finished in second.output(), 5, second.output)

    assert runs(log) == [f"start {first.id}", f"start {second.id}", f"done {second.id}"]


def test_a_task_reminder_left_running_by_a_killed_worker_is_sent_exactly_once(server_db, workers):
    """Issue 15: the reminder's job stayed RUNNING under the dead worker, never sent."""
    first, second = workers("first"), workers("second")
    second.start()  # it boots meanwhile; the job it will find is created already claimed
    first.start().wait_started()
    first.kill()
    left = server_db.run("due-reminder", first.id, script="tests.jobs.jobctl")

    ran = f"Task id={left['job']} path=records.services.reminders.send_task_reminder"
    wait_for(lambda: f"{ran} state=SUCCESSFUL" in second.output(), 12, second.output)

    state = server_db.run(
        "state", left["job"], "--task", str(left["task"]), script="tests.jobs.jobctl"
    )
    assert state == {
        "status": "SUCCESSFUL",
        "worker_ids": [first.id, second.id],
        "reminders": 1,
        "sent": True,
    }
    assert second.output().count(ran) == 2  # started once, finished once
