"""Started by every Python process of a test run whose clock is moved (see tests/clock.py)."""

from tests.clock import start

start()
