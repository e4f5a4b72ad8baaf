"""Sending campaigns (django.tasks jobs, run by ``manage.py run_worker``).

``prepare_campaign`` runs at the scheduled moment: it writes one ``Recipient``
per distinct address of the segment (skipped ones with their reason), records
the campaign's links, marks it sending and queues the first ``send_batch``.

``send_batch`` sends up to a batch of messages over one SMTP connection, each
in three steps:

1. claim: the row becomes ``sending`` (with its Message-ID) and that commits;
2. hand the message to the mail server;
3. mark it ``sent`` with a timeline entry on the client, and commit.

A worker killed between 1 and 3 leaves the row ``sending``. Whoever finds such
a row older than a job lease (``JOBS_LEASE``: a live worker has beaten since)
marks it ``unconfirmed`` and never sends it again, so no one is emailed twice;
the job itself is given back and rerun by a live worker (workspace/jobs/).
Claims take the campaign's row lock, so two batches of a campaign never send
to the same address, and a cancelled campaign stops at the next claim. Each
batch queues the next one with ``run_after`` so the campaign's rate per minute
holds; nothing sleeps. When nothing is left queued the campaign is sent.
"""

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from marketing import mail, segments, tracking
from marketing.campaign_events import publish_progress
from marketing.models import (
    Campaign,
    CampaignLink,
    Consent,
    Recipient,
    Suppression,
    normalize_email,
)
from marketing.services.tracking import note_on_timeline

State = Recipient.State
Skip = Recipient.Skip
LOOKUP_CHUNK = 2000
SKIP_FOR_SUPPRESSION = {
    Suppression.Reason.UNSUBSCRIBED: Skip.SUPPRESSED,
    Suppression.Reason.COMPLAINED: Skip.SUPPRESSED,
    Suppression.Reason.BOUNCED: Skip.BOUNCED,
}
MESSAGE_ID_DOMAIN = settings.CALENDAR_UID_DOMAIN
RETRY_AFTER_CONNECTION_ERROR = timedelta(minutes=1)


# --- Test sends ---------------------------------------------------------------------


@task
def send_test_email(campaign_id: int, user_id: int) -> bool:
    """Email the campaign (sample values, plain links) to a person, as "[Test] …"."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if campaign is None or user is None:
        return False
    rendered = mail.render_message(campaign=campaign)
    message = _email(rendered, to=user.email, subject=f"[Test] {rendered.subject}")
    message.send()
    return True


# --- Preparing ----------------------------------------------------------------------


@task
def prepare_campaign(campaign_id: int, due: str) -> int:
    """At the scheduled moment: the recipients, the links, then the first batch. Does
    nothing when the campaign was cancelled or moved meanwhile; returns the recipients."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if (
            campaign is None
            or campaign.status != Campaign.Status.SCHEDULED
            or campaign.scheduled_for != datetime.fromisoformat(due)
        ):
            return 0
        recipients = Recipient.objects.bulk_create(_recipients(campaign), batch_size=1000)
        CampaignLink.objects.bulk_create(
            CampaignLink(campaign=campaign, url=url, position=position)
            for position, url in enumerate(mail.campaign_links(campaign))
        )
        campaign.status = Campaign.Status.SENDING
        campaign.started_at = timezone.now()
        campaign.save(update_fields=["status", "started_at"])
        send_batch.enqueue(campaign.pk)
        publish_progress(campaign)
    return len(recipients)


def _recipients(campaign: Campaign) -> list[Recipient]:
    """One unsaved Recipient per distinct first address of the segment's contacts, queued,
    or skipped for want of consent or for a suppression."""
    addresses = {}
    contacts = segments.contacts_of(campaign.segment).order_by("pk")
    for contact_id, client_id, emails in contacts.values_list("pk", "client_id", "emails"):
        email = normalize_email(emails[0]) if emails else ""
        if email and email not in addresses:
            addresses[email] = (contact_id, client_id)
    consented = _existing(Consent, addresses)
    suppressed = dict(_existing(Suppression, addresses, "reason"))
    rows = []
    for email, (contact_id, client_id) in addresses.items():
        row = Recipient(campaign=campaign, contact_id=contact_id, client_id=client_id, email=email)
        skip = (
            SKIP_FOR_SUPPRESSION[suppressed[email]]
            if email in suppressed
            else (Skip.NO_CONSENT if email not in consented else "")
        )
        if skip:
            row.state, row.skip_reason = State.SKIPPED, skip
        rows.append(row)
    return rows


