"""What a received mail changes for people: the timeline (live), notifications, tickets;
and what an auto-reply or a bounce must not change."""

import pytest
from django.conf import settings

from accounts.models import Notification
from integrations.mail.models import EmailMessage, EmailThread, InboundAddress
from integrations.mail.services.incoming import receive
from records.models import Ticket
from records.services.tickets import create_ticket, set_ticket_status
from tests.factories import UserFactory
from tests.integrations.mail.messages import acme, bea, build, raw, sent_message
from tests.live_helpers import capture_events

__all__ = ["acme", "bea"]

BOUNCE = """\
From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce.{n}@mx.acme.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.acme.example. Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.acme.example

Final-Recipient: rfc822; gone@acme.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <gone@acme.example>: Recipient address rejected: User unknown

--B
Content-Type: text/rfc822-headers

From: Alex via Workspace <{to}>
To: gone@acme.example
Subject: Offer
Message-ID: <{original}>

--B--
"""


def bounce_of(message: EmailMessage, n=1) -> bytes:
    text = BOUNCE.format(to=settings.MAIL_FROM_EMAIL, n=n, original=message.message_id)
    return text.replace("\n", "\r\n").encode()


def reply_to(message: EmailMessage, headers=None, **kwargs) -> bytes:
    headers = {"In-Reply-To": f"<{message.message_id}>", **(headers or {})}
    return raw(build(headers=headers, **kwargs))


def test_a_reply_is_on_the_client_page_live_and_notifies_owner_and_sender(bea, member):
    colleague = UserFactory()
    sent = sent_message(actor=colleague, client=bea.client)
    with capture_events() as events:
        message = receive(reply_to(sent, subject="Re: Offer")).message
    by_topic = {event.topic: event for event in events if event.kind == "mail.received"}
    assert f"client.{bea.client_id}" in by_topic
    assert by_topic[f"client.{bea.client_id}"].payload["timeline"] == message.timeline_entry_id
    notified = Notification.objects.filter(kind="mail-reply")
    assert sorted(n.recipient_id for n in notified) == sorted([member.pk, colleague.pk])
    link = f"/mail/threads/{sent.thread_id}/"
    assert {n.link for n in notified} == {link}
    assert notified[0].text == f"Bea Buyer wrote about {bea.client}: Re: Offer"


def test_a_reply_on_a_private_thread_notifies_only_its_owner(bea, member):
    colleague = UserFactory()
    sent = sent_message(actor=colleague, client=bea.client)
    EmailThread.objects.filter(pk=sent.thread_id).update(private_to=colleague)
    with capture_events() as events:
        receive(reply_to(sent))
    assert [n.recipient for n in Notification.objects.filter(kind="mail-reply")] == [colleague]
    topics = {event.topic for event in events if event.kind == "mail.received"}
    assert f"user.{colleague.pk}" in topics
    assert f"client.{bea.client_id}" not in topics


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"Precedence": "bulk"},
        {"Precedence": "auto_reply"},
    ],
)
def test_an_auto_reply_is_kept_but_never_acted_on(bea, member, admin, headers):
    sent = sent_message(actor=member, client=bea.client)
    ticket = create_ticket(actor=member, client=bea.client, subject="Help")
    EmailThread.objects.filter(pk=sent.thread_id).update(ticket=ticket)
    set_ticket_status(actor=admin, ticket=ticket, status=Ticket.Status.PENDING)
    with capture_events():
        received = receive(reply_to(sent, subject="Out of office", headers=headers))
    assert received.outcome == "loop"
    assert received.message.is_automatic is True
    assert received.message.thread == sent.thread
    assert not Notification.objects.filter(kind="mail-reply").exists()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING


def test_auto_submitted_no_is_a_person(bea):
    with capture_events():
        received = receive(raw(build(headers={"Auto-Submitted": "no"})))
    assert (received.outcome, received.message.is_automatic) == ("stored", False)


def test_a_bounce_marks_our_mail_failed_with_the_reason(bea, member):
    sent = sent_message(actor=member, client=bea.client, to="gone@acme.example")
    with capture_events() as events:
        received = receive(bounce_of(sent))
    assert received.outcome == "loop"
    assert received.message.thread == sent.thread
    sent.refresh_from_db()
    assert sent.status == "failed"
    assert sent.failure_reason == (
        "550 5.1.1 <gone@acme.example>: Recipient address rejected: User unknown"
    )
    assert "mail.failed" in {event.kind for event in events}
    assert not Notification.objects.filter(kind="mail-reply").exists()


def test_a_bounce_of_unknown_mail_waits_in_triage_flagged_automatic(db):
    sent = EmailMessage(message_id="nobody-knows@x")
    with capture_events():
        received = receive(bounce_of(sent))
    assert received.outcome == "loop"
    assert received.message.is_automatic is True
    assert received.message.triage == "waiting"


def test_a_reply_about_a_pending_ticket_reopens_it(bea, member, support_member):
    ticket = create_ticket(
        actor=member, client=bea.client, subject="Printer", assignee=support_member
    )
    set_ticket_status(actor=support_member, ticket=ticket, status=Ticket.Status.PENDING)
    sent = sent_message(actor=support_member, client=bea.client)
    EmailThread.objects.filter(pk=sent.thread_id).update(ticket=ticket)
    with capture_events() as events:
        message = receive(reply_to(sent)).message
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert message.timeline_entry.ticket == ticket
    assert {"mail.received", "ticket.status"} <= {event.kind for event in events}
    assert f"ticket.{ticket.pk}" in {event.topic for event in events}


def test_mail_to_an_address_that_opens_tickets_opens_one(bea, member):
    InboundAddress.objects.create(
        address="support@in.workspace.localhost", opens_tickets=True, ticket_priority="high"
    )
    mail = build(to="support@in.workspace.localhost", subject="Printer on fire")
    with capture_events():
        message = receive(raw(mail), recipients=["support@in.workspace.localhost"]).message
    ticket = message.thread.ticket
    assert (ticket.subject, ticket.priority, ticket.channel) == ("Printer on fire", "high", "email")
    assert (ticket.client, ticket.contact) == (bea.client, bea)
    assert Ticket.objects.count() == 1


def test_no_ticket_for_strangers_auto_replies_or_replies(bea, member):
    InboundAddress.objects.create(address="support@in.workspace.localhost", opens_tickets=True)
    support = ["support@in.workspace.localhost"]
    sent = sent_message(actor=member, client=bea.client)
    with capture_events():
        receive(raw(build(sender="x@nowhere.example", to=support[0])), recipients=support)
        receive(
            raw(build(to=support[0], headers={"Auto-Submitted": "auto-replied"})),
            recipients=support,
        )
        receive(reply_to(sent, to=support[0]), recipients=support)
    assert Ticket.objects.count() == 0


def test_receiving_takes_a_bounded_number_of_queries(bea, member, django_assert_max_num_queries):
    sent = sent_message(actor=member, client=bea.client)
    with capture_events(), django_assert_max_num_queries(32):
        receive(reply_to(sent))
