"""Run the test suite at another moment: ``TEST_NOW=2026-12-06T23:57:00-10:00 make pytest``.

Tests must not depend on the wall clock (a task "due in 12 minutes" is tomorrow
in some zones at some hours). To prove it, the whole suite can run with the
clock moved to any moment, still ticking: the first process computes how far
to move it (``TEST_CLOCK_SHIFT``, seconds) and every process it starts that
sees that variable — pytest-xdist workers, daphne servers and scripts, through
``tests/clock_site/sitecustomize.py`` — moves its clock by the same amount, so
all of them agree on the time.
"""

import os
import time
from datetime import datetime

NOW = "TEST_NOW"
SHIFT = "TEST_CLOCK_SHIFT"
TESTS = os.path.dirname(os.path.abspath(__file__))
SITE = os.path.join(TESTS, "clock_site")  # its sitecustomize imports this module


def start() -> None:
    """Move this process's clock if the environment asks for it (and pass it on)."""
    if os.environ.get(NOW) and SHIFT not in os.environ:
        target = datetime.fromisoformat(os.environ[NOW]).timestamp()
        os.environ[SHIFT] = str(target - time.time())
        paths = [SITE, os.path.dirname(TESTS), os.environ.get("PYTHONPATH", "")]
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    if os.environ.get(SHIFT):
        import time_machine

        time_machine.travel(time.time() + float(os.environ[SHIFT]), tick=True).start()
