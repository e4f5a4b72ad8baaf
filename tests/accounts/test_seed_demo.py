"""manage.py seed_demo: a realistic demo company, safe to run again."""

import zoneinfo
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.db.models import Count

from accounts.management.commands.seed_demo import DEMO_PASSWORD
from accounts.models import Department, Role, User

pytestmark = pytest.mark.django_db

SEEDED = {"sales", "marketing", "support", "management"}


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def counts() -> dict:
    return {
        "departments": Department.objects.count(),
        "people": User.objects.count(),
        "memberships": User.departments.through.objects.count(),
        "emails": EmailAddress.objects.count(),
    }


def test_refuses_with_debug_off_unless_allowed(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-production"):
        seed()
    assert counts() == {"departments": 0, "people": 0, "memberships": 0, "emails": 0}


def test_runs_with_debug_on(settings):
    settings.DEBUG = True
    output = seed()
    assert "Demo data ready" in output
    assert User.objects.count() >= 12


def test_is_idempotent_and_realistic(settings):
    settings.DEBUG = False
    first_output = seed(allow_production=True)
    first = counts()
    second_output = seed(allow_production=True)

    assert counts() == first
    assert "(0 new)" in second_output
    assert "(0 new)" not in first_output

    assert {d.slug for d in Department.objects.all()} >= SEEDED
    people = User.objects.prefetch_related("departments")
    assert people.count() >= 12
    per_department = dict(
        Department.objects.filter(slug__in=SEEDED)
        .annotate(n=Count("members"))
        .values_list("slug", "n")
    )
    assert set(per_department) == SEEDED
    assert all(n >= 2 for n in per_department.values()), per_department

    timezones = zoneinfo.available_timezones()
    for person in people:
        assert person.timezone in timezones
        assert person.full_name
        assert person.departments.exists()
        assert person.work_end > person.work_start
        assert EmailAddress.objects.get(user=person).verified
    assert {p.timezone for p in people} != {"UTC"}  # a spread of real time zones
    assert people.filter(role=Role.ADMIN, is_active=True).exists()
    assert people.filter(role=Role.MANAGER).count() >= 2


def test_the_printed_demo_login_works(client, settings):
    settings.DEBUG = True
    output = seed()
    email = output.split("Sign in as ")[1].split()[0]
    assert DEMO_PASSWORD in output
    assert client.login(email=email, password=DEMO_PASSWORD)
    assert User.objects.get(email=email).is_admin


def test_keeps_changes_people_made_to_demo_accounts(settings):
    settings.DEBUG = True
    seed()
    person = User.objects.get(email="diego@northwind.example")
    person.full_name = "Diego A."
    person.save()
    seed()
    assert User.objects.get(email="diego@northwind.example").full_name == "Diego A."
