"""Demo records: a realistic book for ``seed_demo`` and bulk rows for benchmarks.

``seed_book`` writes a deterministic client book (seeded random, so screenshots
are stable): ~320 clients with contacts, deals with a year of won/lost history,
tickets in every status, comments with @mentions, logged activities, and the
field changes and timeline entries that go with them. ``seed_scale`` adds N
more, simpler clients (3 contacts and 3 timeline entries each, ~2,000 open
deals, a ticket per ten clients) for ``bench/pages.py``.

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

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from functools import cache
from itertools import pairwise
from time import perf_counter

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Department, User
from records.demo_work import seed_work
from records.models import (
    Client,
    Comment,
    Contact,
    Deal,
    FieldChange,
    LossReason,
    Pipeline,
    Priority,
    Ticket,
    TicketSlaPolicy,
    TimelineEntry,
)
from workspace.text import render_markdown

BOOK_SEED = 2026
BOOK_CLIENTS = 320
BOOK_DEALS = 400
BOOK_TICKETS = 500
BATCH = 2000
SCALE_CHUNK = 5000
SCALE_OPEN_DEALS = 2000
SCALE_CLIENTS_PER_TICKET = 10
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
Kind = TimelineEntry.Kind

# --- Vocabulary ------------------------------------------------------------------

ROOTS = (
    "Alder", "Aurora", "Bluefin", "Brightline", "Cedar", "Copperleaf", "Crescent", "Driftwood",
    "Evergreen", "Falcon", "Fieldstone", "Granite", "Harbor", "Helix", "Horizon", "Ironbridge",
    "Juniper", "Keystone", "Lakeside", "Lumen", "Maple", "Meridian", "Northgate", "Oakridge",
    "Orbit", "Pinnacle", "Quarry", "Redwood", "Riverbend", "Saffron", "Sierra", "Silverline",
    "Skyward", "Solstice", "Summit", "Tidewater", "Timberline", "Trident", "Vantage", "Vertex",
    "Willow", "Zephyr", "Bramble", "Castell", "Dunmore", "Elmstead", "Foxglove", "Greystone",
    "Highmoor", "Kestrel", "Larkspur", "Marlow", "Nettle", "Osprey", "Pemberton", "Quill",
    "Rowan", "Stirling", "Thistle", "Wexford",
)  # fmt: skip
# Company word -> industry.
TRADES = (
    ("Logistics", "Logistics"), ("Analytics", "Software"), ("Health", "Healthcare"),
    ("Foods", "Food & beverage"), ("Energy", "Energy"), ("Capital", "Financial services"),
    ("Robotics", "Manufacturing"), ("Labs", "Biotech"), ("Retail", "Retail"),
    ("Studios", "Media"), ("Systems", "Software"), ("Partners", "Consulting"),
    ("Engineering", "Manufacturing"), ("Travel", "Travel & hospitality"),
    ("Legal", "Legal services"), ("Learning", "Education"), ("Motors", "Automotive"),
    ("Pharma", "Pharmaceuticals"), ("Construction", "Construction"), ("Telecom", "Telecom"),
)  # fmt: skip


@dataclass(frozen=True)
class Country:
    name: str
    cities: tuple[str, ...]
    streets: tuple[str, ...]
    phone_prefix: str
    tld: str
    company_form: str


COUNTRIES = (
    Country("Germany", ("Berlin", "Hamburg", "Munich", "Cologne"),
            ("Hauptstraße", "Bahnhofstraße", "Lindenallee", "Gartenweg"), "+49", "de", "GmbH"),
    Country("United Kingdom", ("London", "Manchester", "Leeds", "Bristol"),
            ("High Street", "Station Road", "Church Lane", "Park Avenue"), "+44", "co.uk", "Ltd"),
    Country("United States", ("Boston", "Austin", "Denver", "Seattle"),
            ("Main Street", "Oak Avenue", "Market Street", "Elm Street"), "+1", "com", "Inc."),
    Country("Netherlands", ("Amsterdam", "Utrecht", "Rotterdam"),
            ("Keizersgracht", "Stationsplein", "Dorpsstraat"), "+31", "nl", "B.V."),
    Country("France", ("Paris", "Lyon", "Toulouse"),
            ("Rue de la Paix", "Avenue Victor Hugo", "Rue du Commerce"), "+33", "fr", "SAS"),
    Country("Sweden", ("Stockholm", "Gothenburg", "Malmö"),
            ("Storgatan", "Drottninggatan", "Kungsgatan"), "+46", "se", "AB"),
    Country("Spain", ("Madrid", "Barcelona", "Valencia"),
            ("Calle Mayor", "Gran Vía", "Calle de Alcalá"), "+34", "es", "S.L."),
)  # fmt: skip
SIZES = (Client.Size.SMALL, Client.Size.MEDIUM, Client.Size.LARGE, Client.Size.XLARGE,
         Client.Size.ENTERPRISE, Client.Size.SOLO, Client.Size.UNKNOWN)  # fmt: skip
SIZE_WEIGHTS = (25, 30, 20, 10, 6, 3, 6)
TAGS = ("vip", "renewal-q3", "newsletter", "partner", "upsell", "at-risk", "beta", "gdpr",
        "trade-show", "reference", "onboarding", "multi-site")  # fmt: skip
LIFECYCLE_WEIGHTS = {"lead": 30, "prospect": 25, "customer": 35, "churned": 10}
FIRST_NAMES = (
    "Anna", "Ben", "Chloé", "David", "Elif", "Femi", "Giulia", "Hugo", "Ines", "Jonas", "Karin",
    "Liam", "Maja", "Nils", "Olivia", "Pablo", "Quentin", "Rosa", "Samir", "Tessa", "Uma",
    "Victor", "Wen", "Yusuf", "Zoe", "Aisha", "Bruno", "Clara", "Emil", "Freya", "Jakob",
    "Lena", "Marco", "Nora", "Oskar", "Paula", "Rafael", "Sofia", "Theo", "Vera",
)  # fmt: skip
LAST_NAMES = (
    "Andersson", "Baker", "Costa", "Dubois", "Eriksen", "Fernández", "Gallagher", "Hoffmann",
    "Ivanova", "Jansen", "Kowalski", "Laurent", "Müller", "Nakamura", "O'Brien", "Petrov",
    "Quinn", "Ramos", "Schmidt", "Tanaka", "Urban", "Visser", "Walsh", "Yilmaz", "Zimmermann",
    "Bauer", "Novak", "Moreau", "Lindgren", "Brennan",
)  # fmt: skip
TITLES = ("CEO", "CTO", "CFO", "Head of Operations", "IT Manager", "Procurement Lead",
          "Office Manager", "VP Sales", "Product Owner", "Finance Director",
          "Customer Service Manager", "Founder")  # fmt: skip
DEAL_KINDS = ("Annual licence", "Pilot", "Expansion", "Renewal", "Onboarding package",
              "Support plan", "Multi-site rollout", "Training", "API add-on")  # fmt: skip
LOSS_NOTES = ("", "", "Went with the incumbent vendor.", "Budget frozen until next year.",
              "Our offer was 20% above theirs.", "Project shelved after a reorganisation.",
              "No response after the proposal.")  # fmt: skip
TICKET_SUBJECTS = (
    "Cannot log in after password reset", "Invoice shows the wrong VAT rate",
    "Export to CSV times out", "Two-factor codes not arriving", "Add three more seats",
    "Dashboard loads slowly in the morning", "Webhook deliveries failing",
    "Cancel a duplicate order",
    "Data import stuck at 80%", "Question about the API rate limit", "Mobile app crashes on start",
    "Update billing address", "Emails land in spam", "Request for a training session",
    "Report numbers do not match", "SSO configuration help", "Attachment upload fails",
    "Change account owner", "Calendar sync missing events", "Feature request: dark mode",
)  # fmt: skip
ACTIVITY_LINES = {
    Kind.CALL: ("Discovery call with {contact}", "Follow-up call with {contact} about pricing",
                "Check-in call with {contact}", "Called {contact} about the renewal"),
    Kind.MEETING: ("Quarterly review with {contact}", "On-site demo for {contact}'s team",
                   "Kick-off meeting with {contact}", "Lunch with {contact}"),
    Kind.EMAIL: ("Sent the proposal to {contact}", "Emailed {contact} the case study",
                 "Sent {contact} the onboarding checklist", "Replied to {contact}'s questions"),
    Kind.NOTE: ("{contact} is evaluating two other vendors", "Budget approved for next quarter",
                "{contact} prefers calls on Tuesdays",
                "Decision expected after their board meeting"),
}  # fmt: skip
ACTIVITY_BODIES = (
    "",
    "",
    "**Next steps**\n\n- send the revised quote\n- book a demo for their IT team",
    "They liked the reporting module; concerns about migration effort.",
    "Agreed to revisit in two weeks. Pricing sheet: https://pricing.example.com/2026",
)
COMMENT_LINES = (
    "Spoke to them yesterday, they want a revised quote by Friday.",
    "I have added the signed NDA to the shared drive.",
    "Their procurement needs **two** more references.",
    "Looks good to me. Let's move forward.",
    "Can someone check whether the invoice went out?",
    "They asked about the *enterprise* tier; sending details.",
    "Customer confirmed the fix works on their side.",
    "Escalating: this is the third time this month.",
)
MENTION_LINES = (
    "@{name} can you approve the discount for this one?",
    "@{name} you met them at the trade show, any notes?",
    "Looping in @{name} for the technical questions.",
    "@{name} please take over while I am away next week.",
)
REPLY_LINES = ("Done, thanks!", "On it.", "Good point, I will follow up.", "Agreed.")


# --- The people and the fixed rows every generator needs ---------------------------


@dataclass
class Staff:
    """Demo people by team: owners are Sales or Support; anyone comments and logs."""

    sales: list[User]
    support: list[User]
    everyone: list[User]
    departments: dict[str, Department]

    @classmethod
    def load(cls) -> "Staff":
        active = User.objects.filter(is_active=True).order_by("pk")
        sales = list(active.filter(departments__slug="sales").distinct())
        support = list(active.filter(departments__slug="support").distinct())
        if not sales or not support:
            raise ValueError("Demo records need people in the Sales and Support departments.")
        departments = {d.slug: d for d in Department.objects.filter(slug__in=["sales", "support"])}
        return cls(sales, support, list(active), departments)


@dataclass
class Setup:
    """The default pipeline's stages, loss reasons, SLA hours and audit content types."""

    open_stages: list
    won: object
    lost: object
    loss_reasons: list
    sla_hours: dict
    content_types: dict = field(default_factory=dict)

    @classmethod
    def load(cls) -> "Setup":
        pipeline = Pipeline.objects.get(is_default=True)
        stages = list(pipeline.stages.order_by("order"))
        return cls(
            open_stages=[stage for stage in stages if not stage.is_won and not stage.is_lost],
            won=next(stage for stage in stages if stage.is_won),
            lost=next(stage for stage in stages if stage.is_lost),
            loss_reasons=list(LossReason.objects.filter(active=True)),
            sla_hours={priority: TicketSlaPolicy.hours_for(priority) for priority in Priority},
            content_types={
                model: ContentType.objects.get_for_model(model) for model in (Client, Deal, Ticket)
            },
        )


