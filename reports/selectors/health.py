"""Health reports (registered in reports/catalog.py): clients at risk, and the score's spread.

Both read the ``ClientHealth`` rollup (reports/health.py keeps it current),
never the signals themselves: one indexed query whatever the number of clients.
Clients are shared records, so a client row is no one's "own number"; the
department and person filters narrow the list to the owners in scope.
"""

from django.db.models import Count, Q
from django.urls import reverse

from reports import catalog
from reports.filters import Filters
from reports.health import AT_RISK_SCORE, client_link
from reports.models import ClientHealth
from reports.tables import Chart, Column, Figure, Report, Series

HEALTH_FILTERS = ("department", "person")
AT_RISK_ROWS = 200
# Score bands of the distribution: (label, lowest score, highest score).
BANDS = (
    ("0-19", 0, 19),
    ("20-39", 20, 39),
    ("40-59", 40, 59),
    ("60-79", 60, 79),
    ("80-100", 80, 100),
)


def scores_in_scope(filters: Filters):
    """The stored scores of clients owned by people in scope."""
    return ClientHealth.objects.filter(filters.by_people("client__owner"))


@catalog.report(
    "health-at-risk",
    area="health",
    title="Clients at risk",
    summary=f"Clients whose health-risk score is {AT_RISK_SCORE} or more, riskiest first, "
    "with the reason that weighs most.",
    filters=HEALTH_FILTERS,
)
def at_risk(filters: Filters) -> Report:
    at_risk = scores_in_scope(filters).filter(score__gte=AT_RISK_SCORE)
    found = list(
        at_risk.order_by("-score", "client__name", "pk").values(
            "client_id", "client__name", "client__owner__full_name", "score", "reasons"
        )[: AT_RISK_ROWS + 1]
    )
    rows = [
        {
            "client": row["client__name"],
            "owner": row["client__owner__full_name"],
            "score": row["score"],
            "reason": row["reasons"][0]["text"] if row["reasons"] else "",
            "link": client_link(row["client_id"]),
        }
        for row in found[:AT_RISK_ROWS]
    ]
    total = len(found) if len(found) <= AT_RISK_ROWS else at_risk.count()
    notes = []
    if total > AT_RISK_ROWS:
        notes.append(
            f"Showing the {AT_RISK_ROWS} riskiest of {total} clients at risk: "
            "pick a department or person above to see the rest."
        )
    return Report(
        title="Clients at risk",
        columns=[
            Column("client", "Client"),
            Column("owner", "Owner", "person"),
            Column("score", "Score", "number"),
            Column("reason", "Main reason"),
        ],
        rows=rows,
        figures=[Figure("Clients at risk", total)],
        notes=notes,
        empty="No client is at risk.",
        row_link="link",
    )


@catalog.report(
    "health-distribution",
    area="health",
    title="Score distribution",
    summary="How many clients fall in each band of the health-risk score (higher is riskier).",
    filters=HEALTH_FILTERS,
)
def distribution(filters: Filters) -> Report:
    counts = scores_in_scope(filters).aggregate(
        at_risk=Count("pk", filter=Q(score__gte=AT_RISK_SCORE)),
        **{
            f"band{index}": Count("pk", filter=Q(score__gte=low, score__lte=high))
            for index, (_, low, high) in enumerate(BANDS)
        },
    )
    rows = [
        {"band": label, "clients": counts[f"band{index}"]}
        for index, (label, _, _) in enumerate(BANDS)
    ]
    scored = sum(row["clients"] for row in rows)
    at_risk = counts["at_risk"]
    return Report(
        title="Clients by health-risk score",
        columns=[Column("band", "Score"), Column("clients", "Clients", "number")],
        rows=rows,
        chart=Chart("bar", "band", (Series("Clients", "clients"),)),
        figures=[
            Figure("Clients scored", scored),
            Figure(
                "Clients at risk", at_risk, link=reverse("reports:report", args=["health-at-risk"])
            ),
        ],
        totals={"band": "Total", "clients": scored},
        empty="No client has a score yet.",
    )
