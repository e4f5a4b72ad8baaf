"""Calls reported by a phone system's signed webhook (docs/TELEPHONY.md).

One row per call (provider + its call id): ringing → answered → ended, or
ringing → missed. Numbers are E.164 where they parse (records' phone rules).
"""

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from records.models import Client, Contact, Task

User = settings.AUTH_USER_MODEL


class Call(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "inbound", "Incoming"
        OUTBOUND = "outbound", "Outgoing"

    class State(models.TextChoices):
        RINGING = "ringing", "Ringing"
        ANSWERED = "answered", "Answered"
        ENDED = "ended", "Ended"
        MISSED = "missed", "Missed"

    provider = models.CharField(max_length=40)
    external_id = models.CharField(max_length=200)
    direction = models.CharField(max_length=10, choices=Direction, default=Direction.INBOUND)
    state = models.CharField(max_length=10, choices=State, default=State.RINGING)
    from_number = models.CharField(max_length=40, blank=True)
    to_number = models.CharField(max_length=40, blank=True)
    agent = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    client = models.ForeignKey(
        Client, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    started_at = models.DateTimeField(default=now)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    recording_url = models.URLField(max_length=500, blank=True)
    callback_task = models.ForeignKey(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "external_id"], name="call_provider_id"),
        ]
        indexes = [
            models.Index(fields=["agent", "-started_at"], name="call_agent_started"),
            models.Index(fields=["client", "-started_at"], name="call_client_started"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} call {self.from_number} → {self.to_number}"

    @property
    def caller_number(self) -> str:
        """The outside party's number."""
        return self.from_number if self.direction == self.Direction.INBOUND else self.to_number
