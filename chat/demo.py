"""Demo chat for ``seed_demo``: rooms and two weeks of conversation over the client book.

``seed_chat`` writes, once: a room per department, a room for 15 of the
busiest clients, a public group room ("Q4 launch") and a private one
("Leadership"), four direct-message rooms (one without the demo login, to
show that DMs stay private), ~300 messages with @mentions, #client chips,
threads, reactions and system lines for real handoffs and won deals of the
book, and read marks that leave the demo login a few unread rooms and one
unread mention. Seeded random and scripted lines, so screenshots are stable.

Written with ``bulk_create`` for the reasons given in records/demo.py
(generated history must not notify anyone, publish live events or stamp
``now``), but with the services' invariants: ``seq`` runs 1..``last_seq`` in
each room in time order, thread replies count on their root, ``body_html`` is
``render_markdown`` plus ``decorate_references``, the mention rows are those
``post_message`` would have saved, and a person's read mark is never behind
their own last message.
"""

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Department, Role, User
from chat.events import decorate_references
from chat.models import Membership, Message, Reaction, Room
from records.models import Client, Deal, Handoff, Ticket, TimelineEntry
from records.services.chat_lines import first_line, literal
from records.services.deals import _money
from records.services.handoffs import _hours, _receiver_name
from workspace.text import render_markdown

CHAT_SEED = 2026
DAYS = 14
CLIENT_ROOMS = 15
EXCHANGES_PER_CLIENT_ROOM = 4
EXCHANGES_PER_DIRECT_ROOM = 4
LAUNCH_ROOM = "Q4 launch"
LEADERSHIP_ROOM = "Leadership"
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
EMOJI = Reaction.Emoji
REACTION_WEIGHTS = {EMOJI.THUMBS_UP: 8, EMOJI.HEART: 2, EMOJI.LAUGH: 2, EMOJI.TADA: 2,
                    EMOJI.EYES: 1, EMOJI.CHECK: 3}  # fmt: skip

# --- Scripts -----------------------------------------------------------------------
#
# An exchange is a few lines "<speaker>: <text>". Speakers a, b, c are people of
# the room; an indented line is a thread reply to the exchange's last top-level
# line. In the text: {a} is a first name, {@a} a mention, {@login} the demo
# login, {@dept} the room's department, {#client} a client chip ({client} the
# plain name), {deal}, {amount}, {ticket}, {day}. A line never starts with
# {#client}: Markdown would make "#[...]" at the start of a line a heading.

