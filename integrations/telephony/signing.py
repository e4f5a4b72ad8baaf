"""The webhook's signature: ``X-Workspace-Signature: t=<unix time>,v1=<hex>``, where the hex
is HMAC-SHA256 of ``"<t>.<raw body>"`` keyed with ``TELEPHONY_WEBHOOK_SECRET``.

Binding the time into the signed text lets a captured request be refused once it is older
than ``TOLERANCE`` seconds; within that window a replay is harmless (events are idempotent).
Several ``v1=`` parts are accepted, so a secret can be rotated without downtime.
"""

import hashlib
import hmac
import time

HEADER = "X-Workspace-Signature"
TOLERANCE = 300


class SignatureError(Exception):
    """Why a request's signature is refused, in words for the phone system's admin."""


def signature(body: bytes, secret: str, timestamp: int) -> str:
    """The hex HMAC of ``"<timestamp>.<body>"``."""
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header_value(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The whole header for ``body`` (what a phone system sends; tests use it too)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(body, secret, timestamp)}"


def verify(header: str, body: bytes, secret: str, *, now: float | None = None) -> None:
    """Raise SignatureError unless ``header`` signs ``body`` with ``secret``, recently."""
    if not secret:
        raise SignatureError("Calls are not set up here: TELEPHONY_WEBHOOK_SECRET is empty.")
    timestamp, candidates = _parse(header)
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE:
        raise SignatureError(
            f"The signature's time is more than {TOLERANCE // 60} minutes from ours: "
            "check the phone system's clock, and sign each request when sending it."
        )
    expected = signature(body, secret, timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureError("The signature does not match the body and the shared secret.")


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp, candidates = None, []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value.lower())
    if timestamp is None or not candidates:
        raise SignatureError(f"The {HEADER} header is missing or not like t=<unix time>,v1=<hex>.")
    return timestamp, candidates
