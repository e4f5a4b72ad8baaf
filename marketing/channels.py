"""The channels report (Reports → Marketing): every source side by side.

A source is what a touch names (marketing/attribution.py): a campaign; else a
UTM source and medium ("google / cpc"); else the web form; else how the
contact was added (by staff, by import). Per source, in the period:

* new contacts — contacts whose *first* touch came from it then;
* deals opened — deals opened then, credited to their client's latest touch
  (what brought the deal about, as on a campaign's page);
* won revenue, first touch — deals won then, credited to the source that first
  brought the client in;
* won revenue, latest touch — the same deals credited to the client's latest
  touch when the deal opened (what brought the deal about);
* cost and ROI — campaigns' costs (campaigns that started in the period),
  against their latest-touch revenue.

Whose numbers: the marketing department and admins see the whole company (where
revenue came from is their job); anyone else sees their scope, as in every
report (deals by their owner, contacts by their client's department). A chosen
department narrows either.
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum

from accounts.models import User
from marketing import policies
from marketing.models import Attribution, Campaign, Touch, WebForm
from records.models import Deal
from reports import catalog
from reports.filters import Filters
from reports.measures import percent
from reports.tables import Chart, Column, Figure, Report, Series

CHANNEL_FILTERS = ("period", "department", "currency")
TOUCHMEASURES = ("channel", "campaign", "form", "utm_source", "utm_medium")
CHANNEL_NAMES = dict(Touch.Channel.choices)
MEASURES = ("new_contacts", "deals_opened", "won_first", "won_latest")


def source_key(touch: dict) -> tuple:
    """The source a touch's values (``TOUCHMEASURES``) stand for, as a hashable key."""
    if touch["campaign"]:
        return ("campaign", touch["campaign"])
    if touch["utm_source"]:
        return ("utm", touch["utm_source"], touch["utm_medium"])
    if touch["form"]:
        return ("form", touch["form"])
    return ("channel", touch["channel"])


def _grouped(queryset, prefix: str, **measures) -> dict[tuple, dict]:
    """``measures`` summed per source of the touch at ``prefix`` (``first``/``latest``)."""
    fields = [f"{prefix}__{name}" for name in TOUCHMEASURES]
    totals: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    for row in queryset.values(*fields).annotate(**measures).order_by():
        key = source_key({name: row[f"{prefix}__{name}"] for name in TOUCHMEASURES})
        for measure in measures:
            totals[key][measure] += row[measure] or 0
    return totals


def _names(keys) -> dict[tuple, tuple[str, str]]:
    """(source, channel) as people read them, per key, in two queries."""
    campaigns = dict(
        Campaign.objects.filter(pk__in=[k[1] for k in keys if k[0] == "campaign"]).values_list(
            "pk", "name"
        )
    )
    forms = dict(
        WebForm.objects.filter(pk__in=[k[1] for k in keys if k[0] == "form"]).values_list(
            "pk", "name"
        )
    )
    names = {}
    for key in keys:
        match key:
            case ("campaign", pk):
                names[key] = (campaigns.get(pk, "A deleted campaign"), "Email campaign")
            case ("utm", source, medium):
                names[key] = (f"{source} / {medium}" if medium else source, "Tracked link")
            case ("form", pk):
                names[key] = (forms.get(pk, "A deleted form"), "Web form")
            case ("channel", channel):
                names[key] = (CHANNEL_NAMES.get(channel, channel), "Direct")
    return names


def _contacts(filters: Filters) -> dict[tuple, dict]:
    attributions = Attribution.objects.filter(
        contact__isnull=False,
        first__created_at__gte=filters.start_at,
        first__created_at__lt=filters.end_at,
    )
    departments = _department_ids(filters)
    if departments is not None:
        attributions = attributions.filter(contact__client__department__in=departments)
    return _grouped(attributions, "first", new_contacts=Count("pk"))


def _company_wide(filters: Filters) -> bool:
    viewer = User.objects.filter(pk=filters.scope.viewer_id).first()
    return viewer is not None and policies.can_manage_marketing(viewer)


