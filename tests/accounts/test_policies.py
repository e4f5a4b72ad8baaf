"""accounts.policies: the role rules, as a matrix."""

import pytest
from django.http import Http404

from accounts import policies
from accounts.models import Department, Role
from tests.factories import UserFactory, invite


@pytest.fixture
def people(admin, sales_manager, support_manager, member, support_member):
    return {
        "admin": admin,
        "sales_manager": sales_manager,
        "support_manager": support_manager,
        "member": member,
        "support_member": support_member,
    }


@pytest.mark.parametrize(
    ("actor", "expected"),
    [("admin", True), ("sales_manager", True), ("member", False)],
)
def test_can_invite(people, actor, expected):
    assert policies.can_invite(people[actor]) is expected


@pytest.mark.parametrize(
    ("actor", "department", "role", "expected"),
    [
        ("admin", "sales", Role.ADMIN, True),
        ("admin", "support", Role.ADMIN, True),
        ("admin", "support", Role.MEMBER, True),
        ("sales_manager", "sales", Role.MEMBER, True),
        ("sales_manager", "sales", Role.MANAGER, True),
        ("sales_manager", "sales", Role.ADMIN, False),
        ("sales_manager", "support", Role.MEMBER, False),
        ("member", "sales", Role.MEMBER, False),
    ],
)
def test_can_invite_into(people, sales, support, actor, department, role, expected):
    departments = {"sales": sales, "support": support}
    assert policies.can_invite_into(people[actor], departments[department], role) is expected


def test_invitable_roles(people):
    assert [r for r, _ in policies.invitable_roles(people["admin"])] == [
        Role.ADMIN,
        Role.MANAGER,
        Role.MEMBER,
    ]
    assert {r for r, _ in policies.invitable_roles(people["sales_manager"])} == {
        Role.MANAGER,
        Role.MEMBER,
    }
    assert policies.invitable_roles(people["member"]) == []


def test_managed_departments(people, sales, support):
    assert set(policies.managed_departments(people["admin"])) == set(Department.objects.all())
    assert list(policies.managed_departments(people["sales_manager"])) == [sales]
    assert list(policies.managed_departments(people["support_manager"])) == [support]
    assert list(policies.managed_departments(people["member"])) == []


@pytest.mark.parametrize(
    ("actor", "person", "expected"),
    [
        ("admin", "member", True),
        ("admin", "support_member", True),
        ("admin", "sales_manager", True),
        ("admin", "admin", False),
        ("sales_manager", "member", True),
        ("sales_manager", "support_member", False),
        ("sales_manager", "support_manager", False),
        ("sales_manager", "admin", False),
        ("sales_manager", "sales_manager", False),
        ("support_manager", "support_member", True),
        ("support_manager", "member", False),
        ("member", "support_member", False),
        ("member", "member", False),
    ],
)
def test_can_manage_person(people, actor, person, expected):
    assert policies.can_manage_person(people[actor], people[person]) is expected


def test_a_manager_manages_someone_who_is_also_in_another_department(sales_manager, sales, support):
    person = UserFactory(departments=[support, sales])
    assert policies.can_manage_person(sales_manager, person)


def test_a_deactivated_admin_or_manager_has_no_powers(admin, sales_manager, member, sales):
    admin.is_active = False
    sales_manager.is_active = False
    for actor in (admin, sales_manager):
        assert not policies.can_invite(actor)
        assert not policies.can_invite_into(actor, sales, Role.MEMBER)
        assert not policies.can_manage_person(actor, member)
        assert not policies.can_change_role(actor)
        assert not policies.can_manage_departments(actor)


@pytest.mark.parametrize(
    ("actor", "expected"), [("admin", True), ("sales_manager", False), ("member", False)]
)
def test_only_admins_change_roles_and_departments(people, actor, expected):
    assert policies.can_change_role(people[actor]) is expected
    assert policies.can_manage_departments(people[actor]) is expected


@pytest.mark.parametrize(
    ("actor", "person", "expected"),
    [
        ("member", "member", True),
        ("member", "support_member", False),
        ("sales_manager", "member", False),
        ("admin", "member", True),
    ],
)
def test_can_edit_profile(people, actor, person, expected):
    assert policies.can_edit_profile(people[actor], people[person]) is expected


def test_invitations_are_visible_within_managed_departments(
    admin, sales_manager, support_manager, member, sales, support
):
    sales_invite, _ = invite(admin, email="s@example.com", department=sales)
    support_invite, _ = invite(admin, email="t@example.com", department=support)

    assert set(policies.visible_invitations(admin)) == {sales_invite, support_invite}
    assert list(policies.visible_invitations(sales_manager)) == [sales_invite]
    assert list(policies.visible_invitations(support_manager)) == [support_invite]
    assert list(policies.visible_invitations(member)) == []

    assert policies.access_invitation(sales_manager, sales_invite.pk) == sales_invite
    with pytest.raises(Http404):
        policies.access_invitation(sales_manager, support_invite.pk)
    with pytest.raises(Http404):
        policies.access_invitation(sales_manager, 999_999)


def test_access_person_raises_404_for_missing_people(member, support_member):
    assert policies.access_person(member, support_member.pk) == support_member
    with pytest.raises(Http404):
        policies.access_person(member, 999_999)
