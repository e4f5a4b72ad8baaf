"""Webhook endpoints, the deliveries owed to them, and every attempt made."""

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.timezone import now

from integrations.webhooks import catalog


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def validate_kinds(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one event kind.")
    unknown = [kind for kind in value if kind not in catalog.BY_NAME]
    if unknown:
        raise ValidationError(f"Unknown event kinds: {', '.join(map(str, unknown))}.")


class Endpoint(models.Model):
    """An HTTPS address that receives the chosen event kinds, signed with ``secret``.

    The secret signs (HMAC), so it is stored as is, not hashed: admins see it on the
    endpoint's page and rotate it there.
    """

    url = models.URLField(max_length=500, verbose_name="URL")
    description = models.CharField(max_length=200, blank=True)
    kinds = models.JSONField(default=list, validators=[validate_kinds])
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["url", "pk"]

    def __str__(self) -> str:
        return self.url

    def clean(self):
        super().clean()
        if self.url and not self.url.lower().startswith("https://"):
            raise ValidationError({"url": "Webhooks are sent over HTTPS only: use https://…"})

    def kind_labels(self) -> list[str]:
        return [catalog.BY_NAME[kind].label for kind in self.kinds if kind in catalog.BY_NAME]


class Delivery(models.Model):
    """One event owed to one endpoint. ``uid`` is the id receivers see (the same on every
    retry and on a redelivery, so they can ignore repeats)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed, will retry"
        GAVE_UP = "gave_up", "Gave up"

    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.BigIntegerField(
        null=True, blank=True, help_text="The live event log's row (none for a test event)."
    )
    kind = models.CharField(max_length=60)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    occurred_at = models.DateTimeField(default=now, help_text="When the event happened.")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    redelivery_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log")]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.kind} → {self.endpoint_id} ({self.status})"


class Attempt(models.Model):
    """One POST of a delivery: what came back, or what went wrong."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"
