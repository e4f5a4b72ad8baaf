"""Triage: mail nobody has matched to a client yet (docs/EMAIL.md, "Triage").

A waiting thread is attached to a client (its messages go on the client's
timeline, and later mail in the thread follows), attached after creating a
contact for its sender, or dismissed. The list is one row per thread: its
newest waiting message.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery

from integrations.mail import events, policies, timeline
from integrations.mail.models import EmailMessage, EmailThread
from records.models import Client, Contact
from records.selectors.contact_points import contacts_with_email
from records.services.clients import create_contact

WAITING = EmailMessage.Triage.WAITING


@dataclass
class TriageRow:
    """One line of the triage list: a waiting thread, its newest waiting message and how
    many messages wait in it."""

    thread: EmailThread
    message: EmailMessage
    waiting: int


# --- reads ----------------------------------------------------------------------------


def triage_threads(user):
    """The waiting threads ``user`` may see, newest first, with their newest waiting
    message's id (``latest_id``) and count (``waiting``): build rows with :func:`rows`."""
    waiting = EmailMessage.objects.filter(thread=OuterRef("pk"), triage=WAITING)
    latest = waiting.order_by("-created_at", "-pk").values("pk")[:1]
    return (
        EmailThread.objects.filter(Exists(waiting), client__isnull=True)
        .filter(policies.triage_visible_q(user))
        .annotate(
            latest_id=Subquery(latest),
            waiting=Count("messages", filter=Q(messages__triage=WAITING)),
        )
        .order_by("-last_message_at", "-pk")
    )


def rows(threads) -> list[TriageRow]:
    """Rows for a page of :func:`triage_threads` (one more query, for the messages)."""
    threads = list(threads)
    messages = EmailMessage.objects.in_bulk([thread.latest_id for thread in threads])
    return [
        TriageRow(thread=thread, message=messages[thread.latest_id], waiting=thread.waiting)
        for thread in threads
        if thread.latest_id in messages
    ]


def row_of(message: EmailMessage) -> TriageRow:
    waiting = message.thread.messages.filter(triage=WAITING).count()
    return TriageRow(thread=message.thread, message=message, waiting=waiting)


# --- writes ---------------------------------------------------------------------------


def mail_waiting(message: EmailMessage) -> None:
    """A new message waits in triage: on open triage lists (call in its transaction)."""
    events.triage_added(message.thread, row_of(message))


def attach_thread(*, actor, thread: EmailThread, client: Client) -> EmailThread:
    """Move a waiting thread to ``client``: its messages go on the client's timeline, each
    sender matched to the client's contacts, and later mail in the thread follows."""
    _check(actor, thread)
    if client is None or client.merged_into_id is not None or client.archived:
        raise ValidationError("Pick a client that is not archived or merged.")
    with transaction.atomic():
        thread = EmailThread.objects.select_for_update().get(pk=thread.pk)
        if thread.client_id is not None:
            raise ValidationError("This mail was attached to a client meanwhile.")
        thread.client = client
        thread.save(update_fields=["client"])
        messages = thread.messages.select_related("thread", "sender", "contact")
        for message in messages.order_by("created_at"):
            _attach_message(message, client)
        events.triage_removed(thread, kind="mail.triage.attached")
    return thread


def create_contact_and_attach(*, actor, thread: EmailThread, client: Client, name: str) -> Contact:
    """Add the thread's sender as a contact of ``client`` (records' service checks the
    right to), then attach the thread there."""
    _check(actor, thread)
    if client is None:
        raise ValidationError("Pick the client the new contact works for.")
    sender = thread.messages.filter(triage=WAITING).order_by("-created_at").first()
    if sender is None:
        raise ValidationError("This mail is no longer waiting in triage.")
    with transaction.atomic():
        contact = create_contact(
            actor=actor, client=client, name=name.strip(), emails=[sender.from_address]
        )
        attach_thread(actor=actor, thread=thread, client=client)
    return contact


def dismiss_thread(*, actor, thread: EmailThread) -> None:
    """Not about any client (spam, a newsletter): off the triage list, kept on record."""
    _check(actor, thread)
    with transaction.atomic():
        dismissed = thread.messages.filter(triage=WAITING).update(
            triage=EmailMessage.Triage.DISMISSED
        )
        if not dismissed:
            raise ValidationError("This mail is no longer waiting in triage.")
        events.triage_removed(thread, kind="mail.triage.dismissed")


def _check(actor, thread: EmailThread) -> None:
    if not policies.can_view_triage_thread(actor, thread):
        raise PermissionDenied("You cannot handle this mail.")


def _attach_message(message: EmailMessage, client: Client) -> None:
    message.client = client
    message.triage = EmailMessage.Triage.NONE
    if message.contact_id is None or message.contact.client_id != client.pk:
        message.contact = _contact_at(client, message)
    message.save(update_fields=["client", "triage", "contact"])
    timeline.record_message(message, kind=events.arrival_kind(message))


def _contact_at(client: Client, message: EmailMessage) -> Contact | None:
    address = message.from_address if message.sender_id is None else next(iter(message.to), "")
    return contacts_with_email(address).filter(client=client).first()