@cache
def _markdown(text: str) -> str:
    """Rendered once per distinct text: the book repeats its lines."""
    return render_markdown(text)


class History:
    """Audit rows and timeline entries collected in memory, written in two bulk inserts."""

    def __init__(self, setup: Setup):
        self.setup = setup
        self.entries: list[TimelineEntry] = []
        self.linked: list[tuple[FieldChange, TimelineEntry]] = []

    def entry(self, client_id, kind, at, actor, summary, **extra) -> TimelineEntry:
        entry = TimelineEntry(
            client_id=client_id,
            kind=kind,
            actor=actor,
            summary=summary[:300],
            created_at=at,
            **extra,
        )
        self.entries.append(entry)
        return entry

    def change(self, obj, name, old, new, at, actor, displays, *, kind, summary, **links):
        """An audit row of ``obj.name`` and its timeline entry (data links to the row)."""
        change = FieldChange(
            actor=actor,
            content_type=self.setup.content_types[type(obj)],
            object_id=obj.pk,
            field=name,
            old=old,
            new=new,
            old_display=displays[0],
            new_display=displays[1],
            created_at=at,
        )
        client_id = obj.pk if isinstance(obj, Client) else obj.client_id
        data = {"model": type(obj)._meta.model_name, "id": obj.pk}
        entry = self.entry(client_id, kind, at, actor, summary, data=data, **links)
        self.linked.append((change, entry))

    def save(self) -> int:
        changes = [change for change, _ in self.linked]
        FieldChange.objects.bulk_create(changes, batch_size=BATCH)
        for change, entry in self.linked:
            entry.data["change"] = change.pk
        TimelineEntry.objects.bulk_create(self.entries, batch_size=BATCH)
        count = len(self.entries)
        self.entries, self.linked = [], []
        return count


