"""The MIME of a mail sent from Workspace, and the addresses it goes out with.

From is the workspace address (``MAIL_FROM_EMAIL``) named "<Person> via
Workspace", or the person themselves when their domain is one the admin set up
for it (``MAIL_SEND_AS_PERSON_DOMAINS``: SPF/DKIM are theirs to get right).
Reply-To carries both the person and the thread's reply address, so an answer
reaches the person and is captured on the client's timeline. The Message-ID
(on the thread's inbound domain) is chosen once when the mail is written, so a
retry sends the same mail and a receiver that got it twice sees one.
"""

from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from integrations.mail.models import EmailMessage, EmailThread


def reply_address(thread: EmailThread) -> str:
    """Where answers to ``thread`` reach Workspace: reply+<token>@<inbound domain>."""
    return f"reply+{thread.reply_token}@{settings.MAIL_INBOUND_DOMAIN}"


def new_message_id() -> str:
    """A Message-ID on the inbound domain, stored without its angle brackets."""
    return make_msgid(domain=settings.MAIL_INBOUND_DOMAIN).strip("<>")


def sends_as_person(user) -> bool:
    domain = user.email.rpartition("@")[2].lower()
    return domain in {d.strip().lower() for d in settings.MAIL_SEND_AS_PERSON_DOMAINS}


def sender_of(user) -> tuple[str, str]:
    """(address, display name) of the From of mail ``user`` sends."""
    if sends_as_person(user):
        return user.email, user.full_name
    return parseaddr(settings.MAIL_FROM_EMAIL)[1], f"{user.full_name} via Workspace"


def _bracketed(ids: str) -> str:
    return " ".join(f"<{one}>" for one in ids.split())


def headers_of(message: EmailMessage) -> dict:
    headers = {"Message-ID": f"<{message.message_id}>"}
    if message.in_reply_to:
        headers["In-Reply-To"] = f"<{message.in_reply_to}>"
    if message.references:
        headers["References"] = _bracketed(message.references)
    return headers


def reply_to_of(message: EmailMessage) -> list[str]:
    person = message.sender
    return [formataddr((person.full_name, person.email)), reply_address(message.thread)]


def build(message: EmailMessage) -> EmailMultiAlternatives:
    """The mail to send for ``message``: its Markdown as the text part, the rendered
    HTML as the alternative, its attachments, and the threading headers."""
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=formataddr((message.from_name, message.from_address)),
        to=message.to,
        cc=message.cc,
        reply_to=reply_to_of(message),
        headers=headers_of(message),
    )
    html = render_to_string("mail/compose_email.html", {"message": message})
    mail.attach_alternative(html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as file:
            mail.attach(attachment.filename, file.read(), attachment.content_type or None)
    return mail
