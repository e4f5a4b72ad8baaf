"""The IMAP poller: mail waiting in a mailbox, handed to ``services.incoming.receive``.

The second way mail reaches Workspace (the first is the SMTP receiver): where
the inbound addresses are a hosted mailbox (or forward to one), set
``MAIL_IMAP_URL`` and start the recurring job once (``manage.py poll_mail
--every``; the Procfile's release line does). Each run logs in, takes the
mailbox's UNSEEN messages in batches (read with BODY.PEEK, so fetching marks
nothing), gives each to ``receive(..., source="imap")`` and then flags it
\\Seen. A message whose processing fails is logged and left unseen, so the next
run tries it again; it does not stop the others. Receiving is idempotent by
Message-ID, so a message seen twice (two runs at once, or a run that died
between storing and flagging) is stored once.

The mailbox should be Workspace's own: a person reading it in a mail client
marks messages \\Seen, and the poller then skips them.
"""

import imaplib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.tasks import task

from workspace.jobs.recurring import schedule_next

logger = logging.getLogger(__name__)

BATCH_SIZE = 50
BATCH_BYTES = 30_000_000
TIMEOUT_SECONDS = 30
DEFAULT_PORTS = {"imap": 143, "imaps": 993}
FETCHED_UID = re.compile(rb"\bUID (\d+)")
FETCHED_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class Mailbox:
    """Where to poll: parsed from ``MAIL_IMAP_URL``."""

    host: str
    port: int
    user: str
    password: str
    folder: str
    tls: bool

    @contextmanager
    def session(self) -> Iterator[imaplib.IMAP4]:
        """A logged-in connection with ``folder`` selected (read-write), logged out after
        (or just dropped, when the block raised)."""
        kind = imaplib.IMAP4_SSL if self.tls else imaplib.IMAP4
        connection = kind(self.host, self.port, timeout=TIMEOUT_SECONDS)
        try:
            connection.login(self.user, self.password)
            status, answer = connection.select(quote(self.folder))
            if status != "OK":
                raise imaplib.IMAP4.error(f"cannot open {self.folder!r}: {answer!r}")
            yield connection
        except BaseException:
            connection.shutdown()
            raise
        connection.close()
        connection.logout()


def quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailbox_from_url(url: str) -> Mailbox:
    """``imap://user:password@host:143/INBOX`` or ``imaps://…:993/Folder`` as a Mailbox.

    The user and password may be percent-encoded (``%40`` for an @); the folder
    defaults to INBOX. Raises ImproperlyConfigured with what is wrong.
    """
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise ImproperlyConfigured(
            f"MAIL_IMAP_URL scheme {parts.scheme!r} is unknown; use imap:// or imaps:// "
            "(e.g. imaps://user:password@imap.example.com:993/INBOX)."
        )
    if not parts.hostname or not parts.username or parts.password is None:
        raise ImproperlyConfigured(
            "MAIL_IMAP_URL needs a user, a password and a host: "
            "imaps://user:password@imap.example.com:993/INBOX."
        )
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ImproperlyConfigured("MAIL_IMAP_URL has a port that is not a number.") from None
    return Mailbox(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        password=unquote(parts.password),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        tls=parts.scheme == "imaps",
    )


@dataclass
class Poll:
    """What one poll did: how many messages had each outcome of ``receive``."""

    outcomes: dict[str, int] = field(default_factory=dict)
    failed: int = 0

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def __str__(self) -> str:
        done = ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.outcomes.items()))
        failed = f"; {self.failed} failed, left unseen for the next poll" if self.failed else ""
        return f"{done or 'no new mail'}{failed}"


