"""The invitation flow end to end, through the pages a person uses."""

import re
import threading
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.messages import get_messages
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, Role, User
from tests.factories import UserFactory, invite

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"
INVITATIONS = reverse("invitations")
LINK = re.compile(r"https?://[^\s]+/invite/([\w-]+)/")


def accept_url(token):
    return reverse("accept_invitation", kwargs={"token": token})


def accept_data(full_name="Nora New", password=NEW_PASSWORD, again=None):
    return {"full_name": full_name, "password": password, "password_again": again or password}


def send_invitation(client, actor, department, *, email="nora@example.com", role=Role.MEMBER):
    client.force_login(actor)
    return client.post(
        INVITATIONS,
        {"email": email, "full_name": "Nora New", "department": department.pk, "role": role},
    )


def token_from(email_message) -> str:
    match = LINK.search(email_message.body)
    assert match, email_message.body
    return match.group(1)


# --- sending -------------------------------------------------------------------


def test_an_admin_sends_an_invitation(
    client, admin, support, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send_invitation(client, admin, support, role=Role.MANAGER)

    assert response.status_code == 302
    assert response["Location"] == INVITATIONS
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.department, invitation.role) == (
        "nora@example.com",
        support,
        Role.MANAGER,
    )
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["nora@example.com"]
    token = token_from(mailoutbox[0])
    assert invitation.token_hash == services.hash_token(token)

    # The link is shown to the inviter once, then the invitation is listed.
    page = client.get(INVITATIONS)
    assert token in page.text
    assert "Invitation sent to nora@example.com" in page.text
    assert f'id="invitation-{invitation.pk}"' in page.text
    again = client.get(INVITATIONS)
    assert token not in again.text


def test_the_invitations_page_lists_only_what_the_viewer_manages(
    client, admin, sales_manager, sales, support
):
    invite(admin, email="in-sales@example.com", department=sales)
    invite(admin, email="in-support@example.com", department=support)
    client.force_login(sales_manager)
    page = client.get(INVITATIONS)
    assert page.status_code == 200
    assert "in-sales@example.com" in page.text
    assert "in-support@example.com" not in page.text


@pytest.mark.parametrize(
    ("existing", "message"),
    [("account", "already has a Workspace account"), ("invitation", "pending invitation")],
)
def test_a_duplicate_email_is_a_form_error_and_nothing_is_saved(
    client, admin, sales, mailoutbox, django_capture_on_commit_callbacks, existing, message
):
    if existing == "account":
        UserFactory(email="nora@example.com")
    else:
        invite(admin, email="nora@example.com", department=sales)
    counts = (User.objects.count(), Invitation.objects.count())

    with django_capture_on_commit_callbacks(execute=True):
        response = send_invitation(client, admin, sales, email="Nora@Example.COM")

    assert response.status_code == 200
    assert message in response.text
    assert "nora@example.com" in response.context["form"].errors["email"][0].lower()
    assert (User.objects.count(), Invitation.objects.count()) == counts
    assert mailoutbox == []


def test_a_member_cannot_open_or_use_the_invitations_page(client, member, sales):
    client.force_login(member)
    assert client.get(INVITATIONS).status_code == 403
    response = send_invitation(client, member, sales)
    assert response.status_code == 403
    assert Invitation.objects.count() == 0


def test_a_manager_is_offered_only_their_departments_and_non_admin_roles(
    client, sales_manager, sales, support
):
    client.force_login(sales_manager)
    form = client.get(INVITATIONS).context["form"]
    assert list(form.fields["department"].queryset) == [sales]
    assert Role.ADMIN not in dict(form.fields["role"].choices)


@pytest.mark.parametrize(("department", "role"), [("support", Role.MEMBER), ("sales", Role.ADMIN)])
def test_a_manager_cannot_invite_outside_their_rights(
    client, sales_manager, sales, support, department, role
):
    departments = {"sales": sales, "support": support}
    response = send_invitation(client, sales_manager, departments[department], role=role)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Invitation.objects.count() == 0


def test_a_manager_invites_into_their_department(client, sales_manager, sales):
    response = send_invitation(client, sales_manager, sales, role=Role.MANAGER)
    assert response.status_code == 302
    assert Invitation.objects.get().invited_by == sales_manager


# --- accepting -----------------------------------------------------------------


