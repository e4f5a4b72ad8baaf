"""The signed tokens of a campaign's email: unsubscribe, open pixel, link click.

Each token is ``<base62 ids>:<signature>`` (django.core.signing, a salt per
purpose, so an open token is no unsubscribe token). A click token names the
recipient and a ``CampaignLink`` id, never a URL: the redirect can only go to a
link of that recipient's own campaign. Tokens do not expire — an unsubscribe
link must keep working in an old email.
"""

import string

from django.conf import settings
from django.core import signing
from django.urls import reverse

ALPHABET = string.digits + string.ascii_letters
UNSUBSCRIBE = signing.Signer(salt="marketing.campaign.unsubscribe")
OPEN = signing.Signer(salt="marketing.campaign.open")
CLICK = signing.Signer(salt="marketing.campaign.click")


def base62(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 62)
        digits = ALPHABET[digit] + digits
        if not number:
            return digits


def from_base62(text: str) -> int:
    """The number ``text`` spells; ValueError when it is not base62."""
    if not text or len(text) > 12 or any(char not in ALPHABET for char in text):
        raise ValueError(f"{text!r} is not a base62 id")
    number = 0
    for char in text:
        number = number * 62 + ALPHABET.index(char)
    return number


def _token(signer: signing.Signer, *ids: int) -> str:
    return signer.sign(".".join(base62(pk) for pk in ids))


def read_token(signer: signing.Signer, token: str, count: int) -> tuple[int, ...] | None:
    """The ``count`` ids a token of ``signer`` names; None when forged, tampered or malformed."""
    try:
        ids = tuple(from_base62(part) for part in signer.unsign(token).split("."))
    except (signing.BadSignature, ValueError):
        return None
    return ids if len(ids) == count else None


def _absolute(name: str, token: str) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=[token])}"


def unsubscribe_url(recipient) -> str:
    return _absolute("marketing:campaign_unsubscribe", _token(UNSUBSCRIBE, recipient.pk))


def open_url(recipient) -> str:
    return _absolute("marketing:campaign_open", _token(OPEN, recipient.pk))


def click_url(recipient, link_id: int) -> str:
    return _absolute("marketing:campaign_click", _token(CLICK, recipient.pk, link_id))
