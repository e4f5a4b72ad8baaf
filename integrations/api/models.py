"""Personal access tokens for the REST API (docs/API.md).

Only the sha256 of a token's secret is stored; the secret is shown once, when
it is created. A token carries scopes (``<area>:read`` / ``<area>:write``) and
acts as its user, so everything the user may not do, the token may not either.
"""

from django.conf import settings
from django.db import models
from django.utils.timezone import now

# The areas a token may be scoped to; ``<area>:write`` includes ``<area>:read``.
AREAS = (
    "clients",
    "deals",
    "tickets",
    "tasks",
    "comments",
    "handoffs",
    "calendar",
    "chat",
    "people",
)
SCOPES = tuple(f"{area}:{access}" for area in AREAS for access in ("read", "write"))


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80)
    prefix = models.CharField(
        max_length=16, help_text="The first characters of the secret, to recognize a token."
    )
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, at=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (at or now())

    def allows(self, area: str, write: bool) -> bool:
        """Whether the token's scopes cover ``area`` (write includes read)."""
        wanted = {f"{area}:write"} if write else {f"{area}:read", f"{area}:write"}
        return bool(wanted & set(self.scopes))
