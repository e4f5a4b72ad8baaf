"""Live parts of the client page besides fields and timeline: the archived banner,
new deals and tickets at the top of the client's lists, and new contacts.

A new contact's fields are editable or not depending on the viewer, which one
rendering cannot know: its fragment makes each open page re-fetch its own
contacts card (one GET per open page; contacts are added rarely).
"""

from records.fragments import fragment, renders
from records.models import Client, Deal, Ticket


@renders("client.archived", "client.restored")
def archived_state(kind: str, payload: dict) -> str:
    client = Client.objects.filter(pk=payload["id"]).first()
    if client is None:
        return ""
    return fragment("records/client_detail.html#state-banner", {"client": client, "oob": True})


@renders("deal.created")
def new_deal(kind: str, payload: dict) -> str:
    deal = Deal.objects.select_related("stage", "owner").filter(pk=payload["id"]).first()
    if deal is None:
        return ""
    context = {"deal": deal, "client_id": deal.client_id, "list": "deals"}
    return fragment("records/client_detail.html#new-row", context)


@renders("ticket.created")
def new_ticket(kind: str, payload: dict) -> str:
    ticket = Ticket.objects.select_related("assignee").filter(pk=payload["id"]).first()
    if ticket is None:
        return ""
    context = {"ticket": ticket, "client_id": ticket.client_id, "list": "tickets"}
    return fragment("records/client_detail.html#new-row", context)


@renders("contact.created")
def new_contact(kind: str, payload: dict) -> str:
    return fragment("records/client_detail.html#refresh-contacts", {"client_id": payload["client"]})
