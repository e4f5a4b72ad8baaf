"""A test-only job that stops mid-run until its test opens a gate, and logs every run.

Worker processes started by tests/jobs/test_worker_crash.py import it from here
(they have the repository root on their PYTHONPATH). Each run appends
``start <worker id>`` to the log when it begins and ``done <worker id>`` when
it ends, so the log says how often the job ran, on which worker, and how often
its effect happened.
"""

import time
from pathlib import Path

from django.tasks import task

GATE_TIMEOUT_SECONDS = 30


def record(log: str, line: str) -> None:
    with open(log, "a") as file:
        file.write(line + "\n")


@task(takes_context=True)
def wait_for_gate(context, log: str, gate: str) -> None:
    worker = context.task_result.worker_ids[-1]
    record(log, f"start {worker}")
    deadline = time.monotonic() + GATE_TIMEOUT_SECONDS
    while not Path(gate).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the test never opened {gate}")
        time.sleep(0.05)
    record(log, f"done {worker}")
