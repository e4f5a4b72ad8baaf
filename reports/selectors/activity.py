"""Activity reports: calls, meetings, emails and notes logged, per person and per client.

An activity is a timeline entry of one of those kinds (TimelineEntry.ACTIVITIES),
logged in the period by a person in scope (its actor). Only counts are shown:
no title or summary, so a private meeting reveals nothing. The mail of a private
email thread (an entry with ``private_to``) counts in admins' reports only: to
anyone else it is not there at all. (Not even for its own person: a report is
computed once per scope and shared by the managers of the same departments,
reports/caching.py, so it cannot depend on who is looking within a scope.)
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Q
from django.template.defaultfilters import pluralize
from django.urls import reverse

from records.models import Client, TimelineEntry
from reports import catalog
from reports.filters import Filters
from reports.tables import Chart, Column, Report, Series

User = get_user_model()

ACTIVITY_FILTERS = ("period", "department", "person")
KINDS = (  # (column, label, timeline kind)
    ("calls", "Calls", TimelineEntry.Kind.CALL),
    ("meetings", "Meetings", TimelineEntry.Kind.MEETING),
    ("emails", "Emails", TimelineEntry.Kind.EMAIL),
    ("notes", "Notes", TimelineEntry.Kind.NOTE),
)
COUNT_KEYS = (*(key for key, _label, _kind in KINDS), "total")
TOP_CLIENTS = 50


def activities(filters: Filters):
    return TimelineEntry.objects.filter(
        filters.in_period("created_at"),
        filters.by_people("actor"),
        visible_in(filters.scope),
        kind__in=TimelineEntry.ACTIVITIES,
    )


def visible_in(scope) -> Q:
    """Private entries count for admins only (the scope of every department)."""
    return Q() if scope.department_ids is None else Q(private_to__isnull=True)


def kind_counts() -> dict:
    """Count() aggregates of each kind and in all, for annotate()/aggregate()."""
    counts = {key: Count("pk", filter=Q(kind=kind)) for key, _label, kind in KINDS}
    return counts | {"total": Count("pk")}


def kind_columns(first: Column) -> list[Column]:
    return [
        first,
        *(Column(key, label, "number") for key, label, _kind in KINDS),
        Column("total", "Total", "number"),
    ]


def stacked_kinds(kind: str, labels: str) -> Chart:
    return Chart(kind, labels, tuple(Series(label, key, "kind") for key, label, _kind in KINDS))


def counts_of(row: dict) -> dict:
    return {key: row[key] for key in COUNT_KEYS}


@catalog.report(
    "activity-people",
    area="activity",
    title="Activity per person",
    summary="Calls, meetings, emails and notes each person logged.",
    filters=ACTIVITY_FILTERS,
)
def per_person(filters: Filters) -> Report:
    """One row per person, by name; people whose own numbers the viewer may not see, and
    activities of people since deleted, are added up in "Others"."""
    counted = activities(filters).values("actor_id").annotate(**kind_counts()).order_by()
    names = {
        pk: full_name or email
        for pk, full_name, email in User.objects.filter(
            pk__in=[row["actor_id"] for row in counted]
        ).values_list("pk", "full_name", "email")
    }
    rows, others = [], dict.fromkeys(COUNT_KEYS, 0)
    for row in counted:
        if row["actor_id"] is not None and filters.itemizes(row["actor_id"]):
            rows.append({"person": names[row["actor_id"]], **counts_of(row)})
        else:
            others = {key: others[key] + row[key] for key in COUNT_KEYS}
    rows.sort(key=lambda row: row["person"])
    if others["total"]:
        rows.append({"person": "Others", **others})
    return Report(
        title="Activities logged per person",
        columns=kind_columns(Column("person", "Person", "person")),
        rows=rows,
        chart=stacked_kinds("bar", "person"),
        totals={"person": "Total"} | {key: sum(row[key] for row in rows) for key in COUNT_KEYS},
        empty="No calls, meetings, emails or notes logged in this period.",
    )


def busiest_with_totals(logged, limit: int) -> tuple[list[dict], dict]:
    """The ``limit`` clients of ``logged`` with the most activities, and the totals over
    every client (counts per kind, and how many clients), in one pass over the entries.

    The grouped query becomes a subquery under window sums: the ORM cannot put an
    aggregate inside a window, and a second query for the totals costs as much again
    on a big timeline (docs/PERFORMANCE.md). Column names are this module's constants.
    """
    grouped = logged.values("client_id").annotate(**kind_counts()).order_by()
    try:
        sql, params = grouped.query.sql_with_params()
    except EmptyResultSet:  # nobody in scope (a department without members)
        return [], dict.fromkeys((*COUNT_KEYS, "clients"), 0)
    totals = ", ".join(f"SUM(g.{key}) OVER () AS all_{key}" for key in COUNT_KEYS)
    query = (
        f"SELECT g.*, {totals}, COUNT(*) OVER () AS clients FROM ({sql}) g "  # noqa: S608
        "ORDER BY g.total DESC, g.client_id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [*params, limit])
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    overall = {key: rows[0][f"all_{key}"] if rows else 0 for key in COUNT_KEYS}
    overall["clients"] = rows[0]["clients"] if rows else 0
    return rows, overall


@catalog.report(
    "activity-clients",
    area="activity",
    title="Activity per client",
    summary="Calls, meetings, emails and notes logged on each client, busiest first.",
    filters=ACTIVITY_FILTERS,
)
def per_client(filters: Filters) -> Report:
    """The TOP_CLIENTS clients with the most activities (ties: the older client first);
    the totals count every client, and a note says how many more there were."""
    busiest, overall = busiest_with_totals(activities(filters), TOP_CLIENTS)
    names = dict(
        Client.objects.filter(pk__in=[row["client_id"] for row in busiest]).values_list(
            "pk", "name"
        )
    )
    rows = [
        {
            "client": names[row["client_id"]],
            **counts_of(row),
            "link": reverse("records:client_detail", args=[row["client_id"]]),
        }
        for row in busiest
    ]
    left_out = overall["clients"] - len(rows)
    return Report(
        title="Activities logged per client",
        columns=kind_columns(Column("client", "Client")),
        rows=rows,
        chart=stacked_kinds("hbar", "client"),
        totals={"client": "All clients"} | counts_of(overall),
        notes=[f"{left_out} more client{pluralize(left_out)} had activity; the totals count them."]
        if left_out > 0
        else [],
        row_link="link",
        empty="No calls, meetings, emails or notes logged in this period.",
    )
