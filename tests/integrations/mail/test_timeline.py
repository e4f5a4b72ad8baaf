# ruff: noqa: F811 (the fixtures imported from thread_helpers)
"""Email on the client timeline: mail's part of an email entry (the records registry),
drawn from the entry alone, live, and the same for every viewer."""

import pytest
from django.urls import reverse

from integrations.mail.models import EmailMessage
from integrations.mail.timeline import refresh_message
from records import services
from records.timeline import entry_template
from tests.integrations.mail.thread_helpers import (  # noqa: F401 (fixtures)
    acme,
    add_message,
    make_thread,
    media,
)
from tests.live_helpers import capture_events
from tests.records.queries import count_queries

pytestmark = pytest.mark.django_db


def client_page(client, user, page):
    client.force_login(user)
    response = client.get(reverse("records:client_detail", args=[page.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_received_email_shows_its_route_body_attachments_and_actions(client, member, acme, media):
    thread = make_thread(acme)
    message = add_message(
        thread,
        body_html='<p>See the offer.</p><p><img data-remote-src="https://track.example/a.png"></p>',
        has_remote_images=True,
        quoted_html="<p>On Monday you wrote: our offer</p>",
        attachments=[("offer.pdf", "application/pdf", b"%PDF-1.4 offer")],
        cc=["jo@acme.example"],
    )
    html = client_page(client, member, acme)
    attachment = message.attachments.get()
    assert "Ana Ruiz" in html and "alex@northwind.example" in html and "cc jo@acme.example" in html
    assert "See the offer." in html
    assert ' src="https://track.example' not in html  # remote images held back
    assert reverse("mail:message_images", args=[message.pk]) in html
    assert reverse("mail:message_quoted", args=[message.pk]) in html  # folded, fetched on open
    assert "On Monday you wrote" not in html
    assert reverse("mail:attachment", args=[attachment.pk]) in html and "offer.pdf" in html
    assert reverse("mail:thread", args=[thread.pk]) in html


def test_sending_then_failed_shows_the_reason_and_retry_for_the_sender(client, member, acme):
    thread = make_thread(acme, created_by=member)
    message = add_message(thread, direction="out", sender=member, status="sending")
    assert "Sending…" in client_page(client, member, acme)

    message.status, message.failure_reason = "failed", "550 mailbox unavailable"
    message.save()
    with capture_events() as events:
        refresh_message(message, kind="mail.failed")
    client_events = [e for e in events if e.topic == f"client.{acme.pk}"]
    assert len(client_events) == 1
    fragment = client_events[0].html
    assert f'id="timeline-entry-{message.timeline_entry_id}"' in fragment
    assert "550 mailbox unavailable" in fragment and "Failed" in fragment
    assert f'data-author="{member.pk}"' in fragment  # Retry is own-only
    html = client_page(client, member, acme)
    assert "550 mailbox unavailable" in html
    retry = reverse("mail:retry", args=[message.pk])
    assert retry in html


def test_a_new_message_reaches_the_client_page_and_the_thread_page_in_one_event(acme, member):
    thread = make_thread(acme)
    with capture_events() as events:
        message = add_message(thread)
    assert sorted(event.topic for event in events) == sorted(
        [f"client.{acme.pk}", f"mailthread.{thread.pk}"]
    )
    html = events[0].html
    assert f'hx-swap-oob="afterbegin:#timeline-{acme.pk}-entries"' in html
    assert f'hx-swap-oob="beforeend:#mail-thread-{thread.pk}-messages"' in html
    assert f'id="mail-message-{message.pk}"' in html


def test_an_email_logged_by_hand_is_drawn_by_records_alone(client, member, acme):
    entry = services.log_activity(
        actor=member, client=acme, kind="email", summary="Emailed Jo the price list", body="Sent"
    )
    assert entry_template(entry) is None
    html = client_page(client, member, acme)
    assert "Emailed Jo the price list" in html
    assert "mail-entry" not in html


def test_the_client_page_runs_as_many_queries_with_many_emails(client, member, acme, media):
    client.force_login(member)
    url = reverse("records:client_detail", args=[acme.pk])
    thread = make_thread(acme)
    add_message(thread, attachments=[("a.txt", "text/plain", b"a")])
    few = count_queries(client, url)
    for number in range(12):
        add_message(
            thread,
            attachments=[(f"{number}.txt", "text/plain", b"x")],
            quoted_html="<p>before</p>",
            direction="out" if number % 2 else "in",
            sender=member if number % 2 else None,
        )
    assert count_queries(client, url) == few


def test_entry_data_is_all_the_entry_needs(acme, member, media):
    thread = make_thread(acme)
    message = add_message(thread, attachments=[("a.txt", "text/plain", b"abc")])
    data = EmailMessage.objects.get(pk=message.pk).timeline_entry.data
    assert data["message"] == message.pk and data["thread"] == thread.pk
    assert data["from"] == "ana@acme.example" and data["to"] == ["alex@northwind.example"]
    assert data["attachments"] == [{"id": message.attachments.get().pk, "name": "a.txt", "size": 3}]
