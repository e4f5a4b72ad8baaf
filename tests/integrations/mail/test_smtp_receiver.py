"""The SMTP receiver (integrations/mail/inbound/smtp.py), spoken to over real SMTP.

The receiver runs in a thread of the test process (its own event loop, its own
database connections), or as ``manage.py receive_mail`` in a process of its own.
"""

import smtplib

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from integrations.mail.inbound.smtp import Receiver, is_inbound_address, reply_for
from integrations.mail.models import EmailMessage, EmailThread, InboundAddress
from integrations.mail.services import incoming
from tests.integrations.mail.inbound_helpers import (
    BCC,
    CONTACT,
    INBOUND_DOMAIN,
    acme_with_ana,
    mail,
    receive_mail,
)
from tests.mailserver import free_port
from tests.servers import migrated_sqlite, server_db  # noqa: F401 (fixtures)


@pytest.fixture
def receiver(transactional_db, settings):
    settings.MAIL_INBOUND_DOMAIN = INBOUND_DOMAIN
    settings.MAIL_BCC_LOCAL_PART = "bcc"
    running = Receiver("127.0.0.1", free_port())
    running.start()
    yield running
    running.shutdown(grace_seconds=5)


@pytest.fixture
def acme(member):
    return acme_with_ana(member)


def deliver(receiver, raw: bytes, to=(BCC,), sender=CONTACT) -> dict:
    """Send ``raw`` to the receiver; smtplib's refusals by recipient ({} if all took it)."""
    with smtplib.SMTP(receiver.hostname, receiver.port, timeout=10) as smtp:
        return smtp.sendmail(sender, list(to), raw)


def data_reply(receiver, raw: bytes, to=BCC) -> tuple[int, bytes]:
    """MAIL, RCPT and DATA by hand (no SIZE declared up front): the reply to DATA."""
    with smtplib.SMTP(receiver.hostname, receiver.port, timeout=10) as smtp:
        smtp.ehlo()
        assert smtp.mail("ana@acme.example")[0] == 250
        assert smtp.rcpt(to)[0] == 250
        return smtp.data(raw)


def test_a_reply_lands_in_its_thread(receiver, acme, member):
    thread = EmailThread.objects.create(client=acme, subject="Our offer", created_by=member)
    sent = EmailMessage.objects.create(
        thread=thread,
        client=acme,
        direction=EmailMessage.Direction.OUT,
        status=EmailMessage.Status.SENT,
        message_id="offer-1@in.workspace.localhost",
        from_address="workspace@localhost",
        to=["ana@acme.example"],
        subject="Our offer",
        sender=member,
    )
    reply_to = f"reply+{thread.reply_token}@{INBOUND_DOMAIN}"
    raw = mail(to=reply_to, In_Reply_To=f"<{sent.message_id}>", References=f"<{sent.message_id}>")

    assert deliver(receiver, raw, to=[reply_to]) == {}

    reply = EmailMessage.objects.get(direction=EmailMessage.Direction.IN)
    assert (reply.thread_id, reply.client_id) == (thread.pk, acme.pk)
    assert reply.source == EmailMessage.Source.SMTP
    assert reply.in_reply_to == sent.message_id
    assert "that works for us" in reply.body_text


def test_mail_to_bcc_from_a_contact_lands_on_the_client(receiver, acme):
    assert deliver(receiver, mail(subject="Question about invoices")) == {}
    stored = EmailMessage.objects.get()
    assert stored.client_id == acme.pk
    assert stored.subject == "Question about invoices"


