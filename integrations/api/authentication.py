"""``Authorization: Bearer <token>``: a personal access token acting as its user."""

from datetime import timedelta

from django.utils import timezone
from django.utils.formats import date_format
from rest_framework import authentication, exceptions

from integrations.api.models import ApiToken
from integrations.api.services import TOKEN_PREFIX, token_for_secret

# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Authenticate a request by its bearer token; 401 with the reason when it cannot."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, secret = header.partition(" ")
        if keyword.lower() != self.keyword.lower():
            return None  # another scheme: not ours to judge
        secret = secret.strip()
        if not secret or " " in secret or not secret.startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed(
                f"Malformed token: send “Authorization: Bearer {TOKEN_PREFIX}…”."
            )
        token = token_for_secret(secret)
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown token.")
        self._check_usable(token)
        self._note_use(token)
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'

    @staticmethod
    def _check_usable(token: ApiToken) -> None:
        if token.is_revoked:
            raise exceptions.AuthenticationFailed("This token was revoked.")
        if token.is_expired():
            when = date_format(timezone.localtime(token.expires_at), "DATETIME_FORMAT")
            raise exceptions.AuthenticationFailed(f"This token expired on {when}.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This token's user is deactivated.")

    @staticmethod
    def _note_use(token: ApiToken) -> None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
