"""The demo's email: conversations with clients sent from Workspace and answered, a support
mail that opened a ticket, an out-of-office reply, mail waiting in triage, a private thread,
a bounced address, and shared snippets.

Unlike the generated year (demo/book.py), this goes through the real paths: outgoing mail
through ``send_email`` (then marked sent, as the job would), incoming mail as raw RFC 5322
bytes through ``receive`` — the function the SMTP receiver and the IMAP poller call. The
conversations are then moved back a few days so the timeline reads naturally.
"""

import random
from datetime import timedelta
from email.message import EmailMessage as RawMail
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Department, User
from integrations.mail import timeline
from integrations.mail.composing import reply_address
from integrations.mail.models import EmailMessage, EmailThread, InboundAddress, Snippet
from integrations.mail.services.incoming import receive
from integrations.mail.services.outgoing import send_email
from integrations.mail.services.privacy import set_private
from records.models import Client, Contact, TimelineEntry

MAIL_SEED = 19
CONVERSATIONS = 6
SNIPPETS = (
    (
        "Meeting follow-up",
        "Our conversation today",
        "Hi {{ contact.first_name }},\n\nthank you for your time today. As promised, "
        "here is a short summary of what we discussed for {{ client.name }}:\n\n- \n- \n\n"
        "Let me know if I missed anything.",
    ),
    (
        "Pricing overview",
        "Pricing for {{ client.name }}",
        "Hi {{ contact.first_name }},\n\nyou asked about our plans. **Team** is €29 per "
        "person and month, **Business** €49 with SSO and priority support. Both are billed "
        "yearly; a 30-day trial needs no card.",
    ),
    (
        "Ticket received",
        "",
        "Hi {{ contact.first_name }},\n\nwe have your request (ticket #{{ ticket.id }}) and "
        "are on it. You can reply to this email to add anything.",
    ),
)
QUESTIONS = (
    "Thanks, that helps. Could you send the security whitepaper as well? Our IT will ask.",
    "Sounds good. Can we move the rollout to the first week of next month?",
    "Great, thank you! Who would be our contact for the onboarding sessions?",
    "We discussed it internally: we'd like a quote for 40 seats on the Business plan.",
    "Thanks for the summary. One correction: the pilot team is Finance, not HR.",
    "Perfect. I've forwarded this to our procurement team, they'll be in touch.",
)


def seed_mail() -> dict[str, int]:
    """Write the demo's email once (it is there when a thread is)."""
    if EmailThread.objects.exists() or not Client.objects.exists():
        return {}
    rng = random.Random(MAIL_SEED)  # noqa: S311 - repeatable demo data, not secrets
    _addresses()
    snippets = _snippets()
    contacts = _contacts_with_email()
    with transaction.atomic():
        for contact, question in zip(contacts[:CONVERSATIONS], QUESTIONS, strict=False):
            _conversation(rng, contact, question)
        _support_request(contacts[CONVERSATIONS])
        _out_of_office(contacts[CONVERSATIONS + 1])
        _triage()
        _private_thread(contacts[CONVERSATIONS + 2])
        _bounced(contacts[CONVERSATIONS + 3])
        _spread_over_days(rng)
    return {
        "email threads": EmailThread.objects.count(),
        "emails": EmailMessage.objects.count(),
        "in triage": EmailMessage.objects.filter(triage=EmailMessage.Triage.WAITING).count(),
        "snippets": snippets,
    }


def inbound(local_part: str) -> str:
    return f"{local_part}@{settings.MAIL_INBOUND_DOMAIN}"


def _addresses() -> None:
    InboundAddress.objects.create(
        address=inbound("support"),
        opens_tickets=True,
        department=Department.objects.get(slug="support"),
    )
    InboundAddress.objects.create(
        address=inbound("sales"), department=Department.objects.get(slug="sales")
    )


def _snippets() -> int:
    for name, subject, body in SNIPPETS:
        Snippet.objects.create(name=name, subject=subject, body=body)
    return len(SNIPPETS)


def _contacts_with_email() -> list[Contact]:
    """Contacts of live clients that have an address, their client's owner loaded."""
    contacts = (
        Contact.objects.filter(client__archived=False, client__merged_into=None)
        .exclude(emails=[])
        .select_related("client__owner")
        .order_by("client__name", "pk")
    )
    return list(contacts[: CONVERSATIONS + 4])


def _sent(message: EmailMessage) -> EmailMessage:
    """What the sending job does once the mail server said yes (the demo sends nothing)."""
    message.status = EmailMessage.Status.SENT
    message.attempts = 1
    message.sent_at = timezone.now()
    message.save(update_fields=["status", "attempts", "sent_at"])
    timeline.refresh_message(message, kind="mail.sent")
    return message


def _raw(*, sender: Contact, to: str, subject: str, text: str, answers=None, **headers) -> bytes:
    mail = RawMail()
    mail["From"] = f"{sender.name} <{sender.emails[0]}>"
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = make_msgid(domain=sender.emails[0].split("@")[1])
    if answers is not None:
        mail["In-Reply-To"] = f"<{answers.message_id}>"
        mail["References"] = f"<{answers.message_id}>"
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(text)
    return mail.as_bytes()


def _quoted(message: EmailMessage) -> str:
    lines = "\n".join(f"> {line}" for line in message.body_text.splitlines())
    return f"\n\nOn {message.created_at:%a, %d %b %Y} {message.from_name} wrote:\n{lines}\n"


