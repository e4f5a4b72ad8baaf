"""One POST to a receiver: signed, with short timeouts, no redirects followed.

The connection goes to the address ``addresses.resolve`` checked, while TLS
still verifies the certificate for the URL's host name.
"""

import hashlib
import hmac
import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from integrations.webhooks import addresses

EXCERPT = 500
USER_AGENT = "Workspace-Webhooks/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=<hex HMAC-SHA256 of "{timestamp}.{body}">``: what receivers recompute."""
    signed = f"{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def body_of(delivery) -> bytes:
    document = {
        "id": str(delivery.uid),
        "kind": delivery.kind,
        "created_at": delivery.occurred_at,
        "data": delivery.payload,
    }
    return json.dumps(document, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


@dataclass
class Outcome:
    """What one attempt got: a status code (and how long it took), or an error."""

    code: int | None = None
    ms: int | None = None
    excerpt: str = ""
    error: str = ""
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300

    @property
    def retryable(self) -> bool:
        """Everything but a plain 4xx: the receiver said the request itself is wrong."""
        return not (self.code and 400 <= self.code < 500 and self.code not in (408, 429))


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ``address`` (already checked), verifying the certificate for ``host``."""

    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self.address = address

    def connect(self):
        sock = socket.create_connection(
            (self.address, self.port), settings.WEBHOOKS_CONNECT_TIMEOUT
        )
        sock.settimeout(settings.WEBHOOKS_READ_TIMEOUT)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.WEBHOOKS_CA_FILE:
        context.load_verify_locations(settings.WEBHOOKS_CA_FILE)
    return context


def post(delivery) -> Outcome:
    """Send ``delivery`` to its endpoint once."""
    endpoint = delivery.endpoint
    try:
        host, port, address = addresses.resolve(endpoint.url)
    except ValidationError as error:
        return Outcome(error=" ".join(error.message_dict["url"])[:300])
    body = body_of(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Workspace-Webhook-Id": str(delivery.uid),
        "Workspace-Webhook-Timestamp": str(timestamp),
        "Workspace-Webhook-Signature": signature(endpoint.secret, timestamp, body),
    }
    parts = urlsplit(endpoint.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _PinnedHTTPSConnection(host, port, address, context=_tls())
    started = time.monotonic()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT).decode("utf-8", "replace")
    except TimeoutError:
        return Outcome(error=f"No answer within {settings.WEBHOOKS_READ_TIMEOUT} s.")
    except (OSError, http.client.HTTPException) as error:
        return Outcome(error=f"{type(error).__name__}: {error}"[:300])
    finally:
        connection.close()
    return Outcome(
        code=response.status,
        ms=round((time.monotonic() - started) * 1000),
        excerpt=excerpt,
        retry_after=_seconds(response.getheader("Retry-After")),
    )


def _seconds(retry_after: str | None) -> float | None:
    """A ``Retry-After`` (seconds, or an HTTP date) in seconds from now."""
    if not retry_after:
        return None
    if retry_after.strip().isdigit():
        return float(retry_after.strip())
    try:
        when = parsedate_to_datetime(retry_after)
    except (TypeError, ValueError):
        return None
    return max((when - timezone.now()).total_seconds(), 0.0)
