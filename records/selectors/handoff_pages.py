"""Reads behind the handoff pages: the inbox tabs, one handoff's path, the form's choices.

Every list loads its cards with one query (all related rows joined) plus the
paginator's count, whatever the number of cards; per-viewer actions are worked
out from rows already loaded (policies cache the viewer's departments).
"""

from django.core.paginator import Page, Paginator
from django.db.models import Case, IntegerField, Q, Value, When

from accounts.models import User
from records.models import Handoff, TimelineEntry

PER_PAGE = 20
CARD_RELATED = (
    "client",
    "ticket",
    "deal",
    "from_user",
    "from_department",
    "to_department",
    "to_user",
    "answered_by",
    "task",
)
TABS = {
    "incoming": "Incoming",
    "outgoing": "Outgoing",
    "answered": "Answered",
}


def cards():
    return Handoff.objects.select_related(*CARD_RELATED)


def load_handoff(pk: int) -> Handoff | None:
    return cards().filter(pk=pk).first()


def _received_by(user: User) -> Q:
    """Handoffs addressed to the viewer or to one of their departments (admins: all)."""
    if user.is_admin:
        return Q()
    return Q(to_user=user) | Q(to_department__in=user.departments.values("pk"))


def incoming(user: User):
    """Waiting for an answer: escalated first, then the oldest first."""
    escalated_first = Case(
        When(status=Handoff.Status.ESCALATED, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return cards().open().filter(_received_by(user)).order_by(escalated_first, "created_at", "pk")


def outgoing(user: User):
    return cards().filter(from_user=user).order_by("-created_at", "-pk")


def answered(user: User):
    """Answered or withdrawn handoffs the viewer received, the most recent first."""
    return (
        cards()
        .exclude(status__in=Handoff.OPEN)
        .filter(_received_by(user))
        .order_by("-answered_at", "-created_at", "-pk")
    )


TAB_QUERIES = {"incoming": incoming, "outgoing": outgoing, "answered": answered}


def inbox_page(user: User, tab: str, number) -> Page:
    return Paginator(TAB_QUERIES[tab](user), PER_PAGE).get_page(number)


def open_count(user: User) -> int:
    """The sidebar badge: handoffs waiting for the viewer or their departments (one query)."""
    return Handoff.objects.open().filter(_received_by(user)).count()


def assignable_people(user: User) -> dict[int, list[User]]:
    """Members of the departments the viewer may accept for (a manager's, or all for admins),
    by department id: one query whatever the number of cards."""
    if not (user.is_admin or user.is_manager):
        return {}
    memberships = User.departments.through.objects.filter(user__is_active=True)
    if not user.is_admin:
        memberships = memberships.filter(department__in=user.departments.values("pk"))
    people: dict[int, list[User]] = {}
    for row in memberships.select_related("user").order_by("user__full_name"):
        people.setdefault(row.department_id, []).append(row.user)
    return people


def department_members(department_id: int | None):
    if department_id is None:
        return User.objects.none()
    return User.objects.filter(is_active=True, departments=department_id).order_by("full_name")


def path(handoff: Handoff) -> list[TimelineEntry]:
    """The handoff's story as its client's timeline tells it: created, escalated, answered."""
    return list(
        TimelineEntry.objects.filter(handoff=handoff).select_related("actor").order_by("pk")
    )
