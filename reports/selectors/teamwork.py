"""Teamwork reports: handoffs between departments, what they led to, tasks on time, and
how much people talk about each client.

Handoffs belong to the departments on both ends: a viewer sees the pairs touching
one of their departments, and the department filter keeps the pairs where either
side is that department. Tasks and conversations belong to their assignee or
author (``filters.by_people``).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from statistics import median

from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.urls import reverse

from accounts.models import User
from chat.models import Message, Room
from records.models import HANDOFF_DEAL_WINDOW, Client, Comment, Deal, Handoff, Task
from reports import catalog
from reports.filters import Filters
from reports.measures import OTHERS, hours_between, other_currency_notes, percent
from reports.tables import Chart, Column, Figure, Report, Series

PAIR_FILTERS = ("period", "department")
NO_DEPARTMENT = "No department"
TOP_CLIENTS = 50


# --- Handoffs --------------------------------------------------------------------


def handoffs_in_scope(filters: Filters):
    """Handoffs sent in the period between departments in scope (either side)."""
    handoffs = Handoff.objects.filter(filters.in_period("created_at"))
    if filters.department is not None:
        handoffs = handoffs.filter(_touching([filters.department.pk]))
    if filters.scope.department_ids is not None:
        handoffs = handoffs.filter(_touching(filters.scope.department_ids))
    return handoffs


def _touching(department_ids) -> Q:
    return Q(from_department__in=department_ids) | Q(to_department__in=department_ids)


PAIR_FIELDS = ("from_department__name", "to_department__name")


def pair_label(from_name: str | None, to_name: str) -> str:
    return f"{from_name or NO_DEPARTMENT} → {to_name}"


def median_hours(hours: list[float]) -> float | None:
    return round(median(hours), 1) if hours else None


@dataclass
class PairCounts:
    sent: int = 0
    accepted: int = 0
    declined: int = 0
    escalated: int = 0
    open: int = 0
    answer_hours: list[float] = field(default_factory=list)

    def add(self, status: str, escalated_at, created_at, answered_at) -> None:
        self.sent += 1
        self.accepted += status == Handoff.Status.ACCEPTED
        self.declined += status == Handoff.Status.DECLINED
        self.escalated += escalated_at is not None
        self.open += status in Handoff.OPEN
        if answered_at is not None and status in (Handoff.Status.ACCEPTED, Handoff.Status.DECLINED):
            self.answer_hours.append(hours_between(created_at, answered_at))

    def row(self, pair: str) -> dict:
        return {
            "pair": pair,
            "sent": self.sent,
            "accepted": self.accepted,
            "declined": self.declined,
            "escalated": self.escalated,
            "open": self.open,
            "median_hours": median_hours(self.answer_hours),
        }


def _by_pair(rows) -> dict:
    """Rows whose first two values are PAIR_FIELDS, grouped by pair label, in label order."""
    groups = defaultdict(list)
    for from_name, to_name, *rest in rows:
        groups[pair_label(from_name, to_name)].append(rest)
    return dict(sorted(groups.items()))


@catalog.report(
    "teamwork-handoffs",
    area="teamwork",
    title="Handoffs",
    summary="Handoffs between departments: answered, escalated, still open, and how fast.",
    filters=PAIR_FILTERS,
)
def handoffs(filters: Filters) -> Report:
    sent = handoffs_in_scope(filters).values_list(
        *PAIR_FIELDS, "status", "escalated_at", "created_at", "answered_at"
    )
    total = PairCounts()
    rows = []
    for pair, handoff_rows in _by_pair(sent).items():
        counts = PairCounts()
        for values in handoff_rows:
            counts.add(*values)
            total.add(*values)
        rows.append(counts.row(pair))
    return Report(
        title="Handoffs by department pair",
        columns=[
            Column("pair", "From → to"),
            Column("sent", "Sent", "number"),
            Column("accepted", "Accepted", "number"),
            Column("declined", "Declined", "number"),
            Column("escalated", "Escalated", "number"),
            Column("open", "Still open", "number"),
            Column("median_hours", "Median time to answer", "hours"),
        ],
        rows=rows,
        chart=Chart(
            "hbar",
            "pair",
            (
                Series("Accepted", "accepted", "handoffs"),
                Series("Declined", "declined", "handoffs"),
                Series("Still open", "open", "handoffs"),
            ),
        ),
        figures=[
            Figure("Handoffs sent", total.sent),
            Figure("Escalated", total.escalated),
            Figure("Median time to answer", median_hours(total.answer_hours), "hours"),
        ],
        totals=total.row("Total") if rows else None,
        notes=["Escalated handoffs count in their outcome too (accepted, declined or open)."],
        empty="No handoffs were sent in this period.",
    )


# --- Handoff → deal ---------------------------------------------------------------


def _deals_after_handoffs(filters: Filters) -> dict[int, list[tuple]]:
    """By client: (pk, created_at, status, amount, currency) of the deals opened for the
    clients handed off, from the period's start to the end of the last handoff's window."""
    deals = Deal.objects.filter(
        client__in=handoffs_in_scope(filters).values("client"),
        created_at__gte=filters.start_at,
        created_at__lte=filters.end_at + HANDOFF_DEAL_WINDOW,
    ).values_list("client_id", "pk", "created_at", "status", "amount", "currency")
    by_client = defaultdict(list)
    for client_id, *deal in deals:
        by_client[client_id].append(tuple(deal))
    return by_client


def _won_within_window(sent_at, deals: list[tuple]) -> list[tuple]:
    """(pk, amount, currency) of the won ``deals`` opened within the window after ``sent_at``
    (the same bounds as ``HandoffQuerySet.with_deal_within``)."""
    return [
        (pk, amount, currency)
        for pk, opened_at, status, amount, currency in deals
        if status == Deal.Status.WON and sent_at <= opened_at <= sent_at + HANDOFF_DEAL_WINDOW
    ]


@dataclass
class Conversion:
    sent: int = 0
    followed: int = 0
    won: dict = field(default_factory=dict)  # deal pk -> amount, in the report's currency

    def row(self, pair: str) -> dict:
        return {
            "pair": pair,
            "sent": self.sent,
            "followed": self.followed,
            "rate": percent(self.followed, self.sent, digits=0),
            "won": len(self.won),
            "won_value": sum(self.won.values(), start=0),
        }


@catalog.report(
    "teamwork-conversion",
    area="teamwork",
    title="Handoffs to deals",
    summary="How many handoffs were followed by a deal within 90 days, and what was won.",
    filters=(*PAIR_FILTERS, "currency"),
)
def conversion(filters: Filters) -> Report:
    """A handoff "led to a deal" when a deal was opened for its client within
    HANDOFF_DEAL_WINDOW after it (``Handoff.objects.with_deal_within``, whatever the
    deal's currency); the deals won among those are counted, per pair, once each."""
    sent = (
        handoffs_in_scope(filters)
        .with_deal_within()
        .values_list(*PAIR_FIELDS, "client_id", "created_at", "led_to_deal")
    )
    deals = _deals_after_handoffs(filters)
    total, other_currencies = Conversion(), defaultdict(set)
    rows = []
    for pair, handoff_rows in _by_pair(sent).items():
        counts = Conversion()
        for client_id, created_at, led_to_deal in handoff_rows:
            counts.sent += 1
            counts.followed += led_to_deal
            for pk, amount, currency in _won_within_window(created_at, deals[client_id]):
                if currency == filters.currency:
                    counts.won[pk] = total.won[pk] = amount
                else:
                    other_currencies[currency].add(pk)
        total.sent += counts.sent
        total.followed += counts.followed
        rows.append(counts.row(pair))
    return Report(
        title="Handoffs followed by a deal",
        columns=[
            Column("pair", "From → to"),
            Column("sent", "Handoffs sent", "number"),
            Column("followed", "Followed by a deal", "number"),
            Column("rate", "Conversion", "percent"),
            Column("won", "Deals won", "number"),
            Column("won_value", "Won value", "money"),
        ],
        rows=rows,
        chart=Chart(
            "hbar",
            "pair",
            (Series("Handoffs sent", "sent"), Series("Followed by a deal", "followed")),
        ),
        figures=[
            Figure("Handoffs sent", total.sent),
            Figure("Followed by a deal", total.followed),
            Figure("Won value", total.row("")["won_value"], "money"),
        ],
        totals=total.row("Total") if rows else None,
        currency=filters.currency,
        notes=[
            f"A deal opened for the client within {HANDOFF_DEAL_WINDOW.days} days after a "
            "handoff follows it; "
            "a deal following handoffs of two pairs counts for both.",
            *other_currency_notes(
                {currency: len(deals) for currency, deals in other_currencies.items()}, "won deal"
            ),
        ],
        empty="No handoffs were sent in this period.",
    )


# --- Tasks ------------------------------------------------------------------------

TASK_OUTCOMES = ("on_time", "late", "overdue", "not_due")


def task_outcome(status: str, due_at, completed_at, now) -> str:
    """Where a (not cancelled) task due in the period stands: one of TASK_OUTCOMES."""
    if status == Task.Status.DONE:
        return "on_time" if completed_at <= due_at else "late"
    return "overdue" if due_at < now else "not_due"


def _task_row(name: str, level: str, outcomes: Counter) -> dict:
    done = outcomes["on_time"] + outcomes["late"]
    return {
        "name": name,
        "level": level,
        **{outcome: outcomes[outcome] for outcome in TASK_OUTCOMES},
        "on_time_rate": percent(outcomes["on_time"], done, digits=0),
    }


def _department_rows(by_person: dict[int, Counter], filters: Filters) -> list[dict]:
    """One row per department in scope with tasks, adding up its members' counts."""
    departments = defaultdict(Counter)
    for person_id, memberships in _departments_of(list(by_person), filters).items():
        for department in memberships:
            departments[department] += by_person[person_id]
    return [
        _task_row(name, "Department", outcomes)
        for (_pk, name), outcomes in sorted(departments.items(), key=lambda item: item[0][1])
    ]


def _person_rows(by_person: dict[int, Counter], names: dict, filters: Filters) -> list[dict]:
    """One row per person the viewer may see, by name; the others folded into one row."""
    shown = sorted((pk for pk in by_person if filters.itemizes(pk)), key=names.get)
    rows = [_task_row(names[pk], "Person", by_person[pk]) for pk in shown]
    folded = sum((by_person[pk] for pk in by_person if pk not in shown), Counter())
    if folded:
        rows.append(_task_row(OTHERS, "People", folded))
    return rows


def _departments_of(people_ids, filters: Filters) -> dict[int, list[tuple[int, str]]]:
    """By person: the (id, name) of their departments in the viewer's scope (one query)."""
    memberships = User.departments.through.objects.filter(user_id__in=people_ids)
    if filters.scope.department_ids is not None:
        memberships = memberships.filter(department_id__in=filters.scope.department_ids)
    if filters.department is not None:
        memberships = memberships.filter(department=filters.department)
    by_person = defaultdict(list)
    for person_id, department_id, name in memberships.values_list(
        "user_id", "department_id", "department__name"
    ):
        by_person[person_id].append((department_id, name))
    return by_person


@catalog.report(
    "teamwork-tasks",
    area="teamwork",
    title="Tasks on time",
    summary="Tasks due in the period: done on time, done late, overdue, not yet due.",
    filters=("period", "department", "person"),
)
def tasks(filters: Filters) -> Report:
    """One row per department (when no person is picked), then one per person the viewer
    may see; the others' tasks are folded into one "Others" row."""
    due = (
        Task.objects.filter(filters.in_period("due_at"), filters.by_people("assignee"))
        .exclude(status=Task.Status.CANCELLED)
        .values_list("assignee_id", "assignee__full_name", "status", "due_at", "completed_at")
    )
    by_person, names = defaultdict(Counter), {}
    for person_id, name, status, due_at, completed_at in due:
        by_person[person_id][task_outcome(status, due_at, completed_at, filters.now)] += 1
        names[person_id] = name
    total = sum(by_person.values(), Counter())
    rows = [] if filters.person is not None else _department_rows(by_person, filters)
    rows += _person_rows(by_person, names, filters)
    return Report(
        title="Tasks due in the period",
        columns=[
            Column("name", "Department or person"),
            Column("level", "Type"),
            Column("on_time", "Done on time", "number"),
            Column("late", "Done late", "number"),
            Column("overdue", "Overdue", "number"),
            Column("not_due", "Open, not yet due", "number"),
            Column("on_time_rate", "On time", "percent"),
        ],
        rows=rows,
        chart=Chart(
            "bar",
            "name",
            (
                Series("Done on time", "on_time", "tasks"),
                Series("Done late", "late", "tasks"),
                Series("Overdue", "overdue", "tasks"),
                Series("Open, not yet due", "not_due", "tasks"),
            ),
        ),
        figures=[
            Figure("Tasks due", sum(total[outcome] for outcome in TASK_OUTCOMES)),
            Figure("Overdue now", total["overdue"]),
            Figure("Done on time", _task_row("", "", total)["on_time_rate"], "percent"),
        ],
        totals=_task_row("Total", "", total) if rows else None,
        notes=[
            "Cancelled tasks are not counted. A person in two departments counts in both.",
        ],
        empty="No tasks were due in this period.",
    )


# --- Conversations about clients ----------------------------------------------------

# The client a comment is about: its own, or that of the deal, ticket or task it is on.
COMMENT_CLIENT = Coalesce(
    "client_id",
    "deal__client_id",
    "ticket__client_id",
    "task__client_id",
    "task__deal__client_id",
    "task__ticket__client_id",
)


def _comments_by_client_and_author(filters: Filters):
    """(client id, author id, comments) for the period's comments, deleted ones left out."""
    return (
        Comment.objects.filter(
            filters.in_period("created_at"), filters.by_people("author"), deleted_at=None
        )
        .annotate(about=COMMENT_CLIENT)
        .exclude(about=None)
        .values_list("about", "author_id")
        .annotate(count=Count("pk"))
        .order_by()
    )


def _chat_by_client_and_author(filters: Filters):
    """(client id, author id, messages) for people's messages in client rooms in the period."""
    return (
        Message.objects.live()
        .filter(
            filters.in_period("created_at"),
            filters.by_people("author"),
            kind=Message.Kind.USER,
            room__kind=Room.Kind.CLIENT,
        )
        .values_list("room__client_id", "author_id")
        .annotate(count=Count("pk"))
        .order_by()
    )


@dataclass
class Conversations:
    comments: int = 0
    messages: int = 0
    people: set = field(default_factory=set)

    @property
    def total(self) -> int:
        return self.comments + self.messages


@catalog.report(
    "teamwork-clients",
    area="teamwork",
    title="Most discussed clients",
    summary="The clients people commented on and chatted about most, and how many took part.",
    filters=("period", "department", "person"),
)
def clients(filters: Filters) -> Report:
    """The TOP_CLIENTS clients with the most comments (on the client or its deals, tickets
    and tasks) and chat messages (in its room) by the people in scope. Three queries."""
    by_client = defaultdict(Conversations)
    for client_id, author_id, count in _comments_by_client_and_author(filters):
        by_client[client_id].comments += count
        by_client[client_id].people.add(author_id)
    for client_id, author_id, count in _chat_by_client_and_author(filters):
        by_client[client_id].messages += count
        by_client[client_id].people.add(author_id)
    top = sorted(by_client, key=lambda pk: (-by_client[pk].total, pk))[:TOP_CLIENTS]
    names = dict(Client.objects.filter(pk__in=top).values_list("pk", "name"))
    rows = [
        {
            "client": names.get(pk, ""),
            "comments": by_client[pk].comments,
            "messages": by_client[pk].messages,
            "total": by_client[pk].total,
            "people": len(by_client[pk].people),
            "url": reverse("records:client_detail", args=[pk]),
        }
        for pk in top
    ]
    return Report(
        title=f"The {TOP_CLIENTS} most discussed clients",
        columns=[
            Column("client", "Client"),
            Column("comments", "Comments", "number"),
            Column("messages", "Chat messages", "number"),
            Column("total", "Together", "number"),
            Column("people", "People taking part", "number"),
        ],
        rows=rows,
        chart=Chart(
            "hbar",
            "client",
            (
                Series("Comments", "comments", "talk"),
                Series("Chat messages", "messages", "talk"),
            ),
        ),
        figures=[
            Figure("Clients discussed", len(by_client)),
            Figure("Comments", sum(talk.comments for talk in by_client.values())),
            Figure("Chat messages", sum(talk.messages for talk in by_client.values())),
        ],
        notes=[
            "Comments on a client's deals, tickets and tasks count for the client; "
            "chat counts the messages people wrote in the client's room."
        ],
        empty="Nobody commented on or chatted about a client in this period.",
        row_link="url",
    )
