#!/usr/bin/env python
"""Incoming mail benchmark: how fast mail is received, one message and a backlog.

(a) ``receive()`` (integrations/mail/services/incoming.py) on ``--messages``
    varied messages (default 500): replies threaded by In-Reply-To, new mail from
    contacts, HTML with scripts and tracking pixels, attachments, unknown senders
    (triage), auto-replies, 8-bit headers, long quoted histories, forwards and
    duplicate deliveries. Prints the median and p95 wall time per message, overall
    and by kind (target: median < 200 ms).
(b) The IMAP poller (integrations/mail/inbound/imap.py) importing a backlog of
    ``--backlog`` messages (default 1,000) from a real IMAP server (pymap, started
    here): the time of one ``poll()`` (target: < 60 s).

The client page with 2,000 emails on its timeline is measured by ``bench/pages.py
--emails`` (``email_timeline_client`` below makes it).

Runs against the database in ``DATABASE_URL`` and writes to it (a client
"Benchmail GmbH" with 20 contacts, the mail received); each run adds more.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ws_bench
    DEBUG=1 .venv/bin/python manage.py migrate && DEBUG=1 .venv/bin/python manage.py seed_demo
    .venv/bin/python bench/mail.py                 # --messages 500 --backlog 1000
    .venv/bin/python bench/mail.py --toy           # CI: 10 messages, a backlog of 5

Exits 1 when a message was refused or the poll left mail unseen (not for the targets).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # never bench/: its modules must not hide the standard library's

import argparse  # noqa: E402 (email imports calendar: after the path is right)
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import defaultdict  # noqa: E402
from email.message import EmailMessage as Mail  # noqa: E402
from email.policy import SMTP  # noqa: E402
from email.utils import make_msgid  # noqa: E402

from bench import toy  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
os.environ.setdefault("DEBUG", "1")

CLIENT_NAME = "Benchmail GmbH"
DOMAIN = "benchmail.example"
CONTACTS = 20
PARAGRAPH = (
    "Thanks for the call yesterday. We went through the proposal with the team and "
    "have a few questions about the rollout, the training days and the invoices.\n\n"
)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def bench_client():
    """The bench's client with its contacts, and a thread with one mail sent to them."""
    from accounts.models import User
    from integrations.mail.models import EmailMessage, EmailThread
    from records import services
    from records.models import Client

    client = Client.objects.filter(name=CLIENT_NAME).first()
    if client is None:
        admin = User.objects.filter(role="admin").order_by("pk").first()
        actor = admin or toy.person(department="sales")  # a toy run's database may have none
        client = services.create_client(actor=actor, name=CLIENT_NAME, domain=DOMAIN)
        for n in range(CONTACTS):
            services.create_contact(
                actor=actor, client=client, name=f"Person {n}", emails=[f"p{n}@{DOMAIN}"]
            )
        thread = EmailThread.objects.create(client=client, subject="Proposal", created_by=actor)
        EmailMessage.objects.create(
            thread=thread,
            client=client,
            direction="out",
            status="sent",
            message_id=f"proposal-{uuid.uuid4().hex}@in.workspace.localhost",
            from_address="workspace@localhost",
            to=[f"p0@{DOMAIN}"],
            subject="Proposal",
            sender=actor,
        )
    return client


