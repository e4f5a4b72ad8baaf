"""The app shell: every page needs a sign-in, the layout, search, security headers."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import User
from records import services
from records.models import Ticket
from tests.factories import PASSWORD, UserFactory, invite

LOGIN = reverse("account_login")


def private_urls(person_pk):
    return [
        reverse("home"),
        reverse("team"),
        reverse("person", args=[person_pk]),
        reverse("profile"),
        reverse("invitations"),
        reverse("search") + "?q=a",
        reverse("department_create"),
        reverse("mfa_index"),
        reverse("account_change_password"),
        reverse("admin:index"),
    ]


# --- signing in ----------------------------------------------------------------


def test_every_page_requires_sign_in(client, admin):
    for url in private_urls(admin.pk):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].split("?")[0] in (LOGIN, reverse("admin:login")), url
        assert "next=" in response["Location"], url


@pytest.mark.parametrize("name", ["revoke_invitation", "resend_invitation"])
def test_invitation_actions_require_sign_in(client, admin, name):
    invitation, _ = invite(admin)
    response = client.post(reverse(name, args=[invitation.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_signed_in_people_reach_every_page(client, admin):
    client.force_login(admin)
    for url in private_urls(admin.pk):
        assert client.get(url).status_code == 200, url


def test_public_pages_need_no_sign_in(client, admin):
    _, token = invite(admin)
    assert client.get(reverse("accept_invitation", args=[token])).status_code == 200
    assert client.get(reverse("accept_invitation", args=["not-a-token"])).status_code == 410
    login = client.get(LOGIN)
    assert login.status_code == 200
    assert "invitation-only" in login.text
    assert client.get(reverse("account_reset_password")).status_code == 200


def test_health_check_answers_without_sign_in(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_sign_in_with_email_and_password(client, member):
    response = client.post(LOGIN, {"login": member.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_password_is_refused(client, member):
    response = client.post(LOGIN, {"login": member.email, "password": "wrong-password"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_deactivated_person_cannot_sign_in(client, member):
    User.objects.filter(pk=member.pk).update(is_active=False)
    client.post(LOGIN, {"login": member.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_public_sign_up_is_closed(client, db):
    users = User.objects.count()
    response = client.post(
        reverse("account_signup"),
        {"email": "walk-in@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert "Workspace is invitation-only" in response.text
    assert User.objects.count() == users


def test_password_reset_by_email(client, member, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": member.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [member.email]
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mailoutbox[0].body)
    assert link, mailoutbox[0].body

    form_page = client.get(link.group(1), follow=True)  # allauth moves the key to the session
    assert form_page.status_code == 200
    assert "password1" in form_page.context["form"].fields
    new_password = "a-brand-new-passphrase-77"
    done = client.post(
        form_page.redirect_chain[-1][0], {"password1": new_password, "password2": new_password}
    )
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.check_password(new_password)


# --- the shell ------------------------------------------------------------------


def test_the_shell_has_sidebar_search_bell_and_user_menu(client, member):
    client.force_login(member)
    text = client.get(reverse("home")).text
    for label in ("Clients", "Pipeline", "Tickets", "Chat", "Tasks", "Calendar", "Reports"):
        assert f"<span>{label}</span>" in text
    assert 'class="nav-item disabled"' not in text  # every section is built
    built_pages = (
        "team",
        "records:client_list",
        "records:board",
        "records:ticket_list",
        "records:my_tasks",
        "calendar:home",
        "reports:home",
    )
    for built in built_pages:
        assert f'href="{reverse(built)}"' in text
    assert f'action="{reverse("search")}"' in text
    assert 'id="notification-bell"' in text
    assert escape(member.full_name) in text
    assert reverse("account_logout") in text
    assert reverse("admin:index") not in text  # not staff


def test_the_home_page_greets_in_the_persons_timezone(client, member, support_member):
    client.force_login(member)
    response = client.get(reverse("home"))
    assert f"Good to see you, {member.get_short_name()}" in response.text
    assert "Europe/Berlin" in response.text
    assert response.context["pending_invitations"] is None  # members don't invite


def test_the_home_page_counts_your_work(client, member, support_member, sales):
    mine = services.create_client(actor=member, name="Mine Ltd")
    services.create_deal(actor=member, client=mine, title="Upsell", amount=100)
    ticket = services.create_ticket(actor=support_member, client=mine, subject="Broken")
    Ticket.objects.filter(pk=ticket.pk).update(assignee=member, sla_due=timezone.now())
    client.force_login(member)
    work = client.get(reverse("home")).context["my_work"]
    assert work == {"clients": 1, "deals": 1, "tickets": 1, "breached": 1}
    services.set_ticket_status(actor=support_member, ticket=ticket, status="solved")
    work = client.get(reverse("home")).context["my_work"]
    assert (work["tickets"], work["breached"]) == (0, 0)


def assert_strict_csp(response):
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    for tag in re.findall(r"<script\b[^>]*>", response.text):
        assert "src=" in tag, f"inline script: {tag}"
    assert not re.search(r"\son[a-z]+=", response.text), "inline event handler"


def test_pages_send_a_content_security_policy_and_use_no_inline_script(client, admin):
    _, token = invite(admin)
    assert_strict_csp(client.get(LOGIN))
    assert_strict_csp(client.get(reverse("accept_invitation", args=[token])))
    client.force_login(admin)
    for url in (reverse("home"), reverse("team"), reverse("profile"), reverse("invitations")):
        assert_strict_csp(client.get(url))


def test_htmx_requests_get_the_page_without_the_shell(client, member):
    client.force_login(member)
    full = client.get(reverse("home"))
    partial = client.get(reverse("home"), HTTP_HX_REQUEST="true")
    assert "<html" in full.text
    assert "<html" not in partial.text
    assert "sidebar" not in partial.text
    assert "Good to see you" in partial.text


# --- search ---------------------------------------------------------------------


def test_search_finds_people_by_name_and_email(client, member):
    zed = UserFactory(full_name="Zed Quinlan", email="zq@northwind.example")
    UserFactory(full_name="Gone Quinlan", is_active=False)
    client.force_login(member)

    by_name = client.get(reverse("search"), {"q": "quinlan"})
    assert by_name.context["results"]["people"].items == [zed]
    assert "1 result for “quinlan”" in by_name.text
    assert reverse("person", args=[zed.pk]) in by_name.text

    by_email = client.get(reverse("search"), {"q": "northwind"})
    assert by_email.context["results"]["people"].items == [zed]

    two_words = client.get(reverse("search"), {"q": "zed zq@"})
    assert two_words.context["results"]["people"].items == [zed]

    nothing = client.get(reverse("search"), {"q": "nobody-by-this-name"})
    assert nothing.context["results"]["people"].items == []
    assert "Nothing matches" in nothing.text

    empty = client.get(reverse("search"))
    assert "Type in the search box" in empty.text


def test_search_uses_a_fixed_number_of_queries(client, member):
    for number in range(5):
        UserFactory(full_name=f"Findable Person {number}")
    client.force_login(member)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("search"), {"q": "findable"})
        assert response.status_code == 200
        return len(captured)

    few = queries()
    for number in range(5, 30):
        UserFactory(full_name=f"Findable Person {number}")
    many = queries()
    assert many == few
    # One query per kind (clients, contacts, deals, tickets, people, messages, emails), and
    # two for events (the matches, then the overrides that place a series' next occurrence).
    assert many <= 12


@pytest.mark.parametrize(
    "path",
    [
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/bootstrap/bootstrap.min.css",
        "/static/css/app.css",
        "/static/js/app.js",
    ],
)
def test_static_files_are_served_without_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)
