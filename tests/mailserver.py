"""A real SMTP server for tests (aiosmtpd, on loopback), and Django pointed at it.

with smtp_server() as inbox:      # Django's default mailer now talks SMTP to it
    ...send...
    [message] = inbox.wait_for(1)  # email.message.EmailMessage objects

with smtp_server(reject={"gone@example.com"}) as inbox:  # refuses those addresses (550)
    ...
"""

import socket
import time
from contextlib import contextmanager
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from django.test import override_settings


class Inbox:
    """aiosmtpd's handler: keeps every message it is given, parsed; refuses the addresses
    of ``reject`` at RCPT TO with a permanent error, as a server refusing a mailbox does."""

    def __init__(self, reject=()):
        self.messages = []
        self.reject = {address.lower() for address in reject}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 5.0) -> list:
        """The messages, once there are ``count`` (fails after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) == count, f"{len(self.messages)} messages, not {count}"
        return list(self.messages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(reject=()):
    inbox = Inbox(reject)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailer = {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 5},
    }
    try:
        with override_settings(MAILERS={"default": mailer}):
            yield inbox
    finally:
        controller.stop()