# --- Generator ---------------------------------------------------------------------


class Generator:
    """Plausible records from a seeded random source; ``now`` fixed at construction."""

    def __init__(self, seed, staff: Staff, setup: Setup):
        self.rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
        self.now = timezone.now().replace(minute=0, second=0, microsecond=0)
        self.staff = staff
        self.setup = setup
        self.history = History(setup)

    def between(self, start, end):
        """A moment between ``start`` and ``end`` (``start`` if the span is empty)."""
        span = (end - start).total_seconds()
        return start + timedelta(seconds=self.rng.uniform(0, span)) if span > 0 else start

    def days_ago(self, low: float, high: float):
        return self.now - timedelta(days=self.rng.uniform(low, high))

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
        rng = self.rng
        return f"{country.phone_prefix} {rng.randint(20, 99)} {rng.randint(1000000, 9999999)}"

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
                summary=f"{actor} changed Lifecycle from “{labels[old]}” to “{labels[new]}”",
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
            self.between(client.created_at, self.now),
            actor,
            rng.choice(ACTIVITY_LINES[kind]).format(contact=contact),
            body=body,
            body_html=_markdown(body),
        )

    # Deals

    def deal(self, client: Client, status: str, position: int) -> Deal:
        """A deal of ``client``: open (in an open stage) or won/lost in the last 12 months."""
        rng = self.rng
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
            closed = self.days_ago(1, 360)
            deal.created_at = max(closed - rng.uniform(14, 120) * DAY, client.created_at)
            deal.closed_at = max(closed, deal.created_at + DAY)
            deal.expected_close = (deal.closed_at + rng.uniform(-20, 20) * DAY).date()
            deal.updated_at = deal.closed_at
            deal.stage = self.setup.won if status == Deal.Status.WON else self.setup.lost
            if status == Deal.Status.LOST:
                deal.loss_reason = rng.choice(self.setup.loss_reasons)
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
                summary=self.move_summary(actor, deal, old, new),
                deal=deal,
            )

    @staticmethod
    def move_summary(actor, deal, old, new) -> str:
        if new.is_won:
            return f"{actor} won deal {deal} ({deal.amount} {deal.currency})"
        if new.is_lost:
            return f"{actor} lost deal {deal}: {deal.loss_reason}"
        return f"{actor} moved deal {deal} from {old} to {new}"

    # Tickets

    def ticket(self, client: Client, contacts: list[Contact], status: str) -> Ticket:
        rng = self.rng
        priority = rng.choices(Priority.values, (25, 45, 20, 10))[0]
        hours = self.setup.sla_hours[priority]
        resolved = status in Ticket.RESOLVED
        recent = self.days_ago(1, 360) if resolved else self.days_ago(0.05, 12)
        created = max(recent, client.created_at)
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
            ticket.first_response_at = self.clamp(created + rng.uniform(0.05, 0.5) * hours * HOUR)
            ticket.updated_at = ticket.first_response_at
        if resolved:
            # Up to 1.7 times the SLA after opening: about a third breached it.
            later = rng.uniform(0.1, 1.2) * hours * HOUR
            ticket.resolved_at = self.clamp(ticket.first_response_at + later)
            ticket.updated_at = ticket.resolved_at
            if rng.random() < 0.7:
                ticket.satisfaction = rng.choices((5, 4, 3, 2, 1), (40, 30, 15, 10, 5))[0]
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
                summary=f"{worker} changed Status of ticket {ticket} "
                f"from “{labels[old]}” to “{labels[new]}”",
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
            body_html=_markdown(body),
            created_at=self.between(start, min(start + 30 * DAY, self.now)),
            **{name: target},
        )
        comment.mentioned = mentioned
        comment.client_of_target = client
        return comment

    def comment_history(self, comment: Comment) -> None:
        target = comment.target
        where = {Client: str, Deal: "deal {}".format, Ticket: "ticket {}".format}[type(target)]
        self.history.entry(
            comment.client_of_target.pk,
            Kind.COMMENT,
            comment.created_at,
            comment.author,
            f"{comment.author} commented on {where(target)}",
            comment=comment,
            deal=comment.deal,
            ticket=comment.ticket,
        )