def _existing(model, emails, *also: str):
    """The rows of ``model`` (Consent, Suppression) among ``emails``: their email (and
    ``also`` fields), looked up in chunks."""
    emails = list(emails)
    found = set() if not also else []
    for start in range(0, len(emails), LOOKUP_CHUNK):
        chunk = model.objects.filter(email__in=emails[start : start + LOOKUP_CHUNK])
        if also:
            found.extend(chunk.values_list("email", *also))
        else:
            found.update(chunk.values_list("email", flat=True))
    return found


# --- Sending ------------------------------------------------------------------------


@dataclass
class Batch:
    campaign: Campaign
    started: datetime
    attempted: int = 0
    stop: bool = False  # the mail server went away: pause and try again later


@task
def send_batch(campaign_id: int) -> int:
    """Send up to a batch of the campaign's queued messages, then queue the next batch at
    the campaign's rate; returns how many messages were handed to the mail server."""
    campaign = (
        Campaign.objects.select_related("created_by")
        .prefetch_related("links")
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None or campaign.status != Campaign.Status.SENDING:
        return 0
    mark_unconfirmed(campaign)
    batch = Batch(campaign=campaign, started=timezone.now())
    size = min(settings.MARKETING_BATCH_SIZE, rate_of(campaign))
    connection = mailers.default
    try:
        connection.open()
    except (smtplib.SMTPException, OSError):
        batch.stop = True  # the mail server is away: nothing claimed, try again later
    else:
        try:
            for recipient_id in queued_ids(campaign, size):
                recipient = claim(campaign, recipient_id)
                if recipient is not None:
                    deliver(batch, recipient, connection)
                if batch.stop:
                    break
        except CampaignStopped:
            pass
        finally:
            connection.close()
    finish_batch(batch)
    return batch.attempted


def rate_of(campaign: Campaign) -> int:
    return campaign.send_rate or settings.MARKETING_SEND_RATE


def mark_unconfirmed(campaign: Campaign) -> int:
    """Rows a worker claimed and then died with (older than a lease): never sent again."""
    stale = timezone.now() - settings.JOBS_LEASE
    return Recipient.objects.filter(
        campaign=campaign, state=State.SENDING, claimed_at__lt=stale
    ).update(state=State.UNCONFIRMED, error="The sender stopped while handing it over.")


# The reason its address is suppressed, if it is, beside each recipient claimed.
_suppression_reason = Suppression.objects.filter(email=OuterRef("email")).values("reason")[:1]


class CampaignStopped(Exception):
    """The campaign was cancelled (or deleted) while a batch was sending it."""


def queued_ids(campaign: Campaign, size: int) -> list[int]:
    """The next ``size`` queued recipients, in order (one query per batch; each is claimed
    on its own, and one claimed meanwhile by another batch is passed over)."""
    queued = Recipient.objects.filter(campaign=campaign, state=State.QUEUED).order_by("pk")
    return list(queued.values_list("pk", flat=True)[:size])


def claim(campaign: Campaign, recipient_id: int) -> Recipient | None:
    """The recipient, now ``sending`` (committed), or None when another batch took it or
    it is skipped now: its contact was deleted, or its address suppressed since the
    campaign was prepared. Raises CampaignStopped once the campaign is no longer sending."""
    with transaction.atomic():
        status = (
            Campaign.objects.select_for_update()
            .filter(pk=campaign.pk)
            .values_list("status", flat=True)
            .first()
        )
        if status != Campaign.Status.SENDING:
            raise CampaignStopped
        recipient = (
            Recipient.objects.select_for_update(of=("self",))
            .select_related("contact", "client__owner")
            .annotate(suppressed_as=Subquery(_suppression_reason))
            .filter(pk=recipient_id, state=State.QUEUED)
            .first()
        )
        if recipient is None:
            return None
        skip = _skip_now(recipient)
        if skip:
            recipient.state, recipient.skip_reason = State.SKIPPED, skip
            recipient.save(update_fields=["state", "skip_reason"])
            return None
        recipient.state = State.SENDING
        recipient.claimed_at = timezone.now()
        recipient.message_id = make_msgid(domain=MESSAGE_ID_DOMAIN)
        recipient.save(update_fields=["state", "claimed_at", "message_id"])
    recipient.campaign = campaign  # its links, prefetched
    return recipient


def _skip_now(recipient: Recipient) -> str:
    if recipient.contact is None:
        return Skip.DELETED
    return SKIP_FOR_SUPPRESSION.get(recipient.suppressed_as, "")


def deliver(batch: Batch, recipient: Recipient, connection) -> None:
    """Hand one claimed message to the mail server and record what it answered."""
    message = campaign_email(recipient)
    batch.attempted += 1
    try:
        connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as refused:
        code, reason = next(iter(refused.recipients.values()))
        _refused(recipient, code, reason)
    except smtplib.SMTPSenderRefused as error:
        # Our own sender address refused: nothing went out; pause the campaign until fixed.
        _set(recipient, state=State.QUEUED, claimed_at=None, error=_smtp_error(error))
        batch.stop = True
    except smtplib.SMTPResponseException as error:  # e.g. the content refused: not a bounce
        _set(recipient, state=State.FAILED, error=_smtp_error(error))
    except (smtplib.SMTPException, OSError) as error:
        # The connection broke: whether the server took the message is unknown.
        _set(recipient, state=State.UNCONFIRMED, error=_text(error))
        batch.stop = True
    else:
        _sent(recipient, message.subject)


def campaign_email(recipient: Recipient) -> EmailMultiAlternatives:
    rendered = mail.render_message(campaign=recipient.campaign, recipient=recipient)
    unsubscribe = tracking.unsubscribe_url(recipient)
    headers = {
        "Message-ID": recipient.message_id,
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return _email(rendered, to=recipient.email, headers=headers)


def _email(rendered, *, to: str, subject: str | None = None, **options) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject or rendered.subject,
        body=rendered.text,
        from_email=settings.MARKETING_FROM_EMAIL,
        to=[to],
        **options,
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


def _text(error) -> str:
    return str(error)[: Recipient._meta.get_field("error").max_length]


def _set(recipient: Recipient, **values) -> None:
    Recipient.objects.filter(pk=recipient.pk).update(**values)


def _sent(recipient: Recipient, subject: str) -> None:
    """Mark it sent, and tell the client's timeline (live, in the same transaction)."""
    with transaction.atomic():
        _set(recipient, state=State.SENT, sent_at=timezone.now())
        note_on_timeline(
            recipient,
            "sent",
            f"Emailed “{subject}” to {recipient.email}",
            actor=recipient.campaign.created_by,
        )


def _smtp_error(error: smtplib.SMTPResponseException) -> str:
    return _reply(error.smtp_code, error.smtp_error)


def _reply(code: int, reason) -> str:
    if isinstance(reason, bytes):
        reason = reason.decode(errors="replace")
    return _text(f"{code} {reason}")


def _refused(recipient: Recipient, code: int, reason) -> None:
    """The server refused the address: a permanent refusal (5xx) bounces it for good."""
    error = _reply(code, reason)
    if code < 500:
        _set(recipient, state=State.FAILED, error=error)
        return
    with transaction.atomic():
        _set(recipient, state=State.FAILED, error=error, bounced_at=timezone.now())
        Suppression.objects.get_or_create(
            email=recipient.email,
            defaults={"reason": Suppression.Reason.BOUNCED, "campaign": recipient.campaign},
        )


def finish_batch(batch: Batch) -> None:
    """Queue the next batch at the campaign's pace, or mark the campaign sent; publish the
    figures either way."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=batch.campaign.pk).first()
        if campaign is None:
            return
        if campaign.status == Campaign.Status.SENDING:
            _next_or_done(campaign, batch)
        publish_progress(campaign)


def _next_or_done(campaign: Campaign, batch: Batch) -> None:
    recipients = Recipient.objects.filter(campaign=campaign)
    oldest_claim = recipients.filter(state=State.SENDING).order_by("claimed_at").first()
    if batch.stop:
        _queue_batch(campaign, timezone.now() + RETRY_AFTER_CONNECTION_ERROR)
    elif recipients.filter(state=State.QUEUED).exists():
        pace = timedelta(seconds=60 * batch.attempted / rate_of(campaign))
        _queue_batch(campaign, batch.started + pace)
    elif oldest_claim is not None:  # another worker's message in flight, or a dead one's
        _queue_batch(campaign, oldest_claim.claimed_at + settings.JOBS_LEASE)
    else:
        campaign.status = Campaign.Status.SENT
        campaign.finished_at = timezone.now()
        campaign.save(update_fields=["status", "finished_at"])


def _queue_batch(campaign: Campaign, when: datetime) -> None:
    """Queue the campaign's next batch, unless one is queued already (a batch rerun after
    its worker died may find its successor queued): one chain of batches per campaign."""
    waiting = DBTaskResult.objects.filter(
        task_path=send_batch.module_path,
        status=TaskResultStatus.READY,
        args_kwargs__args=[campaign.pk],
    )
    if not waiting.exists():
        send_batch.using(run_after=when).enqueue(campaign.pk)
