"""Sales reports: funnel, forecast, won and lost, loss reasons, owners, velocity, stuck deals.

Money reports count only deals in the chosen currency (``filters.currency``) and
say in their notes how many deals in other currencies were left out.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, DurationField, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.urls import reverse

from records.models import Deal, FieldChange, Pipeline, Stage
from reports import catalog
from reports.filters import Filters
from reports.measures import OTHERS, other_currency_notes, percent
from reports.tables import Chart, Column, Figure, Report, Series

SALES_FILTERS = ("period", "department", "person", "pipeline", "currency")
COUNT_FILTERS = ("period", "department", "person", "pipeline")  # no money shown
STUCK_FILTERS = ("department", "person", "pipeline", "currency", "days")
STUCK_ROWS = 200
NO_DATE = "No date"
DAY = timedelta(days=1)
CENT = Decimal("0.01")


def deals_in_scope(filters: Filters):
    """Deals owned by the people in scope (on the pipeline filtered on, if one is)."""
    deals = Deal.objects.filter(filters.by_people("owner"))
    if filters.pipeline is not None:
        deals = deals.filter(pipeline=filters.pipeline)
    return deals


def other_currencies_notes(deals, filters: Filters) -> list[str]:
    """Say how many of ``deals`` were left out for being in another currency than the
    report's ("3 deals in USD are not counted: pick USD above.")."""
    counts = (
        deals.exclude(currency=filters.currency)
        .values("currency")
        .annotate(count=Count("pk"))
        .order_by("currency")
    )
    return other_currency_notes({row["currency"]: row["count"] for row in counts})


def _deals(count: int) -> str:
    return f"{count} deal" if count == 1 else f"{count} deals"


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / DAY.total_seconds()


def _month(value) -> date:
    """A truncated month as a date (databases answer a datetime or a date)."""
    return value.date() if isinstance(value, datetime) else value


