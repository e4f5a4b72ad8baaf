"""The event kinds an endpoint can subscribe to, and the live bus events behind each.

Webhooks read the live event log (workspace/live/): every write already publishes
an event there, in its transaction. A public kind names one business fact
("deal.won") and says which bus events are that fact; some need a look at the
payload (a deal reordered within its column publishes ``deal.moved`` too, but its
stage did not change; ``ticket.status`` is a solved ticket only when the status
became "solved").
"""

from collections.abc import Callable
from dataclasses import dataclass

TEST_KIND = "webhook.test"


def _stage_changed(payload: dict) -> bool:
    return payload.get("from_stage") != payload.get("stage")


def _solved(payload: dict) -> bool:
    return payload.get("status") == "solved"


def _always(payload: dict) -> bool:
    return True


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    subject: str  # what the event's "id" is: a key of SNAPSHOT_FIELDS
    bus_kinds: tuple[str, ...]
    applies: Callable[[dict], bool] = _always


KINDS = (
    Kind("client.created", "Client created", "client", ("client.created",)),
    Kind("contact.created", "Contact created", "contact", ("contact.created",)),
    Kind(
        "deal.stage_changed",
        "Deal stage changed",
        "deal",
        ("deal.moved", "deal.won", "deal.lost"),
        _stage_changed,
    ),
    Kind("deal.won", "Deal won", "deal", ("deal.won",), _stage_changed),
    Kind("deal.lost", "Deal lost", "deal", ("deal.lost",), _stage_changed),
    Kind("ticket.created", "Ticket created", "ticket", ("ticket.created",)),
    Kind("ticket.solved", "Ticket solved", "ticket", ("ticket.status",), _solved),
    Kind("handoff.sent", "Handoff sent", "handoff", ("handoff.created",)),
    Kind(
        "handoff.answered",
        "Handoff accepted or declined",
        "handoff",
        ("handoff.accepted", "handoff.declined"),
    ),
    Kind("form.submitted", "Web form submitted", "client", ("web_form.submitted",)),
)
BY_NAME = {kind.name: kind for kind in KINDS}
CHOICES = [(kind.name, kind.label) for kind in KINDS]
BUS_KINDS = sorted({bus_kind for kind in KINDS for bus_kind in kind.bus_kinds})


# The record an event is about, as sent in ``data.object`` (records' models: app.Model, fields).
SNAPSHOT_FIELDS = {
    "client": ("records.Client", ("id", "name", "domain", "lifecycle", "owner_id")),
    "contact": ("records.Contact", ("id", "client_id", "name", "title", "emails", "phones")),
    "deal": (
        "records.Deal",
        ("id", "client_id", "title", "amount", "currency", "stage_id", "status", "owner_id"),
    ),
    "ticket": (
        "records.Ticket",
        ("id", "client_id", "subject", "status", "priority", "assignee_id"),
    ),
    "handoff": (
        "records.Handoff",
        ("id", "client_id", "status", "from_user_id", "to_department_id", "to_user_id"),
    ),
}


def kinds_for(bus_kind: str, payload: dict) -> list[Kind]:
    """The public kinds a bus event is (none, one, or several: a won deal also changed stage)."""
    return [kind for kind in KINDS if bus_kind in kind.bus_kinds and kind.applies(payload)]


def snapshot(subject: str, pk) -> dict | None:
    """The record's main fields now (in the writer's transaction), or None when it is gone."""
    from django.apps import apps

    model, fields = SNAPSHOT_FIELDS[subject]
    return apps.get_model(model).objects.filter(pk=pk).values(*fields).first()
