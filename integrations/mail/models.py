"""Email on the client: threads sent from and received into Workspace (docs/EMAIL.md).

A thread is one conversation with a client (or, while nobody has matched it,
with nobody: the triage list). Its messages go out through a background job
(status sending → sent or failed) or come in over SMTP or IMAP (received); each
is on the client's timeline. A thread marked private is seen by the person who
marked it and admins only.
"""

import os
import secrets

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from accounts.models import Department
from records.models import Client, Contact, Deal, Ticket, TimelineEntry
from records.models.tickets import Priority

User = settings.AUTH_USER_MODEL

MESSAGE_ID_MAX_LENGTH = 500
SUBJECT_MAX_LENGTH = 300
ADDRESS_MAX_LENGTH = 320


def new_reply_token() -> str:
    """The secret part of a thread's reply address (reply+<token>@…): not guessable."""
    return secrets.token_hex(10)


class InboundAddress(models.Model):
    """An address mail reaches Workspace at (besides bcc@ and the reply addresses), and what
    a new mail to it does: land in triage, or open a ticket (support@…)."""

    address = models.EmailField(unique=True)
    opens_tickets = models.BooleanField(
        default=False, help_text="A new mail from a known client opens a ticket."
    )
    ticket_priority = models.CharField(max_length=10, choices=Priority, default=Priority.NORMAL)
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Whose triage list unmatched mail to this address lands in.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "inbound addresses"

    def __str__(self) -> str:
        return self.address

    def clean_fields(self, exclude=None):
        self.address = (self.address or "").strip().lower()
        super().clean_fields(exclude)


class EmailThread(models.Model):
    """One conversation: messages linked by Message-ID, In-Reply-To and References."""

    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="email_threads",
        help_text="Empty while the thread waits in triage.",
    )
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH, blank=True)
    deal = models.ForeignKey(
        Deal, on_delete=models.SET_NULL, null=True, blank=True, related_name="email_threads"
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="email_threads"
    )
    inbound_address = models.ForeignKey(
        InboundAddress, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    private_to = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Set: only this person and admins see the thread.",
    )
    reply_token = models.CharField(max_length=32, unique=True, default=new_reply_token)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now, editable=False)
    last_message_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(fields=["client", "-last_message_at"], name="mailthread_client_last"),
        ]

    def __str__(self) -> str:
        return self.subject or "(no subject)"

    @property
    def is_private(self) -> bool:
        return self.private_to_id is not None


class EmailMessage(models.Model):
    """One mail of a thread, sent or received. ``message_id`` is unique: a mail delivered
    twice (or our own mail BCC'd back) is stored once."""

    class Direction(models.TextChoices):
        OUT = "out", "Sent"
        IN = "in", "Received"

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        RECEIVED = "received", "Received"

    class Triage(models.TextChoices):
        NONE = "", "Matched"
        WAITING = "waiting", "Waiting in triage"
        DISMISSED = "dismissed", "Dismissed"

    class Source(models.TextChoices):
        APP = "app", "Sent from Workspace"
        SMTP = "smtp", "SMTP receiver"
        IMAP = "imap", "IMAP mailbox"

    thread = models.ForeignKey(EmailThread, on_delete=models.CASCADE, related_name="messages")
    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The thread's client, kept here for the timeline and search.",
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="email_messages",
        help_text="Received: the sender; sent: the first recipient.",
    )
    direction = models.CharField(max_length=3, choices=Direction)
    status = models.CharField(max_length=10, choices=Status)
    source = models.CharField(max_length=4, choices=Source, default=Source.APP)
    triage = models.CharField(max_length=10, choices=Triage, default=Triage.NONE, blank=True)
    message_id = models.CharField(max_length=MESSAGE_ID_MAX_LENGTH, unique=True)
    in_reply_to = models.CharField(max_length=MESSAGE_ID_MAX_LENGTH, blank=True)
    references = models.TextField(blank=True, help_text="Message-IDs, oldest first, spaced.")
    from_address = models.CharField(max_length=ADDRESS_MAX_LENGTH)
    from_name = models.CharField(max_length=200, blank=True)
    to = models.JSONField(default=list, blank=True)
    cc = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH, blank=True)
    body_text = models.TextField(blank=True, help_text="Sent: the Markdown typed. Received: text.")
    body_html = models.TextField(blank=True, editable=False, help_text="Sanitized, safe to show.")
    quoted_html = models.TextField(
        blank=True, editable=False, help_text="The quoted history, folded in the view."
    )
    has_remote_images = models.BooleanField(default=False, editable=False)
    is_automatic = models.BooleanField(
        default=False, help_text="An auto-reply or bounce: never answered, never a ticket."
    )
    sender = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Sent: the person who sent it.",
    )
    failure_reason = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(max_length=300, blank=True, help_text="e.g. attachments dropped.")
    timeline_entry = models.OneToOneField(
        TimelineEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    size = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["thread", "created_at"], name="mailmessage_thread"),
            models.Index(fields=["client", "-created_at"], name="mailmessage_client"),
            models.Index(
                fields=["-created_at"],
                condition=Q(triage="waiting"),
                name="mailmessage_triage",
            ),
            models.Index(
                fields=["status", "created_at"],
                condition=Q(status="sending"),
                name="mailmessage_sending",
            ),
        ]

    def __str__(self) -> str:
        return self.subject or "(no subject)"


def attachment_path(attachment, filename: str) -> str:
    return f"mail/{now():%Y/%m}/{secrets.token_hex(8)}/{filename}"


class AttachmentStorage(FileSystemStorage):
    """Files under ``MAIL_ATTACHMENTS_ROOT``, outside ``MEDIA_ROOT``: the media route (or a
    CDN) serves anyone with a link, while a client's contract or a private thread's file
    is handed out only by the policy-checked views (integrations/mail/views/attachments.py).
    Read from the settings at each use, so a test can point it elsewhere."""

    @property
    def base_location(self):
        return settings.MAIL_ATTACHMENTS_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None


def attachment_storage() -> AttachmentStorage:
    return AttachmentStorage()


class EmailAttachment(models.Model):
    """A file sent or received with a message, kept in the attachments' own storage."""

    message = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, storage=attachment_storage, max_length=300)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    content_id = models.CharField(
        max_length=200, blank=True, help_text="Inline images: the cid: the HTML refers to."
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.filename


class Snippet(models.Model):
    """A saved text with merge fields ({{ contact.first_name }}…), a person's own or shared."""

    name = models.CharField(max_length=80)
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH, blank=True)
    body = models.TextField(max_length=10_000)
    owner = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mail_snippets",
        help_text="Empty: shared with everyone.",
    )
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name
