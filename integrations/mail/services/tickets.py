"""Incoming mail and support tickets (docs/EMAIL.md, "Tickets").

A client's mail in a thread linked to an open ticket is that ticket's conversation
(the ticket page shows the thread); when the ticket was waiting on the client
(Pending), it is Open again. A new mail to an address that opens tickets
(support@…), from a matched client, opens one. Automatic mail does neither.

Records' ticket services act for a person: mail-driven changes are made in the
name of who is responsible — the ticket's assignee, else the client's owner, else
an admin — so the timeline and audit log stay truthful about whose queue it is.
"""

from accounts.models import Role, User
from integrations.mail.inbound.matching import Match
from integrations.mail.models import EmailMessage
from records import policies as records_policies
from records.models import Ticket
from records.services.tickets import create_ticket, set_ticket_status

NO_SUBJECT = "(no subject)"


def mail_received(message: EmailMessage, *, found: Match) -> None:
    """After a client's mail is stored (in the same transaction): reopen or open a ticket.
    Only mail from outside (not staff's BCC) and not automatic counts."""
    thread = message.thread
    if message.is_automatic or message.direction != EmailMessage.Direction.IN:
        return
    if thread.client_id is None:
        return
    if thread.ticket_id is not None:
        _reopen_if_pending(thread.ticket)
    elif found.answers is None and _opens_tickets(found):
        _open_ticket(message, found=found)


def _opens_tickets(found: Match) -> bool:
    address = found.inbound_address
    return address is not None and address.opens_tickets and found.thread is None


def _reopen_if_pending(ticket: Ticket) -> None:
    if ticket.status != Ticket.Status.PENDING:
        return
    actor = _responsible(ticket.client, ticket=ticket)
    if actor is not None:
        set_ticket_status(actor=actor, ticket=ticket, status=Ticket.Status.OPEN)


def _open_ticket(message: EmailMessage, *, found: Match) -> None:
    thread = message.thread
    actor = _responsible(thread.client)
    if actor is None:
        return
    ticket = create_ticket(
        actor=actor,
        client=thread.client,
        subject=(message.subject or NO_SUBJECT)[: Ticket._meta.get_field("subject").max_length],
        contact=message.contact,
        priority=found.inbound_address.ticket_priority,
        channel=Ticket.Channel.EMAIL,
    )
    thread.ticket = ticket
    thread.save(update_fields=["ticket"])


def _responsible(client, *, ticket: Ticket | None = None) -> User | None:
    """Who a mail-driven ticket change is made in the name of (see the module's docstring)."""
    people = [ticket.assignee if ticket else None, client.owner]
    for person in people:
        if (
            person is not None
            and person.is_active
            and (ticket is None or records_policies.can_edit_ticket(person, ticket))
        ):
            return person
    return User.objects.filter(is_active=True, role=Role.ADMIN).order_by("pk").first()
