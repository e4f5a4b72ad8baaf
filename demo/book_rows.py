"""Rows of the demo book: plausible clients, contacts, deals, tickets and comments.

``Generator`` makes them from a seeded random source (the words in
demo/book_words.py) and notes the history each would have (creation, moves,
status changes, activities) in its ``History``, in the services' words.
demo/book.py and demo/book_scale.py save them.
"""

import random
import unicodedata
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

from django.utils import timezone

from accounts.models import User
from demo import story
from demo.book_words import (
    ACTIVITY_BODIES,
    ACTIVITY_LINES,
    COMMENT_LINES,
    COUNTRIES,
    DEAL_KINDS,
    FIRST_NAMES,
    LAST_NAMES,
    LIFECYCLE_WEIGHTS,
    LOSS_NOTES,
    MENTION_LINES,
    REPLY_LINES,
    ROOTS,
    SIZE_WEIGHTS,
    SIZES,
    TAGS,
    TICKET_SUBJECTS,
    TITLES,
    TRADES,
    Country,
)
from demo.history import History, Setup, markdown
from demo.people import Staff
from records.models import Client, Comment, Contact, Deal, Priority, Ticket, TimelineEntry
from records.models.values import normalize_phone
from records.services.base import record_name
from records.services.deals import deal_move_summary

DAY = timedelta(days=1)
OPEN_TICKET_DAYS = 8  # the backlog: open tickets were opened in the last days
HOUR = timedelta(hours=1)
Kind = TimelineEntry.Kind


