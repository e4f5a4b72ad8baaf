"""Receiving one incoming mail: parse, match, thread, store, publish (docs/EMAIL.md).

Both transports (the SMTP receiver and the IMAP poller) hand each message's raw
bytes to :func:`receive`. It never raises for bad mail — what cannot be read is
refused with a reason the transport passes on — and it is idempotent: a mail is
known by its Message-ID (or, lacking one, by a hash of its bytes), so a
redelivery, or our own outgoing mail BCC'd back to us, is stored once.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.services import notify
from integrations.mail import events, timeline
from integrations.mail.inbound import loops
from integrations.mail.inbound.matching import Match, match
from integrations.mail.inbound.parsing import (
    Attachment,
    ParsedMail,
    derived_message_id,
    html_to_text,
    parse,
    text_to_html,
)
from integrations.mail.models import (
    MESSAGE_ID_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    EmailAttachment,
    EmailMessage,
    EmailThread,
)
from integrations.mail.services import tickets, triage
from workspace.text import sanitize_email_html

log = logging.getLogger(__name__)

STORED, DUPLICATE, REFUSED, LOOP = "stored", "duplicate", "refused", "loop"


@dataclass
class Received:
    """What became of one incoming mail: ``outcome`` is "stored", "duplicate", "refused"
    (nothing kept; ``reason`` says why) or "loop" (an auto-reply or bounce, kept on its
    thread but not acted on)."""

    outcome: str
    reason: str
    message: EmailMessage | None = None


def receive(raw: bytes, *, recipients: Sequence[str] = (), source: str = "smtp") -> Received:
    """Store the mail ``raw`` (as delivered to ``recipients``) where it belongs: on its
    thread and client, or in triage. Transports call it once per delivered message."""
    if len(raw) > settings.MAIL_REFUSE_BYTES:
        return Received(REFUSED, f"The message is larger than {_size(settings.MAIL_REFUSE_BYTES)}.")
    try:
        mail = parse(raw)
    except Exception:
        log.exception("Incoming mail could not be parsed")
        return Received(REFUSED, "The message could not be read as an email.")
    message_id = (mail.message_id or derived_message_id(raw, settings.MAIL_INBOUND_DOMAIN))[
        :MESSAGE_ID_MAX_LENGTH
    ]
    known = EmailMessage.objects.filter(message_id=message_id).first()
    if known is not None:
        return Received(DUPLICATE, "This message was received before.", known)
    if not mail.from_address:
        return Received(REFUSED, "The message has no sender address.")
    if mail.from_address.rpartition("@")[2] == settings.MAIL_INBOUND_DOMAIN.lower():
        # Only a loop sends mail from our own inbound addresses (e.g. a reply address
        # set as some autoresponder's sender): taking it in could answer it again.
        return Received(LOOP, "Mail from Workspace's own inbound domain: not taken in.")
    try:
        message = _store(mail, message_id=message_id, recipients=recipients, source=source)
    except IntegrityError:
        # The same message delivered twice at once: the other delivery stored it.
        known = EmailMessage.objects.filter(message_id=message_id).first()
        if known is None:
            raise
        return Received(DUPLICATE, "This message was received before.", known)
    except ValidationError as invalid:
        log.warning("Incoming mail %s refused: %s", message_id, invalid)
        return Received(REFUSED, "The message could not be stored: " + " ".join(invalid.messages))
    if message.is_automatic:
        return Received(LOOP, "An automatic reply or bounce: kept, not acted on.", message)
    return Received(STORED, "Stored.", message)


def _store(mail: ParsedMail, *, message_id: str, recipients, source: str) -> EmailMessage:
    automatic = loops.is_automatic(mail)
    bounce = loops.bounce_of(mail) if automatic else None
    found = match(mail, recipients, answers_id=bounce.original_id if bounce else "")
    kept, dropped = _attachments_kept(mail)
    with transaction.atomic():
        thread = found.thread or _new_thread(mail, found)
        message = EmailMessage(
            thread=thread,
            client=thread.client,
            contact=found.contact,
            source=source,
            triage=EmailMessage.Triage.WAITING if thread.client_id is None else "",
            message_id=message_id,
            in_reply_to=mail.in_reply_to[:MESSAGE_ID_MAX_LENGTH],
            references=" ".join(mail.references),
            from_address=mail.from_address[:320],
            from_name=mail.from_name[:200],
            to=mail.to,
            cc=mail.cc,
            subject=mail.subject[:SUBJECT_MAX_LENGTH],
            body_text=mail.text or html_to_text(mail.html),
            is_automatic=automatic,
            note=_note(dropped),
            size=mail.size,
            sent_at=mail.date or timezone.now(),
            **_direction(found),
        )
        message.full_clean(exclude=["thread", "client", "contact", "sender", "timeline_entry"])
        message.save()
        inline = _save_attachments(message, kept)
        _set_bodies(message, mail, inline)
        _touch_thread(thread, message)
        _tell(message, found=found, bounce=bounce)
    return message


def _new_thread(mail: ParsedMail, found: Match) -> EmailThread:
    thread = EmailThread(
        client=found.client,
        subject=mail.subject[:SUBJECT_MAX_LENGTH],
        ticket=found.ticket,
        inbound_address=found.inbound_address,
        created_by=found.staff_sender,
    )
    thread.full_clean()
    thread.save()
    return thread


def _direction(found: Match) -> dict:
    """Mail a member of staff BCC'd to Workspace is theirs, sent; anything else received."""
    if found.staff_sender is not None:
        return {
            "direction": EmailMessage.Direction.OUT,
            "status": EmailMessage.Status.SENT,
            "sender": found.staff_sender,
        }
    return {"direction": EmailMessage.Direction.IN, "status": EmailMessage.Status.RECEIVED}


