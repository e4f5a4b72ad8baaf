"""Live fragments of the kanban board: a card moves, changes or goes; column totals follow.

A card is redrawn by deleting ``#deal-card-<id>`` wherever it is and appending
it to ``#stage-cards-<stage>``; board.js then puts it at its position (cards
carry ``data-position``) and drops it again on boards filtered to another
owner. The totals of the columns involved are redrawn for everyone
(``#stage-stats-<stage>``) and for the owners concerned
(``#stage-stats-<stage>-u<owner>``, what a board filtered to that owner shows).
"""

from records.fragments import fragment, renders
from records.models import Deal, FieldChange, Stage
from records.selectors import deals as selectors

# Fields shown on a card, and those that change the column totals.
CARD_FIELDS = {"title", "amount", "currency", "owner", "expected_close"}
TOTAL_FIELDS = {"amount", "currency", "owner"}


@renders("deal.created", "deal.updated", "deal.moved", "deal.won", "deal.lost", "deal.deleted")
def board_card(kind: str, payload: dict) -> str:
    if kind == "deal.updated" and payload.get("field") not in CARD_FIELDS:
        return ""
    deal = None if kind == "deal.deleted" else selectors.card(payload["id"])
    stage_ids = {payload.get("from_stage"), payload.get("stage")} - {None}
    owner_ids = {payload.get("owner")} - {None}
    if deal is not None:
        stage_ids.add(deal.stage_id)
        owner_ids.add(deal.owner_id)
        if payload.get("field") == "owner":
            owner_ids |= _previous_owner(payload)
    pipeline_id = deal.pipeline_id if deal else selectors.pipeline_of_stage(payload.get("stage"))
    if pipeline_id is None:
        return ""
    return fragment(
        "records/board.html#live-card",
        {
            "deal_id": payload["id"],
            "deal": deal if deal and _on_board(deal) else None,
            "column_totals": _column_totals(kind, payload, pipeline_id, stage_ids, owner_ids),
        },
    )


def _on_board(deal: Deal) -> bool:
    return deal.status == Deal.Status.OPEN or (
        deal.closed_at is not None and deal.closed_at >= selectors.recent_since()
    )


def _column_totals(kind, payload, pipeline_id, stage_ids, owner_ids):
    """(stage, owner id or None, totals) for every column header this event changes."""
    if kind == "deal.updated" and payload.get("field") not in TOTAL_FIELDS:
        return []
    stages = {stage.pk: stage for stage in Stage.objects.filter(pk__in=stage_ids)}
    found = selectors.totals(pipeline_id, list(stages), tuple(owner_ids))
    return [
        (stages[stage_id], owner_id, totals)
        for (stage_id, owner_id), totals in found.items()
        if stage_id in stages
    ]


def _previous_owner(payload: dict) -> set[int]:
    old = FieldChange.objects.filter(pk=payload.get("change")).values_list("old", flat=True)
    return {int(value) for value in old if value is not None}
