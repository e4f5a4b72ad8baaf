"""Sending mail to a client's contacts (DESIGN §3): write it, then a job sends it.

``send_email`` stores the mail (status *sending*) with its thread and
attachments, puts it on the client's timeline and enqueues the
job ``send_message`` (below) in the same transaction; the request
never talks to the mail server. ``deliver`` (the job) sends it and marks it
*sent* or *failed* with the server's reason; ``retry`` sends a failed mail again.

Each run of the job is one numbered attempt, claimed with a conditional update
(``attempts`` from n-1 to n while *sending*) before anything is sent: a job run
twice finds its attempt taken and sends nothing. No lock is held while the mail
server talks (on SQLite that would stop every writer). A job runs twice only when
its worker went silent past the jobs' lease (workspace/jobs/) — it died, most
likely mid-send — so a second run that finds its attempt taken and the mail still
*sending* marks it failed as interrupted: the sender sees it, and decides whether
to Retry, rather than Workspace sending it twice or leaving it *sending* forever.
"""

import logging
import os
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import mailers
from django.core.validators import validate_email
from django.db import transaction
from django.tasks import task
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone

from accounts.services import notify
from integrations.mail import composing, merge, policies
from integrations.mail.models import (
    SUBJECT_MAX_LENGTH,
    EmailAttachment,
    EmailMessage,
    EmailThread,
)
from integrations.mail.timeline import record_message, refresh_message
from records import policies as records_policies
from records.models import Ticket
from records.services import set_ticket_status
from workspace.text import render_markdown

log = logging.getLogger(__name__)
Status = EmailMessage.Status
MAX_RECIPIENTS = 50
# A temporary failure is tried again after each of these, then the mail is *failed*.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
INTERRUPTED = (
    "Sending was interrupted (the worker stopped), so it may or may not have gone out. "
    "Check with the recipients before sending it again."
)


# --- Writing -------------------------------------------------------------------------------


def send_email(
    *,
    actor,
    client=None,
    to,
    cc=(),
    subject: str,
    body: str,
    attachments=(),
    deal=None,
    ticket=None,
    thread=None,
) -> EmailMessage:
    """Write a mail to ``client``'s contacts (``to``: contact ids or their addresses) and
    queue it for sending. ``thread`` continues a conversation (its client, deal and ticket
    are used; the mail answers its last message). ``attachments`` are uploaded files.
    Merge fields in ``subject`` and ``body`` are filled; the sender's signature is added."""
    if thread is not None:
        client, deal, ticket = thread.client, thread.deal, thread.ticket
        allowed = policies.can_reply(actor, thread)
    else:
        allowed = client is not None and policies.can_send_to_client(actor, client)
    if not allowed or client is None:
        raise PermissionDenied("You cannot write to this client.")
    _check_linked(client, deal, ticket)
    recipients = _recipients(client, thread, to)
    copies = _copies(cc, exclude=recipients)
    _check_attachments(attachments)
    sources = merge.Sources(
        me=actor, client=client, contact=next(iter(recipients.values())), deal=deal, ticket=ticket
    )
    subject = _subject(merge.fill(subject, sources, field="subject"), thread, ticket)
    body = _with_signature(merge.fill(body, sources, field="body"), actor)
    with transaction.atomic():
        thread = thread or _new_thread(actor, client, deal, ticket, subject)
        message = _write(actor, thread, recipients, copies, subject, body)
        _attach(message, attachments)
        record_message(message, kind="mail.sending")
        _first_response(actor, ticket)
        _enqueue(message)
    return message


def retry(*, actor, message: EmailMessage) -> EmailMessage:
    """Send a failed mail again (its sender or an admin): *sending* once more, a new job."""
    with transaction.atomic():
        message = EmailMessage.objects.select_for_update().get(pk=message.pk)
        if message.status != Status.FAILED:
            raise ValidationError("This email has not failed: there is nothing to retry.")
        if not policies.can_retry(actor, message):
            raise PermissionDenied("Only the sender or an admin can send this email again.")
        message.status = Status.SENDING
        message.failure_reason = ""
        message.save(update_fields=["status", "failure_reason"])
        refresh_message(message, kind="mail.sending")
        _enqueue(message)
    return message


def _check_linked(client, deal, ticket) -> None:
    if deal is not None and deal.client_id != client.pk:
        raise ValidationError("That deal is not one of this client's.")
    if ticket is not None and ticket.client_id != client.pk:
        raise ValidationError("That ticket is not one of this client's.")


def _recipients(client, thread, to) -> dict:
    """The To addresses, each with its contact (None: a thread participant who is not a
    contact). A contact id stands for its first address; anything else is refused."""
    contacts = list(client.contacts.all())
    by_address = {address: c for c in contacts for address in c.emails}
    by_id = {c.pk: c for c in contacts}
    if thread is not None:
        for address in thread.messages.filter(direction=EmailMessage.Direction.IN).values_list(
            "from_address", flat=True
        ):
            by_address.setdefault(address.lower(), None)
    chosen, errors = {}, []
    for item in to or ():
        address, error = _address_of(item, client, by_id, by_address)
        if error:
            errors.append(error)
        else:
            chosen[address] = by_address[address]
    if errors:
        raise ValidationError({"to": errors})
    if not chosen:
        raise ValidationError({"to": "Pick at least one contact to write to."})
    if len(chosen) > MAX_RECIPIENTS:
        raise ValidationError({"to": f"Write to at most {MAX_RECIPIENTS} people at once."})
    return chosen


