# ruff: noqa: F811 (the fixtures imported from thread_helpers)
"""A private email thread: seen by the person who marked it and admins only — on the
timeline, its page, live, in search and in reports."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from integrations.mail.models import EmailThread
from integrations.mail.services.privacy import set_private
from records.models import TimelineEntry
from records.selectors.client_page import timeline_page
from reports.filters import Filters
from reports.policies import scope_for
from reports.selectors.activity import per_person
from tests.factories import UserFactory
from tests.integrations.mail.thread_helpers import (  # noqa: F401 (fixtures)
    acme,
    add_message,
    make_thread,
    media,
)
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db

SUBJECT = "Confidential: board changes"


@pytest.fixture
def colleague(sales):
    return UserFactory(role=Role.MEMBER, departments=[sales])


@pytest.fixture
def thread(acme, member):
    """``member`` wrote to Ana and she answered."""
    thread = make_thread(acme, subject=SUBJECT, created_by=member)
    add_message(thread, direction="out", sender=member, body_html="<p>Strictly between us</p>")
    add_message(thread, body_html="<p>Understood</p>")
    return thread


def page_of(client, user, url):
    client.force_login(user)
    response = client.get(url)
    return response.status_code, response.content.decode()


def test_marking_private_hides_it_from_others_everywhere(
    client, member, colleague, admin, acme, thread
):
    set_private(actor=member, thread=thread, private=True)
    thread.refresh_from_db()
    assert thread.private_to == member
    entries = TimelineEntry.objects.filter(client=acme, kind="email")
    assert set(entries.values_list("private_to", flat=True)) == {member.pk}

    client_url = reverse("records:client_detail", args=[acme.pk])
    thread_url = reverse("mail:thread", args=[thread.pk])
    for person in (member, admin):
        _, html = page_of(client, person, client_url)
        assert SUBJECT in html and "Private" in html
        assert page_of(client, person, thread_url)[0] == 200
    assert page_of(client, colleague, client_url)[0] == 200
    _, html = page_of(client, colleague, client_url)
    assert SUBJECT not in html and "Strictly between us" not in html
    assert page_of(client, colleague, thread_url)[0] == 404
    timeline = reverse("records:client_timeline", args=[acme.pk])
    _status, html = page_of(client, colleague, f"{timeline}?kind=activities")
    assert SUBJECT not in html


def test_others_open_pages_lose_the_entries_and_the_owner_keeps_them(member, acme, thread):
    entry_ids = sorted(thread.messages.values_list("timeline_entry", flat=True))
    with capture_events() as events:
        set_private(actor=member, thread=thread, private=True)
    by_topic = {event.topic: event for event in events}
    assert set(by_topic) == {f"client.{acme.pk}", f"user.{member.pk}", f"mailthread.{thread.pk}"}
    hidden = by_topic[f"client.{acme.pk}"].html
    for pk in entry_ids:
        assert (
            f'<li id="timeline-entry-{pk}" class="tl-gone" hidden hx-swap-oob="true"></li>'
            in hidden
        )
    assert SUBJECT not in hidden and "Strictly" not in hidden
    owners = by_topic[f"user.{member.pk}"]
    assert owners.id > by_topic[f"client.{acme.pk}"].id  # applied after the placeholders
    assert all(f'id="timeline-entry-{pk}"' in owners.html for pk in entry_ids)
    assert "Strictly between us" in owners.html and "mail-private" in owners.html
    assert "Make visible to everyone" in by_topic[f"mailthread.{thread.pk}"].html


def test_new_mail_on_a_private_thread_goes_to_its_owner_only(member, acme, thread):
    set_private(actor=member, thread=thread, private=True)
    with capture_events() as events:
        message = add_message(EmailThread.objects.get(pk=thread.pk), body_html="<p>One more</p>")
    assert {event.topic for event in events} == {f"user.{member.pk}", f"mailthread.{thread.pk}"}
    assert message.timeline_entry.private_to == member


def test_making_it_visible_again_brings_the_entries_back(client, member, colleague, acme, thread):
    set_private(actor=member, thread=thread, private=True)
    with capture_events() as events:
        set_private(actor=member, thread=EmailThread.objects.get(pk=thread.pk), private=False)
    assert not TimelineEntry.objects.filter(client=acme, private_to__isnull=False).exists()
    by_topic = {event.topic: event for event in events}
    assert (
        f"client.{acme.pk}" in by_topic
        and "Strictly between us" in by_topic[f"client.{acme.pk}"].html
    )
    assert "Mark private" in by_topic[f"mailthread.{thread.pk}"].html
    _status, html = page_of(client, colleague, reverse("records:client_detail", args=[acme.pk]))
    assert SUBJECT in html


def test_marking_twice_changes_nothing_and_publishes_nothing(member, thread):
    set_private(actor=member, thread=thread, private=True)
    with capture_events(0):
        set_private(actor=member, thread=EmailThread.objects.get(pk=thread.pk), private=True)


def test_only_its_people_and_admins_may_mark_a_thread_private(colleague, admin, member, thread):
    with pytest.raises(PermissionDenied):
        set_private(actor=colleague, thread=thread, private=True)
    assert EmailThread.objects.get(pk=thread.pk).private_to is None
    set_private(actor=admin, thread=thread, private=True)
    assert EmailThread.objects.get(pk=thread.pk).private_to == admin
    with pytest.raises(PermissionDenied):  # no longer visible to the sender
        set_private(actor=member, thread=EmailThread.objects.get(pk=thread.pk), private=False)


def test_the_privacy_buttons(client, member, colleague, thread):
    url = reverse("mail:thread_privacy", args=[thread.pk])
    client.force_login(colleague)
    assert client.post(url, {"private": "1"}).status_code == 403
    client.force_login(member)
    response = client.post(url, {"private": "1"})
    assert response.status_code == 302 and response["Location"] == reverse(
        "mail:thread", args=[thread.pk]
    )
    client.force_login(colleague)
    assert client.post(url, {"private": "0"}).status_code == 404
    client.force_login(member)
    assert client.get(url).status_code == 405
    assert client.post(url, {"private": "maybe"}).status_code == 400
    assert EmailThread.objects.get(pk=thread.pk).private_to == member
    client.post(url, {"private": "0"})
    assert EmailThread.objects.get(pk=thread.pk).private_to is None


def test_the_timeline_selector_filters_by_viewer(member, colleague, admin, acme, thread):
    set_private(actor=member, thread=thread, private=True)

    def emails(viewer):
        entries = timeline_page(acme.pk, "all", viewer=viewer).entries
        return [entry for entry in entries if entry.kind == "email"]

    assert len(emails(member)) == 2 and len(emails(admin)) == 2
    assert emails(colleague) == []
    newest_private = emails(member)[0].pk
    assert timeline_page(acme.pk, "all", newest_private, viewer=colleague).entries == []


@pytest.mark.parametrize("viewer_name", ["member", "admin", "colleague", "sales_manager"])
def test_reports_count_a_private_thread_for_admins_only(request, member, thread, viewer_name):
    viewer = request.getfixturevalue(viewer_name)

    def emails() -> int:
        return per_person(Filters(scope=scope_for(viewer), **period())).totals["emails"]

    before = emails()
    assert before > 0
    set_private(actor=member, thread=thread, private=True)
    assert emails() == (before if viewer_name == "admin" else 0)


def period():
    today = timezone.localdate()
    return {"start": today - timedelta(days=30), "end": today, "period": "custom"}


def test_activity_reports_hear_of_mail_but_not_of_a_private_threads(member, acme, thread):
    with capture_events(derived=True) as events:
        add_message(EmailThread.objects.get(pk=thread.pk))
    assert "report.activity" in {event.topic for event in events}
    set_private(actor=member, thread=thread, private=True)
    with capture_events(derived=True) as events:
        add_message(EmailThread.objects.get(pk=thread.pk))
    assert not [event for event in events if event.topic.startswith("report.")]
