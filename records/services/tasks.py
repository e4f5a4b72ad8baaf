"""Tasks: assign, reassign, complete (recurring ones repeat), checklist, reminders.

Who may assign what is ``records.policies.can_assign_task``: anyone gives
themselves a task, a manager gives one to people of the departments they
manage, an admin to anyone. Other fields (title, description, due time,
priority, reminder, recurrence) change one at a time through
``update_field`` (records/services/fields.py), with the same conflict
detection as every record.

**Due times** are aware moments. A naive one (what a form sends) is read in
the *assignee's* time zone (``aware_due``); a date alone means the end of the
assignee's working day.

**Due times in the past are allowed** (logging late work, copying a backlog):
the task is created or moved as asked, shows as overdue (``Task.is_overdue``;
the UI shows it in red and may warn before saving), and no reminder is
scheduled — a reminder about something already late is noise; the overdue
list is the reminder.

Reminders are planned by records/services/reminders.py.
"""

import calendar
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from accounts.services import notify
from records import events, policies
from records.models import (
    CHECKLIST_ITEMS_MAX,
    ChecklistItem,
    Client,
    Deal,
    Priority,
    Task,
    Ticket,
    TimelineEntry,
)
from records.services.base import (
    _audit,
    _client_id,
    _lock,
    _require,
    _task_topics,
    _topics,
    change_summary,
    record_name,
)
from records.services.reminders import (
    _schedule_reminder,
    aware_due,
    local_due,
    task_link,
)
from records.timeline import add_entry
from workspace import moments
from workspace.text import render_markdown


def _assign_refusal(actor: User, assignee: User) -> str:
    if actor.is_manager:
        return f"{assignee} is not in a department you manage; ask an admin or their manager."
    return "You can create tasks for yourself; managers assign tasks to their departments."


def _check_assignee(actor: User, assignee: User) -> None:
    if not assignee.is_active:
        raise ValidationError({"assignee": "Pick an active member of staff."})
    _require(policies.can_assign_task(actor, assignee), _assign_refusal(actor, assignee))


def _target_fields(target) -> dict:
    match target:
        case None:
            return {}
        case Client():
            return {"client": target}
        case Deal():
            return {"deal": target}
        case Ticket():
            return {"ticket": target}
    raise ValidationError("A task is linked to a client, a deal or a ticket.")


def _checklist_texts(items) -> list[str]:
    texts = [" ".join(str(item).split()) for item in items or ()]
    texts = [text for text in texts if text]
    if len(texts) > CHECKLIST_ITEMS_MAX:
        raise ValidationError(
            {"checklist": f"A checklist has at most {CHECKLIST_ITEMS_MAX} items."}
        )
    return texts


# --- Create --------------------------------------------------------------------


def _task_timeline(*, actor, task: Task, summary: str, **extra):
    """A timeline entry on the task's client, or None for a task of no client."""
    client_id = _client_id(task)
    if client_id is None:
        return None
    return add_entry(
        actor=actor,
        client_id=client_id,
        kind=TimelineEntry.Kind.TASK,
        summary=summary,
        obj=task,
        **extra,
    )


def _insert_task(*, actor: User, checklist=(), **fields) -> Task:
    """Write a task, its checklist, its reminder and timeline entry; publish ``task.created``.

    No policy check: callers check (create_task) or are the check (an
    accepted handoff, a recurring task's next occurrence). Inside a transaction.
    """
    created = timezone.now()
    task = Task(assigned_by=actor, created_at=created, updated_at=created, **fields)
    task.description_html = render_markdown(task.description) if task.description else ""
    task.full_clean()
    task.save()
    items = [ChecklistItem(task=task, text=text, order=n) for n, text in enumerate(checklist)]
    for item in items:
        item.full_clean(exclude=["task"])
    ChecklistItem.objects.bulk_create(items)
    _schedule_reminder(task)
    for_whom = "" if task.assignee_id == actor.pk else f" for {task.assignee}"
    where = f" on {record_name(task.target)}" if task.target is not None else ""
    entry = _task_timeline(
        actor=actor, task=task, summary=f"{actor} created task “{task}”{for_whom}{where}"
    )
    events.publish(
        _topics(task),
        "task.created",
        {
            "id": task.pk,
            "assignee": task.assignee_id,
            "actor": actor.pk,
            "status": task.status,
            "due_at": task.due_at.isoformat() if task.due_at else None,
            "timeline": entry.pk if entry else None,
        },
    )
    return task