class Messages:
    """Varied incoming mail for the bench's client, each kind in turn (a duplicate
    delivery repeats the mail before it)."""

    KINDS = (
        "reply",
        "new_from_contact",
        "html_with_tracking",
        "attachment",
        "unknown_sender",
        "auto_reply",
        "8bit_headers",
        "long_quoted_history",
        "forwarded",
        "duplicate",
    )

    def __init__(self, client):
        from integrations.mail.models import EmailMessage

        sent = EmailMessage.objects.filter(client=client, direction="out").first()
        self.sent_id, self.token = sent.message_id, sent.thread.reply_token
        self.run = uuid.uuid4().hex[:8]
        self.previous = None
        self.kinds = [getattr(self, f"kind_{name}") for name in self.KINDS]

    def __iter__(self):
        n = 0
        while True:
            make = self.kinds[n % len(self.kinds)]
            raw = make(n)
            yield make.__name__.removeprefix("kind_"), raw
            self.previous = raw
            n += 1

    def base(self, n: int, sender: str = "", to: str = "") -> Mail:
        message = Mail()
        message["From"] = sender or f"Person {n % CONTACTS} <p{n % CONTACTS}@{DOMAIN}>"
        message["To"] = to or "bcc@in.workspace.localhost"
        message["Subject"] = f"Rollout question {n}"
        message["Message-ID"] = make_msgid(f"{self.run}.{n}", domain=DOMAIN)
        message["Date"] = "Mon, 07 Dec 2026 10:00:00 +0000"
        return message

    def kind_reply(self, n):
        message = self.base(n, to=f"reply+{self.token}@in.workspace.localhost")
        message.replace_header("Subject", "Re: Proposal")
        message["In-Reply-To"] = f"<{self.sent_id}>"
        message["References"] = f"<{self.sent_id}>"
        message.set_content(PARAGRAPH + "> Here is our proposal.\n> Best, Alex\n")
        return message.as_bytes(policy=SMTP)

    def kind_new_from_contact(self, n):
        message = self.base(n)
        message.set_content(PARAGRAPH * 3)
        return message.as_bytes(policy=SMTP)

    def kind_html_with_tracking(self, n):
        message = self.base(n)
        message.set_content(PARAGRAPH)
        message.add_alternative(
            f"<html><body><p>{PARAGRAPH}</p><script>alert(1)</script>"
            '<img src="https://tracker.example/pixel.gif?id=1" width="1" height="1">'
            '<p onclick="steal()">Click <a href="https://example.com">here</a></p>'
            "<table><tr><td>Seats</td><td>40</td></tr></table></body></html>",
            subtype="html",
        )
        return message.as_bytes(policy=SMTP)

    def kind_attachment(self, n):
        message = self.base(n)
        message.set_content(PARAGRAPH)
        message.add_attachment(
            os.urandom(50_000), maintype="application", subtype="pdf", filename="order.pdf"
        )
        return message.as_bytes(policy=SMTP)

    def kind_unknown_sender(self, n):
        message = self.base(n, sender=f"Stranger <someone{n}@unknown-{n}.example>")
        message.set_content("Hello, do you sell to schools?")
        return message.as_bytes(policy=SMTP)

    def kind_auto_reply(self, n):
        message = self.base(n)
        message.replace_header("Subject", "Out of office: Proposal")
        message["Auto-Submitted"] = "auto-replied"
        message["In-Reply-To"] = f"<{self.sent_id}>"
        message.set_content("I am away until Monday.")
        return message.as_bytes(policy=SMTP)

    def kind_8bit_headers(self, n):
        return (
            f"From: J\xf6rg M\xfcller <p{n % CONTACTS}@{DOMAIN}>\r\n"
            f"To: bcc@in.workspace.localhost\r\nSubject: Gr\xfc\xdfe {n}\r\n"
            f"Message-ID: <{self.run}.{n}@{DOMAIN}>\r\n\r\n"
            "Sch\xf6ne Gr\xfc\xdfe aus K\xf6ln.\r\n"
        ).encode("latin-1")

    def kind_long_quoted_history(self, n):
        message = self.base(n)
        level = f"<blockquote><p>On Monday someone wrote:</p><p>{PARAGRAPH}</p>"
        quoted = level * 15 + "</blockquote>" * 15
        message.set_content(PARAGRAPH)
        message.add_alternative(f"<p>{PARAGRAPH}</p>{quoted}", subtype="html")
        return message.as_bytes(policy=SMTP)

    def kind_forwarded(self, n):
        message = self.base(n, sender="Alex <alex@northwind.example>")
        message.replace_header("Subject", f"Fwd: Rollout question {n}")
        message.set_content(
            "FYI\n\n---------- Forwarded message ---------\n"
            f"From: Person 1 <p1@{DOMAIN}>\nSubject: Rollout\n\n{PARAGRAPH}"
        )
        return message.as_bytes(policy=SMTP)

    def kind_duplicate(self, n):
        return self.previous


def bench_receive(client, count: int) -> list[str]:
    """Time ``receive()``; returns what went wrong (refused messages)."""
    from integrations.mail.services.incoming import receive

    timings, by_kind, outcomes, problems = [], defaultdict(list), defaultdict(int), []
    messages = iter(Messages(client))
    for _ in range(count):
        kind, raw = next(messages)
        started = time.perf_counter()
        received = receive(raw, recipients=["bcc@in.workspace.localhost"], source="smtp")
        took = (time.perf_counter() - started) * 1000
        timings.append(took)
        by_kind[kind].append(took)
        outcomes[received.outcome] += 1
        if received.outcome == "refused":
            problems.append(f"{kind} refused: {received.reason}")
    print(f"\n(a) receive(): {count} messages; outcomes {dict(outcomes)}")
    print("\n| kind | messages | median | p95 |\n| --- | ---: | ---: | ---: |")
    for kind, values in sorted(by_kind.items()):
        print(
            f"| {kind} | {len(values)} | {statistics.median(values):.1f} ms "
            f"| {percentile(values, 0.95):.1f} ms |"
        )
    median = statistics.median(timings)
    print(
        f"| **all** | {count} | **{median:.1f} ms** | {percentile(timings, 0.95):.1f} ms |"
        f"\n\nmedian < 200 ms: {'yes' if median < 200 else 'NO'}"
    )
    return problems


