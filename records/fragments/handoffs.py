"""Live handoffs: inbox cards inserted, replaced or removed by id, and the handoff page.

Drawn from the partials of templates/records/handoffs.html and
handoff_detail.html, the same for every viewer: a redrawn card carries an empty
placeholder where each tab loads its own buttons (records:handoff_actions).
"""

from records.fragments import fragment, renders
from records.selectors import handoff_pages as selectors

CHANGES = ("handoff.accepted", "handoff.declined", "handoff.withdrawn", "handoff.escalated")


@renders("handoff.created", *CHANGES)
def handoff_cards(kind: str, payload: dict) -> str:
    handoff = selectors.load_handoff(payload["id"])
    if handoff is None:
        return ""
    partial = "live-created" if kind == "handoff.created" else "live-changed"
    cards = fragment(f"records/handoffs.html#{partial}", {"handoff": handoff})
    page = fragment(
        "records/handoff_detail.html#handoff-body",
        {"handoff": handoff, "path": selectors.path(handoff), "oob": True, "live": True},
    )
    count = fragment("records/handoffs.html#count-refresh", {})
    return cards + page + count
