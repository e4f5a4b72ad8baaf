"""Live parts of the client page besides fields and timeline: the archived banner,
new deals and tickets at the top of the client's lists, and new or deleted contacts.

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
    return _new_row(Deal.objects.select_related("stage", "owner"), payload["id"])


@renders("ticket.created")
def new_ticket(kind: str, payload: dict) -> str:
    return _new_row(Ticket.objects.select_related("assignee"), payload["id"])


def _new_row(records, pk: int) -> str:
    """The row a new deal or ticket adds on top of its list ("deals", "tickets") on
    its client's page; nothing when it is gone again."""
    record = records.filter(pk=pk).first()
    if record is None:
        return ""
    name = records.model._meta.model_name
    context = {name: record, "client_id": record.client_id, "list": f"{name}s"}
    return fragment("records/client_detail.html#new-row", context)


@renders("contact.created", "contact.deleted")
def new_contact(kind: str, payload: dict) -> str:
    return fragment("records/client_detail.html#refresh-contacts", {"client_id": payload["client"]})