def create_task(
    *,
    actor: User,
    title: str,
    assignee: User | None = None,
    description: str = "",
    due_at=None,
    priority: str = Priority.NORMAL,
    target=None,
    recurrence: str = Task.Recurrence.NONE,
    reminder_minutes: int | None = None,
    checklist=(),
) -> Task:
    """Create a task for ``assignee`` (default: the actor), optionally linked to ``target``.

    ``target`` is a client, deal or ticket (its page and the client's timeline
    show the task). ``due_at`` may be naive (the assignee's local time) or in
    the past (allowed: the task is overdue and gets no reminder). The assignee
    is notified unless they created it themselves.
    """
    assignee = assignee or actor
    _check_assignee(actor, assignee)
    if not isinstance(title, str) or not title.strip():
        raise ValidationError({"title": "Give the task a title."})
    links = _target_fields(target)
    items = _checklist_texts(checklist)
    due = aware_due(due_at, assignee)
    with transaction.atomic():
        links = {name: _lock(obj) for name, obj in links.items()}
        task = _insert_task(
            actor=actor,
            checklist=items,
            title=title,
            description=description or "",
            assignee=assignee,
            due_at=due,
            priority=priority,
            recurrence=recurrence,
            reminder_minutes=reminder_minutes,
            **links,
        )
        if assignee.pk != actor.pk:
            due_text = f", due {local_due(task)}" if task.due_at else ""
            notify(
                recipient=assignee,
                actor=actor,
                kind="task-assigned",
                text=f"{actor} assigned you “{task}”{due_text}.",
                link=task_link(task),
            )
    return task


# --- Change --------------------------------------------------------------------


def reassign_task(*, actor: User, task: Task, assignee: User) -> Task:
    """Give the task to someone else; both people are notified, the reminder follows."""
    with transaction.atomic():
        task = _lock(task)
        _require(policies.can_edit_task(actor, task), "You cannot reassign this task.")
        _check_assignee(actor, assignee)
        previous = task.assignee
        if previous.pk == assignee.pk:
            return task
        was = (task.reminder_at, task.assignee_id)
        task.assignee = assignee
        task.updated_at = timezone.now()
        task.full_clean()
        task.save()
        _schedule_reminder(task, was=was)
        events.task_access_changed(task)
        change = _audit(actor=actor, obj=task, field="assignee", old=previous.pk, new=assignee.pk)
        entry = _task_timeline(
            actor=actor,
            task=task,
            summary=change_summary(actor, task, "assignee", change),
            data={"model": "task", "id": task.pk, "change": change.pk},
        )
        events.publish(
            _task_topics(task, also_for=[previous.pk]),
            "task.reassigned",
            {
                "id": task.pk,
                "assignee": assignee.pk,
                "from_assignee": previous.pk,
                "actor": actor.pk,
                "change": change.pk,
                "timeline": entry.pk if entry else None,
            },
        )
        link = task_link(task)
        notify(
            recipient=assignee,
            actor=actor,
            kind="task-assigned",
            text=f"{actor} assigned you “{task}” (was {previous}'s).",
            link=link,
        )
        notify(
            recipient=previous,
            actor=actor,
            kind="task-reassigned",
            text=f"{actor} gave your task “{task}” to {assignee}.",
            link=link,
        )
    return task


def _shift(local: datetime, recurrence: str, times: int) -> datetime:
    """``local`` moved ``times`` periods on, in wall-clock time (09:00 stays 09:00)."""
    if recurrence == Task.Recurrence.DAILY:
        return local + timedelta(days=times)
    if recurrence == Task.Recurrence.WEEKLY:
        return local + timedelta(weeks=times)
    months = local.month - 1 + times
    year, month = local.year + months // 12, months % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])  # 31 Jan → 28/29 Feb
    return local.replace(year=year, month=month, day=day)


def _next_due(task: Task, moment: datetime) -> datetime | None:
    """The next occurrence's due time: one period on, and on until it is in the future."""
    if task.due_at is None:
        return None
    zone = moments.zone(task.assignee.timezone)
    local = timezone.localtime(task.due_at, zone).replace(tzinfo=None)
    times = 1
    while True:
        due = timezone.make_aware(_shift(local, task.recurrence, times), zone)
        if due > moment:
            return due
        times += 1


def _create_next_occurrence(actor: User, task: Task) -> Task:
    """The next occurrence of a recurring task: same assignee, due shifted, checklist unticked."""
    return _insert_task(
        actor=task.assigned_by or actor,
        checklist=list(task.checklist.values_list("text", flat=True)),
        title=task.title,
        description=task.description,
        assignee=task.assignee,
        due_at=_next_due(task, timezone.now()),
        priority=task.priority,
        recurrence=task.recurrence,
        reminder_minutes=task.reminder_minutes,
        client=task.client,
        deal=task.deal,
        ticket=task.ticket,
        previous=task,
    )


