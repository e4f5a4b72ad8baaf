"""Load a realistic demo company. Safe to run again: nothing is duplicated."""

from datetime import time

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Department, Role, User

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
    ("Alex Morgan", "COO", Role.ADMIN, ["management"], "Europe/London", (8, 17)),
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
    help = "Load the demo company (departments and people). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DEBUG off (demo accounts have a published password).",
        )

    def handle(self, *args, allow_production=False, **options):
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
        self.stdout.write(f"Sign in as {demo_email(PEOPLE[0][0])} with password {DEMO_PASSWORD}")

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
