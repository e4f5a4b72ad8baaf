"""Every write of the API app: creating and revoking personal access tokens."""

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.services import hash_token
from integrations.api.models import SCOPES, ApiToken

# Recognizable in logs and by secret scanners, like GitHub's ``ghp_``.
TOKEN_PREFIX = "wsk_"  # noqa: S105  (a public prefix, not a secret)
MAX_ACTIVE_TOKENS = 50


def create_token(*, actor, name: str, scopes, expires_at=None) -> tuple[ApiToken, str]:
    """Create a token for the actor; return it and its secret, which is never shown again."""
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. what uses it."})
    scopes = sorted(set(scopes or ()))
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise ValidationError({"scopes": f"Unknown scopes: {', '.join(unknown)}."})
    if not scopes:
        raise ValidationError({"scopes": "Pick at least one scope."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "Pick an expiry in the future."})
    if not actor.is_active:
        raise PermissionDenied("Only active members of staff create tokens.")
    if active_tokens(actor).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(f"You have {MAX_ACTIVE_TOKENS} tokens; revoke one first.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=actor,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        secret_hash=hash_token(secret),
        scopes=scopes,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, secret


def revoke_token(*, actor, token: ApiToken) -> ApiToken:
    """Revoke one of the actor's own tokens; requests with it are refused from now on."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.user_id != actor.pk:
            raise PermissionDenied("You can only revoke your own tokens.")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def active_tokens(user):
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def token_for_secret(secret: str) -> ApiToken | None:
    return ApiToken.objects.select_related("user").filter(secret_hash=hash_token(secret)).first()
