"""Every report: its slug, area, title and builder, registered by the area modules.

@catalog.report("sales-funnel", area="sales", title="Funnel", filters=SALES_FILTERS,
                summary="…")
def funnel(filters: Filters) -> Report: ...
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass

AREAS = {
    "sales": "Sales",
    "support": "Support",
    "teamwork": "Teamwork",
    "activity": "Activity",
    "health": "Client health",
    "marketing": "Marketing",  # registered by marketing/channels.py
}
FILTER_NAMES = ("period", "department", "person", "pipeline", "currency", "days")
AREA_MODULES = ("sales", "support", "teamwork", "activity", "health")


@dataclass(frozen=True)
class ReportSpec:
    slug: str
    area: str
    title: str
    summary: str
    build: Callable
    filters: tuple[str, ...]

    @property
    def area_title(self) -> str:
        return AREAS[self.area]

    @property
    def topic(self) -> str:
        """The live topic its open pages follow (reports/events.py)."""
        return f"report.{self.area}"


_specs: dict[str, ReportSpec] = {}


def report(slug: str, *, area: str, title: str, summary: str, filters=FILTER_NAMES[:3]):
    """Register the decorated builder ``build(filters) -> Report`` as report ``slug``."""
    if area not in AREAS:
        raise ValueError(f"{area!r} is not a report area: {tuple(AREAS)}.")
    if unknown := set(filters) - set(FILTER_NAMES):
        raise ValueError(f"Unknown filters {unknown}; filters are {FILTER_NAMES}.")

    def register(build):
        if slug in _specs and _specs[slug].build is not build:
            raise ValueError(f"Report {slug!r} is registered twice.")
        _specs[slug] = ReportSpec(slug, area, title, summary, build, tuple(filters))
        return build

    return register


def get(slug: str) -> ReportSpec | None:
    return _specs.get(slug)


def by_area() -> list[tuple[str, str, list[ReportSpec]]]:
    """(area, title, reports) in the areas' order, reports in registration order."""
    return [
        (area, title, [spec for spec in _specs.values() if spec.area == area])
        for area, title in AREAS.items()
    ]


def all_specs() -> list[ReportSpec]:
    return list(_specs.values())


def load() -> None:
    """Import the area modules, which register their reports."""
    for name in AREA_MODULES:
        importlib.import_module(f"reports.selectors.{name}")
