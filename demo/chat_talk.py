"""Saying the demo chat's lines: who speaks, when, about which client, with what reactions.

``Generator`` plays the scripts of demo/chat_scripts.py into a room's ``Plan``
(a ``Line`` per message to be), at working hours of the last two weeks, with
the people and clients of ``Book``, and adds the system lines the records
services post in a client's room (handoffs, won deals), in their words.
Seeded random, so the same lines come out on every run.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count

from accounts.models import Department, User
from chat.models import Message, Reaction, Room
from demo.chat_scripts import PLACEHOLDER_RE
from demo.people import Cast
from records.models import Client, Deal, Handoff, Ticket
from records.services.chat_lines import first_line, literal
from records.services.deals import money_text
from records.services.handoffs import hours_text, receiver_name

CHAT_SEED = 2026
DAYS = 14
CLIENT_ROOMS = 15
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
EMOJI = Reaction.Emoji
REACTION_WEIGHTS = {EMOJI.THUMBS_UP: 8, EMOJI.HEART: 2, EMOJI.LAUGH: 2, EMOJI.TADA: 2,
                    EMOJI.EYES: 1, EMOJI.CHECK: 3}  # fmt: skip


@dataclass(eq=False)
class Line:
    """One message to be: text, who wrote it, what it mentions."""

    at: datetime
    author: User | None
    body: str
    mentions: list[User] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)
    parent: "Line | None" = None
    reactions: list[tuple[User, str]] = field(default_factory=list)
    message: Message | None = None

    def mentions_person(self, person: User, department_ids: set[int]) -> bool:
        return person in self.mentions or any(d.pk in department_ids for d in self.departments)


@dataclass(eq=False)
class Plan:
    """A room with its people and lines; ``followers`` get member rows."""

    room: Room
    speakers: list[User]
    followers: list[User]
    owner: User | None = None
    client: Client | None = None
    department: Department | None = None
    lines: list[Line] = field(default_factory=list)
    login_unread: int = 0  # messages the demo login has not read yet
    login_mentioned: bool = False  # the login's one unread mention is among them


@dataclass
class Book:
    """What the scripts talk about: the rooms' clients, their deals and tickets."""

    clients: list[Client]
    deals: dict[int, list[Deal]]
    tickets: dict[int, list[Ticket]]
    handoffs: list[Handoff]
    won: list[Deal]

    @classmethod
    def load(cls, since: datetime) -> "Book":
        handoffs = list(
            Handoff.objects.filter(status__in=["accepted", "escalated"], created_at__gte=since)
            .select_related(
                "from_user", "answered_by", "to_user", "to_department", "client", "ticket", "deal"
            )
            .order_by("-created_at")[:2]
        )
        won = list(
            Deal.objects.filter(status="won", closed_at__gte=since)
            .select_related("owner", "client")
            .order_by("-closed_at")[:2]
        )
        chosen = {h.client_id: h.client for h in handoffs} | {d.client_id: d.client for d in won}
        busiest = (
            Client.objects.filter(archived=False, merged_into__isnull=True)
            .annotate(entries=Count("timeline"))
            .order_by("-entries", "pk")
            .select_related("owner")[: CLIENT_ROOMS * 2]
        )
        for client in busiest:
            if len(chosen) >= CLIENT_ROOMS:
                break
            chosen.setdefault(client.pk, client)
        clients = list(chosen.values())
        deals, tickets = {pk: [] for pk in chosen}, {pk: [] for pk in chosen}
        for deal in Deal.objects.filter(client__in=clients).order_by("status", "-created_at"):
            deals[deal.client_id].append(deal)
        for ticket in Ticket.objects.filter(client__in=clients).order_by("-created_at"):
            tickets[ticket.client_id].append(ticket)
        return cls(clients, deals, tickets, handoffs, won)


