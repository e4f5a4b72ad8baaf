"""accounts.services: invitations, people, roles and departments.

Each service checks the actor's right, validates, and writes all or nothing.
"""

import hashlib
import re
import threading
from datetime import timedelta
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone

from accounts import services
from accounts.models import Department, Invitation, Role, User
from tests.factories import PASSWORD, DepartmentFactory, UserFactory, invite

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def accept(token, full_name="New Person", password=NEW_PASSWORD):
    return services.accept_invitation(token=token, full_name=full_name, password=password)


def expire(invitation):
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )


def error_text(excinfo) -> str:
    return " ".join(excinfo.value.messages)


# --- invite -------------------------------------------------------------------


def test_invite_stores_only_the_token_hash_and_emails_the_link(
    admin, sales, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = invite(admin, email="  New.Person@Example.com ", department=sales)

    invitation.refresh_from_db()
    assert invitation.email == "new.person@example.com"
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert len(token) >= 40
    assert invitation.invited_by == admin
    assert invitation.status == Invitation.Status.PENDING
    lifetime = invitation.expires_at - invitation.created_at
    assert abs(lifetime - settings.INVITATION_LIFETIME) < timedelta(seconds=5)

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["new.person@example.com"]
    assert f"{settings.SITE_URL}/invite/{token}/" in email.body
    assert "Sales" in email.body


def test_invite_sends_no_email_when_the_transaction_rolls_back(
    admin, sales, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite(admin, department=sales)
    assert len(callbacks) == 1
    assert mailoutbox == []


@pytest.mark.parametrize("email", ["taken@example.com", "TAKEN@example.com"])
def test_invite_refuses_an_email_that_has_an_account(admin, sales, email):
    UserFactory(email="taken@example.com")
    with pytest.raises(ValidationError) as excinfo:
        invite(admin, email=email, department=sales)
    assert "already has a Workspace account" in error_text(excinfo)
    assert Invitation.objects.count() == 0


def test_invite_refuses_an_email_with_a_pending_invitation(admin, sales):
    invite(admin, email="twice@example.com", department=sales)
    with pytest.raises(ValidationError) as excinfo:
        invite(admin, email="Twice@Example.com", department=sales)
    assert "pending invitation" in error_text(excinfo)
    assert Invitation.objects.count() == 1


def test_invite_allows_a_new_invitation_once_the_old_one_is_revoked_or_expired(admin, sales):
    revoked, _ = invite(admin, email="again@example.com", department=sales)
    services.revoke_invitation(actor=admin, invitation=revoked)
    expired, _ = invite(admin, email="again@example.com", department=sales)
    expire(expired)
    invite(admin, email="again@example.com", department=sales)
    assert Invitation.objects.filter(email="again@example.com").count() == 3


def test_invite_rejects_a_malformed_email(admin, sales):
    with pytest.raises(ValidationError):
        invite(admin, email="not-an-email", department=sales)
    assert Invitation.objects.count() == 0


# --- accept -------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MEMBER, Role.MANAGER, Role.ADMIN])
def test_accept_creates_the_user_in_the_invited_department_and_role(admin, support, role):
    invitation, token = invite(admin, email="joiner@example.com", department=support, role=role)

    user = accept(token, full_name="  Jo Iner ")

    assert user.email == "joiner@example.com"
    assert user.full_name == "Jo Iner"
    assert user.role == role
    assert user.is_staff == (role == Role.ADMIN)
    assert list(user.departments.all()) == [support]
    assert user.check_password(NEW_PASSWORD)
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == ("joiner@example.com", True, True)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.accepted_user == user


def test_accept_twice_is_refused(admin):
    _, token = invite(admin)
    accept(token)
    with pytest.raises(ValidationError) as excinfo:
        accept(token, full_name="Someone Else")
    assert "already been used" in error_text(excinfo)
    assert User.objects.filter(email="new.person@example.com").count() == 1


def test_accept_rechecks_the_invitation_under_its_row_lock(admin):
    """Two submissions racing: the second read the invitation before the first
    committed. The service re-reads it under a lock, so the second is refused."""
    invitation, token = invite(admin)
    stale = services.find_invitation(token)
    accept(token)
    with (
        mock.patch.object(services, "find_invitation", return_value=stale),
        pytest.raises(ValidationError) as excinfo,
    ):
        accept(token, full_name="Second Tab")
    assert "already been used" in error_text(excinfo)
    assert User.objects.filter(email=invitation.email).count() == 1


def test_accept_an_expired_invitation_is_refused(admin):
    invitation, token = invite(admin)
    expire(invitation)
    with pytest.raises(ValidationError) as excinfo:
        accept(token)
    assert "expired" in error_text(excinfo)
    assert "Ask" in error_text(excinfo)
    assert not User.objects.filter(email=invitation.email).exists()


def test_accept_a_revoked_invitation_is_refused(admin):
    invitation, token = invite(admin)
    services.revoke_invitation(actor=admin, invitation=invitation)
    with pytest.raises(ValidationError) as excinfo:
        accept(token)
    assert "withdrawn" in error_text(excinfo)
    assert not User.objects.filter(email=invitation.email).exists()


@pytest.mark.parametrize("token", ["", "garbage", "x" * 43])
def test_accept_an_unknown_token_is_refused(admin, token):
    invite(admin)
    with pytest.raises(ValidationError) as excinfo:
        accept(token)
    assert "not valid" in error_text(excinfo)


def test_accept_with_a_weak_password_saves_nothing(admin):
    invitation, token = invite(admin)
    users = User.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        accept(token, password="password")
    assert "password" in excinfo.value.message_dict
    assert User.objects.count() == users
    assert EmailAddress.objects.filter(email=invitation.email).count() == 0
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_accept_when_the_email_got_an_account_meanwhile_saves_nothing(admin):
    invitation, token = invite(admin, email="meanwhile@example.com")
    UserFactory(email="meanwhile@example.com")
    with pytest.raises(ValidationError) as excinfo:
        accept(token)
    assert "already has an account" in error_text(excinfo)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


# --- resend and revoke ----------------------------------------------------------


def test_resend_rotates_the_token_and_extends_the_expiry(
    admin, mailoutbox, django_capture_on_commit_callbacks
):
    invitation, old_token = invite(admin)
    expire(invitation)
    with django_capture_on_commit_callbacks(execute=True):
        new_token = services.resend_invitation(actor=admin, invitation=invitation)

    assert new_token != old_token
    invitation.refresh_from_db()
    assert invitation.token_hash == services.hash_token(new_token)
    assert invitation.status == Invitation.Status.PENDING
    assert len(mailoutbox) == 1
    assert new_token in mailoutbox[0].body
    with pytest.raises(ValidationError):
        accept(old_token)
    assert accept(new_token).email == invitation.email


@pytest.mark.parametrize("final_state", ["accepted", "revoked"])
def test_resend_refuses_used_or_revoked_invitations(admin, final_state):
    invitation, token = invite(admin)
    if final_state == "accepted":
        accept(token)
    else:
        services.revoke_invitation(actor=admin, invitation=invitation)
    before = Invitation.objects.get(pk=invitation.pk).token_hash
    with pytest.raises(ValidationError) as excinfo:
        services.resend_invitation(actor=admin, invitation=invitation)
    assert final_state in error_text(excinfo)
    assert Invitation.objects.get(pk=invitation.pk).token_hash == before


def test_resend_of_an_expired_invitation_refused_when_another_is_pending(admin):
    old, _ = invite(admin, email="dup@example.com")
    expire(old)
    invite(admin, email="dup@example.com")
    with pytest.raises(ValidationError) as excinfo:
        services.resend_invitation(actor=admin, invitation=old)
    assert "pending invitation" in error_text(excinfo)


def test_revoke_records_who_and_when_and_cannot_undo_an_acceptance(admin):
    invitation, _ = invite(admin)
    revoked = services.revoke_invitation(actor=admin, invitation=invitation)
    assert revoked.revoked_by == admin
    assert revoked.status == Invitation.Status.REVOKED

    other, other_token = invite(admin, email="accepted@example.com")
    accept(other_token)
    with pytest.raises(ValidationError) as excinfo:
        services.revoke_invitation(actor=admin, invitation=other)
    assert "already accepted" in error_text(excinfo)


def test_members_cannot_resend_or_revoke(admin, member):
    invitation, _ = invite(admin)
    with pytest.raises(PermissionDenied):
        services.resend_invitation(actor=member, invitation=invitation)
    with pytest.raises(PermissionDenied):
        services.revoke_invitation(actor=member, invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_managers_manage_only_their_departments_invitations(admin, sales_manager, support):
    invitation, _ = invite(admin, department=support)
    with pytest.raises(PermissionDenied):
        services.revoke_invitation(actor=sales_manager, invitation=invitation)
    with pytest.raises(PermissionDenied):
        services.resend_invitation(actor=sales_manager, invitation=invitation)


# --- role rules for inviting -----------------------------------------------------


@pytest.mark.parametrize("role", [Role.MEMBER, Role.MANAGER, Role.ADMIN])
def test_members_cannot_invite(member, sales, role):
    with pytest.raises(PermissionDenied):
        invite(member, department=sales, role=role)
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize("role", [Role.MEMBER, Role.MANAGER])
def test_managers_invite_into_their_own_department(sales_manager, sales, role):
    invitation, _ = invite(sales_manager, department=sales, role=role)
    assert (invitation.department, invitation.role) == (sales, role)


def test_managers_cannot_invite_admins(sales_manager, sales):
    with pytest.raises(PermissionDenied):
        invite(sales_manager, department=sales, role=Role.ADMIN)
    assert Invitation.objects.count() == 0


def test_managers_cannot_invite_into_other_departments(sales_manager, support):
    with pytest.raises(PermissionDenied):
        invite(sales_manager, department=support, role=Role.MEMBER)
    assert Invitation.objects.count() == 0


def test_deactivated_managers_cannot_invite(sales_manager, sales):
    sales_manager.is_active = False
    with pytest.raises(PermissionDenied):
        invite(sales_manager, department=sales)


@pytest.mark.parametrize("role", [Role.MEMBER, Role.MANAGER, Role.ADMIN])
def test_admins_invite_anywhere_with_any_role(admin, support, role):
    invitation, _ = invite(admin, department=support, role=role)
    assert (invitation.department, invitation.role) == (support, role)


# --- profile ------------------------------------------------------------------


def test_update_profile_saves_the_changes(member):
    services.update_profile(
        actor=member,
        person=member,
        changes={"full_name": "Renamed", "timezone": "Asia/Tokyo", "work_days": [0, 2, 4]},
    )
    member.refresh_from_db()
    assert (member.full_name, member.timezone, member.work_days) == (
        "Renamed",
        "Asia/Tokyo",
        [0, 2, 4],
    )


def test_update_profile_rejects_an_unknown_timezone(member):
    with pytest.raises(ValidationError) as excinfo:
        services.update_profile(actor=member, person=member, changes={"timezone": "Mars/Olympus"})
    assert "not a known time zone" in " ".join(excinfo.value.message_dict["timezone"])
    member.refresh_from_db()
    assert member.timezone == "Europe/Berlin"


def test_update_profile_rejects_fields_outside_the_profile(member):
    with pytest.raises(ValidationError) as excinfo:
        services.update_profile(actor=member, person=member, changes={"role": Role.ADMIN})
    assert "role" in error_text(excinfo)
    member.refresh_from_db()
    assert member.role == Role.MEMBER


def test_only_the_person_or_an_admin_edits_a_profile(member, sales_manager, admin):
    with pytest.raises(PermissionDenied):
        services.update_profile(actor=sales_manager, person=member, changes={"full_name": "X"})
    services.update_profile(actor=admin, person=member, changes={"full_name": "By Admin"})
    member.refresh_from_db()
    assert member.full_name == "By Admin"


# --- roles, departments, activity --------------------------------------------------


def test_only_admins_change_roles(admin, sales_manager, member):
    with pytest.raises(PermissionDenied):
        services.set_role(actor=sales_manager, person=member, role=Role.MANAGER)
    with pytest.raises(PermissionDenied):
        services.set_role(actor=member, person=member, role=Role.ADMIN)
    assert User.objects.get(pk=member.pk).role == Role.MEMBER

    services.set_role(actor=admin, person=member, role=Role.ADMIN)
    member.refresh_from_db()
    assert (member.role, member.is_staff) == (Role.ADMIN, True)
    services.set_role(actor=admin, person=member, role=Role.MEMBER)
    member.refresh_from_db()
    assert (member.role, member.is_staff) == (Role.MEMBER, False)


def test_set_role_rejects_an_unknown_role(admin, member):
    with pytest.raises(ValidationError):
        services.set_role(actor=admin, person=member, role="overlord")
    assert User.objects.get(pk=member.pk).role == Role.MEMBER


def test_the_last_active_admin_cannot_be_demoted(admin):
    with pytest.raises(ValidationError) as excinfo:
        services.set_role(actor=admin, person=admin, role=Role.MEMBER)
    assert "at least one active admin" in error_text(excinfo)
    assert User.objects.get(pk=admin.pk).role == Role.ADMIN


def test_an_admin_can_step_down_when_another_admin_remains(admin, sales):
    UserFactory(role=Role.ADMIN, departments=[sales])
    services.set_role(actor=admin, person=admin, role=Role.MANAGER)
    assert User.objects.get(pk=admin.pk).role == Role.MANAGER


def test_the_last_active_admin_cannot_be_deactivated_or_demoted_by_a_stale_admin(admin, sales):
    """Admin B is deactivated by admin A; B's still-open session must not then
    remove A, which would leave Workspace without an active admin."""
    other = UserFactory(role=Role.ADMIN, departments=[sales])
    stale_other = User.objects.get(pk=other.pk)
    services.set_active(actor=admin, person=other, active=False)

    with pytest.raises(ValidationError) as excinfo:
        services.set_active(actor=stale_other, person=admin, active=False)
    assert "at least one active admin" in error_text(excinfo)
    with pytest.raises(ValidationError):
        services.set_role(actor=stale_other, person=admin, role=Role.MEMBER)
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == (Role.ADMIN, True)


def test_an_inactive_admin_does_not_count_as_the_remaining_admin(admin, sales):
    UserFactory(role=Role.ADMIN, departments=[sales], is_active=False)
    with pytest.raises(ValidationError):
        services.set_role(actor=admin, person=admin, role=Role.MEMBER)


def test_managers_manage_people_of_their_department(sales_manager, member):
    services.set_active(actor=sales_manager, person=member, active=False)
    assert User.objects.get(pk=member.pk).is_active is False
    services.set_active(actor=sales_manager, person=member, active=True)
    assert User.objects.get(pk=member.pk).is_active is True


def test_set_departments_keeps_departments_the_manager_does_not_manage(sales, support):
    marketing = DepartmentFactory(name="Marketing", slug="marketing")
    manager = UserFactory(role=Role.MANAGER, departments=[sales, marketing])
    person = UserFactory(departments=[sales, support])

    services.set_departments(actor=manager, person=person, departments=[marketing])

    assert set(person.departments.all()) == {marketing, support}


def test_set_departments_lets_a_manager_remove_someone_from_their_department(
    sales_manager, sales, support
):
    person = UserFactory(departments=[sales, support])
    services.set_departments(actor=sales_manager, person=person, departments=[])
    assert list(person.departments.all()) == [support]


def test_set_departments_refuses_departments_the_manager_does_not_manage(
    sales_manager, member, support
):
    with pytest.raises(PermissionDenied):
        services.set_departments(actor=sales_manager, person=member, departments=[support])
    assert [d.slug for d in member.departments.all()] == ["sales"]


def test_everyone_stays_in_at_least_one_department(admin, member):
    with pytest.raises(ValidationError) as excinfo:
        services.set_departments(actor=admin, person=member, departments=[])
    assert "at least one department" in error_text(excinfo)
    assert member.departments.count() == 1


def test_admins_set_any_departments(admin, member, support):
    services.set_departments(actor=admin, person=member, departments=[support])
    assert list(member.departments.all()) == [support]


def test_managers_cannot_manage_admins(sales_manager, admin, sales):
    with pytest.raises(PermissionDenied):
        services.set_active(actor=sales_manager, person=admin, active=False)
    with pytest.raises(PermissionDenied):
        services.set_departments(actor=sales_manager, person=admin, departments=[sales])
    assert User.objects.get(pk=admin.pk).is_active


def test_managers_cannot_manage_other_departments_people(sales_manager, support_member, sales):
    with pytest.raises(PermissionDenied):
        services.set_active(actor=sales_manager, person=support_member, active=False)
    with pytest.raises(PermissionDenied):
        services.set_departments(actor=sales_manager, person=support_member, departments=[sales])
    support_member.refresh_from_db()
    assert support_member.is_active
    assert [d.slug for d in support_member.departments.all()] == ["support"]


def test_members_manage_nobody(member, support_member):
    with pytest.raises(PermissionDenied):
        services.set_active(actor=member, person=support_member, active=False)


def test_nobody_manages_themselves(sales_manager, admin):
    with pytest.raises(PermissionDenied):
        services.set_active(actor=sales_manager, person=sales_manager, active=False)
    with pytest.raises(PermissionDenied):
        services.set_active(actor=admin, person=admin, active=False)


# --- departments --------------------------------------------------------------


def test_admins_create_departments(admin):
    department = services.create_department(
        actor=admin, name="  Customer Success ", description=" Renewals "
    )
    assert (department.name, department.slug, department.description) == (
        "Customer Success",
        "customer-success",
        "Renewals",
    )


@pytest.mark.parametrize("name", ["Sales", "sales", " SALES "])
def test_department_names_are_unique_ignoring_case(admin, name):
    count = Department.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.create_department(actor=admin, name=name)
    assert "already a department" in " ".join(excinfo.value.message_dict["name"])
    assert Department.objects.count() == count


def test_department_name_is_required(admin):
    count = Department.objects.count()
    with pytest.raises(ValidationError):
        services.create_department(actor=admin, name="   ")
    assert Department.objects.count() == count


@pytest.mark.parametrize("actor_fixture", ["sales_manager", "member"])
def test_only_admins_create_departments(request, actor_fixture):
    actor = request.getfixturevalue(actor_fixture)
    with pytest.raises(PermissionDenied):
        services.create_department(actor=actor, name="Legal")
    assert not Department.objects.filter(name="Legal").exists()


def test_factories_password_signs_in(client, member):
    assert client.login(email=member.email, password=PASSWORD)


def test_invitation_link_is_the_accept_url():
    assert re.fullmatch(r"/invite/abc_-123/", services.invitation_link("abc_-123"))


# --- two admins at once ---------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs a server database: SQLite's in-memory test database is one connection",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", ["demote", "deactivate"])
def test_two_admins_removing_each_other_at_once_leave_one_admin(sales, change):
    """A removes B while B, at the same moment, removes A. Each check alone sees
    the other still an admin; the second must wait for the first and be refused."""
    first = UserFactory(role=Role.ADMIN, departments=[sales])
    second = UserFactory(role=Role.ADMIN, departments=[sales])

    def remove(actor, person):
        if change == "demote":
            services.set_role(actor=actor, person=person, role=Role.MEMBER)
        else:
            services.set_active(actor=actor, person=person, active=False)

    first_done, release = threading.Event(), threading.Event()
    outcomes = {}

    def first_removes_second():
        try:
            with transaction.atomic():
                remove(first, second)
                first_done.set()
                release.wait(timeout=10)  # hold the transaction open
            outcomes["first"] = "ok"
        except ValidationError:
            outcomes["first"] = "refused"
        finally:
            first_done.set()
            connections.close_all()

    def second_removes_first():
        try:
            remove(second, first)
            outcomes["second"] = "ok"
        except ValidationError:
            outcomes["second"] = "refused"
        finally:
            connections.close_all()

    one = threading.Thread(target=first_removes_second)
    one.start()
    assert first_done.wait(timeout=10)
    two = threading.Thread(target=second_removes_first)
    two.start()
    two.join(timeout=0.5)  # with the fix, it is waiting for the first to commit
    release.set()
    one.join(timeout=10)
    two.join(timeout=10)

    assert outcomes == {"first": "ok", "second": "refused"}
    assert User.objects.filter(role=Role.ADMIN, is_active=True).count() == 1


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            "Ana withdrew the handoff of Acme Labs B.V..",
            "Ana withdrew the handoff of Acme Labs B.V.",
        ),
        ("Ana completed “Call back!”.", "Ana completed “Call back!”."),
        ("Ana said: wait...", "Ana said: wait..."),
        ("  Ana added you to Sales.  ", "Ana added you to Sales."),
    ],
)
def test_a_notification_ends_with_one_full_stop(member, admin, text, kept):
    assert (
        services.notify(recipient=member, actor=admin, kind="x", text=text, link="/").text == kept
    )