def _address_of(item, client, by_id, by_address) -> tuple[str, str]:
    """(address, "") for a contact id or address of the client, else ("", the reason)."""
    if isinstance(item, int) or (isinstance(item, str) and item.isdigit()):
        contact = by_id.get(int(item))
        if contact is None:
            return "", f"That contact is not one of {client}'s."
        if not contact.emails:
            return "", f"{contact} has no email address."
        return contact.emails[0], ""
    address = str(item).strip().lower()
    if address not in by_address:
        return "", (
            f"{address} is not an address of {client}'s contacts. "
            "Add them as a contact first, or put them in Cc."
        )
    return address, ""


def split_addresses(text: str) -> list[str]:
    """Addresses typed in one box, separated by commas, semicolons or spaces."""
    return [part for part in text.replace(";", ",").replace(" ", ",").split(",") if part]


def _copies(cc, *, exclude) -> list[str]:
    addresses = split_addresses(cc) if isinstance(cc, str) else list(cc or ())
    copies, errors = [], []
    for raw in addresses:
        address = raw.strip().lower()
        try:
            validate_email(address)
        except ValidationError:
            errors.append(f"“{raw.strip()}” is not an email address.")
            continue
        if address not in exclude and address not in copies:
            copies.append(address)
    if errors:
        raise ValidationError({"cc": errors})
    if len(copies) + len(exclude) > MAX_RECIPIENTS:
        raise ValidationError({"cc": f"Write to at most {MAX_RECIPIENTS} people at once."})
    return copies


def _check_attachments(files) -> None:
    each, total = settings.MAIL_ATTACHMENT_MAX_BYTES, settings.MAIL_ATTACHMENTS_TOTAL_MAX_BYTES
    errors = [
        f"{_name(file)} is {filesizeformat(file.size)}; each file may be at most "
        f"{filesizeformat(each)}."
        for file in files
        if file.size > each
    ]
    size = sum(file.size for file in files)
    if not errors and size > total:
        errors.append(
            f"The files come to {filesizeformat(size)}; together they may be at most "
            f"{filesizeformat(total)}."
        )
    if errors:
        raise ValidationError({"attachments": errors})


def _name(file) -> str:
    return os.path.basename(file.name or "").strip()[:200] or "attachment"


def _subject(subject: str, thread, ticket) -> str:
    subject = " ".join(subject.split())
    if not subject and thread is not None:
        subject = thread.subject
    if thread is not None and not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    if ticket is not None and f"[Ticket #{ticket.pk}]" not in subject:
        subject = f"{subject} [Ticket #{ticket.pk}]"
    if not subject:
        raise ValidationError({"subject": "Write a subject."})
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise ValidationError(
            {"subject": f"Keep the subject under {SUBJECT_MAX_LENGTH} characters."}
        )
    return subject


def _with_signature(body: str, actor) -> str:
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write a message."})
    signature = actor.email_signature.strip()
    return f"{body}\n\n-- \n{signature}" if signature else body


def _new_thread(actor, client, deal, ticket, subject) -> EmailThread:
    thread = EmailThread(
        client=client,
        deal=deal,
        ticket=ticket,
        subject=subject,
        created_by=actor,
    )
    thread.full_clean()
    thread.save()
    return thread


def _write(actor, thread, recipients: dict, copies, subject, body) -> EmailMessage:
    from_address, from_name = composing.sender_of(actor)
    parent = thread.messages.order_by("-created_at", "-pk").first()
    message = EmailMessage(
        thread=thread,
        client=thread.client,
        contact=next(iter(recipients.values())),
        direction=EmailMessage.Direction.OUT,
        status=Status.SENDING,
        source=EmailMessage.Source.APP,
        message_id=composing.new_message_id(),
        in_reply_to=parent.message_id if parent else "",
        references=" ".join(filter(None, [parent.references, parent.message_id])) if parent else "",
        from_address=from_address,
        from_name=from_name,
        to=list(recipients),
        cc=copies,
        subject=subject,
        body_text=body,
        body_html=render_markdown(body),
        sender=actor,
    )
    message.full_clean()
    message.save()
    EmailThread.objects.filter(pk=thread.pk).update(last_message_at=message.created_at)
    return message


def _attach(message: EmailMessage, files) -> None:
    for file in files:
        attachment = EmailAttachment(
            message=message,
            filename=_name(file),
            content_type=(getattr(file, "content_type", "") or "")[:100],
            size=file.size,
        )
        attachment.file.save(attachment.filename, file, save=False)
        attachment.full_clean()
        attachment.save()