def test_only_the_inbound_domain_is_accepted_never_a_relay(receiver, acme):
    InboundAddress.objects.create(address="support@acme-help.example")
    InboundAddress.objects.create(address="old@acme-help.example", active=False)
    with smtplib.SMTP(receiver.hostname, receiver.port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("ana@acme.example")
        for refused in (
            "someone@gmail.example",
            f"nobody@{INBOUND_DOMAIN}",
            f"reply+not_a-token@{INBOUND_DOMAIN}",
            "old@acme-help.example",
            "postmaster",
        ):
            code, text = smtp.rcpt(refused)
            assert code == 550, (refused, code, text)
            assert b"No such mailbox" in text
        for accepted in (
            BCC,
            f"Reply+ABC123@{INBOUND_DOMAIN.upper()}",
            "support@acme-help.example",
        ):
            assert smtp.rcpt(accepted)[0] == 250, accepted

    with pytest.raises(smtplib.SMTPRecipientsRefused):
        deliver(receiver, mail(to="boss@gmail.example"), to=["boss@gmail.example"])
    assert not EmailMessage.objects.exists()


def test_an_oversize_message_is_refused_with_552(receiver, acme, settings):
    settings.MAIL_REFUSE_BYTES = 20_000
    big = mail(body=("x" * 70 + "\n") * 400)

    # Declared up front (ESMTP SIZE, as smtplib and real servers do): refused at MAIL FROM.
    with pytest.raises(smtplib.SMTPSenderRefused) as declared:
        deliver(receiver, big)
    assert declared.value.smtp_code == 552
    # Not declared: refused after DATA.
    code, _ = data_reply(receiver, big)
    assert code == 552
    assert not EmailMessage.objects.exists()
    # Below the limit, the same sender gets through.
    assert deliver(receiver, mail()) == {}


@pytest.mark.parametrize(
    "raw",
    [
        b"this is not a mail at all \xff\xfe\x00 no headers, no body",
        b"From: =?utf-8?q?Jos=C3=A9?= <jose@acme.example>\r\nSubject: Gr\xfc\xdfe \xe4\xf6\r\n"
        b"Content-Type: multipart/mixed; boundary=missing\r\n\r\n--nowhere\r\nbroken\r\n",
    ],
    ids=["garbage", "8-bit headers, broken MIME"],
)
def test_malformed_mail_is_answered_with_a_decision(receiver, acme, raw):
    code, text = data_reply(receiver, raw)
    if code == 250:
        assert EmailMessage.objects.count() == 1
    else:
        assert code == 554, (code, text)
        assert len(text) > len(b"5.6.0 ")  # a reason the sender's bounce can show
        assert not EmailMessage.objects.exists()


def test_duplicate_delivery_is_stored_once(receiver, acme):
    raw = mail(message_id="<same-1@acme.example>")
    assert deliver(receiver, raw) == {}
    assert deliver(receiver, raw) == {}
    assert EmailMessage.objects.filter(message_id="same-1@acme.example").count() == 1


def test_a_failure_while_storing_is_temporary_and_the_retry_stores_it(receiver, acme, monkeypatch):
    real_receive, calls = incoming.receive, []

    def database_gone_once(raw, **kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_receive(raw, **kwargs)

    monkeypatch.setattr(incoming, "receive", database_gone_once)
    raw = mail(message_id="<retry-1@acme.example>")
    code, text = data_reply(receiver, raw)
    assert code == 451, text
    assert not EmailMessage.objects.exists()

    assert data_reply(receiver, raw)[0] == 250  # the sending server's retry
    assert EmailMessage.objects.get().message_id == "retry-1@acme.example"
    assert calls == [{"recipients": [BCC], "source": "smtp"}] * 2


def test_a_refusal_reason_becomes_one_ascii_line():
    refused = incoming.Received(
        outcome="refused", reason="Too big:\n  30 MB — limit 25 MB", message=None
    )
    assert reply_for(refused) == "554 5.6.0 Too big: 30 MB ? limit 25 MB"
    for outcome in ("stored", "duplicate", "loop"):
        accepted = incoming.Received(outcome=outcome, reason="", message=None)
        assert reply_for(accepted).startswith("250 ")


def test_inbound_addresses(db, settings):
    settings.MAIL_INBOUND_DOMAIN = INBOUND_DOMAIN
    InboundAddress.objects.create(address="sales@acme-help.example")
    assert is_inbound_address(f"BCC@{INBOUND_DOMAIN}")
    assert is_inbound_address(f"reply+0a1b2c@{INBOUND_DOMAIN}")
    assert is_inbound_address("sales@acme-help.example")
    assert not is_inbound_address(f"reply+@{INBOUND_DOMAIN}")
    assert not is_inbound_address(f"bcc@sub.{INBOUND_DOMAIN}")
    assert not is_inbound_address("no-at-sign")


def test_the_command_refuses_a_bad_bind():
    with pytest.raises(CommandError, match="is not host:port"):
        call_command("receive_mail", "--bind", "localhost")


@pytest.mark.backend
def test_the_command_receives_and_stops_gracefully_on_sigterm(server_db):  # noqa: F811
    """``manage.py receive_mail`` in a process of its own, on the test's database."""
    with receive_mail(server_db.env()) as process:
        with smtplib.SMTP("127.0.0.1", process.port, timeout=10) as smtp:
            smtp.sendmail(CONTACT, [BCC], mail(message_id="<cmd-1@acme.example>"))
        stored = server_db.run_code(
            "from integrations.mail.models import EmailMessage\n"
            "print(json.dumps(list(EmailMessage.objects.values_list('message_id', 'source'))))"
        )
    assert stored == [["cmd-1@acme.example", "smtp"]]
    assert process.returncode == 0, process.output
    assert "Mail receiver stopped." in process.output