def _conversation(rng, contact: Contact, question: str) -> None:
    """The owner writes, the contact answers with a question; every other time the owner
    answers again."""
    owner = contact.client.owner
    deal = contact.client.deals.filter(status="open").first()
    first = _sent(
        send_email(
            actor=owner,
            client=contact.client,
            to=[contact.pk],
            subject=SNIPPETS[0][1],
            body=SNIPPETS[0][2].replace("- \n- ", "- Next steps for the pilot\n- Timeline"),
            deal=deal,
        )
    )
    reply = receive(
        _raw(
            sender=contact,
            to=reply_address(first.thread),
            subject=f"Re: {first.subject}",
            text=question + _quoted(first),
            answers=first,
        )
    ).message
    if rng.random() < 0.5 and reply is not None:
        _sent(
            send_email(
                actor=owner,
                thread=first.thread,
                to=[contact.pk],
                subject=f"Re: {first.subject}",
                body="Of course — I'll take care of it today.",
            )
        )


def _support_request(contact: Contact) -> None:
    """A client writes to support@: a ticket opens; the assignee answers from it."""
    received = receive(
        _raw(
            sender=contact,
            to=inbound("support"),
            subject="Export to Excel stops at 1,000 rows",
            text="Hello,\n\nsince this morning our export to Excel stops after 1,000 rows. "
            "Could you have a look? It's urgent for our month-end close.\n\nThanks",
        ),
        recipients=[inbound("support")],
    ).message
    thread = received.thread if received else None
    if thread is None or thread.ticket is None:
        return
    agent = thread.ticket.assignee or User.objects.filter(departments__slug="support").first()
    _sent(
        send_email(
            actor=agent,
            thread=thread,
            to=[contact.pk],
            subject=f"Re: {received.subject}",
            body="Hi,\n\nthanks for the report — we can reproduce it and a fix is on its way. "
            "Until then, exporting as CSV has no limit.",
        )
    )


def _out_of_office(contact: Contact) -> None:
    """An announcement answered by an auto-reply: kept on the thread, never a ticket."""
    owner = contact.client.owner
    sent = _sent(
        send_email(
            actor=owner,
            client=contact.client,
            to=[contact.pk],
            subject="New reporting features this quarter",
            body="Hi {{ contact.first_name }},\n\nquick heads-up: the new reports are live.",
        )
    )
    receive(
        _raw(
            sender=contact,
            to=reply_address(sent.thread),
            subject=f"Automatic reply: {sent.subject}",
            text="I am out of the office until Monday and will answer your mail then.",
            answers=sent,
            Auto_Submitted="auto-replied",
        )
    )


def _triage() -> None:
    """Mail from people nobody knows yet: someone attaches it to a client or makes a contact."""
    strangers = (
        ("Lena Vogt", "lena.vogt@brightwave-energy.example", "sales", "Demo for our team?"),
        ("Marco Bianchi", "marco@trattoria-digitale.example", "sales", "Partnership idea"),
    )
    for name, address, local_part, subject in strangers:
        mail = RawMail()
        mail["From"] = f"{name} <{address}>"
        mail["To"] = inbound(local_part)
        mail["Subject"] = subject
        mail["Message-ID"] = make_msgid(domain=address.split("@")[1])
        mail.set_content(
            f"Hello,\n\nwe are looking at CRMs for a team of 15. {subject} "
            "Could someone get in touch?\n\nBest regards,\n" + name
        )
        receive(mail.as_bytes(), recipients=[inbound(local_part)])


def _private_thread(contact: Contact) -> None:
    """The admin negotiates a renewal and keeps the thread to themselves."""
    admin = User.objects.filter(role="admin").order_by("pk").first()
    sent = _sent(
        send_email(
            actor=admin,
            client=contact.client,
            to=[contact.pk],
            subject="Your renewal — a personal note",
            body="Hi {{ contact.first_name }},\n\nbefore the renewal I'd like to offer you "
            "a loyalty discount of 12%. Let's talk this week.",
        )
    )
    set_private(actor=admin, thread=sent.thread, private=True)


def _bounced(contact: Contact) -> None:
    """An address that no longer exists: failed, with the server's reason and a Retry."""
    owner = contact.client.owner
    message = send_email(
        actor=owner,
        client=contact.client,
        to=[contact.pk],
        subject="Checking in",
        body="Hi {{ contact.first_name }},\n\nhow is everything going on your side?",
    )
    message.status = EmailMessage.Status.FAILED
    message.attempts = 1
    message.failure_reason = (
        f"The mail server refused the recipients ({contact.emails[0]}: 550 5.1.1 "
        "No such mailbox here)."
    )
    message.save(update_fields=["status", "attempts", "failure_reason"])
    timeline.refresh_message(message, kind="mail.failed")


def _spread_over_days(rng) -> None:
    """Move each thread back 1-9 days (its messages a few hours apart, in order)."""
    for thread in EmailThread.objects.prefetch_related("messages"):
        start = timezone.now() - timedelta(days=rng.randint(1, 9), hours=rng.randint(0, 8))
        at = start
        for message in thread.messages.all():
            at += timedelta(hours=rng.randint(1, 20), minutes=rng.randint(0, 59))
            _move(message, at)
        thread.last_message_at = at
        thread.save(update_fields=["last_message_at"])


def _move(message: EmailMessage, at) -> None:
    message.created_at = at
    if message.sent_at:
        message.sent_at = at
    message.save(update_fields=["created_at", "sent_at"])
    if message.timeline_entry_id:
        TimelineEntry.objects.filter(pk=message.timeline_entry_id).update(created_at=at)
