"""The demo book for ``seed_demo``: a realistic client book, written once.

``seed_book`` writes a deterministic client book (seeded random, so screenshots
are stable): ~320 clients with contacts, deals with a year of won/lost history,
tickets in every status, comments with @mentions, logged activities, tasks and
handoffs (demo/work.py), and the field changes and timeline entries that go
with them.

Why ``bulk_create`` instead of the services (the one sanctioned exception to
"every write via services", DESIGN §3): seed rows are *generated history*, not
actions of people. The services stamp ``now``, lock rows, publish live events
and notify mentioned people; a book backdated over a year must set its own
timestamps, must not page anyone or replay thousands of events into open tabs,
and must load in seconds (one service call per row means a lock, a full_clean,
an audit row and an event-log row each). The rows follow the services' shapes (the
same summaries, audit rows and timeline links), and tests run ``full_clean``
on a sample of them.
"""

from datetime import timedelta

from django.db import transaction

from demo import story
from demo.book_rows import Generator
from demo.history import BATCH, bulk_insert
from demo.work import seed_work
from records.models import Client, Comment, Contact, Deal, Ticket

BOOK_SEED = 2026
BOOK_CLIENTS = 320
BOOK_DEALS = 400
BOOK_TICKETS = 500


@transaction.atomic
def seed_book() -> dict[str, int]:
    """Write the demo book once; returns what it made (nothing when it is there already).

    The book is there when a client has the domain of its first client (the
    same on every run: seeded random).
    """
    gen = Generator(BOOK_SEED)
    clients = _distinct_clients(gen, BOOK_CLIENTS)
    if Client.objects.filter(domain=clients[0].domain).exists():
        return {}
    clients = bulk_insert(Client, clients)
    gen.quiet = _gone_quiet(gen, clients)
    contacts = {}
    for client in clients:
        count = gen.rng.choices((2, 3, 4, 5), (3, 4, 2, 1))[0]
        contacts[client.pk] = [gen.contact(client) for _ in range(count)]
    bulk_insert(Contact, [contact for group in contacts.values() for contact in group])
    deals = bulk_insert(Deal, _book_deals(gen, clients))
    tickets = bulk_insert(Ticket, _book_tickets(gen, clients, contacts))
    comments = _book_comments(gen, clients, deals, tickets)
    for client in clients:
        gen.client_history(client, contacts[client.pk], gen.rng.randint(2, 7))
    for deal in deals:
        gen.deal_history(deal)
    for ticket in tickets:
        gen.ticket_history(ticket)
    for comment in comments:
        gen.comment_history(comment)
    work = seed_work(gen, clients, deals, tickets)
    Client.objects.bulk_update(clients, ["updated_at"], batch_size=BATCH)
    entries = gen.history.save()
    return {
        "clients": len(clients),
        "contacts": sum(len(group) for group in contacts.values()),
        "deals": len(deals),
        "tickets": len(tickets),
        "comments": len(comments),
        **work,
        "timeline entries": entries,
    }


def _distinct_clients(gen: Generator, count: int) -> list[Client]:
    """``count`` clients with different domains (the book has no accidental duplicates)."""
    clients: dict[str, Client] = {}
    while len(clients) < count:
        client = gen.client()
        clients.setdefault(client.domain, client)
    return list(clients.values())


def _book_deals(gen: Generator, clients: list[Client]) -> list[Deal]:
    """Deals on prospects and customers (a few leads): 45% open, 30% won, 25% lost (the
    months they closed in follow the year's win rate: demo/story.py)."""
    weights = {"lead": 1, "prospect": 4, "customer": 5, "churned": 2}
    owners = gen.rng.choices(clients, [weights[c.lifecycle] for c in clients], k=BOOK_DEALS)
    statuses = gen.rng.choices(Deal.Status.values, (45, 30, 25), k=BOOK_DEALS)
    return [
        gen.deal(client, status, position)
        for position, (client, status) in enumerate(zip(owners, statuses, strict=True))
    ]


def _book_tickets(gen: Generator, clients: list[Client], contacts: dict) -> list[Ticket]:
    """Tickets mostly from customers, in every status (most of them resolved: the backlog
    of the release is cleared)."""
    weights = {"lead": 0, "prospect": 1, "customer": 8, "churned": 3}
    picked = gen.rng.choices(clients, [weights[c.lifecycle] for c in clients], k=BOOK_TICKETS)
    statuses = gen.rng.choices(Ticket.Status.values, (2, 4, 3, 37, 54), k=BOOK_TICKETS)
    return [
        gen.ticket(client, contacts[client.pk], status)
        for client, status in zip(picked, statuses, strict=True)
    ]


def _gone_quiet(gen, clients: list[Client]) -> set[int]:
    """A few long-standing customers that went quiet (demo/story.py): the generators keep
    their history out of the last months, and the year's handoffs and tasks leave them out."""
    since = gen.now - timedelta(days=story.QUIET_SINCE)
    old = [c for c in clients if c.lifecycle == "customer" and c.created_at < since]
    return {client.pk for client in gen.rng.sample(old, min(story.QUIET_CLIENTS, len(old)))}


def _book_comments(gen, clients, deals, tickets) -> list[Comment]:
    """~700 comments on clients, deals and tickets, a reply to some, mentions saved."""
    by_pk = {client.pk: client for client in clients}
    targets = (
        [(client, client) for client in gen.rng.sample(clients, 200)]
        + [(deal, by_pk[deal.client_id]) for deal in gen.rng.sample(deals, 220)]
        + [(ticket, by_pk[ticket.client_id]) for ticket in gen.rng.sample(tickets, 280)]
    )
    top = bulk_insert(Comment, [gen.comment(target, client) for target, client in targets])
    replies = bulk_insert(
        Comment,
        [
            gen.comment(comment.target, comment.client_of_target, parent=comment)
            for comment in gen.rng.sample(top, 150)
        ],
    )
    Comment.mentions.through.objects.bulk_create(
        [
            Comment.mentions.through(comment_id=comment.pk, user_id=comment.mentioned.pk)
            for comment in top
            if comment.mentioned
        ]
    )
    return top + replies
