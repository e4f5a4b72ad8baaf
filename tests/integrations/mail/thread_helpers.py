"""What the thread, timeline, privacy and search tests share: a client with an email
thread on its timeline, written as the mail services write it (the message, its
attachments, then ``record_message`` in one transaction) without a mail server."""

import itertools

import pytest
from django.core.files.base import ContentFile
from django.db import transaction

from integrations.mail.models import EmailAttachment, EmailMessage, EmailThread
from integrations.mail.timeline import record_message
from records import services

_ids = itertools.count(1)


@pytest.fixture
def media(settings, tmp_path):
    """Attachments stored in a throw-away folder."""
    settings.MAIL_ATTACHMENTS_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def acme(db, member):
    """A client owned by ``member``, with a contact who writes in."""
    client = services.create_client(actor=member, name="Acme GmbH", domain="acme.example")
    services.create_contact(
        actor=member, client=client, name="Ana Ruiz", emails=["ana@acme.example"]
    )
    return client


def make_thread(client, *, subject="Renewal 2027", created_by=None, **fields) -> EmailThread:
    return EmailThread.objects.create(
        client=client, subject=subject, created_by=created_by, **fields
    )


def add_message(
    thread: EmailThread,
    *,
    direction="in",
    sender=None,
    attachments=(),
    kind=None,
    **fields,
) -> EmailMessage:
    """A message of ``thread`` on its client's timeline; ``attachments`` are
    (filename, content type, bytes[, content id]) tuples."""
    outgoing = direction == EmailMessage.Direction.OUT
    values = {
        "status": EmailMessage.Status.SENT if outgoing else EmailMessage.Status.RECEIVED,
        "from_address": sender.email if outgoing else "ana@acme.example",
        "from_name": "" if outgoing else "Ana Ruiz",
        "to": ["ana@acme.example"] if outgoing else ["alex@northwind.example"],
        "subject": thread.subject,
        "body_text": "Thanks, that works for us.",
        "body_html": "<p>Thanks, that works for us.</p>",
        "message_id": f"m{next(_ids)}@acme.example",
        "source": EmailMessage.Source.APP if outgoing else EmailMessage.Source.SMTP,
    } | fields
    with transaction.atomic():
        message = EmailMessage.objects.create(
            thread=thread, client=thread.client, direction=direction, sender=sender, **values
        )
        for filename, content_type, data, *cid in attachments:
            stored = EmailAttachment(
                message=message,
                filename=filename,
                content_type=content_type,
                size=len(data),
                content_id=cid[0] if cid else "",
            )
            stored.file.save(filename, ContentFile(data), save=False)
            stored.save()
        record_message(message, kind=kind or ("mail.sent" if outgoing else "mail.received"))
    return message
