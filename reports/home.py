"""Reports' card on the home page: the key numbers of the viewer's scope.

A member sees their own numbers, a manager their departments' totals, an admin
everyone's (reports/policies.py). Each number links to the list behind it
(for a team, the nearest list there is) and the card links to the reports.
The card refreshes itself live: its root names the URL answering the card
alone and the report topics whose changes can move its numbers.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from records.models import Deal, Handoff, Task, Ticket
from records.models.values import DEFAULT_CURRENCY
from reports import policies
from reports.policies import Scope
from workspace import moments

TEMPLATE = "reports/home_dashboard.html"
REFRESH_TOPICS = ("report.sales", "report.support", "report.teamwork")
OWN, DEPARTMENTS, EVERYONE = "own", "departments", "everyone"
REACH_TITLES = {OWN: "Your numbers", DEPARTMENTS: "Your departments", EVERYONE: "Everyone"}


def reach_of(scope: Scope) -> str:
    if scope.department_ids is None:
        return EVERYONE
    return DEPARTMENTS if scope.itemizes_others else OWN


def _people(scope: Scope, reach: str):
    """``where(field)``: a Q keeping rows whose user ``field`` is someone the card counts."""
    if reach == EVERYONE:
        return lambda field: Q()
    if reach == OWN:
        return lambda field: Q(**{field: scope.viewer_id})
    members = policies.User.objects.filter(departments__in=scope.department_ids).values("pk")
    return lambda field: Q(**{f"{field}__in": members})


def _end_of_today(user) -> datetime:
    zone = moments.zone(user.timezone)
    today = timezone.localtime(timezone.now(), zone).date()
    return datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)


def open_deals(where) -> dict:
    """Count and value of open deals in the default currency; the others are only counted."""
    by_currency = (
        Deal.objects.filter(where("owner"), status=Deal.Status.OPEN)
        .values_list("currency")
        .annotate(count=Count("pk"), value=Sum("amount"))
        .order_by()
    )
    deals = {"count": 0, "value": Decimal(0), "other_currencies": 0}
    for currency, count, value in by_currency:
        if currency == DEFAULT_CURRENCY:
            deals |= {"count": count, "value": value}
        else:
            deals["other_currencies"] += count
    return deals


def tickets_past_sla(where, reach: str, now: datetime) -> int:
    """Unresolved tickets past their SLA; a team's count includes unassigned tickets."""
    assigned = where("assignee")
    if reach == DEPARTMENTS:
        assigned |= Q(assignee=None)
    return (
        Ticket.objects.filter(assigned, sla_due__lt=now).exclude(status__in=Ticket.RESOLVED).count()
    )


def handoffs_waiting(scope: Scope, reach: str) -> int:
    """Open handoffs addressed to the person, to their departments, or to anyone (admins)."""
    waiting = Handoff.objects.open()
    if reach == OWN:
        waiting = waiting.filter(to_user=scope.viewer_id)
    elif reach == DEPARTMENTS:
        waiting = waiting.filter(to_department__in=scope.department_ids)
    return waiting.count()


def links(reach: str) -> dict:
    """The list behind each number: the person's own, or the nearest list for a team."""
    own = reach == OWN
    return {
        "deals": reverse("records:deal_list")
        + ("?owner=mine&status=open" if own else "?status=open"),
        "tasks": reverse("records:my_tasks" if own else "records:team_tasks"),
        "tickets": reverse("records:ticket_list")
        + ("?assignee=mine&sla=breached" if own else "?sla=breached"),
        "handoffs": reverse("records:handoff_inbox"),
        "reports": reverse("reports:home"),
        "refresh": reverse("reports:dashboard_card"),
    }


def key_numbers(user) -> dict:
    """The card's numbers for ``user``: five queries whatever the data (four for admins)."""
    scope = policies.scope_for(user)
    reach = reach_of(scope)
    where = _people(scope, reach)
    now = timezone.now()
    return {
        "reach": reach,
        "title": REACH_TITLES[reach],
        "currency": DEFAULT_CURRENCY,
        "deals": open_deals(where),
        "tasks_due": Task.objects.filter(
            where("assignee"), status__in=Task.ACTIVE, due_at__lt=_end_of_today(user)
        ).count(),
        "tickets_past_sla": tickets_past_sla(where, reach, now),
        "handoffs_waiting": handoffs_waiting(scope, reach),
        "links": links(reach),
        "topics": " ".join(REFRESH_TOPICS),
    }


def card_context(user) -> dict | None:
    if not policies.can_view_reports(user):
        return None
    return {"numbers": key_numbers(user)}


def load() -> None:
    """Register the dashboard card (workspace/home.py), after "Your work"."""
    from workspace import home

    home.register(template=TEMPLATE, context=card_context, column=home.MAIN, order=15)
