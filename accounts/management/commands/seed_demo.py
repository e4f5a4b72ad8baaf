"""Load a realistic demo company. Safe to run again: nothing is duplicated.

People and departments first, then the client book (records/demo.py), then
the chat rooms and their conversations (chat/demo.py), then the calendars
(calendar_app/demo.py). With
``--scale N`` it also adds N generated clients for benchmarks (every run adds
N more: that part is deliberately not idempotent).
"""

from datetime import time
from time import perf_counter

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Department, Role, User
from calendar_app.demo import seed_calendar
from chat.demo import seed_chat
from records import demo

DEMO_PASSWORD = "workspace-demo"  # noqa: S105 - printed for the demo; refused in production
DEMO_DOMAIN = "northwind.example"

DEPARTMENTS = [
    ("Sales", "sales", "New business and account growth"),
    ("Marketing", "marketing", "Campaigns, content and events"),
    ("Support", "support", "Helping clients succeed"),
    ("Management", "management", "Leadership and operations"),
]

# name, title, role, departments, timezone, working hours
PEOPLE = [
    ("Alex Morgan", "COO", Role.ADMIN, ["management", "sales"], "Europe/London", (8, 17)),
    (
        "Priya Raman",
        "Head of Sales",
        Role.MANAGER,
        ["sales", "management"],
        "Europe/Berlin",
        (9, 18),
    ),
    ("Diego Alvarez", "Account Executive", Role.MEMBER, ["sales"], "America/Mexico_City", (9, 17)),
    ("Hannah Becker", "Account Executive", Role.MEMBER, ["sales"], "Europe/Berlin", (8, 16)),
    ("Tom Okafor", "Sales Development Rep", Role.MEMBER, ["sales"], "Africa/Lagos", (9, 17)),
    ("Mei Chen", "Marketing Lead", Role.MANAGER, ["marketing"], "Asia/Singapore", (9, 18)),
    ("Lucas Silva", "Content Marketer", Role.MEMBER, ["marketing"], "America/Sao_Paulo", (10, 18)),
    ("Sara Lindqvist", "Campaign Manager", Role.MEMBER, ["marketing"], "Europe/Stockholm", (8, 16)),
    ("Omar Haddad", "Support Lead", Role.MANAGER, ["support"], "Asia/Dubai", (8, 17)),
    ("Emily Carter", "Support Engineer", Role.MEMBER, ["support"], "America/New_York", (9, 17)),
    ("Kenji Watanabe", "Support Engineer", Role.MEMBER, ["support"], "Asia/Tokyo", (9, 18)),
    (
        "Grace Mensah",
        "Customer Success",
        Role.MEMBER,
        ["support", "sales"],
        "Europe/London",
        (9, 17),
    ),
    ("Noah Fischer", "Finance Controller", Role.MEMBER, ["management"], "Europe/Zurich", (8, 17)),
    ("Isabella Rossi", "Partnerships", Role.MEMBER, ["sales", "marketing"], "Europe/Rome", (9, 18)),
]


def demo_email(full_name: str) -> str:
    return f"{full_name.split()[0].lower()}@{DEMO_DOMAIN}"


class Command(BaseCommand):
    help = "Load the demo company (departments, people, client book, chat, calendars). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DEBUG off (demo accounts have a published password).",
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            metavar="N",
            help="Also add N generated clients (3 contacts, 3 timeline entries each), "
            "~2,000 open deals and N/10 tickets, for benchmarks.",
        )

    def handle(self, *args, allow_production=False, scale=0, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "seed_demo creates accounts with a published password, so it only runs with "
                "DEBUG=1. Pass --allow-production if this really is a demo instance."
            )
        with transaction.atomic():
            departments = self.seed_departments()
            created = sum(self.seed_person(row, departments) for row in PEOPLE)
        self.stdout.write(
            f"Demo data ready: {len(departments)} departments, {len(PEOPLE)} people "
            f"({created} new)."
        )
        self.seed_book()
        self.seed_chat()
        self.seed_calendar()
        if scale > 0:
            self.seed_scale(scale)
        self.stdout.write(f"Sign in as {demo_email(PEOPLE[0][0])} with password {DEMO_PASSWORD}")

    def seed_book(self) -> None:
        started = perf_counter()
        made = demo.seed_book()
        if made:
            self.stdout.write(f"Client book: {describe(made)} in {perf_counter() - started:.1f} s.")
        else:
            self.stdout.write("Client book already there.")

    def seed_chat(self) -> None:
        started = perf_counter()
        made = seed_chat(demo_email(PEOPLE[0][0]))
        if made:
            self.stdout.write(f"Chat: {describe(made)} in {perf_counter() - started:.1f} s.")
        else:
            self.stdout.write("Chat already there.")

    def seed_calendar(self) -> None:
        started = perf_counter()
        made = seed_calendar(demo_email(PEOPLE[0][0]))
        if made:
            self.stdout.write(f"Calendar: {describe(made)} in {perf_counter() - started:.1f} s.")
        else:
            self.stdout.write("Calendar already there.")

    def seed_scale(self, count: int) -> None:
        self.stdout.write(f"Generating {count:,} clients …")
        made = demo.seed_scale(count, report=self.stdout.write)
        seconds = made.pop("seconds")
        self.stdout.write(f"Scale: {describe(made)} in {seconds:.1f} s.")

    def seed_departments(self) -> dict[str, Department]:
        departments = {}
        for name, slug, description in DEPARTMENTS:
            departments[slug], _ = Department.objects.get_or_create(
                slug=slug, defaults={"name": name, "description": description}
            )
        return departments

    def seed_person(self, row, departments) -> bool:
        full_name, title, role, slugs, tz, (start, end) = row
        email = demo_email(full_name)
        user = User.objects.filter(email=email).first()
        created = user is None
        if created:
            user = User.objects.create_user(
                email,
                DEMO_PASSWORD,
                full_name=full_name,
                job_title=title,
                role=role,
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
                timezone=tz,
                work_start=time(start),
                work_end=time(end),
            )
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        user.departments.add(*(departments[slug] for slug in slugs))
        return created


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{count:,} {name}" for name, count in counts.items())
