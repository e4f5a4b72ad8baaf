"""Each client's open deals and open tickets, kept on its row for the client list's sorts.

``Client.open_deal_count`` and ``Client.open_ticket_count`` are the number of the
client's deals whose status is open and of its tickets not solved or closed. The
client list sorts 100,000 clients by them: counted per client for every sort
(a correlated count for each row), that took 140 to 170 ms of SQL; read from an index
on the columns, it is an index walk of 25 entries.

The services that change which client a deal or ticket belongs to, or whether it
is open (create, move/win/lose/reopen, delete, set a ticket's status, merge two
clients), call :func:`recount_open_work` in their transaction. It counts again
rather than adding or subtracting one, so a writer that went round the services
(the demo's bulk rows, a fix in the shell) is corrected by the next write, and
:func:`recount_open_work` with no ids sets every client right (the migration's
backfill, ``seed_demo``).

Two writers of the same client's deals cannot both count before the other's
change is visible: the client row is locked first, and the count is a statement
of its own, so (READ COMMITTED) it sees every transaction that held the lock
before. ``Client.save`` leaves the counters alone (records/models/clients.py), so
a client read before a deal was opened cannot write back the old count.
"""

from collections.abc import Iterable

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from records.models import Client, Deal, Ticket


def _count(model, condition: Q) -> Coalesce:
    per_client = (
        model.objects.filter(condition, client=OuterRef("pk"))
        .order_by()
        .values("client")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(per_client, output_field=IntegerField()), 0)


OPEN_DEAL = Q(status=Deal.Status.OPEN)
OPEN_TICKET = ~Q(status__in=Ticket.RESOLVED)


def recount_open_work(client_ids: Iterable[int] | None = None) -> None:
    """Set the open deal and ticket counters of ``client_ids`` (None: of every client)
    from their deals and tickets. Call it inside the writing transaction, after the write."""
    clients = Client.objects.all()
    if client_ids is not None:
        ids = sorted(set(client_ids))
        # Locked in id order (no deadlock between two writers of the same pair), and
        # before the count, which must see the transactions that held the lock.
        list(clients.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
        clients = clients.filter(pk__in=ids)
    clients.update(
        open_deal_count=_count(Deal, OPEN_DEAL), open_ticket_count=_count(Ticket, OPEN_TICKET)
    )
