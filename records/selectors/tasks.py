"""Reads behind the task pages: My tasks, the team board, a task page, a record's tasks.

Every list loads its rows with one query (links, assigner and checklist
progress joined or annotated), so page cost does not grow with the number of
tasks or people. "Today" and "overdue" are decided on the server in the
assignee's time zone: My tasks is the assignee's own page, so the sections a
live fragment puts a row into are the ones that person's page shows.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import Department, User
from records import policies
from records.models import FieldChange, Task
from workspace import moments

DONE_PER_PAGE = 10
HISTORY_SHOWN = 30
RECORD_TASKS_SHOWN = 8
SECTIONS = ("overdue", "today", "upcoming", "done")
SECTION_TITLES = {
    "overdue": "Overdue",
    "today": "Today",
    "upcoming": "Upcoming",
    "done": "Done",
}
# The task page's status control: (status, label, icon).
STATUS_BUTTONS = (
    (Task.Status.OPEN, "Open", "circle"),
    (Task.Status.IN_PROGRESS, "In progress", "play-circle"),
    (Task.Status.DONE, "Done", "check-circle"),
    (Task.Status.CANCELLED, "Cancelled", "x-circle"),
)
# Reminder lead times offered on forms (minutes before due; "" = the profile's default).
REMINDER_CHOICES = [
    ("", "Profile default"),
    ("0", "At due time"),
    ("15", "15 minutes before"),
    ("60", "1 hour before"),
    ("240", "4 hours before"),
    ("1440", "1 day before"),
]


def task_rows():
    """Tasks ready to draw as rows: links, assigner and checklist progress in one query."""
    return Task.objects.select_related(
        "assignee", "assigned_by", "client", "deal", "ticket"
    ).annotate(
        checklist_total=Count("checklist"),
        checklist_done=Count("checklist", filter=Q(checklist__done=True)),
    )


def task_row(pk: int) -> Task | None:
    return task_rows().filter(pk=pk).first()


def section_of(task: Task, moment: datetime | None = None) -> str:
    """Which My tasks section shows ``task``, in its assignee's time zone."""
    if not task.is_active:
        return "done"
    if task.due_at is None:
        return "upcoming"
    moment = moment or timezone.now()
    if task.due_at < moment:
        return "overdue"
    zone = moments.zone(task.assignee.timezone)
    if timezone.localdate(task.due_at, zone) == timezone.localdate(moment, zone):
        return "today"
    return "upcoming"


@dataclass
class MyTasks:
    sections: dict[str, list[Task]]
    done_page: object  # a Paginator page of done/cancelled tasks, newest first


def my_tasks(user: User, done_page: int | str | None = 1) -> MyTasks:
    """The user's open tasks by section (soonest first, undated last) and a page of done ones."""
    active = task_rows().filter(assignee=user, status__in=Task.ACTIVE)
    active = active.order_by(F("due_at").asc(nulls_last=True), "pk")
    sections: dict[str, list[Task]] = {name: [] for name in SECTIONS if name != "done"}
    moment = timezone.now()
    for task in active:
        task.assignee = user  # the same person: no query for their time zone
        sections[section_of(task, moment)].append(task)
    return MyTasks(sections=sections, done_page=done_tasks(user, done_page))


def done_tasks(user: User, page: int | str | None = 1):
    finished = task_rows().filter(assignee=user).exclude(status__in=Task.ACTIVE)
    finished = finished.order_by(F("completed_at").desc(nulls_last=True), "-updated_at", "-pk")
    return Paginator(finished, DONE_PER_PAGE).get_page(page)


# --- Team board ------------------------------------------------------------------


def team_departments(user: User):
    """The departments whose board ``user`` sees: all for an admin, those they manage."""
    departments = Department.objects.order_by("name")
    if user.is_admin:
        return list(departments)
    if not user.is_manager:
        return []
    return list(departments.filter(members=user))


@dataclass
class TeamMember:
    person: User
    open_count: int
    overdue_count: int
    tasks: list[Task] = field(default_factory=list)


def team_board(departments) -> list[TeamMember]:
    """Each active member of ``departments`` with their open and overdue counts and open tasks.

    Three queries whatever the number of people and tasks: the people with
    their counts, and their open tasks.
    """
    moment = timezone.now()
    active = Q(tasks__status__in=Task.ACTIVE)
    people = (
        User.objects.filter(is_active=True, departments__in=departments)
        .distinct()
        .annotate(
            open_count=Count("tasks", filter=active, distinct=True),
            overdue_count=Count(
                "tasks", filter=active & Q(tasks__due_at__lt=moment), distinct=True
            ),
        )
        .order_by("-overdue_count", "-open_count", "full_name")
    )
    board = {
        person.pk: TeamMember(person, person.open_count, person.overdue_count) for person in people
    }
    tasks = task_rows().filter(assignee_id__in=board, status__in=Task.ACTIVE)
    for task in tasks.order_by(F("due_at").asc(nulls_last=True), "pk"):
        member = board[task.assignee_id]
        task.assignee = member.person
        member.tasks.append(task)
    return list(board.values())


def team_member(person_id: int) -> TeamMember | None:
    """One person's board counts (for the live fragment; tasks are swapped row by row)."""
    moment = timezone.now()
    person = User.objects.filter(pk=person_id).first()
    if person is None:
        return None
    active = person.tasks.filter(status__in=Task.ACTIVE)
    counts = active.aggregate(
        open_count=Count("pk"), overdue_count=Count("pk", filter=Q(due_at__lt=moment))
    )
    return TeamMember(person, counts["open_count"], counts["overdue_count"])


# --- One task ----------------------------------------------------------------------


def checklist_context(task: Task) -> dict:
    """The task's steps and how many are ticked (what the checklist partials draw)."""
    items = list(task.checklist.all())
    return {"checklist": items, "done_count": sum(item.done for item in items)}


def history(task: Task) -> list[FieldChange]:
    """The latest changes of the task's fields and status, newest first."""
    changes = FieldChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Task), object_id=task.pk
    ).select_related("actor")
    return list(changes[:HISTORY_SHOWN])


def history_change(pk) -> FieldChange | None:
    if pk is None:
        return None
    return FieldChange.objects.select_related("actor").filter(pk=pk).first()


def assignable_people(user: User):
    """Who ``user`` may give a task to (``policies.can_assign_task``), themselves first."""
    people = User.objects.filter(is_active=True)
    if not user.is_admin:
        if user.is_manager:
            people = people.filter(Q(pk=user.pk) | Q(departments__in=user.departments.all()))
        else:
            people = people.filter(pk=user.pk)
    return people.distinct().order_by("full_name")


def record_tasks(target) -> list[Task]:
    """The open tasks linked to a client, deal or ticket, soonest first."""
    name = type(target)._meta.model_name
    rows = task_rows().filter(**{name: target}, status__in=Task.ACTIVE)
    return list(rows.order_by(F("due_at").asc(nulls_last=True), "pk")[:RECORD_TASKS_SHOWN])


def can_see_team_board(user: User) -> bool:
    """The team board is for managers (their departments) and admins (all)."""
    return policies.can_view(user) and (user.is_admin or user.is_manager)
