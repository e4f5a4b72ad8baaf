"""Who sees which numbers (DESIGN §6).

Admins see every department. Managers see their departments, person by
person. Members see their departments' totals and, person by person, only
themselves. A filter naming a department or person outside that scope is
answered 404 (reports/filters.py), like every other page.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from accounts.models import Department

User = get_user_model()


@dataclass(frozen=True)
class Scope:
    viewer_id: int
    department_ids: frozenset[int] | None  # None: every department (admins)
    itemizes_others: bool  # may see other people's own numbers

    @property
    def key(self) -> str:
        """Identifies the scope in cache keys: same scope, same numbers."""
        departments = (
            "all"
            if self.department_ids is None
            else ",".join(map(str, sorted(self.department_ids)))
        )
        person = "team" if self.itemizes_others else f"self{self.viewer_id}"
        return f"{departments}:{person}"

    def covers_department(self, department_id: int) -> bool:
        return self.department_ids is None or department_id in self.department_ids

    def department_query(self) -> Q:
        """Departments in scope, as a filter on Department."""
        return Q() if self.department_ids is None else Q(pk__in=self.department_ids)


def can_view_reports(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def scope_for(user) -> Scope:
    if user.is_admin:
        return Scope(user.pk, None, True)
    departments = frozenset(user.departments.values_list("pk", flat=True))
    return Scope(user.pk, departments, user.is_manager)


def visible_departments(scope: Scope) -> QuerySet:
    return Department.objects.filter(scope.department_query()).order_by("name")


def visible_people(scope: Scope) -> QuerySet:
    """People whose own numbers the viewer may see (the person filter's choices)."""
    if not scope.itemizes_others:
        return User.objects.filter(pk=scope.viewer_id)
    people = User.objects.filter(is_active=True)
    if scope.department_ids is not None:
        people = people.filter(departments__in=scope.department_ids).distinct()
    return people.order_by("full_name")
