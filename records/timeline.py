"""A client's timeline, for every app that has something to add to it.

The timeline is the 360° view of a client (DESIGN §5): field changes,
comments, deals, tickets, tasks and handoffs (records' services), highlighted
chat messages (chat) and meetings (calendar_app). Each writes its entry here,
inside its own transaction, and publishes it as it publishes the change.
"""

from records.models import Comment, Deal, Handoff, Task, Ticket, TimelineEntry

SUMMARY_MAX_LENGTH = 300


def add_entry(*, actor, client_id: int, kind: str, summary: str, obj=None, **extra):
    """Record an entry of ``kind`` on the client's timeline; returns the TimelineEntry.

    ``obj`` (a deal, ticket, comment, task or handoff) links the entry to it and
    to the records it belongs to; ``extra`` sets other fields (``body``,
    ``data``…). A summary longer than the column is cut with "…".
    """
    entry = TimelineEntry(
        client_id=client_id,
        kind=kind,
        actor=actor,
        summary=_clip(summary, SUMMARY_MAX_LENGTH),
        **_links(obj),
        **extra,
    )
    entry.full_clean()
    entry.save()
    return entry


def _links(obj) -> dict:
    match obj:
        case Deal():
            return {"deal": obj}
        case Ticket():
            return {"ticket": obj}
        case Comment():
            return {"comment": obj, "deal": obj.deal, "ticket": obj.ticket, "task": obj.task}
        case Task():
            return {"task": obj, "deal": obj.deal, "ticket": obj.ticket}
        case Handoff():
            return {"handoff": obj, "deal": obj.deal, "ticket": obj.ticket, "task": obj.task}
    return {}


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
