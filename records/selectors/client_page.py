"""Reads behind the client page: its records, and its timeline a page at a time.

The page runs a fixed number of queries whatever the client's size: one per
kind of related row (contacts, deals, tickets, comments, mentions, timeline,
custom field definitions) plus the counts; the deal and ticket lists show the
most recent few, with a link to all.
"""

from dataclasses import dataclass

from django.db.models import Count, Q

from records.models import Client, TimelineEntry
from records.selectors.fields import custom_definitions

TIMELINE_PER_PAGE = 20
RECENT_RECORDS = 8

Kind = TimelineEntry.Kind
# Timeline filter chips: name -> (label, entry kinds; None is everything).
TIMELINE_FILTERS = {
    "all": ("All", None),
    "comments": ("Comments", (Kind.COMMENT,)),
    "fields": ("Field changes", (Kind.FIELD,)),
    "activities": ("Activities", TimelineEntry.ACTIVITIES),
    "deals": ("Deals", (Kind.DEAL,)),
    "tickets": ("Tickets", (Kind.TICKET,)),
    "contacts": ("Contacts", (Kind.CONTACT,)),
    "tasks": ("Tasks", (Kind.TASK,)),
    "handoffs": ("Handoffs", (Kind.HANDOFF,)),
    "chat": ("Chat", (Kind.CHAT,)),
}
_GROUP_OF_KIND = {
    kind: name for name, (_, kinds) in TIMELINE_FILTERS.items() if kinds for kind in kinds
}


def timeline_group(kind: str) -> str:
    """The filter chip an entry of ``kind`` belongs to ("all" for creation and merges)."""
    return _GROUP_OF_KIND.get(kind, "all")


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: int | None  # the pk to continue after, or None at the end
    filter: str


def visible_to(viewer) -> Q:
    """The entries ``viewer`` may see: all but private ones (a private email thread's),
    which only their person and admins see."""
    if viewer.is_admin:
        return Q()
    return Q(private_to__isnull=True) | Q(private_to=viewer.pk)


def timeline_page(
    client_id: int, filter: str = "all", before: int | None = None, *, viewer
) -> TimelinePage:
    """Newest first, ``TIMELINE_PER_PAGE`` at a time, continuing after entry ``before``,
    as ``viewer`` may see it (``visible_to``).

    Keyset pagination (created_at, pk): entries arriving live at the top do not
    shift the next page.
    """
    if filter not in TIMELINE_FILTERS:
        filter = "all"
    entries = (
        TimelineEntry.objects.filter(client_id=client_id)
        .filter(visible_to(viewer))
        .select_related("actor")
    )
    kinds = TIMELINE_FILTERS[filter][1]
    if kinds:
        entries = entries.filter(kind__in=kinds)
    if before:
        cursor = entries.filter(pk=before).values_list("created_at", flat=True).first()
        if cursor is None:
            return TimelinePage([], None, filter)
        entries = entries.filter(Q(created_at__lt=cursor) | Q(created_at=cursor, pk__lt=before))
    found = list(entries[: TIMELINE_PER_PAGE + 1])
    more = len(found) > TIMELINE_PER_PAGE
    found = found[:TIMELINE_PER_PAGE]
    return TimelinePage(found, found[-1].pk if more else None, filter)


def timeline_entry(pk: int) -> TimelineEntry | None:
    """One entry for the live renderers: a private one is published on its person's own
    topic only (integrations/mail/timeline.py topics_of), so no viewer filter here."""
    return TimelineEntry.objects.select_related("actor").filter(pk=pk).first()


def client_page(client: Client, timeline_filter: str = "all", *, viewer) -> dict:
    """Everything the client page shows ``viewer`` besides its comment thread."""
    contacts = list(client.contacts.all())
    for contact in contacts:
        contact.client = client  # policies and fields read it; no query per contact
    deals = list(
        client.deals.select_related("stage", "owner").order_by("status", "-updated_at")[
            :RECENT_RECORDS
        ]
    )
    tickets = list(
        client.tickets.select_related("assignee").order_by("-updated_at")[:RECENT_RECORDS]
    )
    counts = client.deals.aggregate(
        deals=Count("pk"), open_deals=Count("pk", filter=Q(status="open"))
    ) | client.tickets.aggregate(
        tickets=Count("pk"), open_tickets=Count("pk", filter=~Q(status__in=["solved", "closed"]))
    )
    return {
        "contacts": contacts,
        "deals": deals,
        "tickets": tickets,
        "counts": counts,
        "custom_fields": custom_definitions(),
        "timeline": timeline_page(client.pk, timeline_filter, viewer=viewer),
        "timeline_filters": {name: label for name, (label, _) in TIMELINE_FILTERS.items()},
    }
