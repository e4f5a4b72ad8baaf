"""Which thread and which client an incoming mail belongs to (docs/EMAIL.md, "Matching").

A thread first: by the Message-IDs the mail answers (In-Reply-To, References), by
the thread's reply address (reply+<token>@MAIL_INBOUND_DOMAIN) among its recipients,
or by "[Ticket #<id>]" in the subject. A new thread's client: the sender's contact,
else the one live client at the sender's domain. Mail a member of staff BCC'd or
forwarded is about the people it was written to, so their addresses are matched
instead of the sender's. Nothing found: the thread waits in triage.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import getaddresses

from django.conf import settings

from accounts.models import User
from integrations.mail.inbound.parsing import ParsedMail, html_to_text
from integrations.mail.models import EmailMessage, EmailThread, InboundAddress
from records.models import Client, Contact, Ticket
from records.selectors.contact_points import clients_with_domain, contacts_with_email

TICKET_IN_SUBJECT = re.compile(r"\[Ticket #(\d{1,12})\]", re.IGNORECASE)
# "From: Bea <bea@acme.example>" in a forwarded mail's text (Gmail, Outlook, Apple Mail;
# bold markers and quote marks around it; German "Von:").
FORWARDED_FROM = re.compile(r"^[>\s*]*(?:From|Von)\s*:\s*\**\s*(.+)$", re.IGNORECASE | re.MULTILINE)


@dataclass
class Match:
    """Where a mail goes: its thread (None: a new one), client (None: triage), the contact
    it is from (or, when staff sent it, to), the member of staff who sent it, the
    message it answers, and the Workspace address it came to."""

    thread: EmailThread | None = None
    client: Client | None = None
    contact: Contact | None = None
    staff_sender: User | None = None
    answers: EmailMessage | None = None
    inbound_address: InboundAddress | None = None
    ticket: Ticket | None = None


def match(mail: ParsedMail, recipients: Iterable[str] = (), *, answers_id: str = "") -> Match:
    """Find the thread, client and people of ``mail`` (reads only). ``answers_id``: the
    Message-ID it is known to answer besides its headers (a bounce's returned mail)."""
    addressed = _addressed(mail, recipients)
    found = Match(
        staff_sender=User.objects.filter(email__iexact=mail.from_address, is_active=True).first(),
        inbound_address=InboundAddress.objects.filter(address__in=addressed, active=True).first(),
    )
    found.answers = answered_message(mail, answers_id)
    if found.answers is not None:
        found.thread = found.answers.thread
    else:
        found.thread = _thread_by_reply_address(addressed)
    if found.thread is not None:
        found.client = found.thread.client
        found.contact = _contact(mail, found, client=found.client)
    elif not _match_ticket(mail, found):
        found.contact = _contact(mail, found)
        if found.contact is not None:
            found.client = found.contact.client
        else:
            found.client = _client_by_domain(_people_addresses(mail, found))
    return found


def _match_ticket(mail: ParsedMail, found: Match) -> bool:
    """ "[Ticket #12]" in the subject: the mail goes to that ticket (its latest thread, or a
    new one) — when it comes from the ticket's client or from staff, as a ticket number
    is easy to guess."""
    number = TICKET_IN_SUBJECT.search(mail.subject)
    ticket = number and Ticket.objects.select_related("client").filter(pk=int(number[1])).first()
    if not ticket:
        return False
    contact = _contact(mail, found, client=ticket.client)
    domain = ticket.client.domain
    if not (
        contact is not None
        or found.staff_sender is not None
        or (domain and mail.from_address.endswith("@" + domain))
    ):
        return False
    found.ticket, found.client, found.contact = ticket, ticket.client, contact
    threads = ticket.email_threads.select_related("client").order_by("-last_message_at")
    found.thread = threads.first()
    return True


def answered_message(mail: ParsedMail, answers_id: str = "") -> EmailMessage | None:
    """The stored message ``mail`` answers: In-Reply-To first, then References, newest first."""
    wanted = list(dict.fromkeys([answers_id, mail.in_reply_to, *reversed(mail.references)]))
    wanted = [message_id for message_id in wanted if message_id]
    if not wanted:
        return None
    known = {
        message.message_id: message
        for message in EmailMessage.objects.filter(message_id__in=wanted).select_related(
            "thread__client", "sender"
        )
    }
    return next((known[message_id] for message_id in wanted if message_id in known), None)


def _addressed(mail: ParsedMail, recipients: Iterable[str]) -> list[str]:
    """Every address the mail was delivered or written to, lowercased."""
    return list(dict.fromkeys(a.strip().lower() for a in [*recipients, *mail.to, *mail.cc] if a))


def reply_token(address: str) -> str:
    """The thread token of a reply address (reply+<token>@MAIL_INBOUND_DOMAIN), or ""."""
    local, _, domain = address.partition("@")
    prefix, plus, token = local.partition("+")
    if domain != settings.MAIL_INBOUND_DOMAIN.lower() or prefix != "reply" or not plus:
        return ""
    return token


def _thread_by_reply_address(addressed: list[str]) -> EmailThread | None:
    tokens = [token for token in map(reply_token, addressed) if token]
    if not tokens:
        return None
    return EmailThread.objects.select_related("client").filter(reply_token__in=tokens).first()


def _people_addresses(mail: ParsedMail, found: Match) -> list[str]:
    """Whom the mail is about: its sender, or — sent by staff — whom they forwarded it
    from and wrote it to (not Workspace's own addresses, not other staff)."""
    if found.staff_sender is None:
        return [mail.from_address]
    inbound_domain = settings.MAIL_INBOUND_DOMAIN.lower()
    people = [*_forwarded_senders(mail), *mail.to, *mail.cc]
    people = [a for a in dict.fromkeys(people) if a.partition("@")[2] != inbound_domain]
    staff = set(User.objects.filter(email__in=people).values_list("email", flat=True))
    return [address for address in people if address not in staff]


def _forwarded_senders(mail: ParsedMail) -> list[str]:
    """The "From:" addresses of the mail(s) a forward carries in its text."""
    text = "\n".join([mail.text, mail.quoted_text]) or html_to_text(mail.html + mail.quoted_html)
    lines = FORWARDED_FROM.findall(text)
    return [address.lower() for _, address in getaddresses(lines) if "@" in address]


def _contact(mail: ParsedMail, found: Match, client: Client | None = None) -> Contact | None:
    """The first contact with one of the people's addresses (of ``client``, when given)."""
    for address in _people_addresses(mail, found):
        contacts = contacts_with_email(address)
        if client is not None:
            contacts = contacts.filter(client=client)
        contact = contacts.order_by("pk").first()
        if contact is not None:
            return contact
    return None


def _client_by_domain(addresses: list[str]) -> Client | None:
    """The client at the addresses' domain, when exactly one live client has it."""
    for address in addresses:
        clients = list(clients_with_domain(address.rpartition("@")[2])[:2])
        if len(clients) == 1:
            return clients[0]
    return None