def poll(mailbox: Mailbox, batch_size: int = BATCH_SIZE) -> Poll:
    """Receive every unseen message of ``mailbox``, at most ``batch_size`` (and about
    ``BATCH_BYTES``) fetched at a time. A message over ``MAIL_REFUSE_BYTES`` is not
    fetched at all: it is logged as refused and flagged \\Seen, as the SMTP receiver
    would have refused it."""
    result = Poll()
    with mailbox.session() as connection:
        sizes = unseen_sizes(connection)
        too_big = [uid for uid, size in sizes.items() if size > settings.MAIL_REFUSE_BYTES]
        for uid in too_big:
            logger.warning("IMAP message UID %s refused: %s bytes", uid.decode(), sizes[uid])
            result.count("refused")
            del sizes[uid]
        mark_seen(connection, too_big)
        for batch in batches(sizes, batch_size, BATCH_BYTES):
            done = [uid for uid, raw in fetch(connection, batch) if receive_one(uid, raw, result)]
            mark_seen(connection, done)
    return result


def unseen_sizes(connection: imaplib.IMAP4) -> dict[bytes, int]:
    """The size in bytes of each unseen message, by UID, oldest first."""
    status, answer = connection.uid("SEARCH", None, "UNSEEN")
    if status != "OK":
        raise imaplib.IMAP4.error(f"SEARCH UNSEEN failed: {answer!r}")
    uids = answer[0].split() if answer and answer[0] else []
    if not uids:
        return {}
    status, answer = connection.uid("FETCH", b",".join(uids), "(UID RFC822.SIZE)")
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH RFC822.SIZE failed: {answer!r}")
    sizes = {}
    for line in answer:
        if isinstance(line, bytes) and (uid := FETCHED_UID.search(line)):
            sizes[uid.group(1)] = int(FETCHED_SIZE.search(line).group(1))
    return dict(sorted(sizes.items(), key=lambda item: int(item[0])))


def batches(sizes: dict[bytes, int], most: int, budget: int) -> Iterator[list[bytes]]:
    """The UIDs of ``sizes`` in order, in lists of at most ``most`` whose sizes add up
    to at most ``budget`` (a bigger message alone)."""
    batch, total = [], 0
    for uid, size in sizes.items():
        if batch and (len(batch) == most or total + size > budget):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def mark_seen(connection: imaplib.IMAP4, uids: list[bytes]) -> None:
    if uids:
        connection.uid("STORE", b",".join(uids), "+FLAGS.SILENT", r"(\Seen)")


def fetch(connection: imaplib.IMAP4, uids: list[bytes]) -> list[tuple[bytes, bytes]]:
    """``(uid, raw message)`` of each of ``uids`` still there, without setting \\Seen."""
    status, answer = connection.uid("FETCH", b",".join(uids), "(UID BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH failed: {answer!r}")
    messages = []
    for item in answer:
        if isinstance(item, tuple) and (uid := FETCHED_UID.search(item[0])):
            messages.append((uid.group(1), item[1]))
    return messages


def receive_one(uid: bytes, raw: bytes, result: Poll) -> bool:
    """Give one message to ``receive``; whether it is done with (to flag \\Seen)."""
    from integrations.mail.services import incoming

    try:
        received = incoming.receive(raw, source="imap")
    except Exception:
        logger.exception("Receiving IMAP message UID %s failed; left unseen", uid.decode())
        result.failed += 1
        return False
    if received.outcome == "refused":
        logger.warning("IMAP message UID %s refused: %s", uid.decode(), received.reason)
    result.count(received.outcome)
    return True


def configured_mailbox() -> Mailbox | None:
    """The mailbox of ``MAIL_IMAP_URL``, or None when it is not set."""
    url = settings.MAIL_IMAP_URL
    return mailbox_from_url(url) if url else None


@task
def poll_mailbox(every_seconds: int | None = None) -> str:
    """Receive the IMAP mailbox's new mail; with ``every_seconds``, schedule the next
    poll first (a recurring job: workspace/jobs/recurring.py). Not configured
    (``MAIL_IMAP_URL`` empty): nothing to do, and the cycle ends."""
    mailbox = configured_mailbox()
    if mailbox is None:
        return "MAIL_IMAP_URL is not set; nothing polled."
    schedule_next(poll_mailbox, every_seconds)
    summary = str(poll(mailbox))
    logger.info("IMAP poll of %s@%s: %s", mailbox.user, mailbox.host, summary)
    return summary