class Generator:
    """Plays exchanges into rooms' plans: who says each line, when, and who reacts."""

    def __init__(self, cast: Cast, book: Book, now: datetime):
        self.rng = random.Random(CHAT_SEED)  # noqa: S311 (demo data, not secrets)
        self.cast, self.book, self.now = cast, book, now

    def moment(self) -> datetime:
        """Working hours (UTC) on one of the DAYS - 1 days before today.

        Today holds only the launch room's last exchange (two hours ago: the
        login's unread mention), so every other line is older than it, and the
        same lines come out whatever the time of day.
        """
        midnight = self.now.replace(hour=0, minute=0, second=0, microsecond=0)
        day = midnight - self.rng.randint(1, DAYS - 1) * DAY
        return day + timedelta(hours=self.rng.uniform(7.5, 17.5))

    def play(self, plan: Plan, exchanges) -> None:
        """Add the exchanges to ``plan`` in the given order, at random moments, one at a time."""
        for script, start in zip(exchanges, sorted(self.moment() for _ in exchanges), strict=True):
            self.exchange(plan, script, start)

    def after_last(self, plan: Plan, at: datetime) -> datetime:
        """``at``, or a while after the room's last line if that is later."""
        if not plan.lines:
            return at
        return max(at, plan.lines[-1].at + self.rng.uniform(15, 90) * MINUTE)

    def exchange(self, plan: Plan, script, at: datetime) -> None:
        rng = self.rng
        people = rng.sample(plan.speakers, min(3, len(plan.speakers)))
        roles = dict(zip("abc", people + people[:1] * 2, strict=False))
        roles["login"] = self.cast.login
        scene = self.scene(plan)
        at, root = self.after_last(plan, at), None
        for text in script:
            reply = text.startswith(" ")
            speaker, body = text.strip().split(": ", 1)
            at += rng.uniform(2, 25 if reply else 8) * MINUTE
            line = self.fill(body, roles, scene, plan)
            line.at, line.author = min(at, self.now - MINUTE), roles[speaker]
            # As post_message saves them: the people reached, never the author.
            line.mentions = [p for p in dict.fromkeys(line.mentions) if p != line.author]
            line.parent = root if reply else None
            if not reply:
                root = line
            if rng.random() < 0.18:
                self.react(plan, line)
            plan.lines.append(line)

    def scene(self, plan: Plan) -> dict:
        rng = self.rng
        client = plan.client or rng.choice(self.book.clients)
        deals, tickets = self.book.deals[client.pk], self.book.tickets[client.pk]
        deal = deals[0] if deals else None
        return {
            "client": client,
            "deal": deal.title if deal else "the annual licence",
            "amount": f"{deal.amount:,.0f} {deal.currency}" if deal else "48,000 EUR",
            "ticket": tickets[0].subject if tickets else "Export to CSV times out",
            "day": rng.choice(WEEKDAYS),
        }

    def fill(self, template: str, roles: dict, scene: dict, plan: Plan) -> Line:
        line = Line(at=None, author=None, body="")

        def substitute(match) -> str:
            sigil, name = match.groups()
            if sigil == "@" and name == "dept":  # reaches the department's members
                line.departments.append(plan.department)
                line.mentions.extend(self.cast.team(plan.department.slug))
                return f"@{plan.department.slug}"
            if sigil == "@":
                line.mentions.append(roles[name])
                return f"@{roles[name].full_name}"
            if sigil == "#":
                line.clients.append(scene["client"])
                return f"#[{scene['client'].name}]"
            if name in roles:
                return roles[name].full_name.split()[0]
            return str(scene[name].name if name == "client" else scene[name])

        line.body = PLACEHOLDER_RE.sub(substitute, template)
        return line

    def react(self, plan: Plan, line: Line, emoji: str | None = None, count: int = 0) -> None:
        rng = self.rng
        others = [person for person in plan.followers + plan.speakers if person != line.author]
        others = list(dict.fromkeys(others))
        for person in rng.sample(others, min(len(others), count or rng.randint(1, 3))):
            chosen = emoji or rng.choices(list(REACTION_WEIGHTS), REACTION_WEIGHTS.values())[0]
            line.reactions.append((person, chosen))

    def system_lines(self, plan: Plan) -> None:
        """The lines the handoff and deal services post in a client's room, in their words."""
        client = plan.client
        for handoff in self.book.handoffs:
            if handoff.client_id == client.pk:
                plan.lines += [Line(at=at, author=None, body=text) for at, text in _told(handoff)]
        for deal in self.book.won:
            if deal.client_id == client.pk:
                won = f"Deal {deal} won by {deal.owner} — {money_text(deal.amount, deal.currency)}"
                line = Line(at=deal.closed_at, author=None, body=literal(won))
                self.react(plan, line, EMOJI.TADA, count=4)
                plan.lines.append(line)


def _told(handoff: Handoff) -> list[tuple[datetime, str]]:
    """What records/services/handoffs.py tells the client's room: handed, then answered."""
    receiver, sender = receiver_name(handoff), handoff.from_user
    about = (
        f" (ticket {handoff.ticket})"
        if handoff.ticket
        else f" (deal {handoff.deal})"
        if handoff.deal
        else ""
    )
    handed = literal(f"{sender} handed this client{about} off to {receiver}")
    lines = [(handoff.created_at, f"{handed}: {first_line(handoff.note)}")]
    if handoff.status == Handoff.Status.ACCEPTED:
        answer = f"{handoff.answered_by} accepted the handoff from {sender}."
        lines.append((handoff.answered_at, literal(answer)))
    elif handoff.escalated_at:
        waited = hours_text(handoff.escalated_at - handoff.created_at)
        answer = (
            f"The handoff to {receiver} went unanswered for {waited} "
            f"and was escalated to {handoff.to_department}'s managers."
        )
        lines.append((handoff.escalated_at, literal(answer)))
    return lines