def _attachments_kept(mail: ParsedMail) -> tuple[list[Attachment], list[Attachment]]:
    """(kept, dropped): each over MAIL_ATTACHMENT_MAX_BYTES is dropped, and all of them
    when the message is over MAIL_MAX_MESSAGE_BYTES or they add up to more than
    MAIL_ATTACHMENTS_TOTAL_MAX_BYTES."""
    if mail.size > settings.MAIL_MAX_MESSAGE_BYTES:
        return [], list(mail.attachments)
    kept, dropped, total = [], [], 0
    for attachment in mail.attachments:
        fits = attachment.size <= settings.MAIL_ATTACHMENT_MAX_BYTES
        if fits and total + attachment.size <= settings.MAIL_ATTACHMENTS_TOTAL_MAX_BYTES:
            kept.append(attachment)
            total += attachment.size
        else:
            dropped.append(attachment)
    return kept, dropped


def _note(dropped: list[Attachment]) -> str:
    if not dropped:
        return ""
    names = ", ".join(f"{a.filename} ({_size(a.size)})" for a in dropped)
    note = f"Not kept, too large: {names}."
    return note if len(note) <= 300 else note[:299] + "…"


def _size(size: int) -> str:
    """A size as people read it: "30 MB", "1.5 MB", "12 KB"."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.3g} MB"
    return f"{max(1, round(size / 1000))} KB"


def _save_attachments(message: EmailMessage, attachments: list[Attachment]) -> dict[str, int]:
    """Store the attachments; returns {Content-ID: attachment pk} of the inline ones."""
    inline = {}
    for attachment in attachments:
        stored = EmailAttachment(
            message=message,
            filename=attachment.filename,
            content_type=attachment.content_type[:100],
            size=attachment.size,
            content_id=attachment.content_id[:200],
        )
        stored.file.save(attachment.filename, ContentFile(attachment.data), save=False)
        stored.save()
        if attachment.content_id:
            inline[attachment.content_id] = stored.pk
    return inline


def _set_bodies(message: EmailMessage, mail: ParsedMail, inline: dict[str, int]) -> None:
    urls = {cid: reverse("mail:inline", args=[pk]) for cid, pk in inline.items()}
    body, quoted = (
        (mail.html, mail.quoted_html)
        if mail.html
        else (
            text_to_html(mail.text),
            text_to_html(mail.quoted_text),
        )
    )
    message.body_html, remote = sanitize_email_html(body, inline_images=urls)
    message.quoted_html, quoted_remote = sanitize_email_html(quoted, inline_images=urls)
    message.has_remote_images = remote or quoted_remote
    message.save(update_fields=["body_html", "quoted_html", "has_remote_images"])


def _touch_thread(thread: EmailThread, message: EmailMessage) -> None:
    EmailThread.objects.filter(pk=thread.pk).update(last_message_at=message.created_at)


def _tell(message: EmailMessage, *, found: Match, bounce: loops.Bounce | None) -> None:
    """What a stored message changes for people: the timeline (or triage list), the
    ticket, the failed mail a bounce reports, and who is notified of a reply."""
    if message.client_id is None:
        triage.mail_waiting(message)
        return
    timeline.record_message(message, kind=events.arrival_kind(message))
    if bounce is not None and found.answers is not None:
        _mark_bounced(found.answers, bounce)
    tickets.mail_received(message, found=found)
    if message.thread.ticket_id is not None:
        events.ticket_mail_changed(message.thread)
    if not message.is_automatic and message.direction == EmailMessage.Direction.IN:
        _notify_reply(message, answers=found.answers)


def _mark_bounced(original: EmailMessage, bounce: loops.Bounce) -> None:
    if original.direction != EmailMessage.Direction.OUT:
        return
    original.status = EmailMessage.Status.FAILED
    original.failure_reason = bounce.reason
    original.save(update_fields=["status", "failure_reason"])
    timeline.refresh_message(original, kind="mail.failed")


def _notify_reply(message: EmailMessage, *, answers: EmailMessage | None) -> None:
    """The client's owner, and whoever sent the mail this answers, hear of the reply —
    on a private thread only its owner does."""
    thread = message.thread
    people = [thread.client.owner, answers.sender if answers is not None else None]
    if thread.private_to_id is not None:
        people = [thread.private_to]
    link = reverse("mail:thread", args=[thread.pk])
    who = message.from_name or message.from_address
    text = f"{who} wrote about {thread.client}: {message.subject or '(no subject)'}"
    for person in dict.fromkeys(p for p in people if p is not None):
        notify(recipient=person, kind="mail-reply", text=text, link=link)
