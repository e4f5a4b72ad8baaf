"""Support reports: volume, response and resolution times, SLA, backlog, CSAT, agents.

Whose tickets count: those assigned to the people in scope (reports/filters.py).
Unassigned tickets are everyone's queue, so they count in every view except
one filtered on a person.

Percentiles are *nearest-rank*: of n values sorted x1 ≤ … ≤ xn, the p-th
percentile is x⌈p·n/100⌉, a value that really occurred. The median is the
50th (for an even n, the lower of the two middle values) and p90 the 90th.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.template.defaultfilters import pluralize

from records.models import Priority, Ticket
from reports import catalog
from reports.filters import Filters
from reports.measures import OTHERS, hours_between, percent
from reports.tables import Chart, Column, Figure, Report, Series

User = get_user_model()

SUPPORT_FILTERS = ("period", "department", "person")
PRIORITIES = (Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW)
AGE_BUCKETS = (  # (column, label, youngest age, oldest age exclusive or None)
    ("under_1d", "Under 1 day", timedelta(0), timedelta(days=1)),
    ("d1_3", "1 to 3 days", timedelta(days=1), timedelta(days=3)),
    ("d3_7", "3 to 7 days", timedelta(days=3), timedelta(days=7)),
    ("d7_30", "7 to 30 days", timedelta(days=7), timedelta(days=30)),
    ("over_30d", "Over 30 days", timedelta(days=30), None),
)
FOLDED_OTHERS, UNASSIGNED = "others", "unassigned"
FOLDED = {FOLDED_OTHERS: OTHERS, UNASSIGNED: "Unassigned"}  # rows that are not one agent's
TICKET_FACTS = (
    "assignee_id",
    "priority",
    "created_at",
    "first_response_at",
    "resolved_at",
    "sla_due",
    "satisfaction",
)


# --- Shared helpers ------------------------------------------------------------


def tickets_in_scope(filters: Filters):
    """Tickets assigned to the people in scope, and the unassigned ones unless a person
    is filtered on."""
    ids = filters.people_ids()
    if ids is None:
        return Ticket.objects.all()
    mine = Q(assignee__in=ids)
    if filters.person is None:
        mine |= Q(assignee__isnull=True)
    return Ticket.objects.filter(mine)


def percentile(values, percent: int) -> float | None:
    """The nearest-rank ``percent``-th percentile of ``values`` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(-(-percent * len(ordered) // 100), 1)  # ⌈p·n/100⌉, at least the first
    return ordered[rank - 1]


def one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def average(values) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def priority_label(priority: str) -> str:
    return Priority(priority).label


@dataclass(frozen=True, slots=True)
class TicketFact:
    """What the period-based reports read of one ticket, worked out once per ticket.

    ``response_hours`` is set for a ticket opened in the period and answered;
    ``resolution_hours`` and ``met_sla`` for one solved in the period.
    """

    assignee_id: int | None
    priority: str
    opened: bool  # in the period
    response_hours: float | None
    resolution_hours: float | None
    met_sla: bool | None
    satisfaction: int | None

    @property
    def solved(self) -> bool:
        return self.resolution_hours is not None


def period_facts(filters: Filters) -> list[TicketFact]:
    """Every ticket in scope opened or solved in the period (one query)."""
    start, end = filters.start_at, filters.end_at
    rows = (
        tickets_in_scope(filters)
        .filter(filters.in_period("created_at") | filters.in_period("resolved_at"))
        .values_list(*TICKET_FACTS)
    )
    facts = []
    for assignee, priority, created, responded, resolved, due, rating in rows:
        opened = start <= created < end
        solved = resolved is not None and start <= resolved < end
        facts.append(
            TicketFact(
                assignee_id=assignee,
                priority=priority,
                opened=opened,
                response_hours=hours_between(created, responded)
                if opened and responded is not None
                else None,
                resolution_hours=hours_between(created, resolved) if solved else None,
                met_sla=resolved <= due if solved else None,
                satisfaction=rating,
            )
        )
    return facts


def first_response_hours(facts) -> list[float]:
    """Hours to the first response of the tickets opened in the period that had one."""
    return [fact.response_hours for fact in facts if fact.response_hours is not None]


def solved_in_period(facts) -> list[TicketFact]:
    return [fact for fact in facts if fact.solved]


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


# --- Reports -------------------------------------------------------------------


@catalog.report(
    "support-volume",
    area="support",
    title="Tickets opened and solved",
    summary="Tickets opened and solved each day.",
    filters=SUPPORT_FILTERS,
)
def volume(filters: Filters) -> Report:
    """Opened: created in the period. Solved: solved or closed in the period (and not
    reopened since: reopening clears the resolution). By day for a month or so, by week
    up to a quarter, by month beyond: a year is twelve points, not 365."""
    tickets = tickets_in_scope(filters)
    opened = per_day(tickets.filter(filters.in_period("created_at")), "created_at", filters)
    solved = per_day(tickets.filter(filters.in_period("resolved_at")), "resolved_at", filters)
    step = volume_step(filters.start, filters.end)
    rows = {}
    for day in days(filters.start, filters.end):
        row = rows.setdefault(step.start_of(day), {"opened": 0, "solved": 0})
        row["opened"] += opened.get(day, 0)
        row["solved"] += solved.get(day, 0)
    total_opened, total_solved = sum(opened.values()), sum(solved.values())
    return Report(
        title=f"Tickets opened and solved by {step.name}",
        columns=[
            Column("start", step.label, step.kind),
            Column("opened", "Opened", "number"),
            Column("solved", "Solved", "number"),
        ],
        rows=[{"start": start, **counts} for start, counts in rows.items()],
        chart=Chart("line", "start", (Series("Opened", "opened"), Series("Solved", "solved"))),
        figures=[
            Figure("Tickets opened", total_opened),
            Figure("Tickets solved", total_solved),
        ],
        totals={"start": "Total", "opened": total_opened, "solved": total_solved},
    )


@dataclass(frozen=True)
class Step:
    """How the volume report groups days: its rows start on ``start_of(day)``."""

    name: str
    label: str
    kind: str
    start_of: Callable[[date], date]


DAY = Step("day", "Day", "date", lambda day: day)
WEEK = Step("week", "Week of", "date", lambda day: day - timedelta(days=day.weekday()))
MONTH = Step("month", "Month", "month", lambda day: day.replace(day=1))


def volume_step(start: date, end: date) -> Step:
    length = (end - start).days + 1
    return DAY if length <= 31 else WEEK if length <= 92 else MONTH


def per_day(tickets, field: str, filters: Filters) -> dict[date, int]:
    """How many of ``tickets`` fall on each day of ``field``, in the viewer's time zone."""
    counted = (
        tickets.annotate(day=TruncDate(field, tzinfo=filters.tz))
        .values("day")
        .annotate(tickets=Count("pk"))
        .order_by()
    )
    return {row["day"]: row["tickets"] for row in counted}


@catalog.report(
    "support-times",
    area="support",
    title="Response and resolution times",
    summary="First response and resolution time, median and p90, by priority.",
    filters=SUPPORT_FILTERS,
)
def times(filters: Filters) -> Report:
    """First response: tickets opened in the period that were answered. Resolution
    (opening to solving): tickets solved in the period. Nearest-rank percentiles."""
    facts = period_facts(filters)
    by_priority = defaultdict(list)
    for fact in facts:
        by_priority[fact.priority].append(fact)
    rows = [
        {"priority": priority_label(priority), **time_numbers(by_priority[priority])}
        for priority in PRIORITIES
    ]
    overall = time_numbers(facts)
    unanswered = sum(1 for fact in facts if fact.opened and fact.response_hours is None)
    waiting = f"{unanswered} ticket{pluralize(unanswered)} opened in the period"
    notes = [f"{waiting} had no first response yet."] if unanswered else []
    return Report(
        title="Response and resolution times by priority",
        columns=[
            Column("priority", "Priority"),
            Column("answered", "Answered", "number"),
            Column("response_median", "First response, median", "hours"),
            Column("response_p90", "First response, p90", "hours"),
            Column("resolved", "Solved", "number"),
            Column("resolution_median", "Resolution, median", "hours"),
            Column("resolution_p90", "Resolution, p90", "hours"),
        ],
        rows=rows,
        chart=Chart(
            "bar",
            "priority",
            (
                Series("First response, median", "response_median"),
                Series("Resolution, median", "resolution_median"),
            ),
            value_kind="hours",
        ),
        figures=[
            Figure("Median first response", overall["response_median"], "hours"),
            Figure("Median resolution", overall["resolution_median"], "hours"),
        ],
        totals={"priority": "All", **overall},
        notes=notes,
    )


def time_numbers(facts) -> dict:
    response = first_response_hours(facts)
    resolution = [fact.resolution_hours for fact in solved_in_period(facts)]
    return {
        "answered": len(response),
        "response_median": one_decimal(percentile(response, 50)),
        "response_p90": one_decimal(percentile(response, 90)),
        "resolved": len(resolution),
        "resolution_median": one_decimal(percentile(resolution, 50)),
        "resolution_p90": one_decimal(percentile(resolution, 90)),
    }


@catalog.report(
    "support-sla",
    area="support",
    title="SLA",
    summary="Tickets solved within their SLA, by priority, and open tickets already late.",
    filters=SUPPORT_FILTERS,
)
def sla(filters: Filters) -> Report:
    """A ticket solved in the period met its SLA when solved at or before its due time.
    "Open past due" is about now, whatever the period: unsolved tickets whose due time
    has passed."""
    resolved = filters.in_period("resolved_at")
    open_now = ~Q(status__in=Ticket.RESOLVED)
    counted = (
        tickets_in_scope(filters)
        .filter(resolved | open_now)
        .values("priority")
        .annotate(
            resolved=Count("pk", filter=resolved),
            met=Count("pk", filter=resolved & Q(resolved_at__lte=F("sla_due"))),
            overdue=Count("pk", filter=open_now & Q(sla_due__lt=filters.now)),
        )
        .order_by()
    )
    by_priority = {row["priority"]: row for row in counted}
    rows = [
        {"priority": priority_label(priority), **sla_numbers(by_priority.get(priority, {}))}
        for priority in PRIORITIES
    ]
    overall = sla_numbers(
        {
            key: sum(row[key] for row in by_priority.values())
            for key in ("resolved", "met", "overdue")
        }
    )
    return Report(
        title="SLA met by priority",
        columns=[
            Column("priority", "Priority"),
            Column("resolved", "Solved", "number"),
            Column("met", "Within SLA", "number"),
            Column("breached", "Breached", "number"),
            Column("met_share", "SLA met", "percent"),
            Column("overdue", "Open past due now", "number"),
        ],
        rows=rows,
        chart=Chart(
            "bar",
            "priority",
            (Series("Within SLA", "met", "sla"), Series("Breached", "breached", "sla")),
        ),
        figures=[
            Figure("SLA met", overall["met_share"], "percent"),
            Figure("Breached", overall["breached"]),
            Figure("Open past due now", overall["overdue"]),
        ],
        totals={"priority": "All", **overall},
    )


def sla_numbers(counts: dict) -> dict:
    resolved, met = counts.get("resolved", 0), counts.get("met", 0)
    return {
        "resolved": resolved,
        "met": met,
        "breached": resolved - met,
        "met_share": percent(met, resolved),
        "overdue": counts.get("overdue", 0),
    }


@catalog.report(
    "support-backlog",
    area="support",
    title="Backlog",
    summary="Tickets open now, by priority and age.",
    filters=("department", "person"),
)
def backlog(filters: Filters) -> Report:
    """Tickets not solved or closed now, by how long ago they were opened (a bucket holds
    ages from its youngest, included, to its oldest, excluded)."""
    now = filters.now
    buckets = {
        key: Q(created_at__lte=now - youngest)
        & (Q() if oldest is None else Q(created_at__gt=now - oldest))
        for key, _label, youngest, oldest in AGE_BUCKETS
    }
    counted = (
        tickets_in_scope(filters)
        .exclude(status__in=Ticket.RESOLVED)
        .values("priority")
        .annotate(**{key: Count("pk", filter=where) for key, where in buckets.items()})
        .order_by()
    )
    by_priority = {row["priority"]: row for row in counted}
    rows = []
    for priority in PRIORITIES:
        counts = {key: by_priority.get(priority, {}).get(key, 0) for key in buckets}
        rows.append({"priority": priority_label(priority), **counts, "open": sum(counts.values())})
    totals = {key: sum(row[key] for row in rows) for key in (*buckets, "open")}
    return Report(
        title="Open tickets by priority and age",
        columns=[
            Column("priority", "Priority"),
            *(Column(key, label, "number") for key, label, _young, _old in AGE_BUCKETS),
            Column("open", "Open", "number"),
        ],
        rows=rows,
        chart=Chart(
            "bar",
            "priority",
            tuple(Series(label, key, "age") for key, label, _young, _old in AGE_BUCKETS),
        ),
        figures=[
            Figure("Open tickets", totals["open"]),
            Figure("Open over 7 days", totals["d7_30"] + totals["over_30d"]),
        ],
        totals={"priority": "All", **totals},
        notes=["Tickets open now, whatever the period."],
        empty="No open tickets.",
    )


@catalog.report(
    "support-csat",
    area="support",
    title="Customer satisfaction",
    summary="CSAT average and how the ratings spread, for tickets solved in the period.",
    filters=SUPPORT_FILTERS,
)
def csat(filters: Filters) -> Report:
    """Ratings (1 to 5) of the tickets solved in the period that were rated."""
    counted = (
        tickets_in_scope(filters)
        .filter(filters.in_period("resolved_at"), satisfaction__isnull=False)
        .values("satisfaction")
        .annotate(tickets=Count("pk"))
        .order_by()
    )
    by_rating = {row["satisfaction"]: row["tickets"] for row in counted}
    rated = sum(by_rating.values())
    rows = [
        {
            "rating": f"{rating} of 5",
            "tickets": by_rating.get(rating, 0),
            "share": percent(by_rating.get(rating, 0), rated),
        }
        for rating in range(1, 6)
    ]
    mean = round(sum(r * n for r, n in by_rating.items()) / rated, 2) if rated else None
    return Report(
        title="Satisfaction ratings",
        columns=[
            Column("rating", "Rating"),
            Column("tickets", "Tickets", "number"),
            Column("share", "Share", "percent"),
        ],
        rows=rows if rated else [],
        chart=Chart("doughnut", "rating", (Series("Tickets", "tickets"),)),
        figures=[Figure("Average rating (of 5)", mean), Figure("Ratings", rated)],
        totals={"rating": "All", "tickets": rated, "share": 100.0} if rated else None,
        empty="No ticket solved in this period was rated.",
    )


@catalog.report(
    "support-agents",
    area="support",
    title="Agents and teams",
    summary="Tickets solved, first response, SLA and CSAT per agent and per team.",
    filters=SUPPORT_FILTERS,
)
def agents(filters: Filters) -> Report:
    """Per agent (the assignee), then per team (the assignee's departments in scope; an
    agent in two departments counts in both). Agents whose own numbers the viewer may
    not see are folded into "Others"; unassigned tickets have their own row.
    Solved, SLA and CSAT: tickets solved in the period; first response: tickets opened
    in the period (median, nearest-rank)."""
    facts = period_facts(filters)
    people = people_of(facts)
    by_agent, by_team = defaultdict(list), defaultdict(list)
    for fact in facts:
        by_agent[agent_key(filters, fact.assignee_id)].append(fact)
        for team in people.get(fact.assignee_id, {}).get("teams", ()):
            if team_in_view(filters, team):
                by_team[team["name"]].append(fact)
    named = sorted(
        (key for key in by_agent if key not in FOLDED), key=lambda pk: people[pk]["name"]
    )
    agent_rows = [
        {"name": FOLDED.get(key) or people[key]["name"], "kind": "Agent"}
        | agent_numbers(by_agent[key])
        for key in [*named, *(key for key in FOLDED if key in by_agent)]
    ]
    team_rows = [
        {"name": name, "kind": "Team"} | agent_numbers(by_team[name]) for name in sorted(by_team)
    ]
    return Report(
        title="Tickets per agent and team",
        columns=[
            Column("name", "Agent or team"),
            Column("kind", "Type"),
            Column("solved", "Solved", "number"),
            Column("response_median", "First response, median", "hours"),
            Column("sla_met", "SLA met", "percent"),
            Column("csat", "CSAT (of 5)", "number"),
        ],
        rows=agent_rows + team_rows,
        totals={"name": "All", "kind": "", **agent_numbers(facts)},
    )


def people_of(facts) -> dict[int, dict]:
    """The assignees of ``facts``: {id: {"name", "teams": [{"id", "name"}]}} (one query)."""
    ids = {fact.assignee_id for fact in facts if fact.assignee_id is not None}
    people = {}
    memberships = User.objects.filter(pk__in=ids).values_list(
        "pk", "full_name", "email", "departments__pk", "departments__name"
    )
    for pk, full_name, email, team_id, team_name in memberships:
        person = people.setdefault(pk, {"name": full_name or email, "teams": []})
        if team_id is not None:
            person["teams"].append({"id": team_id, "name": team_name})
    return people


def agent_key(filters: Filters, assignee_id: int | None):
    """The row a ticket counts in: its agent's, "Others" or "Unassigned"."""
    if assignee_id is None:
        return UNASSIGNED
    return assignee_id if filters.itemizes(assignee_id) else FOLDED_OTHERS


def team_in_view(filters: Filters, team: dict) -> bool:
    if filters.department is not None:
        return team["id"] == filters.department.pk
    return filters.scope.covers_department(team["id"])


def agent_numbers(facts) -> dict:
    solved = solved_in_period(facts)
    ratings = [fact.satisfaction for fact in solved if fact.satisfaction is not None]
    return {
        "solved": len(solved),
        "response_median": one_decimal(percentile(first_response_hours(facts), 50)),
        "sla_met": percent(sum(1 for fact in solved if fact.met_sla), len(solved)),
        "csat": average(ratings),
    }