SALES = (
    ("a: Pipeline review at 11 today, bring your top three deals.",
     "b: Can we make it 11:30? I'm on a call with {client} until then.",
     "a: 11:30 it is."),
    ("a: {@b} can you approve a 12% discount for {#client}? They're comparing us with the "
     "incumbent.",
     "  b: What's the deal size?",
     "  a: {amount} over two years.",
     "  b: Approved, if they sign the two-year term.",
     "a: Thanks! Revised quote goes out today."),
    ("a: Reminder: monthly forecasts are due {day}.",
     "b: Mine is in.",
     "c: Updating mine tonight, two deals moved to negotiation."),
    ("a: Order form for {#client} just came back signed 🎉",
     "b: Great work {a}!",
     "c: Coffee is on {a} tomorrow ☕"),
    ("a: Heads-up {@dept}: the new price list is live from Monday. Quotes already sent stay "
     "valid for 30 days.",
     "b: Does that include the API add-on?",
     "a: Yes, the add-on goes up 5%."),
    ("a: {@c} you met the {client} team at the trade show. Any notes before my call?",
     "c: Their CFO cares about payment terms more than price. Lead with the annual plan.",
     "a: Perfect, thanks."),
    ("a: Anyone free to cover a demo {day} at 3pm? I'm double-booked.",
     "b: I can take it, send me your notes.",
     "a: Forwarded. It's {client}, they mostly want to see reporting."),
    ("a: Proposal for {#client} ({deal}), comments before I send?",
     "  b: Looks good. I'd move the pricing table above the timeline.",
     "  c: Offer SSO as an option, their IT asked about it.",
     "  a: Done both, sending now."),
    ("a: Lost {client} to the incumbent today, price was the main reason.",
     "b: Sorry to hear. Put them on the win-back list for next quarter?",
     "a: Added a task for February."),
    ("a: Who has a good case study for a logistics company?",
     "b: The rollout we did last spring, I'll share the PDF.",
     "a: 🙏"),
)  # fmt: skip
SUPPORT = (
    ("a: Queue check: \"{ticket}\" for {#client} is close to breaching its SLA. Who can take it?",
     "b: On it.",
     "a: Thanks {b}."),
    ("a: Status page says exports are degraded since 09:40.",
     "b: Three tickets so far about CSV exports timing out.",
     "c: Engineering is rolling out a fix within the hour.",
     "a: I'll update the affected clients."),
    ("a: New macro for the two-factor issue, feedback welcome.",
     "  b: Add the step about checking the phone's clock, that fixes half of them.",
     "  c: And link the help article.",
     "a: Macro updated 👍"),
    ("a: {@b} could you pair with me on the SSO setup for {client}? Their IdP is Azure AD.",
     "b: Sure, after lunch."),
    ("a: Satisfaction for last week: 4.6 out of 5 🎉",
     "b: Nice! The webhook fix helped.",
     "c: 🙌"),
    ("a: {client} called again about \"{ticket}\", third time this month.",
     "b: Let's escalate and loop in their account owner.",
     "a: Handing it to Sales for the contract side."),
    ("a: Weekend rota: who's on call?",
     "b: Me on Saturday.",
     "c: I'll take Sunday."),
    ("a: FYI {@dept}: attachments can be up to 25 MB now, the help center is updated.",
     "b: Thanks, that answers two open tickets."),
    ("a: Training for the new ticket views is on {day} at 10.",
     "b: Will it be recorded?",
     "a: Yes, link in the calendar invite."),
    ("a: {@b} thanks for jumping on the {client} outage last night 🙏",
     "b: All good, root cause was their proxy. Notes are on the ticket.",
     "c: Great save."),
)  # fmt: skip
MARKETING = (
    ("a: Webinar registrations at 214, the goal is 300.",
     "b: The reminder email goes out {day} morning.",
     "c: I'll post it on LinkedIn too."),
    ("a: Draft post: *Five ways to shorten your sales cycle*. Reviews welcome.",
     "  b: Great intro. The third tip needs an example.",
     "  c: We could quote {client}, they agreed to be a reference.",
     "a: Added the quote, publishing {day}."),
    ("a: Trade show booth confirmed: stand B12.",
     "b: Banners are ordered and arrive next week.",
     "c: 🎉"),
    ("a: {@b} do we have the new logo files as SVG?",
     "b: In the brand folder, under logos/2026."),
    ("a: Newsletter open rate: 38%, best this year.",
     "b: The subject-line test paid off."),
    ("a: We need a customer quote for the landing page. {@c} any idea?",
     "c: {client} loved the onboarding, I'll ask them."),
)  # fmt: skip
MANAGEMENT = (
    ("a: Board pack draft is in the shared folder; numbers final by {day}.",
     "b: Sales numbers are in and the forecast is updated.",
     "c: Finance numbers tomorrow morning."),
    ("a: We're approved for one more support engineer.",
     "b: Great, I'll draft the job post.",
     "a: 👍"),
    ("a: Budget: marketing asks for 10% more for events next quarter.",
     "  b: What pipeline do we expect from it?",
     "  a: About 1.2M EUR, going by this year.",
     "  c: Fine by me if we cap travel."),
    ("a: The all-hands moves to Thursday 4pm CET.",
     "b: Noted."),
    ("a: Three invoices are overdue; {client} is the biggest.",
     "b: I'll ask the account owner to call them."),
)  # fmt: skip
# In the order things happen; the call notes (first) are logged to the client's timeline.
CLIENT_NOTES = (
    "a: Notes from today's call with {client}:\n\n- happy with support\n- want SSO next "
    "quarter\n- budget approved for 10 more seats",
    "  b: Great notes. I'll prepare the quote for the seats.",
    "  c: SSO is on the roadmap for March, I can share the date with them.",
)
CLIENT = (
    ("a: Kick-off with {client} went well; they want weekly check-ins for the first month.",
     "b: I'll set up the recurring call."),
    ("a: Their new office in Lyon goes live next month, they need 12 more seats.",
     "b: I'll add it to {deal}.",
     "a: 👍"),
    CLIENT_NOTES,
    ("a: They report the dashboard is slow on Monday mornings.",
     "b: Known issue with big date ranges, a fix ships this week.",
     "a: I'll let them know."),
    ("a: \"{ticket}\" is fixed on our side, waiting for them to confirm.",
     "b: They confirmed this morning ✅"),
    ("a: {@b} they asked about {deal}. Can you join the call {day}?",
     "b: Yes, send me the invite."),
    ("a: Renewal is in 60 days. Any risks?",
     "b: Usage dropped at one of their sites, worth a check-in.",
     "a: I'll book a review meeting."),
    ("a: Their IT contact changed, the new one is in the contacts.",
     "b: Thanks, updated the ticket's CC list."),
    ("a: Their finance team says they were charged twice?",
     "b: One of them was a pro-forma. I sent them an explanation."),
    ("a: They'd like to do a case study with us. {@c} interested?",
     "c: Absolutely, let's talk next week."),
    ("a: Quarterly review booked for {day}, agenda in the invite.",
     "b: I'll bring the usage report.",
     "c: And the open tickets, there are two."),
    ("a: Their champion is leaving the company at the end of the month 😬",
     "b: Let's get an intro to her successor before she goes.",
     "a: Asked her today, she'll set up a call."),
)  # fmt: skip
LAUNCH = (
    ("a: Welcome to the launch room! Plan and dates are in the description.",
     "b: 🚀"),
    ("a: Launch date proposal: the 12th. Objections?",
     "  b: The docs need one more week.",
     "  c: Sales training could happen the week before.",
     "  a: Let's go with the 19th then.",
     "a: Launch date moved to the 19th ✅"),
    ("a: Landing page copy is ready for review.",
     "b: Reading now.",
     "b: Fixed two typos in the doc, otherwise 👍"),
    ("a: {@b} can you write the launch email for existing customers?",
     "b: Draft by {day}."),
    ("a: Beta feedback from {#client}: they love the new reports.",
     "b: Can we quote them?",
     "a: Asking their CEO."),
    ("a: The press release went to the agency.",
     "b: 🎉"),
    ("a: Sales deck updated with the new pricing slides.",
     "b: Thanks! Using it {day}."),
    ("a: The training session recording is in the shared drive.",
     "b: 👍"),
)  # fmt: skip
# The newest exchange of the launch room: the demo login's one unread mention.
LAUNCH_ASK = (
    "a: {@login} can you sign off the launch budget by Friday? The numbers are in the sheet.",
    "b: Ping me if anything in the events line is unclear.",
)
LEADERSHIP = (
    ("a: Draft org chart for next year is in the folder, confidential for now.",
     "b: Looks right. Let's discuss on Monday."),
    ("a: Price increase: 5% on list prices from January. Thoughts?",
     "b: Fine for new business; existing clients at renewal.",
     "c: Agreed, with 60 days' notice."),
    ("a: The support headcount request is approved.",
     "b: Thank you!"),
    ("a: Churn this quarter is 2.1%, down from 3.4%.",
     "b: The onboarding changes are working."),
)  # fmt: skip
DIRECT = (
    ("a: Got a minute after lunch?", "b: Sure, 2pm?", "a: 👍"),
    ("a: Thanks for covering the call yesterday!",
     "b: No problem, my notes are in the client's timeline."),
    ("a: Could you look at my quote for {#client} before I send it?",
     "b: Looks good. Maybe round the discount to 10%.",
     "a: Done, thanks."),
    ("a: Are you coming to the offsite?", "b: Yes, train's booked."),
    ("a: Do you have the slides from the quarterly review?", "b: Sending them now."),
    ("a: Is {client} still stuck on the contract?",
     "b: Legal sent comments yesterday, should be signed by {day}.",
     "a: Great, keep me posted."),
)  # fmt: skip
DEPARTMENT_SCRIPTS = {
    "sales": SALES,
    "support": SUPPORT,
    "marketing": MARKETING,
    "management": MANAGEMENT,
}
PLACEHOLDER_RE = re.compile(r"\{([@#]?)(\w+)\}")


