# ruff: noqa: F811 (the fixtures imported from sending_helpers)
"""Sending mail from Workspace (integrations/mail/services/outgoing.py, tasks.py), through a
real SMTP server: what is written at once, what the job sends, failures and Retry."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import Notification
from integrations.mail.models import EmailAttachment, EmailMessage, EmailThread
from integrations.mail.services import outgoing
from integrations.mail.tasks import send_message
from records.models import Ticket, TimelineEntry
from tests.factories import UserFactory
from tests.integrations.mail.sending_helpers import (  # noqa: F401 (fixtures)
    JO,
    KIM,
    acme,
    deal,
    inbound,
    jo,
    queued,
    run_queued,
    ticket,
    upload,
)
from tests.live_helpers import capture_events
from tests.mailserver import free_port, smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mail_settings(settings):
    settings.MAIL_FROM_EMAIL = "Workspace <crm@northwind.example>"
    settings.MAIL_INBOUND_DOMAIN = "in.northwind.example"
    settings.MAIL_SEND_AS_PERSON_DOMAINS = []


def send(actor, client, **fields):
    values = {"to": [JO], "subject": "Our offer", "body": "Hello **Jo**"} | fields
    return outgoing.send_email(actor=actor, client=client, **values)


def test_a_mail_is_written_sending_on_the_timeline_and_queued(member, acme):
    with capture_events() as events:
        message = send(member, acme, cc="boss@acme.example, Jo@Acme.example")
    assert message.status == "sending" and message.direction == "out"
    assert message.to == [JO] and message.cc == ["boss@acme.example"]
    assert message.contact.name == "Jo Lee" and message.sender == member
    assert message.body_html == "<p>Hello <strong>Jo</strong></p>"
    assert message.message_id.endswith("@in.northwind.example")
    assert "<" not in message.message_id
    thread = message.thread
    assert thread.client == acme and thread.subject == "Our offer" and thread.created_by == member
    entry = message.timeline_entry
    assert entry.kind == TimelineEntry.Kind.EMAIL and entry.client == acme
    assert entry.data["status"] == "sending" and entry.data["message"] == message.pk
    assert {e.kind for e in events} == {"mail.sending"}
    assert f"client.{acme.pk}" in [e.topic for e in events]
    assert queued(message) == [[message.pk, 1]]


def test_the_job_sends_it_with_the_person_as_the_visible_sender(member, acme):
    message = send(member, acme, subject="Our offer", body="Hello **Jo**")
    with smtp_server() as inbox:
        with capture_events() as events:
            assert run_queued() == ["sent"]
        [mail] = inbox.wait_for(1)
    assert mail["From"].addresses[0].addr_spec == "crm@northwind.example"
    assert mail["From"].addresses[0].display_name == f"{member.full_name} via Workspace"
    reply_to = [a.addr_spec for a in mail["Reply-To"].addresses]
    assert reply_to == [member.email, f"reply+{message.thread.reply_token}@in.northwind.example"]
    assert mail["Message-ID"] == f"<{message.message_id}>"
    assert mail["To"] == JO and mail["Subject"] == "Our offer"
    assert mail["In-Reply-To"] is None
    assert mail.get_body(("plain",)).get_content().strip() == "Hello **Jo**"
    assert "<strong>Jo</strong>" in mail.get_body(("html",)).get_content()
    message.refresh_from_db()
    assert message.status == "sent" and message.sent_at and message.attempts == 1
    assert message.timeline_entry.data["status"] == "sent"
    assert {e.kind for e in events} == {"mail.sent"}


def test_from_is_the_person_where_the_admin_allows_their_domain(settings, member, acme):
    settings.MAIL_SEND_AS_PERSON_DOMAINS = [member.email.rpartition("@")[2].upper()]
    send(member, acme)
    with smtp_server() as inbox:
        run_queued()
        [mail] = inbox.wait_for(1)
    assert mail["From"].addresses[0].addr_spec == member.email
    assert mail["From"].addresses[0].display_name == member.full_name


def test_attachments_are_stored_and_arrive(member, acme):
    message = send(member, acme, attachments=[upload("offer.pdf", 5000), upload("a.txt", 10)])
    assert [(a.filename, a.size) for a in message.attachments.all()] == [
        ("offer.pdf", 5000),
        ("a.txt", 10),
    ]
    assert message.timeline_entry.data["attachments"][0]["name"] == "offer.pdf"
    with smtp_server() as inbox:
        run_queued()
        [mail] = inbox.wait_for(1)
    files = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    assert files["offer.pdf"] == b"%PDF" + b"x" * 4996
    assert files["a.txt"] in (b"%PDFxxxxxx", "%PDFxxxxxx")


def test_files_over_the_limits_are_refused_and_nothing_is_saved(settings, member, acme):
    settings.MAIL_ATTACHMENT_MAX_BYTES = 1000
    settings.MAIL_ATTACHMENTS_TOTAL_MAX_BYTES = 1500
    with pytest.raises(ValidationError) as refused:
        send(member, acme, attachments=[upload("big.pdf", 1001)])
    assert refused.value.message_dict["attachments"] == [
        "big.pdf is 1001\xa0bytes; each file may be at most 1000\xa0bytes."
    ]
    with pytest.raises(ValidationError) as refused:
        send(member, acme, attachments=[upload("a.pdf", 900), upload("b.pdf", 900)])
    assert "together they may be at most 1.5\xa0KB" in refused.value.message_dict["attachments"][0]
    assert not EmailMessage.objects.exists() and not EmailThread.objects.exists()
    assert not EmailAttachment.objects.exists() and queued() == []


def test_a_refusing_server_marks_it_failed_with_its_reason_and_retry_sends_it(member, acme):
    message = send(member, acme)
    with smtp_server(reject={JO}), capture_events() as events:
        assert run_queued() == ["failed"]
    message.refresh_from_db()
    assert message.status == "failed" and message.sent_at is None
    assert "550 5.1.1 No such mailbox here" in message.failure_reason
    assert JO in message.failure_reason
    assert message.timeline_entry.data["failure"] == message.failure_reason
    assert {e.kind for e in events} == {"mail.failed", "notification.added"}
    note = Notification.objects.get(recipient=member)
    assert "could not be sent" in note.text and note.kind == "mail_failed"

    with capture_events() as events:
        outgoing.retry(actor=member, message=message)
    message.refresh_from_db()
    assert message.status == "sending" and message.failure_reason == ""
    assert message.timeline_entry.data["status"] == "sending"
    assert {e.kind for e in events} == {"mail.sending"}
    with smtp_server() as inbox:
        assert run_queued() == ["sent"]
        [mail] = inbox.wait_for(1)
    assert mail["Message-ID"] == f"<{message.message_id}>"  # the same mail, again
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 2


def test_an_unreachable_server_is_tried_again_then_a_failure_with_a_reason(settings, member, acme):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }
    message = send(member, acme)
    assert [run_queued() for _ in outgoing.RETRY_DELAYS] == [["sending"]] * 3
    assert run_queued() == ["failed"]
    message.refresh_from_db()
    assert message.failure_reason.startswith("The mail server could not be reached")
    assert message.attempts == 4 and queued() == []


def test_a_temporary_refusal_waits_and_is_tried_again_by_itself(member, acme):
    message = send(member, acme)
    before = timezone.now()
    with smtp_server(defer={JO}), capture_events() as events:
        assert run_queued() == ["sending"]
    message.refresh_from_db()
    assert message.status == "sending" and message.attempts == 1
    assert "451 4.2.0 Mailbox busy" in message.failure_reason
    assert message.failure_reason.endswith("Trying again in a minute.")
    assert message.timeline_entry.data["failure"] == message.failure_reason
    assert {e.kind for e in events} == {"mail.retrying"}  # nobody is told it failed
    assert not Notification.objects.filter(recipient=member).exists()
    [job] = DBTaskResult.objects.filter(status="READY")
    assert job.args_kwargs["args"] == [message.pk, 2]
    assert job.run_after >= before + outgoing.RETRY_DELAYS[0]

    assert send_message.call(message.pk, 1) == "skipped"  # a second run of the first try
    with smtp_server() as inbox:
        assert run_queued() == ["sent"]
        [mail] = inbox.wait_for(1)
    assert mail["To"] == JO
    message.refresh_from_db()
    assert message.status == "sent" and message.failure_reason == ""
    assert message.timeline_entry.data["status"] == "sent"


def test_a_job_run_twice_sends_once(member, acme):
    message = send(member, acme)
    with smtp_server() as inbox:
        assert send_message.call(message.pk, 1) == "sent"
        assert send_message.call(message.pk, 1) == "skipped"
        inbox.wait_for(1)
        assert len(inbox.messages) == 1
    message.refresh_from_db()
    assert message.attempts == 1 and message.status == "sent"


def test_a_job_run_again_after_its_worker_died_mid_send_marks_it_interrupted(member, acme):
    message = send(member, acme)
    EmailMessage.objects.filter(pk=message.pk).update(attempts=1)  # claimed, then the crash
    with smtp_server() as inbox:
        assert send_message.call(message.pk, 1) == "failed"
        assert inbox.messages == []
    message.refresh_from_db()
    assert message.status == "failed" and "may or may not have gone out" in message.failure_reason
    outgoing.retry(actor=member, message=message)
    assert queued(message)[-1] == [message.pk, 2]


def test_a_job_for_a_mail_already_sent_or_gone_does_nothing(member, acme):
    message = send(member, acme)
    with smtp_server() as inbox:
        run_queued()
        assert send_message.call(message.pk, 2) == "skipped"  # not failed: no second attempt
        assert send_message.call(999_999, 1) == "skipped"
        inbox.wait_for(1)


def test_retry_is_for_failed_mail_by_its_sender_or_an_admin(member, admin, acme):
    message = send(member, acme)
    with pytest.raises(ValidationError, match="nothing to retry"):
        outgoing.retry(actor=member, message=message)
    EmailMessage.objects.filter(pk=message.pk).update(status="failed", attempts=1)
    colleague = UserFactory(departments=list(member.departments.all()))
    with pytest.raises(PermissionDenied):
        outgoing.retry(actor=colleague, message=message)
    outgoing.retry(actor=admin, message=message)
    assert queued(message) == [[message.pk, 1], [message.pk, 2]]


def test_a_reply_continues_the_thread_with_threading_headers(member, acme):
    first = send(member, acme, subject="Our offer")
    answer = inbound(first.thread, sender="jo.lee@home.example")
    reply = outgoing.send_email(
        actor=member, thread=first.thread, to=["jo.lee@home.example"], subject="", body="Great."
    )
    assert reply.thread == first.thread and reply.subject == "Re: Our offer"
    assert reply.in_reply_to == answer.message_id
    assert reply.references == f"{first.message_id} {answer.message_id}"
    with smtp_server() as inbox:
        run_queued()
        mails = inbox.wait_for(2)
    mail = next(m for m in mails if m["Message-ID"] == f"<{reply.message_id}>")
    assert mail["In-Reply-To"] == f"<{answer.message_id}>"
    assert mail["References"] == f"<{first.message_id}> <{answer.message_id}>"


def test_a_reply_may_go_to_whoever_wrote_in_the_thread(member, acme):
    first = send(member, acme)
    inbound(first.thread, sender="assistant@partner.example")
    reply = outgoing.send_email(
        actor=member, thread=first.thread, to=["assistant@partner.example"], subject="", body="Hi"
    )
    assert reply.to == ["assistant@partner.example"] and reply.contact is None


def test_addresses_not_of_the_clients_contacts_are_refused_by_name(member, acme):
    with pytest.raises(ValidationError) as refused:
        send(member, acme, to=[JO, "stranger@else.example"])
    assert refused.value.message_dict["to"] == [
        "stranger@else.example is not an address of Acme GmbH's contacts. "
        "Add them as a contact first, or put them in Cc."
    ]
    with pytest.raises(ValidationError, match="Pick at least one contact"):
        send(member, acme, to=[])
    with pytest.raises(ValidationError) as refused:
        send(member, acme, cc="fine@x.example; not-an-address")
    assert refused.value.message_dict["cc"] == ["“not-an-address” is not an email address."]
    assert not EmailMessage.objects.exists()


def test_contact_ids_stand_for_their_first_address(member, acme, jo):
    message = send(member, acme, to=[jo.pk, KIM])
    assert message.to == [JO, KIM]


def test_merge_fields_are_filled_and_the_signature_added(member, acme, deal):
    member.email_signature = "Mia\n**Northwind**"
    member.save()
    message = send(
        member,
        acme,
        deal=deal,
        subject="{{ deal.title }} for {{client.name}}",
        body="Hi {{ contact.first_name }}, {{ me.first_name }} here.",
    )
    assert message.subject == "Rollout for Acme GmbH"
    first = member.full_name.split()[0]
    assert message.body_text == f"Hi Jo, {first} here.\n\n-- \nMia\n**Northwind**"
    assert "<strong>Northwind</strong>" in message.body_html
    assert message.thread.deal == deal


def test_unknown_or_unfillable_merge_fields_are_named(member, acme):
    with pytest.raises(ValidationError) as refused:
        send(member, acme, body="Hi {{ contact.frist_name }}")
    assert "Unknown merge field {{ contact.frist_name }}" in refused.value.message_dict["body"][0]
    with pytest.raises(ValidationError) as refused:
        send(member, acme, subject="About {{ ticket.id }}")
    assert refused.value.message_dict["subject"] == [
        "{{ ticket.id }} needs a ticket: write from the ticket's page."
    ]


def test_from_a_ticket_the_subject_carries_it_and_the_first_response_is_recorded(
    support_member, acme, ticket
):
    assert ticket.first_response_at is None
    message = outgoing.send_email(
        actor=support_member,
        client=acme,
        ticket=ticket,
        to=[JO],
        subject="{{ ticket.subject }}",
        body="We are on it.",
    )
    assert message.subject == f"Cannot log in [Ticket #{ticket.pk}]"
    assert message.thread.ticket == ticket
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None and ticket.status == Ticket.Status.OPEN
    reply = outgoing.send_email(
        actor=support_member, thread=message.thread, to=[JO], subject="", body="Fixed."
    )
    assert reply.subject == f"Re: Cannot log in [Ticket #{ticket.pk}]"


def test_a_private_thread_is_answered_by_its_owner_alone(member, acme):
    message = send(member, acme)
    EmailThread.objects.filter(pk=message.thread_id).update(private_to=member)
    thread = EmailThread.objects.get(pk=message.thread_id)
    colleague = UserFactory(departments=list(member.departments.all()))
    with pytest.raises(PermissionDenied):
        outgoing.send_email(actor=colleague, thread=thread, to=[JO], subject="", body="Hi")
    with capture_events() as events:
        reply = outgoing.send_email(actor=member, thread=thread, to=[JO], subject="", body="Hi")
    assert reply.timeline_entry.private_to == member
    topics = {e.topic for e in events}
    assert f"user.{member.pk}" in topics and f"client.{acme.pk}" not in topics


def test_a_deal_or_ticket_of_another_client_is_refused(member, acme, deal):
    from records import services

    other = services.create_client(actor=member, name="Other")
    with pytest.raises(ValidationError, match="not one of this client's"):
        outgoing.send_email(actor=member, client=other, deal=deal, to=[JO], subject="x", body="y")