class Generator:
    """Plausible records from a seeded random source; ``now`` fixed at construction."""

    def __init__(self, seed):
        self.rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
        self.now = timezone.now().replace(minute=0, second=0, microsecond=0)
        self.staff = Staff.load()
        self.setup = Setup.load()
        self.history = History(self.setup)
        self.quiet: set[int] = set()  # clients gone quiet (demo/story.py): no recent activity

    def weights(self, client: Client, weights):
        """The story's month ``weights``, silenced for a client gone quiet."""
        return story.silenced(weights) if client.pk in self.quiet else weights

    def settled(self, client: Client, status: str, closed: str, done) -> str:
        """``status``, or ``closed`` for a client gone quiet when ``status`` is not one of
        ``done`` (nothing of theirs is open)."""
        return closed if client.pk in self.quiet and status not in done else status

    def lively(self, clients: list[Client]) -> list[Client]:
        """The clients not gone quiet: the ones handoffs and tasks may concern."""
        return [client for client in clients if client.pk not in self.quiet]

    def between(self, start, end):
        """A moment between ``start`` and ``end`` (``start`` if the span is empty)."""
        span = (end - start).total_seconds()
        return start + timedelta(seconds=self.rng.uniform(0, span)) if span > 0 else start

    def days_ago(self, low: float, high: float):
        return self.now - timedelta(days=self.rng.uniform(low, high))

    def in_year(self, weights, since=None, low: float = 0.5):
        """A moment of the last 12 months (at least ``low`` days ago), by month ``weights``
        (demo/story.py); after ``since`` (anywhere after it, when the month picked is before
        it)."""
        moment = self.now - timedelta(days=story.pick_days_ago(self.rng, weights, low))
        if since is not None and moment < since:
            return self.between(since, self.now)
        return moment

    def month_of(self, moment) -> int:
        return story.months_ago(self.now, moment)

    # Clients and contacts

    def client(self, number: int | None = None) -> Client:
        """A client; with ``number``, its domain is made unique for bulk runs."""
        rng = self.rng
        root, (trade, industry) = rng.choice(ROOTS), rng.choice(TRADES)
        country = rng.choice(COUNTRIES)
        slug = f"{root}-{trade}".lower()
        domain = f"{slug}{number}.{country.tld}" if number else f"{slug}.{country.tld}"
        lifecycle = rng.choices(list(LIFECYCLE_WEIGHTS), list(LIFECYCLE_WEIGHTS.values()))[0]
        owner = rng.choice(self.staff.support if rng.random() < 0.25 else self.staff.sales)
        only_support = owner in self.staff.support and owner not in self.staff.sales
        team = "support" if only_support else "sales"
        age = {"lead": (2, 180), "prospect": (30, 365), "customer": (200, 720)}.get(
            lifecycle, (400, 720)
        )
        created = self.days_ago(*age)
        return Client(
            name=f"{root} {trade} {country.company_form}",
            domain=domain,
            industry=industry,
            size=rng.choices(SIZES, SIZE_WEIGHTS)[0],
            address=self.address(country),
            country=country.code,
            phone=self.phone(country),
            tags=rng.sample(TAGS, rng.choice((0, 1, 1, 2, 3))),
            lifecycle=lifecycle,
            owner=owner,
            department=self.staff.departments[team],
            source=rng.choice(Client.Source.values),
            created_by=owner,
            created_at=created,
            updated_at=self.between(created, self.now),
        )

    def address(self, country: Country) -> str:
        rng = self.rng
        street, city = rng.choice(country.streets), rng.choice(country.cities)
        return f"{street} {rng.randint(1, 180)}\n{rng.randint(10000, 99999)} {city}\n{country.name}"

    def phone(self, country: Country) -> str:
        """In E.164, as records store phones (a North American area code has 3 digits)."""
        rng = self.rng
        area = rng.randint(20, 99) + (200 if country.phone_prefix == "+1" else 0)
        return normalize_phone(f"{country.phone_prefix} {area} {rng.randint(1000000, 9999999)}")

    def contact(self, client: Client) -> Contact:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = f"{first}.{last}".lower().replace("'", "")
        country = next(c for c in COUNTRIES if client.address.endswith(c.name))
        created = self.between(client.created_at, min(client.created_at + 60 * DAY, self.now))
        return Contact(
            client=client,
            name=f"{first} {last}",
            title=rng.choice(TITLES),
            emails=[f"{_ascii(local)}@{client.domain}"],
            phones=[self.phone(country)] if rng.random() < 0.7 else [],
            preferred_channel=rng.choice(Contact.Channel.values),
            created_at=created,
            updated_at=created,
        )

    def client_history(
        self, client: Client, contacts: list[Contact], activities: int, moves: bool = True
    ) -> None:
        """Creation, contacts added, (``moves``) lifecycle moves, ``activities`` activities."""
        owner, history = client.owner, self.history
        history.entry(client.pk, Kind.CREATED, client.created_at, owner, f"{owner} added {client}")
        for contact in contacts:
            history.entry(
                client.pk,
                Kind.CONTACT,
                contact.created_at,
                owner,
                f"{owner} added contact {contact}",
                data={"contact": contact.pk},
            )
        if moves:
            self.lifecycle_moves(client)
        for _ in range(activities):
            self.activity(client, contacts)

    def lifecycle_moves(self, client: Client) -> None:
        path = ["lead", "prospect", "customer", "churned"]
        steps = path[: path.index(client.lifecycle) + 1]
        moment, labels = client.created_at, dict(Client.Lifecycle.choices)
        for old, new in pairwise(steps):
            moment = self.between(moment, min(moment + 120 * DAY, self.now))
            actor = client.owner
            self.history.change(
                client,
                "lifecycle",
                old,
                new,
                moment,
                actor,
                (labels[old], labels[new]),
                kind=Kind.FIELD,
            )
        client.updated_at = max(client.updated_at, moment)

    def activity(self, client: Client, contacts: list[Contact]) -> None:
        rng = self.rng
        kind = rng.choice(TimelineEntry.ACTIVITIES)
        contact = rng.choice(contacts).name if contacts else "the team"
        body = rng.choice(ACTIVITY_BODIES)
        actor = client.owner if rng.random() < 0.7 else rng.choice(self.staff.everyone)
        self.history.entry(
            client.pk,
            kind,
            self.in_year(self.weights(client, story.ACTIVITY_VOLUME), since=client.created_at),
            actor,
            rng.choice(ACTIVITY_LINES[kind]).format(contact=contact),
            body=body,
            body_html=markdown(body),
        )

    # Deals

    def deal(self, client: Client, status: str, position: int) -> Deal:
        """A deal of ``client``: open (in an open stage) or won/lost in the last 12 months,
        in a month that fits the year's story (demo/story.py)."""
        rng = self.rng
        status = self.settled(client, status, Deal.Status.LOST, (Deal.Status.WON, Deal.Status.LOST))
        owner = client.owner if client.owner in self.staff.sales else rng.choice(self.staff.sales)
        amount = Decimal(rng.randrange(8, 400) * 250)
        deal = Deal(
            title=f"{rng.choice(DEAL_KINDS)}: {client.name.split()[0]}",
            client=client,
            amount=amount,
            currency=rng.choices(("EUR", "USD", "GBP"), (70, 20, 10))[0],
            pipeline_id=self.setup.won.pipeline_id,
            owner=owner,
            status=status,
            position=position,
            created_by=owner,
        )
        if status == Deal.Status.OPEN:
            deal.stage = rng.choice(self.setup.open_stages)
            deal.created_at = self.between(max(client.created_at, self.days_ago(5, 150)), self.now)
            deal.expected_close = (self.now + rng.uniform(-20, 120) * DAY).date()
            deal.updated_at = self.between(deal.created_at, self.now)
        else:
            won = status == Deal.Status.WON
            closed = self.in_year(self.weights(client, story.closing_weights(won)))
            month = self.month_of(closed)
            deal.created_at = max(closed - story.sales_cycle(rng, month), client.created_at)
            deal.closed_at = max(closed, deal.created_at + DAY)
            deal.expected_close = (deal.closed_at + rng.uniform(-20, 20) * DAY).date()
            deal.updated_at = deal.closed_at
            deal.stage = self.setup.won if won else self.setup.lost
            if not won:
                deal.loss_reason = story.loss_reason(rng, month, self.setup.loss_reasons)
                deal.loss_note = rng.choice(LOSS_NOTES)
        return deal

    def deal_history(self, deal: Deal, moves: bool = True) -> None:
        """Opened in the first stage, then (``moves``) each stage move up to where it is now."""
        first, actor = self.setup.open_stages[0], deal.owner
        self.history.entry(
            deal.client_id,
            Kind.DEAL,
            deal.created_at,
            actor,
            f"{actor} opened deal {deal} ({deal.amount} {deal.currency}) in {first}",
            deal=deal,
        )
        if not moves or deal.stage == first:
            return
        if deal.status == Deal.Status.OPEN:
            path = self.setup.open_stages[: self.setup.open_stages.index(deal.stage) + 1]
            end = deal.updated_at
        else:
            path = [*self.setup.open_stages[: self.rng.randint(1, 4)], deal.stage]
            end = deal.closed_at
        moments = [*sorted(self.between(deal.created_at, end) for _ in path[1:-1]), end]
        for old, new, moment in zip(path, path[1:], moments, strict=False):
            self.history.change(
                deal,
                "stage",
                old.pk,
                new.pk,
                moment,
                actor,
                (old.name, new.name),
                kind=Kind.DEAL,
                summary=deal_move_summary(actor, deal, old, new, deal.loss_reason),
                deal=deal,
            )

    # Tickets

    def ticket(self, client: Client, contacts: list[Contact], status: str) -> Ticket:
        rng = self.rng
        status = self.settled(client, status, Ticket.Status.CLOSED, Ticket.RESOLVED)
        priority = rng.choices(Priority.values, (25, 45, 20, 10))[0]
        hours = self.setup.sla_hours[priority]
        resolved = status in Ticket.RESOLVED
        if resolved:
            recent = self.in_year(self.weights(client, story.TICKET_VOLUME))
        else:
            recent = self.days_ago(0.05, OPEN_TICKET_DAYS)
        created = max(recent, client.created_at)
        month = self.month_of(created)
        ticket = Ticket(
            subject=rng.choice(TICKET_SUBJECTS),
            client=client,
            contact=rng.choice(contacts) if contacts and rng.random() < 0.85 else None,
            status=status,
            priority=priority,
            assignee=self.assignee(status),
            channel=rng.choice(Ticket.Channel.values),
            sla_due=created + timedelta(hours=hours),
            created_by=rng.choice(self.staff.support),
            created_at=created,
            updated_at=created,
        )
        if status != Ticket.Status.NEW:
            ticket.first_response_at = self.clamp(created + story.first_response(rng, month, hours))
            ticket.updated_at = ticket.first_response_at
        if resolved:
            later = story.resolution(rng, month, hours)
            ticket.resolved_at = self.clamp(ticket.first_response_at + later)
            ticket.updated_at = ticket.resolved_at
            if rng.random() < 0.7:
                ticket.satisfaction = story.rating(rng, self.month_of(ticket.resolved_at))
        return ticket

    def assignee(self, status: str) -> User | None:
        """Someone in Support; most new tickets are not picked up yet."""
        if status == Ticket.Status.NEW and self.rng.random() < 0.7:
            return None
        return self.rng.choice(self.staff.support)

    def clamp(self, moment):
        return min(moment, self.now)

    def ticket_history(self, ticket: Ticket, changes: bool = True) -> None:
        actor = ticket.created_by
        self.history.entry(
            ticket.client_id,
            Kind.TICKET,
            ticket.created_at,
            actor,
            f"{actor} opened ticket {ticket} ({ticket.get_priority_display()})",
            ticket=ticket,
        )
        if not changes:
            return
        labels = dict(Ticket.Status.choices)
        steps = []
        if ticket.first_response_at:
            steps.append(("new", "open", ticket.first_response_at))
        if ticket.status == "pending":
            steps.append(("open", "pending", self.between(ticket.first_response_at, self.now)))
        if ticket.status in Ticket.RESOLVED:
            steps.append(("open", "solved", ticket.resolved_at))
        if ticket.status == "closed":
            steps.append(("solved", "closed", self.clamp(ticket.resolved_at + 2 * DAY)))
        worker = ticket.assignee or actor
        for old, new, moment in steps:
            self.history.change(
                ticket,
                "status",
                old,
                new,
                moment,
                worker,
                (labels[old], labels[new]),
                kind=Kind.TICKET,
                ticket=ticket,
            )
        if ticket.satisfaction:
            rating = ticket.satisfaction
            self.history.change(
                ticket,
                "satisfaction",
                None,
                rating,
                ticket.resolved_at,
                worker,
                ("", str(rating)),
                kind=Kind.TICKET,
                summary=f"{worker} recorded a satisfaction of {rating}/5 for ticket {ticket}",
                ticket=ticket,
            )

    # Comments

    def comment(self, target, client: Client, parent: Comment | None = None) -> Comment:
        """A comment on ``target`` (client, deal or ticket); some mention a colleague.

        It carries ``mentioned`` (the person, or None) and ``client_of_target``
        for the passes that save its mention and write its timeline entry.
        """
        rng = self.rng
        author = rng.choice(self.staff.everyone)
        mentioned = None
        if parent is not None:
            body = rng.choice(REPLY_LINES)
            start = parent.created_at
        elif rng.random() < 0.3:
            mentioned = rng.choice([person for person in self.staff.everyone if person != author])
            body = rng.choice(MENTION_LINES).format(name=mentioned.full_name)
            start = target.created_at
        else:
            body = rng.choice(COMMENT_LINES)
            start = target.created_at
        name = type(target)._meta.model_name
        comment = Comment(
            author=author,
            parent=parent,
            body=body,
            body_html=markdown(body),
            created_at=self.between(start, min(start + 30 * DAY, self.now)),
            **{name: target},
        )
        comment.mentioned = mentioned
        comment.client_of_target = client
        return comment

    def comment_history(self, comment: Comment) -> None:
        target = comment.target
        self.history.entry(
            comment.client_of_target.pk,
            Kind.COMMENT,
            comment.created_at,
            comment.author,
            f"{comment.author} commented on {record_name(target)}",
            comment=comment,
            deal=comment.deal,
            ticket=comment.ticket,
        )


def _ascii(text: str) -> str:
    """An email-safe local part: accents dropped (Chloé -> chloe, Müller -> muller)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