# --- What is being built ----------------------------------------------------------


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
class Cast:
    """The demo people: everyone, by department, the login and the managers."""

    login: User
    everyone: list[User]
    departments: dict[str, Department]
    members: dict[str, list[User]]
    login_departments: set[int]

    @classmethod
    def load(cls, login_email: str) -> "Cast":
        everyone = list(User.objects.filter(is_active=True).order_by("pk"))
        login = next((p for p in everyone if p.email == login_email), None) or next(
            p for p in everyone if p.role == Role.ADMIN
        )
        departments = {d.slug: d for d in Department.objects.order_by("pk")}
        members = {slug: [] for slug in departments}
        by_pk = {person.pk: person for person in everyone}
        rows = User.departments.through.objects.values_list("department__slug", "user_id")
        for slug, user_id in rows.order_by("user_id"):
            if user_id in by_pk:
                members[slug].append(by_pk[user_id])
        mine = {d.pk for d in departments.values() if login in members[d.slug]}
        return cls(login, everyone, departments, members, mine)

    def manager(self, slug: str) -> User:
        people = self.members.get(slug) or self.everyone
        return next((p for p in people if p.role == Role.MANAGER), people[0])

    def team(self, slug: str) -> list[User]:
        return self.members.get(slug) or self.everyone


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


