"""Reads about people and departments, shared by views (and later API/live)."""

from django.db.models import Count, Prefetch, Q, QuerySet, Window

from accounts.models import Department, Invitation, User


def people_matching(query: str) -> QuerySet[User]:
    people = User.objects.filter(is_active=True)
    for word in query.split():
        people = people.filter(
            Q(full_name__icontains=word) | Q(email__icontains=word) | Q(job_title__icontains=word)
        )
    return people


def team_by_department(*, query: str = "", department_slug: str = "") -> QuerySet[Department]:
    """Departments, each with `people`: its active members matching the query."""
    people = people_matching(query).order_by("full_name")
    departments = Department.objects.prefetch_related(
        Prefetch("members", queryset=people, to_attr="people")
    )
    if department_slug:
        departments = departments.filter(slug=department_slug)
    return departments


def departments_with_headcount() -> QuerySet[Department]:
    return Department.objects.annotate(
        headcount=Count("members", filter=Q(members__is_active=True))
    )


def invitation_list(invitations: QuerySet[Invitation]) -> QuerySet[Invitation]:
    return invitations.select_related("department", "invited_by", "accepted_user")


BELL_RECENT = 8


def notification_bell(user) -> dict:
    """What the bell in the top bar shows: the unread count and the latest few.

    One query on every page: the unread total rides along as a window count.
    """
    recent = list(
        user.notifications.select_related("actor").annotate(
            unread_total=Window(Count("pk", filter=Q(read_at__isnull=True)))
        )[:BELL_RECENT]
    )
    return {"unread": recent[0].unread_total if recent else 0, "recent": recent}
