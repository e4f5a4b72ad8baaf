"""Pytest plugin loaded before Django (``-p tests.environment`` in pyproject).

It fills in the few settings a test run needs and the environment may not
give: tests run with DEBUG off, like production, so they need a SECRET_KEY.
Values already in the environment win (CI sets DATABASE_URL and REDIS_URL).
"""

import os

from tests import clock

os.environ.setdefault("SECRET_KEY", "tests-only-" + "k" * 50)
# The test client speaks plain HTTP; TLS is the proxy's job in production.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("STATIC_FROM_SOURCE", "1")

# TEST_NOW moves the clock of the whole run (tests/clock.py).
clock.start()