def _department_ids(filters: Filters):
    if filters.department is not None:
        return [filters.department.pk]
    if filters.scope.department_ids is not None and not _company_wide(filters):
        return list(filters.scope.department_ids)
    return None


def _deals(filters: Filters):
    deals = Attribution.objects.filter(deal__isnull=False)
    if filters.department is None and _company_wide(filters):
        return deals
    ids = filters.people_ids()
    return deals if ids is None else deals.filter(deal__owner__in=ids)


def _won(filters: Filters) -> Q:
    return Q(
        deal__status=Deal.Status.WON,
        deal__currency=filters.currency,
        deal__closed_at__gte=filters.start_at,
        deal__closed_at__lt=filters.end_at,
    )


def _costs(filters: Filters) -> dict[tuple, Decimal]:
    campaigns = Campaign.objects.filter(
        currency=filters.currency,
        started_at__gte=filters.start_at,
        started_at__lt=filters.end_at,
    )
    return {("campaign", pk): cost for pk, cost in campaigns.values_list("pk", "cost") if cost}


@catalog.report(
    "marketing-channels",
    area="marketing",
    title="Channels",
    summary="Every source side by side: new contacts, deals, won revenue, cost and ROI.",
    filters=CHANNEL_FILTERS,
)
def channels(filters: Filters) -> Report:
    deals = _deals(filters)
    opened = deals.filter(
        deal__created_at__gte=filters.start_at, deal__created_at__lt=filters.end_at
    )
    won = _won(filters)
    measures = [
        _contacts(filters),
        _grouped(opened, "latest", deals_opened=Count("pk")),
        _grouped(deals.filter(won), "first", won_first=Sum("deal__amount")),
        _grouped(deals.filter(won), "latest", won_latest=Sum("deal__amount")),
    ]
    costs = _costs(filters)
    keys = set(costs).union(*measures)
    names = _names(keys)
    rows = sorted(
        (_row(key, names[key], measures, costs.get(key)) for key in keys),
        key=lambda row: (-row["won_latest"], -row["new_contacts"], row["source"]),
    )
    return Report(
        title="Sources side by side",
        columns=[
            Column("source", "Source"),
            Column("channel", "Channel"),
            Column("new_contacts", "New contacts", "number"),
            Column("deals_opened", "Deals opened", "number"),
            Column("won_first", "Won revenue, first touch", "money"),
            Column("won_latest", "Won revenue, latest touch", "money"),
            Column("cost", "Cost", "money"),
            Column("roi", "ROI", "percent"),
        ],
        rows=rows,
        chart=Chart(
            "hbar",
            "source",
            (Series("First touch", "won_first"), Series("Latest touch", "won_latest")),
            value_kind="money",
        ),
        figures=_figures(rows),
        totals=_totals(rows),
        currency=filters.currency,
        empty="No contact or deal came in during this period.",
    )


def _row(key: tuple, name: tuple[str, str], measures: list[dict], cost) -> dict:
    row = {"source": name[0], "channel": name[1], "cost": cost}
    for measure in measures:
        row |= {field: value for field, value in measure.get(key, {}).items() if field in MEASURES}
    for field in MEASURES:
        row.setdefault(field, 0)
    row["roi"] = percent(row["won_latest"] - cost, cost, digits=0) if cost else None
    return row


def _totals(rows: list[dict]) -> dict:
    totals = {"source": "Total", "channel": ""}
    for field in (*MEASURES, "cost"):
        totals[field] = sum(row[field] or 0 for row in rows)
    totals["roi"] = None  # revenue of unpaid sources set against paid ones' cost means nothing
    return totals


def _figures(rows: list[dict]) -> list[Figure]:
    best = max(rows, key=lambda row: row["won_latest"], default=None)
    paid = [row for row in rows if row["cost"]]
    cost = sum(row["cost"] for row in paid)
    returned = sum(row["won_latest"] for row in paid)
    return [
        Figure("New contacts", sum(row["new_contacts"] for row in rows)),
        Figure("Won revenue", sum(row["won_latest"] for row in rows), "money"),
        Figure("Return on campaign spend", percent(returned - cost, cost, digits=0), "percent"),
        Figure("Top source", best["source"] if best and best["won_latest"] else "—", "text"),
    ]