def months(start: date, end: date) -> list[date]:
    """The first day of every month from ``start``'s to ``end``'s."""
    first, last = start.year * 12 + start.month - 1, end.year * 12 + end.month - 1
    return [date(index // 12, index % 12 + 1, 1) for index in range(first, last + 1)]


def deal_link(pk: int) -> str:
    return reverse("records:deal_detail", args=[pk])


# --- Funnel --------------------------------------------------------------------------


def _funnel_pipeline(filters: Filters) -> Pipeline | None:
    return filters.pipeline or Pipeline.objects.filter(is_default=True).first()


def _stage_histories(deals) -> dict[int, list[tuple[int, datetime]]]:
    """Each deal's stage moves as (new stage pk, when), oldest first, and the stage it
    was opened in as (old stage pk, None) before them; one query for all ``deals``."""
    changes = (
        FieldChange.objects.filter(
            content_type=ContentType.objects.get_for_model(Deal),
            field="stage",
            object_id__in=Subquery(deals.values("pk")),
        )
        .order_by("object_id", "created_at", "pk")
        .values_list("object_id", "old", "new", "created_at")
    )
    histories: dict[int, list] = defaultdict(list)
    for deal_id, old, new, moved_at in changes:
        if not histories[deal_id]:
            histories[deal_id].append((old, None))
        histories[deal_id].append((new, moved_at))
    return histories


def stage_spans(created_at, current_stage, moves, until) -> list[tuple[int, timedelta]]:
    """The stages a deal was in, with how long each stay lasted (the last one until
    ``until``), from its creation and its ``moves`` (see ``_stage_histories``)."""
    if not moves:
        return [(current_stage, until - created_at)]
    starts = [created_at] + [moved_at for _, moved_at in moves[1:]]
    ends = [*starts[1:], until]
    return [
        (stage, end - start) for (stage, _), start, end in zip(moves, starts, ends, strict=True)
    ]


@dataclass
class FunnelStep:
    stage: Stage
    reached: int = 0  # deals that got this far
    visitors: int = 0  # deals that were in this very stage
    time: timedelta = timedelta(0)  # the visitors' time in it, all stays summed

    @property
    def average_days(self) -> float | None:
        if self.stage.is_won or not self.visitors:
            return None
        return round(_days(self.time / self.visitors), 1)


def funnel_steps(stages: list[Stage], deals: list[tuple], histories, now) -> list[FunnelStep]:
    """How many ``deals`` (pk, stage pk, created at) reached each non-lost stage, and their
    time in it: a deal reached stage k if it was ever in k or in a later non-lost stage."""
    steps = [FunnelStep(stage) for stage in stages if not stage.is_lost]
    index = {step.stage.pk: position for position, step in enumerate(steps)}
    for pk, stage_id, created_at in deals:
        time_in = defaultdict(timedelta)
        for stage, time in stage_spans(created_at, stage_id, histories.get(pk, []), now):
            if stage in index:
                time_in[index[stage]] += time
        for step in steps[: max(time_in, default=-1) + 1]:
            step.reached += 1
        for position, time in time_in.items():
            steps[position].visitors += 1
            steps[position].time += time
    return steps


@catalog.report(
    "sales-funnel",
    area="sales",
    title="Funnel",
    summary="Deals opened in the period: how far they got, stage by stage, and how long "
    "they stayed in each.",
    filters=COUNT_FILTERS,
)
def funnel(filters: Filters) -> Report:
    pipeline = _funnel_pipeline(filters)
    stages = list(Stage.objects.filter(pipeline=pipeline))
    created = deals_in_scope(filters).filter(filters.in_period("created_at"), pipeline=pipeline)
    deals = list(created.values_list("pk", "stage_id", "created_at"))
    steps = funnel_steps(stages, deals, _stage_histories(created), filters.now)
    rows = [
        {
            "stage": step.stage.name,
            "reached": step.reached,
            "conversion": percent(step.reached, before.reached) if before else None,
            "days": step.average_days,
        }
        for before, step in zip([None, *steps], steps, strict=False)
    ]
    won = next((step.reached for step in steps if step.stage.is_won), 0)
    return Report(
        title=f"Funnel of the {pipeline} pipeline" if pipeline else "Funnel",
        columns=[
            Column("stage", "Stage"),
            Column("reached", "Deals that reached it", "number"),
            Column("conversion", "From the stage before", "percent"),
            Column("days", "Average time in stage", "days"),
        ],
        rows=rows if deals else [],
        chart=Chart("hbar", "stage", (Series("Deals that reached it", "reached"),)),
        figures=[
            Figure("Deals opened", len(deals)),
            Figure("Won", won),
            Figure("Opened → won", percent(won, len(deals)), "percent"),
        ],
        notes=[
            "A deal reached a stage if it was ever in it or in a later stage (not Lost).",
            "Time in stage counts every stay; a deal still in a stage counts its time so far.",
        ],
        empty="No deals were opened in this period.",
    )


# --- Forecast ------------------------------------------------------------------------


def _weighted(amount: Decimal, probability: int) -> Decimal:
    return (amount * probability / 100).quantize(CENT)


@catalog.report(
    "sales-forecast",
    area="sales",
    title="Forecast",
    summary="Open deals by expected close month, as is and weighted by their stage's "
    "probability, next to what was won each month.",
    filters=SALES_FILTERS,
)
def forecast(filters: Filters) -> Report:
    scope = deals_in_scope(filters)
    won = scope.filter(filters.in_period("closed_at"), status=Deal.Status.WON)
    shown = months(filters.start, filters.end)
    rows = {month: _forecast_row(month) for month in [*shown, NO_DATE]}
    earlier, later = _add_open_deals(rows, scope.filter(currency=filters.currency), shown)
    for group in (
        won.filter(currency=filters.currency)
        .annotate(month=TruncMonth("closed_at", tzinfo=filters.tz))
        .values("month")
        .annotate(value=Sum("amount"))
    ):
        rows[_month(group["month"])]["won"] += group["value"]
    table = [row for row in rows.values() if row["month"] != NO_DATE or row["open"]]
    totals = {key: sum(row[key] for row in table) for key in ("open", "amount", "weighted", "won")}
    counted = scope.filter(Q(status=Deal.Status.OPEN) | Q(pk__in=won))
    return Report(
        title="Open deals by expected close month",
        columns=[
            Column("month", "Expected close", "month"),
            Column("open", "Open deals", "number"),
            Column("amount", "Value", "money"),
            Column("weighted", "Weighted value", "money"),
            Column("won", "Won that month", "money"),
        ],
        rows=table,
        chart=Chart(
            "bar",
            "month",
            (
                Series("Weighted value", "weighted"),
                Series("Value", "amount"),
                Series("Won", "won"),
            ),
            value_kind="money",
        ),
        figures=[
            Figure("Open value", totals["amount"], "money"),
            Figure("Weighted value", totals["weighted"], "money"),
            Figure("Won so far", totals["won"], "money"),
        ],
        totals={"month": "Total"} | totals,
        currency=filters.currency,
        notes=[
            *_outside_notes(earlier, later),
            "Weighted value: each deal's amount times its stage's probability.",
            *other_currencies_notes(counted, filters),
        ],
    )


def _forecast_row(month) -> dict:
    zero = Decimal(0)
    return {"month": month, "open": 0, "amount": zero, "weighted": zero, "won": zero}


def _add_open_deals(rows: dict, deals, shown: list[date]) -> tuple[int, int]:
    """Add the open ``deals`` to their expected close month's row (or "No date"); answer
    how many are expected before and after the months ``shown`` (they have no row)."""
    earlier = later = 0
    for group in (
        deals.filter(status=Deal.Status.OPEN)
        .annotate(month=TruncMonth("expected_close"))
        .values("month", "stage__probability")
        .annotate(count=Count("pk"), amount=Sum("amount"))
    ):
        month = NO_DATE if group["month"] is None else _month(group["month"])
        if month != NO_DATE and month < shown[0]:
            earlier += group["count"]
        elif month != NO_DATE and month > shown[-1]:
            later += group["count"]
        else:
            row = rows[month]
            row["open"] += group["count"]
            row["amount"] += group["amount"]
            row["weighted"] += _weighted(group["amount"], group["stage__probability"])
    return earlier, later


def _outside_notes(earlier: int, later: int) -> list[str]:
    notes = []
    if earlier:
        notes.append(
            f"{_deals(earlier)} still open should have closed before this period: "
            "pick an earlier start to see them."
        )
    if later:
        notes.append(
            f"{_deals(later)} should close after this period: pick a later end to see them."
        )
    return notes


# --- Won and lost --------------------------------------------------------------------


@catalog.report(
    "sales-won-lost",
    area="sales",
    title="Won and lost",
    summary="Deals closed each month, won and lost, with their value.",
    filters=SALES_FILTERS,
)
def won_and_lost(filters: Filters) -> Report:
    closed = (
        deals_in_scope(filters)
        .filter(filters.in_period("closed_at"))
        .exclude(status=Deal.Status.OPEN)
    )
    by_month = {
        _month(row["month"]): row
        for row in closed.filter(currency=filters.currency)
        .annotate(month=TruncMonth("closed_at", tzinfo=filters.tz))
        .values("month")
        .annotate(
            won=Count("pk", filter=Q(status=Deal.Status.WON)),
            lost=Count("pk", filter=Q(status=Deal.Status.LOST)),
            won_value=Sum("amount", filter=Q(status=Deal.Status.WON)),
        )
        .order_by("month")
    }
    rows = [
        {
            "month": month,
            "won": by_month.get(month, {}).get("won", 0),
            "lost": by_month.get(month, {}).get("lost", 0),
            "won_value": by_month.get(month, {}).get("won_value") or 0,
        }
        for month in months(filters.start, filters.end)
    ]
    won = sum(row["won"] for row in rows)
    lost = sum(row["lost"] for row in rows)
    return Report(
        title="Deals won and lost by month",
        columns=[
            Column("month", "Month", "month"),
            Column("won", "Won", "number"),
            Column("lost", "Lost", "number"),
            Column("won_value", "Won value", "money"),
        ],
        rows=rows,
        chart=Chart("bar", "month", (Series("Won", "won"), Series("Lost", "lost"))),
        figures=[
            Figure("Deals won", won),
            Figure("Deals lost", lost),
            Figure("Win rate", percent(won, won + lost, digits=0), "percent"),
        ],
        totals={
            "month": "Total",
            "won": won,
            "lost": lost,
            "won_value": sum(row["won_value"] for row in rows),
        },
        currency=filters.currency,
        notes=other_currencies_notes(closed, filters),
    )


# --- Loss reasons --------------------------------------------------------------------


@catalog.report(
    "sales-loss-reasons",
    area="sales",
    title="Loss reasons",
    summary="Why deals closed in the period were lost: how many, and their value.",
    filters=SALES_FILTERS,
)
def loss_reasons(filters: Filters) -> Report:
    lost = deals_in_scope(filters).filter(filters.in_period("closed_at"), status=Deal.Status.LOST)
    reasons = list(
        lost.filter(currency=filters.currency)
        .values("loss_reason__name", "loss_reason__order")
        .annotate(lost=Count("pk"), value=Sum("amount"))
        .order_by("-lost", "loss_reason__order", "loss_reason__name")
    )
    total = sum(row["lost"] for row in reasons)
    total_value = sum((row["value"] for row in reasons), Decimal(0))
    rows = [
        {
            "reason": row["loss_reason__name"],
            "lost": row["lost"],
            "share": percent(row["lost"], total),
            "value": row["value"],
        }
        for row in reasons
    ]
    return Report(
        title="Lost deals by reason",
        columns=[
            Column("reason", "Reason"),
            Column("lost", "Deals lost", "number"),
            Column("share", "Share of lost deals", "percent"),
            Column("value", "Value lost", "money"),
        ],
        rows=rows,
        chart=Chart("doughnut", "reason", (Series("Deals lost", "lost"),)),
        figures=[
            Figure("Deals lost", total),
            Figure("Value lost", total_value, "money"),
            Figure("Main reason", rows[0]["reason"] if rows else None, "text"),
        ],
        totals={"reason": "Total", "lost": total, "share": 100 if total else None}
        | {"value": total_value},
        currency=filters.currency,
        notes=other_currencies_notes(lost, filters),
        empty="No deals were lost in this period.",
    )


# --- Owners and velocity -------------------------------------------------------------


@dataclass
class OwnerNumbers:
    """One owner's (or several folded owners') closed deals in the period, and open deals."""

    name: str
    won: int = 0
    lost: int = 0
    won_value: Decimal = Decimal(0)
    cycle: timedelta = timedelta(0)  # created → closed, summed over the won deals
    open: int = 0

    def add(self, other: "OwnerNumbers") -> None:
        self.won += other.won
        self.lost += other.lost
        self.won_value += other.won_value
        self.cycle += other.cycle
        self.open += other.open

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> float | None:
        return percent(self.won, self.closed)

    @property
    def average_won(self) -> Decimal | None:
        return (self.won_value / self.won).quantize(CENT) if self.won else None

    @property
    def cycle_days(self) -> float | None:
        return round(_days(self.cycle / self.won), 1) if self.won else None

    @property
    def velocity(self) -> Decimal | None:
        """Value per day the open deals are expected to bring (see the velocity report)."""
        if not self.won or not self.cycle:
            return None
        win_rate = Decimal(self.won) / self.closed
        cycle_days = Decimal(_days(self.cycle / self.won))
        per_day = self.open * win_rate * (self.won_value / self.won) / cycle_days
        return per_day.quantize(CENT)


def owner_numbers(scope, filters: Filters, with_open: bool = False) -> list[OwnerNumbers]:
    """Per owner, the deals of ``scope`` in the report's currency closed in the period
    (and, ``with_open``, open now); owners the viewer may not see one by one are folded
    into a last "Others" row. Two queries at most."""
    deals = scope.filter(currency=filters.currency)
    closed = (
        deals.filter(filters.in_period("closed_at"))
        .exclude(status=Deal.Status.OPEN)
        .values("owner", "owner__full_name")
        .annotate(
            won=Count("pk", filter=Q(status=Deal.Status.WON)),
            lost=Count("pk", filter=Q(status=Deal.Status.LOST)),
            won_value=Sum("amount", filter=Q(status=Deal.Status.WON)),
            cycle=Sum(
                F("closed_at") - F("created_at"),
                filter=Q(status=Deal.Status.WON),
                output_field=DurationField(),
            ),
        )
    )
    groups = [
        (
            row["owner"],
            OwnerNumbers(
                row["owner__full_name"],
                won=row["won"],
                lost=row["lost"],
                won_value=row["won_value"] or Decimal(0),
                cycle=row["cycle"] or timedelta(0),
            ),
        )
        for row in closed
    ]
    if with_open:
        groups += [
            (row["owner"], OwnerNumbers(row["owner__full_name"], open=row["open"]))
            for row in deals.filter(status=Deal.Status.OPEN)
            .values("owner", "owner__full_name")
            .annotate(open=Count("pk"))
        ]
    return _fold(groups, filters)


def _fold(groups: list[tuple[int, OwnerNumbers]], filters: Filters) -> list[OwnerNumbers]:
    owners: dict[int, OwnerNumbers] = {}
    others = OwnerNumbers(OTHERS)
    for owner, numbers in groups:
        if not filters.itemizes(owner):
            others.add(numbers)
            continue
        owners.setdefault(owner, OwnerNumbers(numbers.name)).add(numbers)
    rows = sorted(owners.values(), key=lambda numbers: numbers.name.lower())
    return [*rows, others] if others.closed or others.open else rows


def _total(rows: list[OwnerNumbers]) -> OwnerNumbers:
    total = OwnerNumbers("Total")
    for numbers in rows:
        total.add(numbers)
    return total


@catalog.report(
    "sales-owners",
    area="sales",
    title="Owners",
    summary="Per owner: deals won and lost in the period, win rate, average won deal and "
    "how long won deals took.",
    filters=SALES_FILTERS,
)
def owners(filters: Filters) -> Report:
    scope = deals_in_scope(filters)
    rows = owner_numbers(scope, filters)
    total = _total(rows)
    return Report(
        title="Deals closed in the period, by owner",
        columns=[
            Column("owner", "Owner", "person"),
            Column("won", "Won", "number"),
            Column("lost", "Lost", "number"),
            Column("win_rate", "Win rate", "percent"),
            Column("average_won", "Average won deal", "money"),
            Column("cycle_days", "Sales cycle", "days"),
            Column("closed", "Closed", "number"),
        ],
        rows=[_owner_row(numbers) for numbers in rows],
        chart=Chart("bar", "owner", (Series("Won", "won"), Series("Lost", "lost"))),
        figures=[
            Figure("Win rate", total.win_rate, "percent"),
            Figure("Average won deal", total.average_won, "money"),
            Figure("Average sales cycle", total.cycle_days, "days"),
        ],
        totals=_owner_row(total),
        currency=filters.currency,
        notes=[
            "Sales cycle: days from opening a won deal to winning it, on average.",
            *other_currencies_notes(
                scope.filter(filters.in_period("closed_at")).exclude(status=Deal.Status.OPEN),
                filters,
            ),
        ],
        empty="No deals were closed in this period.",
    )


def _owner_row(numbers: OwnerNumbers) -> dict:
    return {
        "owner": numbers.name,
        "won": numbers.won,
        "lost": numbers.lost,
        "win_rate": numbers.win_rate,
        "average_won": numbers.average_won,
        "cycle_days": numbers.cycle_days,
        "closed": numbers.closed,
        "open": numbers.open,
        "velocity": numbers.velocity,
    }


@catalog.report(
    "sales-velocity",
    area="sales",
    title="Velocity",
    summary="How much value per day the open pipeline is bringing in, per owner.",
    filters=SALES_FILTERS,
)
def velocity(filters: Filters) -> Report:
    scope = deals_in_scope(filters)
    rows = owner_numbers(scope, filters, with_open=True)
    total = _total(rows)
    return Report(
        title="Pipeline velocity by owner",
        columns=[
            Column("owner", "Owner", "person"),
            Column("open", "Open deals", "number"),
            Column("win_rate", "Win rate", "percent"),
            Column("average_won", "Average won deal", "money"),
            Column("cycle_days", "Sales cycle", "days"),
            Column("velocity", "Velocity per day", "money"),
        ],
        rows=[_owner_row(numbers) for numbers in rows],
        chart=Chart("hbar", "owner", (Series("Velocity per day", "velocity"),), "money"),
        figures=[Figure("Velocity per day", total.velocity, "money")],
        totals=_owner_row(total),
        currency=filters.currency,
        notes=[
            "Velocity = open deals times win rate times average won deal, divided by the "
            "sales cycle in days: the "
            "value the open deals bring in per day, if they go as the period's closed deals "
            "went. Win rate, average and cycle come from the deals closed in the period; "
            "open deals are the ones open now.",
            *other_currencies_notes(
                scope.filter(
                    Q(status=Deal.Status.OPEN)
                    | (filters.in_period("closed_at") & ~Q(status=Deal.Status.OPEN))
                ),
                filters,
            ),
        ],
        empty="No open or closed deals to measure.",
    )


# --- Stuck deals ---------------------------------------------------------------------


def _entered_stage():
    """When a deal came into its current stage: its last stage move, else its opening."""
    last_move = (
        FieldChange.objects.filter(
            content_type=ContentType.objects.get_for_model(Deal),
            field="stage",
            object_id=OuterRef("pk"),
        )
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )
    return Coalesce(Subquery(last_move), F("created_at"))


@catalog.report(
    "sales-stuck",
    area="sales",
    title="Stuck deals",
    summary="Open deals that have sat in their stage longer than the days you choose.",
    filters=STUCK_FILTERS,
)
def stuck(filters: Filters) -> Report:
    now = filters.now
    scope = deals_in_scope(filters).filter(status=Deal.Status.OPEN)
    deals = (
        scope.filter(currency=filters.currency)
        .annotate(entered=_entered_stage())
        .filter(entered__lt=now - filters.days * DAY)
    )
    found = list(
        deals.order_by("entered", "pk").values(
            "pk", "title", "client__name", "owner__full_name", "stage__name", "amount", "entered"
        )[: STUCK_ROWS + 1]
    )
    total = deals.count() if len(found) > STUCK_ROWS else len(found)
    notes = []
    if total > STUCK_ROWS:
        notes.append(
            f"Showing the {STUCK_ROWS} longest stuck of {total} deals: "
            "pick a department, a person or more days to see the others."
        )
    rows = [
        {
            "deal": deal["title"],
            "link": deal_link(deal["pk"]),
            "client": deal["client__name"],
            "owner": deal["owner__full_name"],
            "stage": deal["stage__name"],
            "days": int(_days(now - deal["entered"])),
            "amount": deal["amount"],
        }
        for deal in found[:STUCK_ROWS]
    ]
    return Report(
        title=f"Open deals in their stage for more than {filters.days} days",
        columns=[
            Column("deal", "Deal"),
            Column("client", "Client"),
            Column("owner", "Owner", "person"),
            Column("stage", "Stage"),
            Column("days", "Days in stage", "number"),
            Column("amount", "Amount", "money"),
        ],
        rows=rows,
        figures=[Figure("Stuck deals", total)],
        currency=filters.currency,
        notes=notes + other_currencies_notes(scope, filters),
        empty=f"No open deal has been in its stage for more than {filters.days} days.",
        row_link="link",
    )
