"""Reads behind calls: who is calling, the caller's card, a person's recent calls."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from integrations.telephony.models import Call
from records.models import Client, Deal, Ticket, TimelineEntry
from records.models.values import normalize_phone
from records.selectors.client_page import visible_to
from records.selectors.contact_points import clients_with_phone, contacts_with_phone

RECENT_ENTRIES = 3
CALLS_PAGE = 50


def e164_or_raw(number: str) -> str:
    """A number from the phone system in E.164 where it is one; else as sent (an internal
    extension, "anonymous")."""
    try:
        return normalize_phone(number) or number
    except ValidationError:
        return number


def agent_for(text: str):
    """The active person with this extension or email, or None."""
    if not text:
        return None
    people = get_user_model().objects.filter(is_active=True)
    match = Q(phone_extension=text)
    if "@" in text:
        match |= Q(email__iexact=text)
    return people.filter(match).order_by("pk").first()


def caller(number: str):
    """(client, contact) the E.164 ``number`` belongs to: a contact's first, then a client's
    main number; (None, None) when unknown."""
    if not number.startswith("+"):
        return None, None
    contact = contacts_with_phone(number).order_by("-client__updated_at", "pk").first()
    if contact is not None:
        return contact.client, contact
    return clients_with_phone(number).order_by("-updated_at", "pk").first(), None


def card(call: Call) -> dict:
    """What the pop-up shows of the caller: two queries (client with its counts, and its
    latest timeline entries the agent may see)."""
    context = {"call": call, "client": None, "entries": []}
    if call.client_id is None:
        return context
    open_deals = Count("deals", filter=Q(deals__status=Deal.Status.OPEN), distinct=True)
    open_tickets = Count("tickets", filter=~Q(tickets__status__in=Ticket.RESOLVED), distinct=True)
    client = (
        Client.objects.select_related("owner")
        .annotate(open_deals=open_deals, open_tickets=open_tickets)
        .filter(pk=call.client_id)
        .first()
    )
    entries = TimelineEntry.objects.filter(client_id=call.client_id).select_related("actor")
    if call.agent is not None:
        entries = entries.filter(visible_to(call.agent))
    else:
        entries = entries.filter(private_to__isnull=True)
    context["client"] = client
    context["entries"] = list(entries.order_by("-created_at", "-pk")[:RECENT_ENTRIES])
    return context


def calls_of(person):
    """``person``'s latest calls, with their client and contact (one query)."""
    return Call.objects.filter(agent=person).select_related("client", "contact")[:CALLS_PAGE]