def _ascii(text: str) -> str:
    """An email-safe local part: accents dropped (Chloé -> chloe, Müller -> muller)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _bulk(model, rows: list) -> list:
    """Insert ``rows``; their pks are set (RETURNING, on PostgreSQL and SQLite alike)."""
    return model.objects.bulk_create(rows, batch_size=BATCH)


# --- The demo book ---------------------------------------------------------------------


@transaction.atomic
def seed_book() -> dict[str, int]:
    """Write the demo book once; returns what it made (nothing when it is there already).

    The book is there when a client has the domain of its first client (the
    same on every run: seeded random).
    """
    gen = Generator(BOOK_SEED, Staff.load(), Setup.load())
    clients = _distinct_clients(gen, BOOK_CLIENTS)
    if Client.objects.filter(domain=clients[0].domain).exists():
        return {}
    clients = _bulk(Client, clients)
    contacts = {}
    for client in clients:
        count = gen.rng.choices((2, 3, 4, 5), (3, 4, 2, 1))[0]
        contacts[client.pk] = [gen.contact(client) for _ in range(count)]
    _bulk(Contact, [contact for group in contacts.values() for contact in group])
    deals = _bulk(Deal, _book_deals(gen, clients))
    tickets = _bulk(Ticket, _book_tickets(gen, clients, contacts))
    comments = _book_comments(gen, clients, deals, tickets)
    for client in clients:
        gen.client_history(client, contacts[client.pk], gen.rng.randint(1, 5))
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
    """Deals on prospects and customers (a few leads): 45% open, 35% won, 20% lost."""
    weights = {"lead": 1, "prospect": 4, "customer": 5, "churned": 2}
    owners = gen.rng.choices(clients, [weights[c.lifecycle] for c in clients], k=BOOK_DEALS)
    statuses = gen.rng.choices(Deal.Status.values, (45, 35, 20), k=BOOK_DEALS)
    return [
        gen.deal(client, status, position)
        for position, (client, status) in enumerate(zip(owners, statuses, strict=True))
    ]


def _book_tickets(gen: Generator, clients: list[Client], contacts: dict) -> list[Ticket]:
    """Tickets mostly from customers, in every status (most of them resolved)."""
    weights = {"lead": 0, "prospect": 1, "customer": 8, "churned": 3}
    picked = gen.rng.choices(clients, [weights[c.lifecycle] for c in clients], k=BOOK_TICKETS)
    statuses = gen.rng.choices(Ticket.Status.values, (8, 12, 8, 30, 42), k=BOOK_TICKETS)
    return [
        gen.ticket(client, contacts[client.pk], status)
        for client, status in zip(picked, statuses, strict=True)
    ]


def _book_comments(gen, clients, deals, tickets) -> list[Comment]:
    """~700 comments on clients, deals and tickets, a reply to some, mentions saved."""
    by_pk = {client.pk: client for client in clients}
    targets = (
        [(client, client) for client in gen.rng.sample(clients, 200)]
        + [(deal, by_pk[deal.client_id]) for deal in gen.rng.sample(deals, 220)]
        + [(ticket, by_pk[ticket.client_id]) for ticket in gen.rng.sample(tickets, 280)]
    )
    top = _bulk(Comment, [gen.comment(target, client) for target, client in targets])
    replies = _bulk(
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


# --- Bulk clients for benchmarks -------------------------------------------------------


def seed_scale(count: int, report=print) -> dict[str, int]:
    """Add ``count`` clients (3 contacts and 3 timeline entries each), open deals and tickets.

    Each chunk of clients commits on its own, so a long run shows progress
    through ``report`` and a crash keeps what was made.
    """
    started = perf_counter()
    gen = Generator(f"scale-{Client.objects.count()}", Staff.load(), Setup.load())
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
    _refresh_statistics()
    made["seconds"] = round(perf_counter() - started, 1)
    return made


def _refresh_statistics() -> None:
    """On PostgreSQL, VACUUM ANALYZE the tables just filled.

    Right after a bulk load the planner still believes the tables are tiny
    (rows=1 estimates) until autovacuum gets to them, and picks nested loops
    and sorts that take 10-20x longer (measured on the client list: 266 ms
    before, 12 ms after); VACUUM also sets the visibility map that index-only
    scans (the list's counts) need. VACUUM cannot run inside a transaction, so
    a caller's transaction (a test's) skips it.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = [model._meta.db_table for model in (Client, Contact, Deal, Ticket, TimelineEntry)]
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")


def _scale_chunk(gen: Generator, size: int, first_number: int) -> tuple[list[Client], int, int]:
    """``size`` clients, 3 contacts each, 3 timeline entries each (created, contact, activity)."""
    numbers = range(first_number, first_number + size)
    clients = _bulk(Client, [gen.client(number) for number in numbers])
    contacts = {client.pk: [gen.contact(client) for _ in range(3)] for client in clients}
    _bulk(Contact, [contact for group in contacts.values() for contact in group])
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
    deals = _bulk(
        Deal,
        [
            gen.deal(clients[pk], Deal.Status.OPEN, start + index)
            for index, pk in enumerate(deal_clients)
        ],
    )
    tickets = _bulk(
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
    gen = Generator(f"long-{client.pk}", Staff.load(), Setup.load())
    contacts = list(client.contacts.all())
    for _ in range(count):
        gen.activity(client, contacts)
    with transaction.atomic():
        return gen.history.save()
