"""What the tests of the inbound transports (SMTP receiver, IMAP poller) share: a client
whose contact writes in, mail from her as a mail client would send it, and the receiver
as the Procfile runs it (``manage.py receive_mail``, a process of its own)."""

import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage as Mail
from email.utils import make_msgid

from records import services
from tests.mailserver import free_port
from tests.servers import ROOT

INBOUND_DOMAIN = "in.workspace.localhost"
BCC = f"bcc@{INBOUND_DOMAIN}"
CONTACT = "ana@acme.example"


def acme_with_ana(actor):
    """A client "Acme" (acme.example) with a contact, Ana Ruiz, at ``CONTACT``."""
    client = services.create_client(actor=actor, name="Acme", domain="acme.example")
    services.create_contact(actor=actor, client=client, name="Ana Ruiz", emails=[CONTACT])
    return client


def mail(
    subject: str = "Re: Our offer",
    *,
    to: str = BCC,
    body: str = "Thanks, that works for us.\n\nAna",
    message_id: str = "",
    **headers: str,
) -> bytes:
    """A plain-text mail from Ana; ``headers`` by Python name (``In_Reply_To=...``)."""
    message = Mail()
    message["From"] = f"Ana Ruiz <{CONTACT}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="acme.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as on the wire


class ReceiverProcess:
    """A running ``manage.py receive_mail``; after ``stop()``, ``returncode`` and ``output``
    (its stdout; its log, on stderr, is in ``log``)."""

    def __init__(self, env: dict):
        self.port = free_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "receive_mail", "--bind", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.output = self.process.stdout.readline()  # printed once it listens, or "" (died)
        if "Receiving mail for @" not in self.output:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"receive_mail did not start: {self.stderr()}")

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def stop(self) -> None:
        """SIGTERM, as a process manager stops it; waits for it to finish."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        rest, _ = self.process.communicate(timeout=30)
        self.output += rest
        self.returncode = self.process.returncode
        self.log.close()


@contextmanager
def receive_mail(env: dict):
    """``manage.py receive_mail`` on a free port with the environment ``env`` (e.g. a
    tests/servers.py ServerDatabase's), stopped by SIGTERM after the block."""
    receiver = ReceiverProcess(env)
    try:
        yield receiver
    finally:
        receiver.stop()