def bench_backlog(client, count: int) -> list[str]:
    """Time one IMAP poll of a backlog; returns what went wrong (mail failed or unseen)."""
    from integrations.mail.inbound.imap import mailbox_from_url, poll
    from tests.mailserver import imap_server

    messages = iter(Messages(client))
    backlog = [raw for _, (kind, raw) in zip(range(count), messages, strict=False)]
    with imap_server() as server:
        started = time.perf_counter()
        server.append(*backlog)
        appended = time.perf_counter() - started
        started = time.perf_counter()
        result = poll(mailbox_from_url(server.url))
        took = time.perf_counter() - started
        unseen = server.unseen()
    print(
        f"\n(b) IMAP backlog: {count} messages appended in {appended:.1f} s; "
        f"poll() took **{took:.1f} s** ({took / count * 1000:.1f} ms a message): {result}; "
        f"{unseen} left unseen. Under 60 s: {'yes' if took < 60 else 'NO'}"
    )
    return [f"IMAP poll: {result}, {unseen} unseen"] if result.failed or unseen else []


def email_timeline_client(count: int):
    """A client with ``count`` emails on its timeline (bulk inserts, as ``record_message``
    would leave them: 5 messages a thread, half received), made once and reused."""
    from django.db import transaction

    from accounts.models import User
    from integrations.mail.models import EmailMessage, EmailThread
    from integrations.mail.timeline import entry_data, summary_of
    from records import services
    from records.models import Client, TimelineEntry

    name = f"Mailbox Heavy ({count:,} emails)"
    if client := Client.objects.filter(name=name).first():
        return client
    actor = User.objects.filter(role="admin").order_by("pk").first()
    client = services.create_client(actor=actor, name=name, domain="mailbox-heavy.example")
    run = uuid.uuid4().hex[:8]
    with transaction.atomic():
        threads = EmailThread.objects.bulk_create(
            EmailThread(client=client, subject=f"Order {n}", created_by=actor)
            for n in range(count // 5)
        )
        messages = EmailMessage.objects.bulk_create(
            EmailMessage(
                thread=thread,
                client=client,
                direction="in" if n % 2 else "out",
                status="received" if n % 2 else "sent",
                source="imap" if n % 2 else "app",
                message_id=f"heavy-{run}-{thread.pk}-{n}@mailbox-heavy.example",
                from_address="buyer@mailbox-heavy.example" if n % 2 else "workspace@localhost",
                from_name="Buyer" if n % 2 else "",
                to=["buyer@mailbox-heavy.example"],
                subject=f"Re: {thread.subject}",
                body_text=PARAGRAPH,
                body_html=f"<p>{PARAGRAPH}</p>",
                sender=None if n % 2 else actor,
            )
            for thread in threads
            for n in range(5)
        )
        messages = list(
            EmailMessage.objects.filter(pk__in=[m.pk for m in messages])
            .select_related("sender", "thread")
            .prefetch_related("attachments")
        )
        entries = TimelineEntry.objects.bulk_create(
            TimelineEntry(
                client=client,
                kind=TimelineEntry.Kind.EMAIL,
                actor=message.sender,
                summary=summary_of(message)[:300],
                body_html=message.body_html,
                data=entry_data(message),
            )
            for message in messages
        )
        for message, entry in zip(messages, entries, strict=True):
            message.timeline_entry = entry
        EmailMessage.objects.bulk_update(messages, ["timeline_entry"], batch_size=500)
    return client


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=500, help="messages for receive()")
    parser.add_argument("--backlog", type=int, default=1000, help="IMAP backlog size; 0: skip")
    args = toy.parse_args(parser, argv, messages=10, backlog=5)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.DEBUG = False  # no query log
    client = bench_client()
    print(f"{connection.vendor}; client {client.name} (#{client.pk}), {CONTACTS} contacts")
    problems = bench_receive(client, args.messages) if args.messages else []
    problems += bench_backlog(client, args.backlog) if args.backlog else []
    for problem in problems:
        print(f"BROKEN: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
