"""Reads behind the kanban board and the deal page (shared by views and live fragments).

A board runs a fixed number of queries whatever its size: the stages, one
grouped aggregate for every column's count and sums, one windowed query for
the ids of every column's first cards, and one for those cards. Open columns
show their first ``CARDS_PER_COLUMN`` cards (more on request); the Won and
Lost columns show only deals closed in the last ``RECENT_CLOSED_DAYS`` days,
so a board with thousands of deals stays fast.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Count, F, Q, Sum, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import User
from records.models import Deal, FieldChange, LossReason, Pipeline, Stage

CARDS_PER_COLUMN = 20
RECENT_CLOSED_DAYS = 30
CARD_ORDER = ("position", "-updated_at", "pk")


@dataclass
class Totals:
    """Count and amount sums (per currency) of a column, as a viewer's filter sees it."""

    count: int = 0
    sums: dict[str, Decimal] = field(default_factory=dict)

    def add(self, currency: str, count: int, amount: Decimal | None) -> None:
        self.count += count
        self.sums[currency] = self.sums.get(currency, Decimal(0)) + (amount or Decimal(0))

    @property
    def amounts(self) -> list[tuple[str, Decimal]]:
        """(currency, sum) pairs, largest first."""
        return sorted(self.sums.items(), key=lambda pair: -pair[1])


@dataclass
class Column:
    stage: Stage
    totals: Totals
    cards: list[Deal]

    @property
    def more(self) -> int:
        return max(self.totals.count - len(self.cards), 0)


def board_pipelines() -> list[Pipeline]:
    return list(Pipeline.objects.all())


def stages_of(pipeline_id: int) -> list[Stage]:
    """Open stages in order, then Won, then Lost (closed columns sit at the end)."""
    stages = Stage.objects.filter(pipeline_id=pipeline_id)
    return sorted(
        stages, key=lambda stage: (stage.is_won + 2 * stage.is_lost, stage.order, stage.pk)
    )


def pipeline_of_stage(stage_id) -> int | None:
    return Stage.objects.filter(pk=stage_id).values_list("pipeline_id", flat=True).first()


def recent_since():
    return timezone.now() - timedelta(days=RECENT_CLOSED_DAYS)


def _on_board() -> Q:
    """Deals a board shows: every open one, closed ones only when recent."""
    return Q(status=Deal.Status.OPEN) | Q(closed_at__gte=recent_since())


def totals(pipeline_id: int, stage_ids, owner_ids=()) -> dict[tuple[int, int | None], Totals]:
    """Totals per (stage, owner) for ``owner_ids`` and per (stage, None) for everyone: one query."""
    rows = (
        Deal.objects.filter(_on_board(), pipeline_id=pipeline_id, stage_id__in=stage_ids)
        .values("stage_id", "owner_id", "currency")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by()
    )
    result: dict[tuple[int, int | None], Totals] = defaultdict(Totals)
    for stage_id in stage_ids:
        result[stage_id, None] = Totals()
        for owner_id in owner_ids:
            result[stage_id, owner_id] = Totals()
    for row in rows:
        result[row["stage_id"], None].add(row["currency"], row["count"], row["amount"])
        if row["owner_id"] in owner_ids:
            result[row["stage_id"], row["owner_id"]].add(
                row["currency"], row["count"], row["amount"]
            )
    return result


def card_queryset():
    """Cards, with ``is_overdue`` (open after the expected close) worked out in SQL."""
    overdue = Q(status=Deal.Status.OPEN, expected_close__lt=timezone.localdate())
    return (
        Deal.objects.select_related("client", "owner")
        .annotate(is_overdue=Case(When(overdue, then=Value(True)), default=Value(False)))
        .order_by(*CARD_ORDER)
    )


def board_columns(pipeline: Pipeline, owner_id: int | None = None) -> list[Column]:
    """Every column of ``pipeline``'s board with its totals and first cards (4 queries)."""
    stages = stages_of(pipeline.pk)
    stage_ids = [stage.pk for stage in stages]
    owners = (owner_id,) if owner_id else ()
    column_totals = totals(pipeline.pk, stage_ids, owners)
    cards = defaultdict(list)
    for deal in card_queryset().filter(pk__in=list(_first_card_ids(pipeline, owner_id))):
        cards[deal.stage_id].append(deal)
    return [
        Column(stage=stage, totals=column_totals[stage.pk, owner_id], cards=cards[stage.pk])
        for stage in stages
    ]


def _first_card_ids(pipeline: Pipeline, owner_id: int | None):
    """The ids of every column's first cards, ranked on the deals alone.

    Ranking the cards with their joins (or in a subquery, whose size the
    planner cannot guess) made PostgreSQL join every deal of the board to its
    client, scanning the whole client table, to keep 100 cards: 40-60 ms on
    100,000 clients. Fetched first, the ids make the cards' query a few index
    lookups.
    """
    deals = Deal.objects.filter(_on_board(), pipeline_id=pipeline.pk)
    if owner_id:
        deals = deals.filter(owner_id=owner_id)
    order = list(map(_order, CARD_ORDER))
    return (
        deals.annotate(rank=Window(RowNumber(), partition_by=F("stage_id"), order_by=order))
        .filter(rank__lte=CARDS_PER_COLUMN)
        .order_by()
        .values_list("pk", flat=True)
    )


def _order(name: str):
    return F(name.lstrip("-")).desc() if name.startswith("-") else F(name).asc()


def column_cards(stage: Stage, owner_id: int | None, offset: int, limit: int = CARDS_PER_COLUMN):
    """The next cards of one column ("show more"), one query."""
    deals = card_queryset().filter(_on_board(), stage=stage)
    if owner_id:
        deals = deals.filter(owner_id=owner_id)
    return list(deals[offset : offset + limit])


def card(deal_id: int) -> Deal | None:
    return card_queryset().filter(pk=deal_id).first()


def deal_owners() -> list[User]:
    """People a board can be filtered by: active staff, by name."""
    return list(User.objects.filter(is_active=True).order_by("full_name"))


def active_loss_reasons() -> list[LossReason]:
    return list(LossReason.objects.filter(active=True))


def stage_history(deal: Deal) -> list[FieldChange]:
    """The deal's stage moves, newest first (from the audit)."""
    return list(
        FieldChange.objects.filter(
            content_type=ContentType.objects.get_for_model(Deal), object_id=deal.pk, field="stage"
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")
    )
