"""Team, person and department pages: what each role sees and may do."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Department, Role, User
from tests.factories import DepartmentFactory, UserFactory

TEAM = reverse("team")


def person_url(person):
    return reverse("person", args=[person.pk])


def queries_for(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(captured)


def add_people(count, departments):
    for number in range(count):
        UserFactory(
            departments=[departments[number % len(departments)], departments[0]],
            job_title=f"Title {number}",
        )


# --- team page ------------------------------------------------------------------


def test_the_team_page_lists_people_by_department_with_role_timezone_and_hours(
    client, member, support_manager
):
    UserFactory(
        full_name="Ines Inactive", departments=list(member.departments.all()), is_active=False
    )
    client.force_login(member)

    response = client.get(TEAM)

    assert response.status_code == 200
    assert [d.slug for d in response.context["departments"]] == ["sales", "support"]
    text = response.text
    assert f'id="person-{support_manager.pk}"' in text
    assert escape(support_manager.full_name) in text
    assert "Manager" in text
    assert "Europe/Berlin" in text
    assert "09:00\u201317:00" in text
    assert "Mon Tue Wed Thu Fri" in text
    assert "Ines Inactive" not in text
    # Members see no invite or department buttons.
    assert reverse("invitations") not in text
    assert reverse("department_create") not in text


def test_the_team_page_offers_invite_to_managers_and_departments_to_admins(
    client, sales_manager, admin
):
    client.force_login(sales_manager)
    text = client.get(TEAM).text
    assert reverse("invitations") in text
    assert reverse("department_create") not in text

    client.force_login(admin)
    text = client.get(TEAM).text
    assert reverse("invitations") in text
    assert reverse("department_create") in text


def test_the_team_page_filters_by_name_and_department(client, member, support_member):
    alice = UserFactory(full_name="Alice Zebra", departments=[support_member.departments.first()])
    client.force_login(member)

    by_name = client.get(TEAM, {"q": "zebra"})
    people = {p for d in by_name.context["departments"] for p in d.people}
    assert people == {alice}
    assert "Nobody here matches “zebra”" in by_name.text  # the Sales card is empty

    by_department = client.get(TEAM, {"department": "support"})
    assert [d.slug for d in by_department.context["departments"]] == ["support"]
    assert {p for p in by_department.context["departments"][0].people} == {support_member, alice}
    assert escape(member.full_name) not in by_department.text.split('id="team-results"')[1]

    by_email = client.get(TEAM, {"q": support_member.email})
    assert [p for d in by_email.context["departments"] for p in d.people] == [support_member]

    nowhere = client.get(TEAM, {"department": "no-such-department"})
    assert "No departments match" in nowhere.text


def test_an_htmx_request_for_the_results_gets_only_the_partial(client, member):
    client.force_login(member)
    response = client.get(
        TEAM, {"q": member.full_name}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="team-results"
    )
    assert response.status_code == 200
    text = response.text.strip()
    assert text.startswith('<div id="team-results">')
    assert escape(member.full_name) in text
    assert "<html" not in text
    assert "filter-bar" not in text
    assert "sidebar" not in text


def test_an_htmx_navigation_gets_the_page_without_the_shell(client, member):
    client.force_login(member)
    response = client.get(TEAM, HTTP_HX_REQUEST="true")
    assert "<html" not in response.text
    assert "filter-bar" in response.text
    assert 'id="team-results"' in response.text


def test_the_team_page_uses_a_fixed_number_of_queries(client, member, sales, support):
    marketing = DepartmentFactory(name="Marketing", slug="marketing")
    departments = [sales, support, marketing]
    add_people(4, departments)
    client.force_login(member)
    few = queries_for(client, TEAM)

    add_people(25, departments)
    assert User.objects.count() == 30
    many = queries_for(client, TEAM)
    assert many == few
    assert many <= 8
    assert queries_for(client, TEAM, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="team-results") <= few


# --- person page -----------------------------------------------------------------


def test_everyone_sees_a_persons_page_but_only_managers_get_the_access_form(
    client, member, support_member, sales_manager
):
    client.force_login(member)
    response = client.get(person_url(support_member))
    assert response.status_code == 200
    assert support_member.email in response.text
    assert response.context["form"] is None

    client.force_login(sales_manager)
    response = client.get(person_url(member))
    assert response.context["form"] is not None
    assert "role" not in response.context["form"].fields  # only admins change roles


def test_a_missing_person_is_404(client, member):
    client.force_login(member)
    assert client.get(reverse("person", args=[999_999])).status_code == 404


def test_a_member_cannot_post_access_changes(client, member, support_member, sales):
    client.force_login(member)
    response = client.post(person_url(support_member), {"departments": [sales.pk], "is_active": ""})
    assert response.status_code == 403
    support_member.refresh_from_db()
    assert support_member.is_active


@pytest.mark.parametrize("person_fixture", ["support_member", "admin"])
def test_a_manager_cannot_manage_other_departments_or_admins(
    client, request, sales_manager, sales, person_fixture
):
    person = request.getfixturevalue(person_fixture)
    client.force_login(sales_manager)
    assert client.get(person_url(person)).context["form"] is None
    response = client.post(person_url(person), {"departments": [sales.pk]})
    assert response.status_code == 403
    assert User.objects.get(pk=person.pk).is_active


def test_a_manager_moves_and_deactivates_someone_in_their_department(client, sales, support):
    marketing = DepartmentFactory(name="Marketing", slug="marketing")
    manager = UserFactory(role=Role.MANAGER, departments=[sales, marketing])
    person = UserFactory(departments=[sales, support])
    client.force_login(manager)

    response = client.post(person_url(person), {"departments": [marketing.pk], "is_active": ""})

    assert response.status_code == 302
    person.refresh_from_db()
    assert set(person.departments.all()) == {marketing, support}
    assert person.is_active is False


def test_a_manager_cannot_smuggle_in_a_department_or_role(client, sales_manager, member, support):
    client.force_login(sales_manager)
    response = client.post(
        person_url(member), {"departments": [support.pk], "role": Role.ADMIN, "is_active": "on"}
    )
    assert response.status_code == 200
    assert "departments" in response.context["form"].errors
    member.refresh_from_db()
    assert member.role == Role.MEMBER
    assert [d.slug for d in member.departments.all()] == ["sales"]


def test_an_admin_changes_role_and_departments(client, admin, member, support):
    client.force_login(admin)
    response = client.post(
        person_url(member),
        {"role": Role.MANAGER, "departments": [support.pk], "is_active": "on"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == Role.MANAGER
    assert list(member.departments.all()) == [support]


# --- departments ----------------------------------------------------------------


def test_an_admin_adds_a_department(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("department_create"), {"name": "Legal", "description": "Contracts"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{TEAM}?department=legal"
    legal = Department.objects.get(slug="legal")
    assert (legal.description, legal.timezone) == ("Contracts", "UTC")


def test_a_department_runs_its_schedules_in_its_time_zone(client, admin):
    client.force_login(admin)
    form = {"name": "Tokyo desk", "timezone": "Asia/Tokyo"}
    assert client.post(reverse("department_create"), form).status_code == 302
    assert Department.objects.get(slug="tokyo-desk").timezone == "Asia/Tokyo"

    response = client.post(
        reverse("department_create"), {"name": "Nowhere", "timezone": "Mars/Base"}
    )
    assert response.status_code == 200
    assert not Department.objects.filter(slug="nowhere").exists()
    assert "Mars/Base" in response.text


def test_a_duplicate_department_name_is_a_form_error(client, admin, sales):
    client.force_login(admin)
    count = Department.objects.count()
    response = client.post(reverse("department_create"), {"name": "SALES"})
    assert response.status_code == 200
    assert "already a department called SALES" in response.text
    assert Department.objects.count() == count


@pytest.mark.parametrize("actor_fixture", ["sales_manager", "member"])
def test_only_admins_add_departments(client, request, actor_fixture):
    client.force_login(request.getfixturevalue(actor_fixture))
    assert client.get(reverse("department_create")).status_code == 403
    assert client.post(reverse("department_create"), {"name": "Legal"}).status_code == 403
    assert not Department.objects.filter(name="Legal").exists()
