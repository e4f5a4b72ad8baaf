"""Running ``bench/<x>.py --toy`` for the toy-run tests (test_toy_runs_*.py), which
split the benches in two halves so that pytest-xdist (``--dist loadfile``) runs the
halves on two workers at once."""

import os
import signal
import subprocess
import sys

from tests.servers import ROOT

BENCH = ROOT / "bench"
SCRIPTS = sorted(path for path in BENCH.glob("*.py") if "\ndef main(" in path.read_text())
TIMEOUT_SECONDS = 90  # the slowest toy run takes ~60 s on a machine busy with other tests
GRACE_SECONDS = 10  # after SIGTERM, for the bench to stop what it started
TAIL = 3000


def run_toy(script, env: dict) -> tuple[int | None, str]:
    """Run ``script --toy``; its exit status (None: timed out, then stopped) and output."""
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, str(script), "--toy"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT_SECONDS)
        return process.returncode, output
    except subprocess.TimeoutExpired:
        process.terminate()  # the benches stop their servers and workers on SIGTERM
        try:
            output, _ = process.communicate(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        return None, output


def assert_runs_at_toy_size(script, env: dict) -> None:
    status, output = run_toy(script, env)
    verdict = f"timed out after {TIMEOUT_SECONDS} s" if status is None else f"exit {status}"
    assert status == 0, f"bench/{script.name} --toy: {verdict}\n{output[-TAIL:]}"