# --- Generator ---------------------------------------------------------------------


class Generator:
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
                won = f"Deal {deal} won by {deal.owner} — {_money(deal.amount, deal.currency)}"
                line = Line(at=deal.closed_at, author=None, body=literal(won))
                self.react(plan, line, EMOJI.TADA, count=4)
                plan.lines.append(line)


def _told(handoff: Handoff) -> list[tuple[datetime, str]]:
    """What records/services/handoffs.py tells the client's room: handed, then answered."""
    receiver, sender = _receiver_name(handoff), handoff.from_user
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
        waited = _hours(handoff.escalated_at - handoff.created_at)
        answer = (
            f"The handoff to {receiver} went unanswered for {waited} "
            f"and was escalated to {handoff.to_department}'s managers."
        )
        lines.append((handoff.escalated_at, literal(answer)))
    return lines


# --- Rooms -----------------------------------------------------------------------------


def _existing(**lookup) -> Room | None:
    """A room made by use before the demo ran: reused when still empty, else left alone."""
    return Room.objects.filter(**lookup).first()


def _department_plans(gen: Generator) -> list[Plan]:
    """A room per department with people in it, talking in the department's script."""
    cast, plans = gen.cast, []
    for slug, department in cast.departments.items():
        people = cast.members[slug]
        if len(people) < 2:
            continue
        room = _existing(department=department) or Room(
            kind=Room.Kind.DEPARTMENT, department=department
        )
        plan = Plan(room, people, people, department=department)
        gen.play(plan, DEPARTMENT_SCRIPTS.get(slug, MANAGEMENT))
        if slug == "sales":
            plan.login_unread = 3
        plans.append(plan)
    return plans


def _client_plans(gen: Generator) -> list[Plan]:
    """Followed by the owner, someone in Support and (a few) the login; Sales and Support talk."""
    cast, rng, plans = gen.cast, gen.rng, []
    support, sales = cast.team("support"), cast.team("sales")
    for number, client in enumerate(gen.book.clients):
        followers = list(dict.fromkeys([client.owner or cast.login, rng.choice(support)]))
        if number < 3 or client.owner == cast.login:
            followers.append(cast.login)
        speakers = list(dict.fromkeys([*followers, rng.choice(sales), rng.choice(support)]))
        room = _existing(client=client) or Room(kind=Room.Kind.CLIENT, client=client)
        plan = Plan(room, speakers, list(dict.fromkeys(followers)), client=client)
        picked = sorted(rng.sample(range(len(CLIENT)), EXCHANGES_PER_CLIENT_ROOM))
        if number == 0 and CLIENT.index(CLIENT_NOTES) not in picked:
            picked = sorted([*picked[1:], CLIENT.index(CLIENT_NOTES)])
        gen.play(plan, [CLIENT[index] for index in picked])
        gen.system_lines(plan)
        plan.lines.sort(key=lambda line: line.at)
        plan.login_unread = 2 if number == 0 else 0
        plans.append(plan)
    return plans


