"""Sales reports: funnel, forecast, won and lost, owners, velocity, stuck deals."""

from collections import defaultdict
from datetime import date

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from records.models import Deal
from reports import catalog
from reports.filters import Filters
from reports.tables import Chart, Column, Figure, Report, Series

SALES_FILTERS = ("period", "department", "person", "pipeline", "currency")


def deals_in_scope(filters: Filters):
    """Deals owned by the people in scope (on the pipeline filtered on, if one is)."""
    deals = Deal.objects.filter(filters.by_people("owner"))
    if filters.pipeline is not None:
        deals = deals.filter(pipeline=filters.pipeline)
    return deals


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
        .filter(filters.in_period("closed_at"), currency=filters.currency)
        .exclude(status=Deal.Status.OPEN)
        .annotate(month=TruncMonth("closed_at", tzinfo=filters.tz))
        .values("month")
        .annotate(
            won=Count("pk", filter=Q(status=Deal.Status.WON)),
            lost=Count("pk", filter=Q(status=Deal.Status.LOST)),
            won_value=Sum("amount", filter=Q(status=Deal.Status.WON)),
        )
        .order_by("month")
    )
    by_month = defaultdict(dict)
    for row in closed:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        by_month[month] = row
    rows = [
        {
            "month": month,
            "won": by_month[month].get("won", 0),
            "lost": by_month[month].get("lost", 0),
            "won_value": by_month[month].get("won_value") or 0,
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
            Figure("Win rate", round(100 * won / (won + lost)) if won + lost else None, "percent"),
        ],
        totals={
            "month": "Total",
            "won": won,
            "lost": lost,
            "won_value": sum(row["won_value"] for row in rows),
        },
        currency=filters.currency,
    )


def months(start: date, end: date) -> list[date]:
    """The first day of every month from ``start``'s to ``end``'s."""
    first, last = start.year * 12 + start.month - 1, end.year * 12 + end.month - 1
    return [date(index // 12, index % 12 + 1, 1) for index in range(first, last + 1)]