def test_accepting_a_valid_link_creates_the_account_and_signs_in(
    client, admin, support, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_invitation(client, admin, support, role=Role.MANAGER)
    token = token_from(mailoutbox[0])
    client.logout()

    page = client.get(accept_url(token))
    assert page.status_code == 200
    assert "nora@example.com" in page.text
    assert "Join Support" in page.text
    assert page.context["form"].initial["full_name"] == "Nora New"

    response = client.post(accept_url(token), accept_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("profile")

    user = User.objects.get(email="nora@example.com")
    assert user.role == Role.MANAGER
    assert list(user.departments.all()) == [support]
    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("team")).status_code == 200
    assert Invitation.objects.get().status == Invitation.Status.ACCEPTED

    # The new password works on the sign-in page.
    client.logout()
    signed_in = client.post(
        reverse("account_login"), {"login": "nora@example.com", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_used_link_is_refused_the_second_time(client, admin):
    _, token = invite(admin)
    assert client.post(accept_url(token), accept_data()).status_code == 302
    client.logout()

    for response in (client.get(accept_url(token)), client.post(accept_url(token), accept_data())):
        assert response.status_code == 410
        assert "already been used" in response.text
    assert User.objects.filter(email="new.person@example.com").count() == 1


def test_an_expired_link_is_refused(client, admin):
    invitation, token = invite(admin)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    users = User.objects.count()
    for response in (client.get(accept_url(token)), client.post(accept_url(token), accept_data())):
        assert response.status_code == 410
        assert "This invitation expired on" in response.text
    assert User.objects.count() == users


def test_a_revoked_link_is_refused(client, admin):
    invitation, token = invite(admin)
    client.force_login(admin)
    response = client.post(reverse("revoke_invitation", args=[invitation.pk]))
    assert response.status_code == 302
    assert Invitation.objects.get().status == Invitation.Status.REVOKED
    client.logout()

    users = User.objects.count()
    for response in (client.get(accept_url(token)), client.post(accept_url(token), accept_data())):
        assert response.status_code == 410
        assert "This invitation was withdrawn" in response.text
    assert User.objects.count() == users


@pytest.mark.parametrize("token", ["garbage", "a" * 43, "%00%ff"])
def test_an_invalid_token_gets_a_clear_message(client, db, token):
    response = client.get(f"/invite/{token}/")
    assert response.status_code == 410
    assert "This invitation link is not valid" in response.text
    assert "whole link" in response.text


def test_signed_in_as_someone_else(client, admin, member):
    _, token = invite(admin, email="nora@example.com")
    client.force_login(member)
    users = User.objects.count()
    for response in (client.get(accept_url(token)), client.post(accept_url(token), accept_data())):
        assert response.status_code == 409
        assert "This invitation is for nora@example.com" in response.text
        assert f"signed in as {member.email}" in response.text
        assert "Sign out" in response.text
    assert User.objects.count() == users
    assert Invitation.objects.get().status == Invitation.Status.PENDING


def test_signed_in_as_the_invited_person(client, admin):
    invitation, token = invite(admin)
    client.post(accept_url(token), accept_data())
    other, other_token = invite(admin, email="later@example.com")
    Invitation.objects.filter(pk=other.pk).update(email=invitation.email)
    response = client.get(accept_url(other_token))
    assert response.status_code == 409
    assert "already have an account" in response.text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (accept_data(again="something-else-entirely"), "password_again", "passwords differ"),
        (accept_data(password="password"), "password", "too common"),
        (accept_data(password="12345678901"), "password", "entirely numeric"),
        (accept_data(full_name=""), "full_name", "required"),
    ],
)
def test_accept_form_errors_save_nothing(client, admin, data, field, message):
    invitation, token = invite(admin)
    counts = (User.objects.count(), EmailAddress.objects.count())

    response = client.post(accept_url(token), data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert (User.objects.count(), EmailAddress.objects.count()) == counts
    assert "_auth_user_id" not in client.session
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


# --- resending and revoking ----------------------------------------------------


def test_resend_rotates_the_link_and_the_old_one_dies(
    client, admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, old_token = invite(admin)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("resend_invitation", args=[invitation.pk]), follow=True)

    assert response.status_code == 200
    assert len(mailoutbox) == 2
    new_token = token_from(mailoutbox[1])
    assert new_token != old_token
    assert new_token in response.text  # the new link is shown to the inviter
    client.logout()

    assert client.get(accept_url(old_token)).status_code == 410
    assert client.post(accept_url(old_token), accept_data()).status_code == 410
    assert client.post(accept_url(new_token), accept_data()).status_code == 302


def test_resend_of_a_revoked_invitation_shows_an_error(client, admin):
    invitation, _ = invite(admin)
    services.revoke_invitation(actor=admin, invitation=invitation)
    before = Invitation.objects.get().token_hash
    client.force_login(admin)
    response = client.post(reverse("resend_invitation", args=[invitation.pk]), follow=True)
    assert "This invitation was revoked" in response.text
    assert Invitation.objects.get().token_hash == before


def test_revoke_of_an_accepted_invitation_shows_an_error(client, admin):
    invitation, token = invite(admin)
    services.accept_invitation(token=token, full_name="Used", password=NEW_PASSWORD)
    client.force_login(admin)
    response = client.post(reverse("revoke_invitation", args=[invitation.pk]))
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("already accepted" in m for m in messages)
    assert Invitation.objects.get().status == Invitation.Status.ACCEPTED


@pytest.mark.parametrize("action", ["revoke_invitation", "resend_invitation"])
def test_others_cannot_revoke_or_resend(client, admin, member, support_manager, action):
    invitation, _ = invite(admin)  # into Sales
    for outsider in (member, support_manager):
        client.force_login(outsider)
        assert client.post(reverse(action, args=[invitation.pk])).status_code == 404
    assert Invitation.objects.get().status == Invitation.Status.PENDING


@pytest.mark.parametrize("action", ["revoke_invitation", "resend_invitation"])
def test_revoke_and_resend_need_post(client, admin, action):
    invitation, _ = invite(admin)
    client.force_login(admin)
    assert client.get(reverse(action, args=[invitation.pk])).status_code == 405


# --- two submissions at once -----------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs a server database: SQLite's in-memory test database is one connection",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_accepts_create_one_account(admin):
    _, token = invite(admin)
    barrier = threading.Barrier(4)
    outcomes = []

    def submit(name):
        try:
            barrier.wait()
            user = services.accept_invitation(token=token, full_name=name, password=NEW_PASSWORD)
            outcomes.append(("ok", user.full_name))
        except Exception as error:
            outcomes.append(("refused", " ".join(getattr(error, "messages", [repr(error)]))))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(f"Tab {i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused", "refused", "refused"]
    assert all("already been used" in text for kind, text in outcomes if kind == "refused")
    assert User.objects.filter(email="new.person@example.com").count() == 1
