"""The demo book's generated history, written in bulk: audit rows and timeline entries.

``History`` collects them in memory while the generators run and writes them
in two inserts; ``Setup`` holds the fixed rows they need (the default
pipeline's stages, loss reasons, SLA hours, the audited models' content
types). Summaries of field changes are the services' own
(``records.services.base.change_summary``). ``bulk_insert`` and ``markdown``
serve the rest of the demo too. Why bulk and not the services: demo/book.py.
"""

from dataclasses import dataclass, field
from functools import cache

from django.contrib.contenttypes.models import ContentType

from records.models import (
    Client,
    Deal,
    FieldChange,
    LossReason,
    Pipeline,
    Priority,
    Ticket,
    TicketSlaPolicy,
    TimelineEntry,
)
from records.services.base import change_summary
from workspace.text import render_markdown

BATCH = 2000


def bulk_insert(model, rows: list) -> list:
    """Insert ``rows``; their pks are set (RETURNING, on PostgreSQL and SQLite alike)."""
    return model.objects.bulk_create(rows, batch_size=BATCH)


@dataclass
class Setup:
    """The default pipeline's stages, loss reasons, SLA hours and audit content types."""

    open_stages: list
    won: object
    lost: object
    loss_reasons: list
    sla_hours: dict
    content_types: dict = field(default_factory=dict)

    @classmethod
    def load(cls) -> "Setup":
        pipeline = Pipeline.objects.get(is_default=True)
        stages = list(pipeline.stages.order_by("order"))
        return cls(
            open_stages=[stage for stage in stages if not stage.is_won and not stage.is_lost],
            won=next(stage for stage in stages if stage.is_won),
            lost=next(stage for stage in stages if stage.is_lost),
            loss_reasons=list(LossReason.objects.filter(active=True)),
            sla_hours={priority: TicketSlaPolicy.hours_for(priority) for priority in Priority},
            content_types={
                model: ContentType.objects.get_for_model(model) for model in (Client, Deal, Ticket)
            },
        )


@cache
def markdown(text: str) -> str:
    """``render_markdown``, once per distinct text: the demo repeats its lines."""
    return render_markdown(text)


class History:
    """Audit rows and timeline entries collected in memory, written in two bulk inserts."""

    def __init__(self, setup: Setup):
        self.setup = setup
        self.entries: list[TimelineEntry] = []
        self.linked: list[tuple[FieldChange, TimelineEntry]] = []

    def entry(self, client_id, kind, at, actor, summary, **extra) -> TimelineEntry:
        entry = TimelineEntry(
            client_id=client_id,
            kind=kind,
            actor=actor,
            summary=summary[:300],
            created_at=at,
            **extra,
        )
        self.entries.append(entry)
        return entry

    def change(self, obj, name, old, new, at, actor, displays, *, kind, summary="", **links):
        """An audit row of ``obj.name`` and its timeline entry (data links to the row).

        The entry says ``summary``, by default what the services say of a field change.
        """
        change = FieldChange(
            actor=actor,
            content_type=self.setup.content_types[type(obj)],
            object_id=obj.pk,
            field=name,
            old=old,
            new=new,
            old_display=displays[0],
            new_display=displays[1],
            created_at=at,
        )
        client_id = obj.pk if isinstance(obj, Client) else obj.client_id
        data = {"model": type(obj)._meta.model_name, "id": obj.pk}
        summary = summary or change_summary(actor, obj, name, change)
        entry = self.entry(client_id, kind, at, actor, summary, data=data, **links)
        self.linked.append((change, entry))

    def save(self) -> int:
        changes = [change for change, _ in self.linked]
        bulk_insert(FieldChange, changes)
        for change, entry in self.linked:
            entry.data["change"] = change.pk
        bulk_insert(TimelineEntry, self.entries)
        count = len(self.entries)
        self.entries, self.linked = [], []
        return count