def _group_plans(gen: Generator) -> list[Plan]:
    cast, rng = gen.cast, gen.rng
    owner = cast.manager("marketing")
    people = [owner, *cast.team("marketing"), *rng.sample(cast.team("sales"), 2), cast.login]
    people = list(dict.fromkeys(people))
    launch = Plan(
        Room(
            kind=Room.Kind.GROUP,
            name=LAUNCH_ROOM,
            description="Everything for the Q4 product launch: dates, copy, training.",
            created_by=owner,
        ),
        [person for person in people if person != cast.login],
        people,
        owner=owner,
    )
    gen.play(launch, LAUNCH)
    gen.exchange(launch, LAUNCH_ASK, gen.now - 2 * HOUR)
    launch.login_unread, launch.login_mentioned = len(LAUNCH_ASK), True
    leaders = [p for p in cast.everyone if p.role == Role.MANAGER] + cast.team("management")
    leaders = list(dict.fromkeys([cast.login, *leaders]))
    leadership = Plan(
        Room(
            kind=Room.Kind.GROUP,
            name=LEADERSHIP_ROOM,
            description="Managers only: plans and numbers before they are announced.",
            is_private=True,
            created_by=cast.login,
        ),
        leaders,
        leaders,
        owner=cast.login,
    )
    gen.play(leadership, LEADERSHIP)
    return [launch, leadership]


def _direct_plans(gen: Generator) -> list[Plan]:
    """The login with the sales lead, the support lead, two sellers; two engineers alone."""
    cast, rng = gen.cast, gen.rng
    sales = [p for p in cast.team("sales") if p != cast.login and p.role == Role.MEMBER]
    support = [p for p in cast.team("support") if p.role == Role.MEMBER]
    groups = [
        [cast.login, cast.manager("sales")],
        [cast.login, cast.manager("support")],
        [cast.login, *sales[:2]],
        support[:2],
    ]
    plans = []
    for number, people in enumerate(groups):
        people = sorted(dict.fromkeys(people), key=lambda person: person.pk)
        if len(people) < 2:
            continue
        key = "-".join(str(person.pk) for person in people)
        room = _existing(direct_key=key) or Room(
            kind=Room.Kind.DIRECT, is_private=True, direct_key=key, created_by=people[0]
        )
        plan = Plan(room, people, people)
        gen.play(plan, rng.sample(DIRECT, EXCHANGES_PER_DIRECT_ROOM))
        plan.login_unread = 1 if number == 0 else 0
        plans.append(plan)
    return plans


# --- Writing -----------------------------------------------------------------------


@cache
def _markdown(text: str) -> str:
    return render_markdown(text)


def _number(plan: Plan) -> None:
    """Seqs in time order; the room's counters; its creation a while before its first line."""
    plan.lines.sort(key=lambda line: line.at)
    room = plan.room
    for seq, line in enumerate(plan.lines, start=1):
        line.message = Message(
            room=room,
            seq=seq,
            kind=Message.Kind.USER if line.author else Message.Kind.SYSTEM,
            author=line.author,
            parent=line.parent.message if line.parent else None,
            body=line.body,
            body_html=decorate_references(_markdown(line.body), line.clients),
            created_at=line.at,
        )
    for line in plan.lines:
        if line.parent is not None:
            root = line.parent.message
            root.reply_count += 1
            root.last_reply_at = line.at
    room.last_seq = len(plan.lines)
    room.last_message_at = plan.lines[-1].at if plan.lines else None
    if room.pk is None:
        room.created_at = plan.lines[0].at - 3 * DAY


def _read_mark(plan: Plan, person: User, cast: Cast, behind: int) -> int:
    """Up to ``behind`` messages unread, never one's own (posting reads the room).

    The login has read every mention of them (or of their departments) except
    in the one room holding their unread mention.
    """
    mark = max(0, plan.room.last_seq - behind)
    check_mentions = person == cast.login and not plan.login_mentioned
    for line in plan.lines:
        if line.author == person or (
            check_mentions and line.mentions_person(person, cast.login_departments)
        ):
            mark = max(mark, line.message.seq)
    return mark


