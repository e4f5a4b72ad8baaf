"""Compute a report once per change and filter set, not once per open tab.

The cache key holds the report, its filters, the viewer's scope and the last
event id of the report's live topic (``report.<area>``): a change publishes
there, so the key moves on with each change and stays put between them.
When several tabs ask at once after a change, the first computes under a
short lock while the others wait for its result.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max

from reports.catalog import ReportSpec
from reports.filters import Filters
from workspace.live.models import Event

LOCK_SECONDS = 30
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.05


def topic_version(topic: str) -> int:
    """The last event id published on ``topic`` (0 when none): one index lookup."""
    return Event.objects.filter(topic=topic).aggregate(last=Max("id"))["last"] or 0


def cache_seconds() -> int:
    """How long a computed report is kept (``REPORTS_CACHE_SECONDS``; 0: not kept)."""
    return getattr(settings, "REPORTS_CACHE_SECONDS", 300)


def report_key(spec: ReportSpec, filters: Filters) -> str:
    """The report, its filters, the scope, the topic's version and the database (two
    deployments, or test databases, sharing a Redis never share a report)."""
    version = topic_version(spec.topic)
    database = settings.DATABASES["default"]["NAME"]
    raw = f"{database}|{spec.slug}|{version}|{filters.today}|{filters.cache_key}"
    return "reports:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def computed(spec: ReportSpec, filters: Filters):
    """The report for ``filters``: from the cache, or built once for everyone asking."""
    key = report_key(spec, filters)
    report = cache.get(key)
    if report is not None:
        return report
    if not cache.add(f"{key}:lock", 1, LOCK_SECONDS):
        report = _wait_for(key)
        if report is not None:
            return report
    report = spec.build(filters)
    cache.set(key, report, cache_seconds())
    cache.delete(f"{key}:lock")
    return report


def _wait_for(key: str):
    """The report another request is computing, or None if it is not there in time."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        if (report := cache.get(key)) is not None:
            return report
    return None
