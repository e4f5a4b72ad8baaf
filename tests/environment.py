"""Pytest plugin loaded before Django (``-p tests.environment`` in pyproject).

It fills in the few settings a test run needs and the environment may not
give: tests run with DEBUG off, like production, so they need a SECRET_KEY.
Values already in the environment win (CI sets DATABASE_URL and REDIS_URL).
"""

import os
import tempfile
import uuid

from tests import clock

os.environ.setdefault("SECRET_KEY", "tests-only-" + "k" * 50)
# The test client speaks plain HTTP; TLS is the proxy's job in production.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("STATIC_FROM_SOURCE", "1")
# Mail attachments written by tests (and by their server processes) go to a temporary
# folder, never into the checkout.
os.environ.setdefault("MAIL_ATTACHMENTS_ROOT", tempfile.mkdtemp(prefix="ws-test-mail-"))

# Redis keys and channels of this run's own, and of each pytest-xdist worker's: runs and
# workers sharing one Redis never see each other's events, presence or cache.
RUN_PREFIX = os.environ.setdefault("TEST_REDIS_PREFIX", f"wstest{uuid.uuid4().hex[:8]}")
os.environ["REDIS_PREFIX"] = RUN_PREFIX + os.environ.get("PYTEST_XDIST_WORKER", "")

# TEST_NOW moves the clock of the whole run (tests/clock.py).
clock.start()
