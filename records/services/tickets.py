"""Support tickets: open (SLA computed), status with its timestamps, rating; escalation.

A ticket is *escalated* when its priority is raised to urgent (the field is
changed through ``update_field``, which calls :func:`priority_changed`): the
client's chat room is told, so everyone following the client sees it.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from records import events, policies
from records.models import (
    Client,
    Contact,
    Priority,
    Ticket,
    TimelineEntry,
)
from records.services.base import (
    _audit,
    _lock,
    _require,
    _sla_due,
    _topics,
    change_summary,
)
from records.services.chat_lines import literal, tell_client_room
from records.services.counts import recount_open_work
from records.timeline import add_entry


def create_ticket(
    *,
    actor: User,
    client: Client,
    subject: str,
    contact: Contact | None = None,
    priority: str = Priority.NORMAL,
    channel: str = Ticket.Channel.EMAIL,
    assignee: User | None = None,
) -> Ticket:
    """Open a ticket; its SLA due time is now + the priority's hours (TicketSlaPolicy)."""
    _require(policies.can_create_ticket(actor, client), "You cannot open tickets.")
    if priority not in Priority.values:
        raise ValidationError({"priority": f"“{priority}” is not a priority."})
    if assignee is not None and not assignee.is_active:
        raise ValidationError({"assignee": "Pick an active member of staff."})
    with transaction.atomic():
        client = _lock(client)
        created = timezone.now()
        ticket = Ticket(
            client=client,
            subject=subject,
            contact=contact,
            priority=priority,
            channel=channel,
            assignee=assignee,
            sla_due=_sla_due(created, priority),
            created_by=actor,
            created_at=created,
            updated_at=created,
        )
        ticket.full_clean()
        ticket.save()
        recount_open_work([client.pk])
        entry = add_entry(
            actor=actor,
            client_id=client.pk,
            kind=TimelineEntry.Kind.TICKET,
            summary=f"{actor} opened ticket {ticket} ({ticket.get_priority_display()})",
            obj=ticket,
        )
        events.publish(
            _topics(ticket),
            "ticket.created",
            {"id": ticket.pk, "client": client.pk, "actor": actor.pk, "timeline": entry.pk},
        )
    return ticket


def set_ticket_status(*, actor: User, ticket: Ticket, status: str) -> Ticket:
    """Change a ticket's status.

    Leaving ``new`` the first time stamps ``first_response_at``; solving or
    closing stamps ``resolved_at`` (closing a solved ticket keeps it);
    reopening clears the resolution and any rating.
    """
    if status not in Ticket.Status.values:
        raise ValidationError({"status": f"“{status}” is not a ticket status."})
    with transaction.atomic():
        ticket = _lock(ticket)
        _require(policies.can_edit_ticket(actor, ticket), "You cannot change this ticket.")
        old = ticket.status
        if old == status:
            return ticket
        moment = timezone.now()
        if status != Ticket.Status.NEW and ticket.first_response_at is None:
            ticket.first_response_at = moment
        if status in Ticket.RESOLVED:
            if old not in Ticket.RESOLVED:
                ticket.resolved_at = moment
        else:
            ticket.resolved_at = None
            ticket.satisfaction = None
        ticket.status = status
        ticket.updated_at = moment
        ticket.full_clean()
        ticket.save()
        if (old in Ticket.RESOLVED) != (status in Ticket.RESOLVED):
            recount_open_work([ticket.client_id])
        change = _audit(actor=actor, obj=ticket, field="status", old=old, new=status)
        entry = add_entry(
            actor=actor,
            client_id=ticket.client_id,
            kind=TimelineEntry.Kind.TICKET,
            summary=change_summary(actor, ticket, "status", change),
            obj=ticket,
            data={"change": change.pk},
        )
        events.publish(
            _topics(ticket),
            "ticket.status",
            {
                "id": ticket.pk,
                "status": status,
                "from_status": old,
                "actor": actor.pk,
                "change": change.pk,
                "timeline": entry.pk,
            },
        )
    return ticket


def rate_ticket(*, actor: User, ticket: Ticket, satisfaction) -> Ticket:
    """Record the customer's satisfaction (1 to 5) with a solved or closed ticket."""
    try:
        rating = int(satisfaction)
    except (TypeError, ValueError):
        rating = None
    if rating is None or isinstance(satisfaction, bool) or not 1 <= rating <= 5:
        raise ValidationError({"satisfaction": "A rating is a whole number from 1 to 5."})
    with transaction.atomic():
        ticket = _lock(ticket)
        _require(policies.can_edit_ticket(actor, ticket), "You cannot change this ticket.")
        if ticket.status not in Ticket.RESOLVED:
            raise ValidationError({"satisfaction": "A ticket is rated once it is solved."})
        old = ticket.satisfaction
        if old == rating:
            return ticket
        ticket.satisfaction = rating
        ticket.updated_at = timezone.now()
        ticket.full_clean()
        ticket.save()
        change = _audit(actor=actor, obj=ticket, field="satisfaction", old=old, new=rating)
        entry = add_entry(
            actor=actor,
            client_id=ticket.client_id,
            kind=TimelineEntry.Kind.TICKET,
            summary=f"{actor} recorded a satisfaction of {rating}/5 for ticket {ticket}",
            obj=ticket,
            data={"change": change.pk},
        )
        events.publish(
            _topics(ticket),
            "ticket.rated",
            {"id": ticket.pk, "satisfaction": rating, "actor": actor.pk, "timeline": entry.pk},
        )
    return ticket


def priority_changed(*, actor: User, ticket: Ticket, old: str) -> None:
    """Inside ``update_field``'s transaction, after a ticket's priority changed from ``old``:
    raised to urgent, the ticket is escalated and its client's room is told."""
    if ticket.priority != Priority.URGENT or old == Priority.URGENT:
        return
    tell_client_room(
        ticket.client,
        literal(
            f"{actor} escalated ticket #{ticket.pk} “{ticket}” to urgent "
            f"(was {Priority(old).label.lower()})."
        ),
    )
