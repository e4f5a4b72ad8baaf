"""``--toy``, shared by the benches: each at toy size, so a bench that no longer runs fails CI.

tests/bench/test_toy_runs.py runs ``python bench/<x>.py --toy`` for every bench against the
test database (``DATABASE_URL``, already migrated, maybe holding rows of earlier runs) and
expects exit status 0. A toy run takes a few seconds of its own work, checks what the
bench checks (nothing lost, no errors) but no performance target (CI machines are busy),
never creates or migrates a database and never uses a fixed port. The figures come from
full runs (docs/PERFORMANCE.md).

Nothing here imports Django at module level: a bench parses its options before
``django.setup()``.
"""

import argparse
import os
import socket
import uuid

HELP = "a few seconds at toy size: does the bench still run? CI runs every bench so"


def parse_args(parser: argparse.ArgumentParser, argv=None, **toy_defaults) -> argparse.Namespace:
    """``parser``'s options plus ``--toy``, which makes ``toy_defaults`` the defaults (an
    option given explicitly still wins)."""
    parser.add_argument("--toy", action="store_true", help=HELP)
    if parser.parse_args(argv).toy:
        parser.set_defaults(**toy_defaults)
    return parser.parse_args(argv)


def on_postgresql(url: str | None = None) -> bool:
    """Whether ``url`` (default: ``$DATABASE_URL``) is a PostgreSQL database."""
    return (url or os.environ.get("DATABASE_URL") or "").startswith("postgres")


def skipped(reason: str) -> int:
    """A toy run that does not apply here (exit status 0, said so)."""
    print(f"skipped: {reason}")
    return 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unique(label: str) -> str:
    """``label`` and a random suffix: names and e-mails of earlier runs never collide."""
    return f"{label}-{uuid.uuid4().hex[:8]}"


def person(role: str = "admin", department: str = "", **fields):
    """A new user of ``role`` (member of the department with slug ``department``, made if
    missing), for a toy run's handful of rows (call after ``django.setup()``)."""
    from accounts.models import Department, User

    user = User.objects.create_user(
        f"{unique('toy')}@example.com", None, full_name="Toy Bench", role=role, **fields
    )
    if department:
        slug_department, _ = Department.objects.get_or_create(
            slug=department, defaults={"name": department.title()}
        )
        user.departments.add(slug_department)
    return user


def people(emails: list[str], full_name: str) -> list:
    """The users with these emails, in order, made (unusable password, ``full_name``
    with their number) where missing: a bench's crowd, kept between runs."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    have = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    unusable = make_password(None)
    User.objects.bulk_create(
        User(email=email, full_name=full_name.format(number), password=unusable)
        for number, email in enumerate(emails)
        if email not in have
    )
    found = {user.email: user for user in User.objects.filter(email__in=emails)}
    return [found[email] for email in emails]
