"""Real mail servers for tests: SMTP (aiosmtpd, on loopback, Django pointed at it) and IMAP.

with smtp_server() as inbox:      # Django's default mailer now talks SMTP to it
    ...send...
    [message] = inbox.wait_for(1)  # email.message.EmailMessage objects

with smtp_server(reject={"gone@example.com"}) as inbox:  # refuses those addresses (550)
    ...

with smtp_server(defer={"busy@example.com"}) as inbox:  # "try again later" for those (451)
    ...

with imap_server() as mailbox:    # a real IMAP server (pymap) with one user and an INBOX
    mailbox.append(raw_bytes, ...)
    settings.MAIL_IMAP_URL = mailbox.url
    mailbox.flags()                # {uid: {"\\Seen", ...}, ...}
"""

import imaplib
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from django.test import override_settings


class Inbox:
    """aiosmtpd's handler: keeps every message it is given, parsed; refuses the addresses
    of ``reject`` at RCPT TO with a permanent error, as a server refusing a mailbox does,
    and those of ``defer`` with a temporary one (a full or greylisting mailbox)."""

    def __init__(self, reject=(), defer=()):
        self.messages = []
        self.reject = {address.lower() for address in reject}
        self.defer = {address.lower() for address in defer}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 No such mailbox here"
        if address.lower() in self.defer:
            return "451 4.2.0 Mailbox busy, try again later"
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
def smtp_server(reject=(), defer=()):
    inbox = Inbox(reject, defer)
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


class ImapMailbox:
    """A real IMAP server's mailbox (pymap's in-memory backend, in a process of its own),
    and an IMAP client's view of it: ``append`` mail, read its ``flags``."""

    user = "workspace"
    password = "imap-secret"

    def __init__(self, port: int, folder: str = "INBOX"):
        self.port = port
        self.folder = folder

    @property
    def url(self) -> str:
        """What MAIL_IMAP_URL would say for it."""
        return f"imap://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.folder}"

    @contextmanager
    def client(self):
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            connection.login(self.user, self.password)
            yield connection
        finally:
            connection.logout()

    def append(self, *messages: bytes, seen: bool = False) -> None:
        with self.client() as connection:
            for raw in messages:
                status, answer = connection.append(
                    self.folder, r"(\Seen)" if seen else None, None, raw
                )
                assert status == "OK", answer

    def flags(self) -> dict[int, set[str]]:
        """Each message's flags, by UID."""
        with self.client() as connection:
            connection.select(self.folder, readonly=True)
            status, answer = connection.uid("FETCH", "1:*", "(UID FLAGS)")
        assert status == "OK", answer
        found = {}
        for line in filter(None, answer):
            match = re.search(rb"UID (\d+) FLAGS \(([^)]*)\)|FLAGS \(([^)]*)\) UID (\d+)", line)
            if match:
                uid = int(match.group(1) or match.group(4))
                names = (match.group(2) or match.group(3) or b"").decode().split()
                found[uid] = set(names)
        return found

    def unseen(self) -> int:
        return sum(r"\Seen" not in names for names in self.flags().values())


@contextmanager
def imap_server():
    """A pymap IMAP server (in-memory, no TLS) on a free port with one user and an empty
    INBOX; stopped (its mail gone) afterwards."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).with_name("pymap")),
            *("--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict"),
            *("--demo-user", ImapMailbox.user, "--demo-password", ImapMailbox.password),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, "pymap exited"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    if probe.recv(64).startswith(b"* OK"):
                        break
            except OSError:
                assert time.monotonic() < deadline, "pymap did not start"
                time.sleep(0.1)
        yield ImapMailbox(port)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