def _memberships(plan: Plan, gen: Generator) -> list[Membership]:
    """Followers (``is_member``), and read-state rows for people who only posted."""
    room, rows = plan.room, []
    posters = {line.author for line in plan.lines if line.author}
    people = list(dict.fromkeys([*plan.followers, *sorted(posters, key=lambda p: p.pk)]))
    for person in people:
        if person == gen.cast.login:
            behind = plan.login_unread
        else:
            behind = 0 if gen.rng.random() < 0.6 else gen.rng.randint(1, 8)
        rows.append(
            Membership(
                room=room,
                user=person,
                role=Membership.Role.OWNER if person == plan.owner else Membership.Role.MEMBER,
                is_member=person in plan.followers,
                last_read_seq=_read_mark(plan, person, gen.cast, behind),
                joined_at=room.created_at,
            )
        )
    return rows


def _write(plans: list[Plan], gen: Generator) -> dict[str, int]:
    for plan in plans:
        _number(plan)
    old = [plan.room for plan in plans if plan.room.pk is not None]
    Room.objects.bulk_update(old, ["last_seq", "last_message_at"])
    Room.objects.bulk_create([plan.room for plan in plans if plan.room.pk is None])
    lines = [line for plan in plans for line in plan.lines]
    # Thread roots first: their replies' parent ids are known once they are in.
    Message.objects.bulk_create([line.message for line in lines if line.parent is None])
    Message.objects.bulk_create([line.message for line in lines if line.parent is not None])
    through = Message.mentions.through, Message.mentioned_departments.through
    through[0].objects.bulk_create(
        through[0](message_id=line.message.pk, user_id=person.pk)
        for line in lines
        for person in dict.fromkeys(line.mentions)
    )
    through[1].objects.bulk_create(
        through[1](message_id=line.message.pk, department_id=department.pk)
        for line in lines
        for department in dict.fromkeys(line.departments)
    )
    Message.clients.through.objects.bulk_create(
        Message.clients.through(message_id=line.message.pk, client_id=client.pk)
        for line in lines
        for client in dict.fromkeys(line.clients)
    )
    reactions = Reaction.objects.bulk_create(
        Reaction(message=line.message, user=person, emoji=emoji, created_at=line.at + 5 * MINUTE)
        for line in lines
        for person, emoji in dict.fromkeys(line.reactions)
    )
    memberships = Membership.objects.bulk_create(
        [row for plan in plans for row in _memberships(plan, gen)], ignore_conflicts=True
    )
    _highlight(plans)
    return {
        "rooms": len(plans),
        "messages": len(lines),
        "reactions": len(reactions),
        "memberships": len(memberships),
    }


def _highlight(plans: list[Plan]) -> None:
    """The call notes of the first client room, logged to the client's timeline."""
    plan = next((plan for plan in plans if plan.client is not None), None)
    lines = plan.lines if plan else []
    notes = next((line for line in lines if line.body.startswith("Notes from")), None)
    if notes is None:
        return
    message = notes.message
    actor = plan.followers[0]
    message.highlighted_at = notes.at + 30 * MINUTE
    Message.objects.filter(pk=message.pk).update(highlighted_at=message.highlighted_at)
    TimelineEntry.objects.create(
        client=plan.client,
        kind=TimelineEntry.Kind.CHAT,
        actor=actor,
        summary=f"{actor} highlighted a chat message by {message.author}",
        body=message.body,
        body_html=message.body_html,
        data={"room": plan.room.pk, "message": message.pk},
        created_at=message.highlighted_at,
    )


@transaction.atomic
def seed_chat(login_email: str) -> dict[str, int]:
    """Write the demo chat once; returns what it made (nothing when it is there already).

    The chat is there when the "Q4 launch" room is. Department, client and
    direct rooms that people already use keep their history untouched; empty
    ones are filled.
    """
    if Room.objects.filter(kind=Room.Kind.GROUP, name=LAUNCH_ROOM).exists():
        return {}
    now = timezone.now()
    cast = Cast.load(login_email)
    gen = Generator(cast, Book.load(now - DAYS * DAY), now)
    plans = [
        *_department_plans(gen),
        *_client_plans(gen),
        *_group_plans(gen),
        *_direct_plans(gen),
    ]
    plans = [plan for plan in plans if plan.room.pk is None or plan.room.last_seq == 0]
    return _write(plans, gen)
