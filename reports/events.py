"""Reports' live topics: ``report.<area>`` (sales, support, teamwork, activity, health).

A report page follows its area's topic. A listener on records' (and chat's)
writes publishes ``report.changed`` there in the writer's transaction; the
page, told, re-fetches itself at most once every few seconds
(static/js/reports.js), and the computation is shared by every tab asking
for the same filters in the same scope (reports/caching.py). Nothing in the
event says what changed beyond its kind: the numbers travel only in the
page's own, permission-checked request.
"""

from reports import catalog, policies
from workspace import live

# The areas whose numbers a change of each kind can move.
KIND_AREAS = {
    "deal.": ("sales", "health"),
    "ticket.": ("support", "health"),
    "handoff.": ("teamwork",),
    "task.": ("teamwork",),
    "activity.": ("activity", "health"),
    "comment.": ("teamwork", "activity"),
    "chat.message.posted": ("teamwork",),
}


def area_topic(area: str) -> str:
    return f"report.{area}"


def can_follow_area(user, key: str) -> bool:
    return key in catalog.AREAS and policies.can_view_reports(user)


def areas_moved_by(kind: str) -> tuple[str, ...]:
    return next((areas for prefix, areas in KIND_AREAS.items() if kind.startswith(prefix)), ())


def report_changed(kind: str, payload: dict, topics) -> None:
    """Tell the open report pages of each area ``kind`` moves (in the writer's transaction).

    Chat counts only in client rooms: other rooms' messages (private ones, direct
    messages) are in no report, and even their timing is not announced."""
    if kind.startswith("chat.") and not payload.get("room_client"):
        return
    for area in areas_moved_by(kind):
        live.publish(area_topic(area), "report.changed", {"cause": kind})


def load() -> None:
    live.register_topic("report", can_follow_area)
    for prefix in KIND_AREAS:
        live.register_listener(prefix, report_changed)
