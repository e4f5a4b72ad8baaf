"""Reports' live topics: ``report.<area>`` (sales, support, teamwork, activity, health).

A report page follows its area's topic. A listener on records' (and chat's)
writes publishes ``report.changed`` there in the writer's transaction; the
page, told, re-fetches itself at most once every few seconds
(static/js/reports.js), and the computation is shared by every tab asking
for the same filters in the same scope (reports/caching.py). Nothing in the
event says what changed beyond its kind: the numbers travel only in the
page's own, permission-checked request.

A second listener keeps the client-health rollup current: the clients a write
concerns are rescored in its transaction (reports/services.py, reports/health.py).
"""

from reports import catalog, policies, services
from reports.models import ClientHealth
from workspace import live

# The areas whose numbers a change of each kind can move.
KIND_AREAS = {
    "deal.": ("sales", "health", "marketing"),
    "ticket.": ("support", "health"),
    "handoff.": ("teamwork",),
    "task.": ("teamwork",),
    "activity.": ("activity", "health"),
    "comment.": ("teamwork", "activity"),
    "chat.message.posted": ("teamwork",),
    "contact.created": ("marketing",),
    "campaign.": ("marketing",),
    "mail.": ("activity",),  # emails sent and received, and threads made private
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
    messages) are in no report, and even their timing is not announced. Likewise mail
    that reaches no client page (a private thread's, triage) is not announced."""
    if kind.startswith("chat.") and not payload.get("room_client"):
        return
    if kind.startswith("mail.") and not any(topic.startswith("client.") for topic in topics):
        return
    for area in areas_moved_by(kind):
        live.publish(area_topic(area), "report.changed", {"cause": kind})


# --- Client health: rescored in the writer's transaction ----------------------------

# Event kinds of writes that can move a client's score (they carry the client's topic).
LISTENED_PREFIXES = (
    "deal.",
    "ticket.",
    "activity.",
    "comment.",
    "handoff.",
    "client.",
    "contact.",
    "task.",
    "calendar.meeting",
    "chat.highlighted",
)


def clients_in(topics) -> list[int]:
    """The client ids among ``topics`` ("client.42" → 42)."""
    ids = []
    for topic in topics:
        prefix, _, key = topic.partition(".")
        if prefix == "client" and key.isdigit():
            ids.append(int(key))
    return ids


# Writes that only add a person's doing to a client (and, for a meeting, a meeting): they
# can only take the silence signals away, never add or change any other.
ACTIVITY_ONLY = (
    "comment.",
    "activity.",
    "task.",
    "contact.",
    "handoff.",
    "calendar.meeting",
    "chat.highlighted",
)
SILENCE_SIGNALS = frozenset({"inactive_30", "inactive_60", "inactive_90", "no_meeting"})


def client_changed(kind: str, payload: dict, topics) -> None:
    """Rescore the clients a write concerns, in its transaction."""
    ids = clients_in(topics)
    if ids and kind.startswith(ACTIVITY_ONLY):
        ids = silent_or_unscored(ids)
    if ids:
        services.rescore(ids)


def silent_or_unscored(client_ids: list[int]) -> list[int]:
    """Of the clients an activity touched, those whose score it can move: those not scored
    yet, and those scored with a silence signal (one query). For the others the score is
    the same with the activity as without it, so the write skips the rescoring."""
    stored = dict(ClientHealth.objects.filter(pk__in=client_ids).values_list("pk", "reasons"))
    return [
        pk
        for pk in client_ids
        if pk not in stored or any(reason["signal"] in SILENCE_SIGNALS for reason in stored[pk])
    ]


def load() -> None:
    live.register_topic("report", can_follow_area)
    for prefix in KIND_AREAS:
        live.register_listener(prefix, report_changed)
    for prefix in LISTENED_PREFIXES:
        live.register_listener(prefix, client_changed)
