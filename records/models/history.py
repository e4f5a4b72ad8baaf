"""What happened to a client: its timeline, and the field-level audit of every record."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.timezone import now

from records.models.clients import Client
from records.models.comments import Comment
from records.models.deals import Deal
from records.models.tickets import Ticket
from records.models.values import COMMENT_MAX_LENGTH

User = settings.AUTH_USER_MODEL


class TimelineEntry(models.Model):
    """One item of a client's 360° timeline. Never deleted (history)."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        FIELD = "field", "Field change"
        COMMENT = "comment", "Comment"
        CALL = "call", "Call"
        MEETING = "meeting", "Meeting"
        EMAIL = "email", "Email"
        NOTE = "note", "Note"
        CONTACT = "contact", "Contact"
        DEAL = "deal", "Deal"
        TICKET = "ticket", "Ticket"
        MERGE = "merge", "Merge"
        TASK = "task", "Task"
        HANDOFF = "handoff", "Handoff"
        CHAT = "chat", "Chat highlight"
        CAMPAIGN = "campaign", "Email campaign"
        WEB_FORM = "web_form", "Web form"

    ACTIVITIES = (Kind.CALL, Kind.MEETING, Kind.EMAIL, Kind.NOTE)

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=12, choices=Kind)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    via = models.CharField(
        max_length=120, blank=True, help_text="Who made it besides the actor: “Automation: <rule>”."
    )
    summary = models.CharField(max_length=300)
    body = models.TextField(max_length=COMMENT_MAX_LENGTH, blank=True)
    body_html = models.TextField(blank=True, editable=False)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    deal = models.ForeignKey(
        Deal, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    task = models.ForeignKey(
        "Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handoff = models.ForeignKey(
        "Handoff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    private_to = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Set: only this person and admins see the entry (a private email thread).",
    )
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "timeline entries"
        indexes = [
            models.Index(fields=["client", "-created_at"], name="timeline_client_new"),
            models.Index(fields=["client", "kind", "-created_at"], name="timeline_client_kind"),
            # Clients with (or without) recent activity: marketing's "last activity" segments.
            # PostgreSQL reads the recent entries once from it and hashes their clients,
            # rather than probing the entries of each client in turn.
            models.Index(
                fields=["client", "created_at"],
                condition=models.Q(kind__in=["call", "meeting", "email", "note"]),  # ACTIVITIES
                name="timeline_client_activity",
            ),
        ]

    def __str__(self) -> str:
        return self.summary


class FieldChange(models.Model):
    """One field's change on one record: who, when, old → new. Never deleted."""

    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    via = models.CharField(
        max_length=120, blank=True, help_text="Who made it besides the actor: “Automation: <rule>”."
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=80)
    old = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    new = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    old_display = models.CharField(max_length=300, blank=True)
    new_display = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "field", "-created_at"],
                name="fieldchange_record_field",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_display} → {self.new_display}"
