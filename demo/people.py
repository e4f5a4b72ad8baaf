"""The demo company's people: its departments and staff, and how the generators see them.

``seed_people`` writes the departments and people of ``seed_demo`` (the demo
login first, an admin), each with a verified email address; people already
there keep any change made to them. ``Staff`` (the book's owners by team) and
``Cast`` (everyone by department, the login, the managers) are what the
generators of the book, the chat and the calendars pick people from.
"""

from dataclasses import dataclass
from datetime import time

from allauth.account.models import EmailAddress
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


LOGIN_EMAIL = demo_email(PEOPLE[0][0])


@transaction.atomic
def seed_people() -> tuple[int, int]:
    """Write the departments and people that are missing; returns (departments, new people)."""
    departments = _seed_departments()
    created = sum(_seed_person(row, departments) for row in PEOPLE)
    return len(departments), created


def _seed_departments() -> dict[str, Department]:
    departments = {}
    for name, slug, description in DEPARTMENTS:
        departments[slug], _ = Department.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )
    return departments


def _seed_person(row, departments) -> bool:
    """Create the person of ``row`` unless they exist; either way, in their departments."""
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
