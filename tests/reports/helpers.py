"""What the reports' tests share: a viewer's filters for a custom range."""

from datetime import date
from zoneinfo import ZoneInfo

from reports.filters import Filters
from reports.policies import scope_for

MARCH_2026 = (date(2026, 3, 1), date(2026, 3, 31))


def filters_for(viewer, start: date, end: date, **choices) -> Filters:
    """The filters ``viewer`` gets for ``start`` to ``end`` (a custom range, in UTC)."""
    return Filters(scope_for(viewer), start, end, "custom", ZoneInfo("UTC"), **choices)


def march(viewer, **choices) -> Filters:
    """``viewer``'s filters for March 2026."""
    return filters_for(viewer, *MARCH_2026, **choices)
