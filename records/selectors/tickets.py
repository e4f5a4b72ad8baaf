"""Reads of the ticket pages: the ticket with what it shows, its SLA standing, its history.

:func:`sla_view` turns a ticket's timestamps into what a person wants to know
("due in 3 h", "breached 2 h ago", "met, resolved with 5 h to spare"); it takes ``now`` so
the page, the live fragment and the tests agree on one moment.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from records.models import (
    DEFAULT_SLA_HOURS,
    Client,
    Contact,
    FieldChange,
    Priority,
    Ticket,
    TicketSlaPolicy,
)
from records.policies import SUPPORT_DEPARTMENT

# The audited fields the ticket page lists under "History".
HISTORY_FIELDS = ("status", "priority", "assignee")
HISTORY_SHOWN = 30
# Clients offered by the new-ticket form: the recently active ones, or the matches of a search.
CLIENT_CHOICES = 100
# An open ticket is "due soon" in the last quarter of its SLA window.
DUE_SOON_SHARE = 0.25


def load_ticket(pk: int) -> Ticket | None:
    """The ticket with its client, contact and assignee (None if it is gone)."""
    return Ticket.objects.select_related("client", "contact", "assignee").filter(pk=pk).first()


def shared_parts(ticket: Ticket) -> dict:
    """What the parts every viewer sees alike need (header, SLA panel, rating):
    the page and the live fragment render them from this same context."""
    return {"ticket": ticket, "sla": sla_view(ticket)}


def history(ticket: Ticket) -> list[FieldChange]:
    """The latest status, priority and assignee changes of ``ticket``, newest first."""
    changes = FieldChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket),
        object_id=ticket.pk,
        field__in=HISTORY_FIELDS,
    ).select_related("actor")
    return list(changes[:HISTORY_SHOWN])


def history_change(pk) -> FieldChange | None:
    """One change for the live history line (None unless it is one the page lists)."""
    if pk is None:
        return None
    return (
        FieldChange.objects.select_related("actor")
        .filter(
            pk=pk,
            content_type=ContentType.objects.get_for_model(Ticket),
            field__in=HISTORY_FIELDS,
        )
        .first()
    )


def support_people():
    """Who a new ticket can be assigned to: active members of the support department."""
    return User.objects.filter(is_active=True, departments__slug=SUPPORT_DEPARTMENT).order_by(
        "full_name"
    )


def sla_hours() -> dict[str, int]:
    """Hours to resolve per priority: the admin's TicketSlaPolicy rows over the defaults."""
    hours = {priority: DEFAULT_SLA_HOURS[priority] for priority in Priority.values}
    hours.update(TicketSlaPolicy.objects.values_list("priority", "hours"))
    return hours


def open_clients():
    """Clients a ticket can be opened for: neither archived nor merged away."""
    return Client.objects.filter(archived=False, merged_into__isnull=True)


def client_choices(query: str = "", keep=None) -> list[tuple[int, str]]:
    """(pk, name) of the clients to offer, by name: those matching ``query``, else the
    recently active ones; plus client ``keep`` (the one already picked) wherever it is."""
    clients = open_clients()
    if query:
        offered = clients.filter(name__icontains=query).order_by("name")
    else:
        offered = clients.order_by("-updated_at")
    wanted = Q(pk__in=offered.values("pk")[:CLIENT_CHOICES])
    if str(keep or "").isdigit():
        wanted |= Q(pk=keep)
    return list(clients.filter(wanted).order_by("name").values_list("pk", "name"))


def contacts_of(client_id) -> list[Contact]:
    """The contacts of a client, for the new-ticket form's contact select."""
    if not client_id:
        return []
    return list(Contact.objects.filter(client_id=client_id).order_by("name"))


# --- The SLA panel --------------------------------------------------------------------


@dataclass(frozen=True)
class SlaView:
    """A ticket's standing against its SLA (resolution due time), at one moment.

    ``label`` names the state; ``verb`` + ``when`` say it in a sentence ("Due"
    "in 3 h", "Was due" "2 h ago", "Resolved" "with 5 h to spare"). While a
    ticket is unresolved, ``when`` is relative to the due time and the page
    lets the browser keep it current (``<time data-localize="relative">``).
    """

    state: str  # on_track, due_soon, breached, met, missed
    verb: str
    when: str
    due: datetime
    used: int  # how much of the SLA window has passed, in percent (0 to 100)
    first_response: str  # "after 35 min, within the SLA"; "" while nobody answered
    resolution: str  # "after 6 h, 2 h past the due time"; "" while unresolved

    LABELS = {
        "on_track": "On track",
        "due_soon": "Due soon",
        "breached": "Breached",
        "met": "Met",
        "missed": "Missed",
    }

    @property
    def label(self) -> str:
        return self.LABELS[self.state]

    @property
    def is_resolved(self) -> bool:
        return self.state in ("met", "missed")

    @property
    def summary(self) -> str:
        """One line: "due in 3 h", "breached 2 h ago", "met, resolved with 5 h to spare"."""
        if self.state == "breached":
            return f"breached {self.when}"
        if self.is_resolved:
            return f"{self.state}, resolved {self.when}"
        return f"due {self.when}"


def sla_view(ticket: Ticket, now: datetime | None = None) -> SlaView:
    now = now or timezone.now()
    due = ticket.sla_due
    window = due - ticket.created_at
    if ticket.resolved_at is not None:
        late = ticket.resolved_at - due
        if late > timedelta(0):
            state, verb, when = "missed", "Resolved", f"{duration(late)} late"
        else:
            state, verb, when = "met", "Resolved", f"with {duration(-late)} to spare"
    elif now > due:
        state, verb, when = "breached", "Was due", f"{duration(now - due)} ago"
    else:
        left = due - now
        state = "due_soon" if left <= window * DUE_SOON_SHARE else "on_track"
        verb, when = "Due", f"in {duration(left)}"
    return SlaView(
        state=state,
        verb=verb,
        when=when,
        due=due,
        used=_used(ticket, window, now),
        first_response=_against_due(ticket, ticket.first_response_at),
        resolution=_against_due(ticket, ticket.resolved_at),
    )


def _used(ticket: Ticket, window: timedelta, now: datetime) -> int:
    end = ticket.resolved_at or now
    if window <= timedelta(0):
        return 100
    return max(0, min(100, round((end - ticket.created_at) / window * 100)))


def _against_due(ticket: Ticket, moment: datetime | None) -> str:
    """How long after opening ``moment`` came, and how it compares to the due time."""
    if moment is None:
        return ""
    taken = duration(moment - ticket.created_at)
    if moment > ticket.sla_due:
        return f"after {taken}, {duration(moment - ticket.sla_due)} past the due time"
    return f"after {taken}, within the SLA"


def duration(span: timedelta) -> str:
    """A short length of time for people: "45 min", "3 h", "2 d 4 h"."""
    minutes = max(int(span.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
