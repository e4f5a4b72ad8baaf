"""Live task rows, team counts and the task page's shared parts (task.* events).

A task's row appears in three places, each with its own id prefix
(records/task_rows.html): My tasks (``minetask-``, in the section the server
decides in the assignee's time zone, ``#my-<assignee>-<section>``), the team
board (``teamtask-``, under ``#team-person-<assignee>-tasks``) and its record's
Tasks card (``recordtask-``). Events that can move a task (created, status,
reassigned, a new due time) delete its rows and insert them where they now
belong; other events replace the rows in place. Targets a page does not show
are skipped by live.js, so one rendering serves every viewer.
"""

from records.fragments import fragment, renders
from records.selectors import tasks as selectors

TASK_KINDS = (
    "task.created",
    "task.updated",
    "task.reassigned",
    "task.status",
    "task.checklist",
    "task.deleted",
)
PLACES = ("mine", "team", "record")


def _moves(kind: str, payload: dict) -> bool:
    if kind == "task.updated":
        return payload.get("field") == "due_at"
    return kind in ("task.created", "task.reassigned", "task.status", "task.deleted")


def record_list_id(task) -> str:
    """The id of the Tasks card list of the record ``task`` is linked to ("" if none)."""
    for name in ("client", "deal", "ticket"):
        pk = getattr(task, f"{name}_id")
        if pk:
            return f"record-tasks-{name}-{pk}-list"
    return ""


@renders(*TASK_KINDS)
def task_rows(kind: str, payload: dict) -> str:
    task = selectors.task_row(payload["id"])
    context = {
        "task": task,
        "task_id": payload["id"],
        "moved": _moves(kind, payload),
        "places": PLACES,
    }
    if task is not None:
        context["section"] = selectors.section_of(task)
        context["record_list"] = record_list_id(task)
    return fragment("records/task_rows.html#live-rows", context)


@renders(*TASK_KINDS)
def team_counts(kind: str, payload: dict) -> str:
    """The counts of the people whose load changed (both, when reassigned)."""
    people = {payload.get("assignee"), payload.get("from_assignee")} - {None}
    if not people:
        task = selectors.task_row(payload["id"])
        people = {task.assignee_id} if task else set()
    members = [selectors.team_member(pk) for pk in sorted(people)]
    return "".join(
        fragment("records/team_tasks.html#counts", {"member": member, "oob": True})
        for member in members
        if member is not None
    )


@renders(*TASK_KINDS)
def task_page(kind: str, payload: dict) -> str:
    task = selectors.task_row(payload["id"])
    if task is None:
        return ""
    context = {
        "task": task,
        "statuses": selectors.STATUS_BUTTONS,
        "change": selectors.history_change(payload.get("change")),
        "checklist_changed": kind == "task.checklist",
        **(selectors.checklist_context(task) if kind == "task.checklist" else {}),
    }
    return fragment("records/task_detail.html#live-task", context)
