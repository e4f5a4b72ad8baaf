"""What a rule acts on: the record an event is about, by subject type.

Triggers name a subject type ("deal"); a run loads the record fresh when it runs, so
conditions see the final values (several quick edits debounced into one run see the
last). ``client_of`` gives the client every subject belongs to (its room, its owner,
its timeline).
"""

from django.urls import reverse

from records.models import Client, Contact, Deal, Handoff, Task, Ticket

MODELS = {
    "client": Client,
    "contact": Contact,
    "deal": Deal,
    "ticket": Ticket,
    "task": Task,
    "handoff": Handoff,
}
LABELS = {
    "client": "Client",
    "contact": "Contact",
    "deal": "Deal",
    "ticket": "Ticket",
    "task": "Task",
    "handoff": "Handoff",
}
_RELATED = {
    "client": ("owner",),
    "contact": ("client", "client__owner"),
    "deal": ("client", "client__owner", "owner", "stage"),
    "ticket": ("client", "client__owner", "assignee"),
    "task": ("client", "client__owner", "assignee", "deal", "ticket"),
    "handoff": ("client", "client__owner", "to_department", "to_user", "from_user"),
}
_PAGES = {
    "client": "records:client_detail",
    "deal": "records:deal_detail",
    "ticket": "records:ticket_detail",
    "task": "records:task_detail",
    "handoff": "records:handoff_detail",
}


def load(subject_type: str, subject_id: int | None):
    """The record, fresh from the database, or None when it is gone (deleted, merged)."""
    model = MODELS.get(subject_type)
    if model is None or subject_id is None:
        return None
    return model.objects.select_related(*_RELATED[subject_type]).filter(pk=subject_id).first()


def client_of(subject) -> Client | None:
    if isinstance(subject, Client):
        return subject
    return getattr(subject, "client", None)


def label(subject_type: str, subject) -> str:
    """ "Deal: Northwind renewal" — how the run log names what a run was about."""
    return f"{LABELS.get(subject_type, subject_type.title())}: {subject}"[:200]


def link(subject_type: str, subject) -> str:
    """The subject's page (a contact's is its client's), or "" for none."""
    if subject_type == "contact":
        return reverse("records:client_detail", args=[subject.client_id])
    name = _PAGES.get(subject_type)
    return reverse(name, args=[subject.pk]) if name else ""
