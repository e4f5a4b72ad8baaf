"""Incoming mail for the tests of helper B's part (receive, parsing, triage): messages
built with email.message.EmailMessage, as a mail program would send them, and the
people and clients they are about."""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.conf import settings
from django.utils import timezone

from integrations.mail import timeline
from integrations.mail.models import EmailMessage as StoredMessage
from integrations.mail.models import EmailThread
from records.services.clients import create_client, create_contact


def build(
    *,
    sender="Bea Buyer <bea@acme.example>",
    to="bcc@in.workspace.localhost",
    subject="Hello",
    text="Hello there.",
    html=None,
    message_id=None,
    cc=None,
    headers=None,
    attachments=(),
) -> EmailMessage:
    """A mail as a mail program sends it; ``attachments``: (name, content type, bytes)."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    if cc:
        mail["Cc"] = cc
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = message_id or make_msgid(domain="acme.example")
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(text)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    for name, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return mail


def raw(mail: EmailMessage) -> bytes:
    return bytes(mail)


def reply_address(thread: EmailThread) -> str:
    return f"reply+{thread.reply_token}@{settings.MAIL_INBOUND_DOMAIN}"


def sent_message(*, actor, client, to="bea@acme.example", subject="Offer") -> StoredMessage:
    """A mail Workspace sent (as helper A's sending leaves it once sent), on the timeline."""
    thread = EmailThread.objects.create(client=client, subject=subject, created_by=actor)
    message = StoredMessage.objects.create(
        thread=thread,
        client=client,
        direction=StoredMessage.Direction.OUT,
        status=StoredMessage.Status.SENT,
        message_id=make_msgid(domain=settings.MAIL_INBOUND_DOMAIN)[1:-1],
        from_address=settings.MAIL_FROM_EMAIL,
        to=[to],
        subject=subject,
        body_text="Our offer.",
        sender=actor,
    )
    timeline.record_message(message, kind="mail.sent")
    return message


@pytest.fixture
def acme(member):
    return create_client(actor=member, name="Acme Corp", domain="acme.example")


@pytest.fixture
def bea(acme, member):
    return create_contact(actor=member, client=acme, name="Bea Buyer", emails=["bea@acme.example"])
