"""The SMTP receiver: mail for the inbound domain, handed to ``services.incoming.receive``.

``manage.py receive_mail`` (Procfile "mail") runs it. It is a final destination,
never a relay: RCPT TO is accepted only for the inbound domain's addresses
(``bcc@``, ``reply+<token>@`` and active InboundAddress rows) and refused with
550 otherwise. A message over ``MAIL_REFUSE_BYTES`` is refused with 552 before
it is stored anywhere. After DATA the reply tells the sender what happened:

- 250 once the message is stored, or was already (duplicate delivery), or is a
  loop (an auto-reply or bounce: stored, never answered);
- 554 with the reason when ``receive`` refused it: the sender's server bounces it
  back to the person with that reason;
- 451 when ``receive`` failed (the database gone for a moment): a temporary error,
  so the sending server retries later and nothing is lost. Receiving is idempotent by
  Message-ID, so a retry after a failure that happened after the commit stores nothing
  twice.

``receive`` uses the ORM, which is synchronous: each call runs in a worker thread
(``database_sync_to_async``, which also closes connections the database dropped),
while the event loop keeps serving other connections.
"""

import asyncio
import logging
import re

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from channels.db import database_sync_to_async
from django.conf import settings

from integrations.mail.models import InboundAddress

logger = logging.getLogger(__name__)

REPLY_LOCAL_PART = re.compile(r"^reply\+[0-9a-z]{1,32}$")
MAX_REASON_LENGTH = 400
SHUTTING_DOWN = "421 4.3.2 Workspace mail receiver is restarting, try again later"


def is_inbound_address(address: str) -> bool:
    """Whether mail to ``address`` is Workspace's to take (not a relay to elsewhere)."""
    local, _, domain = address.strip().lower().rpartition("@")
    if not local:
        return False
    ours = domain == settings.MAIL_INBOUND_DOMAIN.lower()
    if ours and (local == settings.MAIL_BCC_LOCAL_PART.lower() or REPLY_LOCAL_PART.match(local)):
        return True
    return InboundAddress.objects.filter(address=f"{local}@{domain}", active=True).exists()


def smtp_text(reason: str) -> str:
    """``reason`` as one line of printable ASCII, short enough for an SMTP reply."""
    flat = " ".join(reason.split()).encode("ascii", "replace").decode()
    return flat[:MAX_REASON_LENGTH] or "Message refused"


def reply_for(received) -> str:
    """The SMTP reply to DATA for what ``receive`` did with the message."""
    if received.outcome == "refused":
        return f"554 5.6.0 {smtp_text(received.reason)}"
    return "250 2.0.0 Message accepted"


class Handler:
    """aiosmtpd's handler: checks recipients, hands each message to ``receive``.

    ``receive`` is looked up at call time (tests and benchmarks may wrap it).
    """

    def __init__(self):
        self.closing = False
        self.in_flight = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.closing:
            return SHUTTING_DOWN
        if not await database_sync_to_async(is_inbound_address)(address):
            return "550 5.1.1 No such mailbox here (this server only receives for Workspace)"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.closing:
            return SHUTTING_DOWN
        self.in_flight += 1
        try:
            received = await database_sync_to_async(deliver, thread_sensitive=False)(
                envelope.original_content or envelope.content, list(envelope.rcpt_tos)
            )
        except Exception:
            logger.exception("Receiving a message from %s failed", envelope.mail_from)
            return "451 4.3.0 Temporary failure storing the message, please retry later"
        finally:
            self.in_flight -= 1
        logger.info(
            "Message from %s to %s: %s %s",
            envelope.mail_from,
            ", ".join(envelope.rcpt_tos),
            received.outcome,
            received.reason,
        )
        return reply_for(received)


def deliver(raw: bytes, recipients: list[str]):
    from integrations.mail.services import incoming

    return incoming.receive(raw, recipients=recipients, source="smtp")


class Receiver(Controller):
    """The receiver on ``host``:``port``, served from a thread of its own (aiosmtpd's
    Controller). ``start()`` returns once it accepts connections; ``shutdown()`` stops it
    gracefully."""

    def __init__(self, host: str, port: int):
        self.inbound = Handler()
        super().__init__(self.inbound, hostname=host, port=port)

    def factory(self):
        return SMTP(
            self.handler,
            data_size_limit=settings.MAIL_REFUSE_BYTES,
            enable_SMTPUTF8=True,
            hostname=settings.MAIL_INBOUND_DOMAIN,
            ident="Workspace mail receiver",
        )

    def shutdown(self, grace_seconds: float = 30) -> None:
        """Stop: new messages get a temporary 421 (their senders retry), messages being
        stored are finished (up to ``grace_seconds``), then the server stops."""
        self.inbound.closing = True

        async def drained():
            waited = 0.0
            while self.inbound.in_flight and waited < grace_seconds:
                await asyncio.sleep(0.05)
                waited += 0.05

        asyncio.run_coroutine_threadsafe(drained(), self.loop).result()
        self.stop()


def parse_bind(bind: str) -> tuple[str, int]:
    """``"host:port"`` (or ``"[::1]:port"``) as (host, port); ValueError if not."""
    host, separator, port = bind.strip().rpartition(":")
    if not separator or not port.isdigit() or not host:
        raise ValueError(f"{bind!r} is not host:port (e.g. 0.0.0.0:25).")
    return host.strip("[]"), int(port)
