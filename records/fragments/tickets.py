"""Live fragments of the ticket page: header, SLA panel, rating, a history line, controls.

All from the partials of templates/records/ticket_detail.html. The status
buttons and the rating form depend on who is looking, so the fragment carries
them as empty placeholders that each page fills by fetching its own copy
(``hx-trigger="load"``), instead of one viewer's buttons for everyone.
"""

from records.fragments import fragment, renders
from records.selectors import tickets as selectors

# ticket.updated fields that change what the header or SLA panel shows.
SHOWN_FIELDS = {"subject", "priority", "channel", "contact", "assignee"}
# The per-viewer controls an event makes stale: they follow the status, the rating,
# and the assignee (who may change the ticket).
CONTROLS = ("ticket-actions", "ticket-rate")  # partials of the page, by element id prefix
STALE_CONTROLS = {"ticket.status": CONTROLS, "ticket.rated": ("ticket-rate",)}


@renders("ticket.status", "ticket.rated", "ticket.updated")
def ticket_page(kind: str, payload: dict) -> str:
    if kind == "ticket.updated" and payload.get("field") not in SHOWN_FIELDS:
        return ""
    ticket = selectors.load_ticket(payload["id"])
    if ticket is None:
        return ""
    stale = STALE_CONTROLS.get(kind, CONTROLS if payload.get("field") == "assignee" else ())
    context = {
        **selectors.shared_parts(ticket),
        "change": selectors.history_change(payload.get("change")),
        "stale_controls": stale,
    }
    return fragment("records/ticket_detail.html#live-ticket", context)