def _first_response(actor, ticket) -> None:
    """Mail to the client answers a new ticket: it leaves *new*, which stamps its first
    response (records' own rule, set_ticket_status), when the sender may move it."""
    if ticket is None or ticket.status != Ticket.Status.NEW:
        return
    if records_policies.can_edit_ticket(actor, ticket):
        set_ticket_status(actor=actor, ticket=ticket, status=Ticket.Status.OPEN)


def _enqueue(message: EmailMessage) -> None:
    """Queue the next attempt. With the database task backend the job row is written in
    this transaction: it exists exactly when the mail does."""
    send_message.enqueue(message.pk, message.attempts + 1)


# --- Sending (the job) -----------------------------------------------------------------


@task
def send_message(message_id: int, attempt: int) -> str:
    """The job ``send_email`` and ``retry`` queue (listed in integrations/mail/tasks.py, run
    by ``manage.py run_worker``): attempt ``attempt`` of a mail, at most once."""
    return deliver(message_id=message_id, attempt=attempt)


def deliver(*, message_id: int, attempt: int) -> str:
    """Send attempt ``attempt`` of a mail, once: returns its status, or "skipped" when this
    attempt was already claimed (a second run of the same job) or the mail is gone.

    A temporary failure (a 4xx answer, the server unreachable) of the first attempts is
    tried again by itself after each of ``RETRY_DELAYS``; after those, or at once for a
    permanent refusal, the mail is *failed* for its sender to Retry."""
    sending = EmailMessage.objects.filter(pk=message_id, status=Status.SENDING)
    if not sending.filter(attempts=attempt - 1).update(attempts=attempt):
        if sending.filter(attempts=attempt, failure_reason="").exists():
            return _finish(sending.get(), attempt, failure=INTERRUPTED)
        return "skipped"
    message = EmailMessage.objects.select_related("thread", "sender").get(pk=message_id)
    try:
        mailers.default.send_messages([composing.build(message)])
    except Exception as error:  # any failure is the mail's: shown with a Retry
        log.warning("Sending mail %s failed: %r", message_id, error)
        if is_temporary(error) and attempt <= len(RETRY_DELAYS):
            return _try_again_later(message, attempt, failure_reason(error))
        return _finish(message, attempt, failure=failure_reason(error))
    return _finish(message, attempt)


def _try_again_later(message: EmailMessage, attempt: int, reason: str) -> str:
    """Keep the mail *sending*, saying why it waits, and queue the next attempt."""
    delay = RETRY_DELAYS[attempt - 1]
    with transaction.atomic():
        message = EmailMessage.objects.select_for_update(of=("self",)).get(pk=message.pk)
        if message.attempts != attempt or message.status != Status.SENDING:
            return message.status
        message.failure_reason = f"{reason} Trying again in {_minutes(delay)}."[:500]
        message.save(update_fields=["failure_reason"])
        refresh_message(message, kind="mail.retrying")
        send_message.using(run_after=timezone.now() + delay).enqueue(message.pk, attempt + 1)
    return message.status


def _minutes(delay: timedelta) -> str:
    minutes = round(delay.total_seconds() / 60)
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def is_temporary(error: Exception) -> bool:
    """Whether trying again later may work: a 4xx answer (for every refused recipient),
    a dropped or unreachable server."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, smtplib.SMTPServerDisconnected | OSError)


def _finish(message: EmailMessage, attempt: int, *, failure: str = "") -> str:
    with transaction.atomic():
        message = (
            EmailMessage.objects.select_for_update(of=("self",))
            .select_related("thread", "sender")
            .get(pk=message.pk)
        )
        if message.attempts != attempt or message.status != Status.SENDING:
            return message.status
        message.status = Status.FAILED if failure else Status.SENT
        message.failure_reason = failure[:500]
        message.sent_at = None if failure else timezone.now()
        message.save(update_fields=["status", "failure_reason", "sent_at"])
        refresh_message(message, kind="mail.failed" if failure else "mail.sent")
        if failure and message.sender:
            notify(
                recipient=message.sender,
                kind="mail_failed",
                text=f"Your email “{message.subject}” could not be sent: {failure}",
                link=reverse("mail:thread", args=[message.thread_id]),
            )
    return message.status


def _smtp_text(text) -> str:
    return (text.decode(errors="replace") if isinstance(text, bytes) else str(text)).strip()


def failure_reason(error: Exception) -> str:
    """What went wrong, for the sender: the mail server's own answer where it gave one."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{address}: {code} {_smtp_text(text)}"
            for address, (code, text) in error.recipients.items()
        )
        return f"The mail server refused the recipients ({refused})."
    if isinstance(error, smtplib.SMTPSenderRefused):
        return (
            f"The mail server refused the sender {error.sender}: "
            f"{error.smtp_code} {_smtp_text(error.smtp_error)}"
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return f"The mail server answered {error.smtp_code} {_smtp_text(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPException):
        return f"The mail server failed: {error}"
    if isinstance(error, OSError):
        return f"The mail server could not be reached ({error.strerror or error})."
    return f"The mail could not be sent ({type(error).__name__}: {error})."