def set_task_status(*, actor: User, task: Task, status: str) -> Task:
    """Move a task to open, in progress, done or cancelled.

    Done stamps ``completed_at`` (reopening clears it) and tells whoever
    assigned it. Completing a recurring task creates its next occurrence
    (once: re-completing after a reopen does not create another). Done and
    cancelled tasks get no reminder; reopening plans one again.
    """
    if status not in Task.Status.values:
        raise ValidationError({"status": f"“{status}” is not a task status."})
    with transaction.atomic():
        task = _lock(task)
        _require(policies.can_edit_task(actor, task), "You cannot change this task.")
        old = task.status
        if old == status:
            return task
        was = (task.reminder_at, task.assignee_id)
        moment = timezone.now()
        task.status = status
        task.completed_at = moment if status == Task.Status.DONE else None
        task.updated_at = moment
        task.full_clean()
        task.save()
        _schedule_reminder(task, was=was)
        change = _audit(actor=actor, obj=task, field="status", old=old, new=status)
        entry = _task_timeline(
            actor=actor,
            task=task,
            summary=change_summary(actor, task, "status", change),
            data={"model": "task", "id": task.pk, "change": change.pk},
        )
        following = None
        if (
            status == Task.Status.DONE
            and task.recurrence != Task.Recurrence.NONE
            and not Task.objects.filter(previous=task).exists()
        ):
            following = _create_next_occurrence(actor, task)
        events.publish(
            _topics(task),
            "task.status",
            {
                "id": task.pk,
                "status": status,
                "from_status": old,
                "actor": actor.pk,
                "change": change.pk,
                "timeline": entry.pk if entry else None,
                "next": following.pk if following else None,
            },
        )
        if status == Task.Status.DONE and task.assigned_by is not None:
            notify(
                recipient=task.assigned_by,
                actor=actor,
                kind="task-done",
                text=f"{actor} completed “{task}”.",
                link=task_link(task),
            )
    return task


def delete_task(*, actor: User, task: Task) -> None:
    """Delete a task created by mistake (its checklist and comments go with it).

    To stop work that was real, cancel it instead (``set_task_status``): it
    stays in history. The timeline keeps a line saying who deleted what; a
    pending reminder finds no task and sends nothing.
    """
    with transaction.atomic():
        task = _lock(task)
        _require(
            policies.can_delete_task(actor, task),
            "Only whoever assigned a task, the assignee's managers or an admin can delete it.",
        )
        topics = _topics(task)
        entry = _task_timeline(actor=actor, task=task, summary=f"{actor} deleted task “{task}”")
        pk, title, assignee = task.pk, task.title, task.assignee
        task.delete()
        events.publish(
            topics,
            "task.deleted",
            {"id": pk, "actor": actor.pk, "timeline": entry.pk if entry else None},
        )
        notify(
            recipient=assignee,
            actor=actor,
            kind="task-deleted",
            text=f"{actor} deleted your task “{title}”.",
            link="/tasks/",
        )


# --- Checklist -----------------------------------------------------------------


def _publish_checklist(actor: User, task: Task, item_id: int, action: str, **extra) -> None:
    task.updated_at = timezone.now()
    task.save(update_fields=["updated_at"])
    events.publish(
        _topics(task),
        "task.checklist",
        {"id": task.pk, "item": item_id, "action": action, "actor": actor.pk, **extra},
    )


def add_checklist_item(*, actor: User, task: Task, text: str) -> ChecklistItem:
    """Add a step at the end of the task's checklist."""
    texts = _checklist_texts([text])
    if not texts:
        raise ValidationError({"text": "Write the step first."})
    with transaction.atomic():
        task = _lock(task)
        _require(policies.can_edit_task(actor, task), "You cannot change this task.")
        if task.checklist.count() >= CHECKLIST_ITEMS_MAX:
            raise ValidationError({"text": f"A checklist has at most {CHECKLIST_ITEMS_MAX} items."})
        last = task.checklist.aggregate(last=Max("order"))["last"]
        item = ChecklistItem(task=task, text=texts[0], order=0 if last is None else last + 1)
        item.full_clean()
        item.save()
        _publish_checklist(actor, task, item.pk, "added")
    return item


def toggle_checklist_item(*, actor: User, item: ChecklistItem, done: bool) -> ChecklistItem:
    """Tick (``done=True``) or untick a step; recorded in the audit."""
    with transaction.atomic():
        task = _lock(item.task)
        item = _lock(item)
        _require(policies.can_edit_task(actor, task), "You cannot change this task.")
        done = bool(done)
        if item.done == done:
            return item
        item.done = done
        item.save(update_fields=["done"])
        _audit(actor=actor, obj=item, field="done", old=not done, new=done)
        _publish_checklist(actor, task, item.pk, "done" if done else "undone")
    return item


def remove_checklist_item(*, actor: User, item: ChecklistItem) -> None:
    with transaction.atomic():
        task = _lock(item.task)
        item = _lock(item)
        _require(policies.can_edit_task(actor, task), "You cannot change this task.")
        pk = item.pk
        item.delete()
        _publish_checklist(actor, task, pk, "removed")
