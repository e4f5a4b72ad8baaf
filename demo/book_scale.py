"""Bulk clients for benchmarks (``seed_demo --scale N``, ``bench/pages.py``).

``seed_scale`` adds N simpler clients than the book's (3 contacts and 3
timeline entries each), ~2,000 open deals and a ticket per ten clients;
``long_timeline`` gives one client a long timeline. In bulk, for the reasons
in demo/book.py.
"""

from time import perf_counter

from django.db import transaction
from django.db.models import Max

from demo.book_rows import Generator
from demo.history import bulk_insert
from records.models import Client, Contact, Deal, Ticket

SCALE_CHUNK = 5000
SCALE_OPEN_DEALS = 2000
SCALE_CLIENTS_PER_TICKET = 10


def seed_scale(count: int, report=print) -> dict[str, int]:
    """Add ``count`` clients (3 contacts and 3 timeline entries each), open deals and tickets.

    Each chunk of clients commits on its own, so a long run shows progress
    through ``report`` and a crash keeps what was made.
    """
    started = perf_counter()
    gen = Generator(f"scale-{Client.objects.count()}")
    made = {"clients": 0, "contacts": 0, "deals": 0, "tickets": 0, "timeline entries": 0}
    client_ids: list[int] = []
    first_number = (Client.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    for offset in range(0, count, SCALE_CHUNK):
        size = min(SCALE_CHUNK, count - offset)
        with transaction.atomic():
            clients, contacts, entries = _scale_chunk(gen, size, first_number + offset)
        client_ids += [client.pk for client in clients]
        made["clients"] += size
        made["contacts"] += contacts
        made["timeline entries"] += entries
        report(f"  {made['clients']:,} clients … {perf_counter() - started:.1f} s")
    with transaction.atomic():
        deals, tickets, entries = _scale_deals_and_tickets(gen, client_ids)
    made |= {"deals": deals, "tickets": tickets}
    made["timeline entries"] += entries
    made["seconds"] = round(perf_counter() - started, 1)
    return made


def _scale_chunk(gen: Generator, size: int, first_number: int) -> tuple[list[Client], int, int]:
    """``size`` clients, 3 contacts each, 3 timeline entries each (created, contact, activity)."""
    numbers = range(first_number, first_number + size)
    clients = bulk_insert(Client, [gen.client(number) for number in numbers])
    contacts = {client.pk: [gen.contact(client) for _ in range(3)] for client in clients}
    bulk_insert(Contact, [contact for group in contacts.values() for contact in group])
    for client in clients:
        gen.client_history(client, contacts[client.pk][:1], activities=1, moves=False)
    return clients, 3 * len(clients), gen.history.save()


def _scale_deals_and_tickets(gen: Generator, client_ids: list[int]) -> tuple[int, int, int]:
    """~2,000 open deals for the board and a ticket per ten clients, each with its entry."""
    if not client_ids:
        return 0, 0, 0
    deal_clients = gen.rng.sample(client_ids, min(SCALE_OPEN_DEALS, len(client_ids)))
    ticket_clients = gen.rng.sample(client_ids, max(1, len(client_ids) // SCALE_CLIENTS_PER_TICKET))
    clients = Client.objects.select_related("owner").in_bulk(deal_clients + ticket_clients)
    start = (Deal.objects.aggregate(top=Max("position"))["top"] or 0) + 1
    deals = bulk_insert(
        Deal,
        [
            gen.deal(clients[pk], Deal.Status.OPEN, start + index)
            for index, pk in enumerate(deal_clients)
        ],
    )
    tickets = bulk_insert(
        Ticket,
        [
            gen.ticket(clients[pk], [], gen.rng.choice(Ticket.Status.values))
            for pk in ticket_clients
        ],
    )
    for deal in deals:
        gen.deal_history(deal, moves=False)
    for ticket in tickets:
        gen.ticket_history(ticket, changes=False)
    return len(deals), len(tickets), gen.history.save()


def long_timeline(client: Client, count: int) -> int:
    """Give ``client`` ``count`` more logged activities (the bench's long timeline)."""
    gen = Generator(f"long-{client.pk}")
    contacts = list(client.contacts.all())
    for _ in range(count):
        gen.activity(client, contacts)
    with transaction.atomic():
        return gen.history.save()
