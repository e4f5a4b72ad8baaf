"""A client's timeline, for every app that has something to add to it.

The timeline is the 360° view of a client (DESIGN §5): field changes,
comments, deals, tickets, tasks and handoffs (records' services), highlighted
chat messages (chat) and meetings (calendar_app). Each writes its entry here,
inside its own transaction, and publishes it as it publishes the change.
"""

from collections.abc import Callable

from records.models import Comment, Deal, Handoff, Task, Ticket, TimelineEntry
from workspace import acting

SUMMARY_MAX_LENGTH = 300

EntryTest = Callable[[TimelineEntry], bool]
_templates_by_kind: dict[str, str] = {}
_templates_by_test: list[tuple[EntryTest, str]] = []
entry_stylesheets: list[str] = []  # static paths the registered templates need


def add_entry(*, actor, client_id: int, kind: str, summary: str, obj=None, **extra):
    """Record an entry of ``kind`` on the client's timeline; returns the TimelineEntry.

    ``obj`` (a deal, ticket, comment, task or handoff) links the entry to it and
    to the records it belongs to; ``extra`` sets other fields (``body``,
    ``data``…). A summary longer than the column is cut with "…". Inside an
    automation rule's actions the entry says so (``via``, workspace/acting.py).
    """
    entry = TimelineEntry(
        client_id=client_id,
        kind=kind,
        actor=actor,
        via=acting.via_label(),
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


def register_entry_template(
    kind_or_test: str | EntryTest, template: str, *, stylesheet: str = ""
) -> None:
    """Draw the body of entries of a kind (or those ``test(entry)`` accepts) with a higher
    app's ``template`` (given ``entry``), in place of the plain sanitized body.

    records never imports the apps above it (DESIGN §2): mail registers its part of
    an email entry (status, attachments, quoted text, Reply) in its ``AppConfig.ready``.
    The template must draw from ``entry`` alone (no query per entry) and the same for
    every viewer: live events render it once for all (records/fragments).
    ``stylesheet`` (a static path) is linked by pages showing the timeline.
    """
    if stylesheet and stylesheet not in entry_stylesheets:
        entry_stylesheets.append(stylesheet)
    if isinstance(kind_or_test, str):
        _templates_by_kind[kind_or_test] = template
    elif (kind_or_test, template) not in _templates_by_test:
        _templates_by_test.append((kind_or_test, template))


def entry_template(entry: TimelineEntry) -> str | None:
    """The template registered for ``entry``, or None (records draws it alone)."""
    if entry.kind in _templates_by_kind:
        return _templates_by_kind[entry.kind]
    return next((template for test, template in _templates_by_test if test(entry)), None)
