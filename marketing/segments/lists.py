"""Segments on records' client and contact lists (a filter), and their live topic."""

from dataclasses import dataclass

from marketing.models import Segment
from marketing.policies import can_view_marketing
from marketing.segments.definitions import segment_q
from marketing.segments.fields import CLIENTS, CONTACTS, Scope
from records.selectors import lists
from records.selectors.lists import Filter, Invalid

# --- Segments on records' client and contact lists -----------------------------------

TOPIC = "segments.all"  # open segment pages follow it: a segment created, changed or deleted


@dataclass(frozen=True)
class SegmentFilter(Filter):
    """A list filter keeping the members of one segment (``?segment=<id>``)."""

    scope: Scope = CLIENTS

    def parse(self, raw, viewer):
        segment = Segment.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if segment is None:
            raise Invalid(f"{self.label}: there is no segment “{raw}”.")
        return segment

    def where(self, value, viewer):
        return segment_q(value, self.scope)

    def options(self):
        return [(str(pk), name) for pk, name in Segment.objects.values_list("pk", "name")]


def can_follow_segments(user, key: str) -> bool:
    return key == "all" and can_view_marketing(user)


def load() -> None:
    """At start-up: the segment filter on the client and contact lists, and the live topic."""
    from workspace import live

    lists.add_filter("clients", SegmentFilter("segment", "Segment", scope=CLIENTS))
    lists.add_filter("contacts", SegmentFilter("segment", "Segment", scope=CONTACTS))
    live.register_topic("segments", can_follow_segments)
