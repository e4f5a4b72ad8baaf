"""Tasks: who may assign to whom, reminders (scheduled, moved, cancelled, fired), recurrence,
checklists, comments, audit and live events.

Reminder jobs are inspected as the rows django-tasks-db queues (the configured
backend) and run the way the worker does at their ``run_after`` moment.
"""

import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import EmailNotifications, Notification, Role
from records import policies, services
from records.models import ChecklistItem, Comment, FieldChange, Task, TimelineEntry
from records.tasks import send_task_reminder
from tests.factories import DepartmentFactory, UserFactory
from tests.live_helpers import capture_events
from workspace import live

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def text(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def topics(events) -> list[str]:
    return [event.topic for event in events]


def soon(hours: float = 5) -> datetime:
    return (timezone.now() + timedelta(hours=hours)).replace(microsecond=0)


def reminders(task: Task | None = None) -> list[DBTaskResult]:
    """The reminder jobs queued (for ``task``), oldest first."""
    rows = DBTaskResult.objects.filter(task_path=send_task_reminder.module_path).order_by(
        "enqueued_at"
    )
    rows = list(rows)
    if task is not None:
        rows = [row for row in rows if row.args_kwargs["args"][0] == task.pk]
    return rows


def run(row: DBTaskResult):
    """Run a queued job as the worker does once its ``run_after`` has come."""
    return row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])


# --- Who may assign to whom ----------------------------------------------------


@pytest.fixture
def cast(admin, sales_manager, member, support_member, sales):
    return {
        "member": member,
        "manager": sales_manager,
        "admin": admin,
        "same_department": UserFactory(role=Role.MEMBER, departments=[sales]),
        "other_department": support_member,
    }


# fmt: off
ASSIGN = {
    #             self   same   other department
    "member":   (True , False, False),
    "manager":  (True , True , False),
    "admin":    (True , True , True ),
}
# fmt: on


@pytest.mark.parametrize("who", list(ASSIGN))
@pytest.mark.parametrize("whom", ["self", "same_department", "other_department"])
def test_assignment_rules(cast, who, whom):
    actor = cast[who]
    assignee = actor if whom == "self" else cast[whom]
    allowed = ASSIGN[who][["self", "same_department", "other_department"].index(whom)]
    assert policies.can_assign_task(actor, assignee) is allowed
    if allowed:
        task = services.create_task(actor=actor, title="Call Acme", assignee=assignee)
        assert task.assignee == assignee
        assert task.assigned_by == actor
    else:
        with pytest.raises(PermissionDenied) as excinfo:
            services.create_task(actor=actor, title="Call Acme", assignee=assignee)
        expected = "not in a department you manage" if who == "manager" else "for yourself"
        assert expected in str(excinfo.value)
        assert not Task.objects.exists()
        assert not reminders()


def test_nobody_assigns_to_an_inactive_person(admin, sales):
    gone = UserFactory(departments=[sales], is_active=False)
    with pytest.raises(ValidationError, match="active member"):
        services.create_task(actor=admin, title="x", assignee=gone)


def test_a_task_needs_a_title(member):
    with pytest.raises(ValidationError, match="title"):
        services.create_task(actor=member, title="   ")


# --- Create --------------------------------------------------------------------


def test_create_task_writes_checklist_timeline_reminder_and_publishes(
    sales_manager, member, sales, acme
):
    due = soon(5)
    with capture_events(5) as events:
        task = services.create_task(
            actor=sales_manager,
            assignee=member,
            title="  Send   the offer ",
            description="Prices **with** discount <script>x</script>",
            due_at=due,
            priority="high",
            target=acme,
            checklist=["Draft", "  ", "Send"],
        )
    assert task.title == "Send the offer"
    assert "<strong>with</strong>" in task.description_html
    assert "<script>" not in task.description_html
    assert [item.text for item in task.checklist.all()] == ["Draft", "Send"]
    assert task.target == acme and task.target_client_id == acme.pk
    entry = TimelineEntry.objects.get(client=acme, kind=TimelineEntry.Kind.TASK)
    assert entry.task == task
    assert f"for {member}" in entry.summary
    assert topics(events) == [
        f"task.{task.pk}",
        f"user.{member.pk}",
        f"tasks.{sales.pk}",
        f"client.{acme.pk}",
        f"user.{member.pk}",
    ]
    assert {event.kind for event in events[:4]} == {"task.created"}
    assert events[0].payload["timeline"] == entry.pk
    assert events[4].kind == "notification.added"
    notification = Notification.objects.get(recipient=member)
    assert notification.kind == "task-assigned"
    assert notification.link == f"/tasks/{task.pk}/"


def test_a_task_for_oneself_of_no_record_has_no_timeline_and_no_notification(member, sales):
    with capture_events(3) as events:
        task = services.create_task(actor=member, title="Expenses")
    assert topics(events) == [f"task.{task.pk}", f"user.{member.pk}", f"tasks.{sales.pk}"]
    assert events[0].payload["timeline"] is None
    assert not TimelineEntry.objects.exists()
    assert not Notification.objects.exists()


def test_a_task_on_a_deal_reaches_the_deal_page_and_the_client(member, sales, acme, deal):
    with capture_events(5) as events:
        task = services.create_task(actor=member, title="Negotiate", target=deal)
    assert topics(events) == [
        f"task.{task.pk}",
        f"user.{member.pk}",
        f"tasks.{sales.pk}",
        f"deal.{deal.pk}",
        f"client.{acme.pk}",
    ]
    assert TimelineEntry.objects.get(kind="task").deal == deal


def test_a_task_links_to_at_most_one_record(member, acme, deal):
    task = Task(title="x", assignee=member, client=acme, deal=deal)
    with pytest.raises(ValidationError, match="at most one"):
        task.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        task.save()


def test_a_naive_due_time_is_the_assignees_local_time(sales_manager, member):
    member.timezone = "America/New_York"
    member.save()
    task = services.create_task(
        actor=sales_manager, assignee=member, title="x", due_at="2031-03-04 15:00"
    )
    local = timezone.localtime(task.due_at, zoneinfo.ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (15, 0)
    assert task.due_at == datetime(2031, 3, 4, 20, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))


def test_a_bad_due_time_is_refused_readably(member):
    with pytest.raises(ValidationError, match="is not a date and time"):
        services.create_task(actor=member, title="x", due_at="next tuesday-ish")


# --- Reminders -----------------------------------------------------------------


def test_reminder_is_scheduled_at_due_minus_the_assignees_lead_time(sales_manager, member):
    member.reminder_minutes = 30
    member.save()
    due = soon(5)
    task = services.create_task(actor=sales_manager, assignee=member, title="x", due_at=due)
    [row] = reminders(task)
    assert row.run_after == due - timedelta(minutes=30)
    assert row.args_kwargs["args"] == [task.pk, task.reminder_at.isoformat(), member.pk]
    assert task.reminder_at == due - timedelta(minutes=30)


def test_a_tasks_own_lead_time_wins(member):
    due = soon(5)
    task = services.create_task(actor=member, title="x", due_at=due, reminder_minutes=120)
    assert reminders(task)[0].run_after == due - timedelta(hours=2)


def test_a_reminder_whose_moment_passed_runs_at_once(member):
    due = soon(0.5)  # due in 30 min, lead time 60 min
    before = timezone.now()
    task = services.create_task(actor=member, title="x", due_at=due)
    [row] = reminders(task)
    assert before <= row.run_after <= timezone.now()
    assert task.reminder_at == due - timedelta(hours=1)


def test_past_due_is_allowed_overdue_and_never_reminded(member):
    task = services.create_task(actor=member, title="Late", due_at=timezone.now() - timedelta(1))
    assert task.is_overdue
    assert task.reminder_at is None
    assert not reminders()


def test_no_due_time_no_reminder(member):
    task = services.create_task(actor=member, title="Someday")
    assert not task.is_overdue
    assert not reminders()


def test_reminder_fires_a_notification_and_an_email(sales_manager, member):
    task = services.create_task(actor=sales_manager, assignee=member, title="Offer", due_at=soon())
    mail.outbox.clear()
    with capture_events(1) as events:  # the bell
        assert run(reminders(task)[0]) is True
    notification = Notification.objects.get(recipient=member, kind="task-reminder")
    assert "Reminder: “Offer” is due" in notification.text
    assert events[0].topic == f"user.{member.pk}"
    [email] = mail.outbox
    assert email.to == [member.email]
    assert "Offer" in email.subject
    assert f"/tasks/{task.pk}/" in email.body
    task.refresh_from_db()
    assert task.reminder_sent_at is not None
    # A job that runs twice (a worker retry) reminds once.
    with capture_events(0):
        assert run(reminders(task)[0]) is False


def test_reminder_email_only_for_people_who_want_email(member):
    member.email_notifications = EmailNotifications.NONE
    member.save()
    task = services.create_task(actor=member, title="Quiet", due_at=soon())
    mail.outbox.clear()
    with capture_events(1):
        assert run(reminders(task)[0]) is True
    assert Notification.objects.filter(kind="task-reminder").count() == 1
    assert mail.outbox == []


def test_moved_task_old_reminder_does_nothing_new_one_fires(sales_manager, member):
    task = services.create_task(actor=sales_manager, assignee=member, title="x", due_at=soon(5))
    later = soon(24)
    services.update_field(
        actor=sales_manager, obj=task, field="due_at", value=later, seen_value=task.due_at
    )
    old, new = reminders(task)
    assert new.run_after == later - timedelta(hours=1)
    with capture_events(0):
        assert run(old) is False
    assert not Notification.objects.filter(kind="task-reminder").exists()
    with capture_events(1):
        assert run(new) is True
    assert Notification.objects.filter(kind="task-reminder").count() == 1


def test_moving_a_due_time_is_audited_and_tells_the_assignee(sales_manager, member, acme, sales):
    task = services.create_task(
        actor=sales_manager, assignee=member, title="x", due_at=soon(5), target=acme
    )
    with capture_events(5) as events:
        services.update_field(
            actor=sales_manager,
            obj=task,
            field="due_at",
            value="2031-01-10 09:30",  # the assignee's (Berlin) time
            seen_value=task.due_at.isoformat(),
        )
    task.refresh_from_db()
    assert timezone.localtime(task.due_at, BERLIN).strftime("%H:%M") == "09:30"
    change = FieldChange.objects.get(field="due_at")
    assert change.actor == sales_manager
    entry = TimelineEntry.objects.filter(kind="task").first()
    assert "changed Due of task x" in entry.summary
    assert [e.kind for e in events] == ["task.updated"] * 4 + ["notification.added"]
    assert Notification.objects.get(kind="task-moved").recipient == member


def test_changing_the_lead_time_moves_the_reminder(member):
    due = soon(5)
    task = services.create_task(actor=member, title="x", due_at=due)
    services.update_field(actor=member, obj=task, field="reminder_minutes", value=15, seen_value="")
    old, new = reminders(task)
    assert new.run_after == due - timedelta(minutes=15)
    assert run(old) is False


def test_editing_other_fields_keeps_the_reminder(member):
    task = services.create_task(actor=member, title="x", due_at=soon(5))
    services.update_field(actor=member, obj=task, field="title", value="y", seen_value="x")
    services.set_task_status(actor=member, task=task, status="in_progress")
    [row] = reminders(task)
    assert run(row) is True


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_finished_task_reminder_does_nothing(member, status):
    task = services.create_task(actor=member, title="x", due_at=soon(5))
    services.set_task_status(actor=member, task=task, status=status)
    task.refresh_from_db()
    assert task.reminder_at is None
    assert len(reminders(task)) == 1
    assert run(reminders(task)[0]) is False
    assert not Notification.objects.exists()


def test_reopened_task_is_reminded_again(member):
    task = services.create_task(actor=member, title="x", due_at=soon(5))
    services.set_task_status(actor=member, task=task, status="cancelled")
    services.set_task_status(actor=member, task=task, status="open")
    first, second = reminders(task)
    # Same moment, same person: whichever job runs first reminds, once.
    assert run(first) is True
    assert run(second) is False
    assert Notification.objects.filter(kind="task-reminder").count() == 1


def test_deleted_task_reminder_does_nothing(member):
    task = services.create_task(actor=member, title="x", due_at=soon(5))
    [row] = reminders(task)
    services.delete_task(actor=member, task=task)
    assert run(row) is False
    assert not Notification.objects.exists()


def test_reassigned_task_reminds_the_new_assignee_only(sales_manager, member, sales):
    other = UserFactory(role=Role.MEMBER, departments=[sales], reminder_minutes=10)
    due = soon(5)
    task = services.create_task(actor=sales_manager, assignee=member, title="x", due_at=due)
    services.reassign_task(actor=sales_manager, task=task, assignee=other)
    old, new = reminders(task)
    assert new.run_after == due - timedelta(minutes=10)
    assert run(old) is False
    assert run(new) is True
    assert Notification.objects.get(kind="task-reminder").recipient == other


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_a_due_reminder(sales, support):
    """The real ``db_worker`` picks the job up once its time has come."""
    person = UserFactory(departments=[sales])
    task = services.create_task(actor=person, title="Worker", due_at=soon(0.5))
    assert DBTaskResult.objects.ready().count() == 1
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert Notification.objects.get(kind="task-reminder").recipient == person
    task.refresh_from_db()
    assert task.reminder_sent_at is not None
    assert DBTaskResult.objects.successful().count() == 1


# --- Status, recurrence --------------------------------------------------------


def test_done_stamps_completion_audits_and_tells_who_assigned_it(
    sales_manager, member, acme, sales
):
    task = services.create_task(actor=sales_manager, assignee=member, title="x", target=acme)
    with capture_events(5) as events:
        services.set_task_status(actor=member, task=task, status="done")
    task.refresh_from_db()
    assert task.completed_at is not None
    change = FieldChange.objects.get(field="status")
    assert (change.old, change.new) == ("open", "done")
    assert [e.kind for e in events] == ["task.status"] * 4 + ["notification.added"]
    assert events[-1].topic == f"user.{sales_manager.pk}"
    assert events[0].payload["next"] is None
    services.set_task_status(actor=member, task=task, status="open")
    task.refresh_from_db()
    assert task.completed_at is None


def test_status_is_checked(member, support_member):
    task = services.create_task(actor=member, title="x")
    with pytest.raises(ValidationError, match="is not a task status"):
        services.set_task_status(actor=member, task=task, status="finished")
    with pytest.raises(PermissionDenied):
        services.set_task_status(actor=support_member, task=task, status="done")


def test_completing_a_recurring_task_creates_the_next_once(member):
    due = datetime.combine(timezone.localdate() + timedelta(days=1), datetime.min.time())
    due = timezone.make_aware(due.replace(hour=9), BERLIN)
    task = services.create_task(
        actor=member, title="Weekly report", due_at=due, recurrence="weekly", checklist=["A", "B"]
    )
    services.toggle_checklist_item(actor=member, item=task.checklist.first(), done=True)
    with capture_events() as events:
        services.set_task_status(actor=member, task=task, status="done")
    following = Task.objects.get(previous=task)
    assert following.title == "Weekly report"
    assert following.assignee == member
    assert following.status == "open"
    assert following.due_at == due + timedelta(weeks=1)
    assert [(i.text, i.done) for i in following.checklist.all()] == [("A", False), ("B", False)]
    assert len(reminders(following)) == 1
    assert {"task.status", "task.created"} <= {e.kind for e in events}
    status_event = next(e for e in events if e.kind == "task.status")
    assert status_event.payload["next"] == following.pk
    # Reopened and completed again: no second occurrence.
    services.set_task_status(actor=member, task=task, status="open")
    services.set_task_status(actor=member, task=task, status="done")
    assert Task.objects.filter(previous=task).count() == 1
    assert Task.objects.count() == 2


def test_a_late_recurring_task_repeats_in_the_future_at_the_same_wall_clock_time(member):
    due = timezone.make_aware(datetime(2020, 3, 20, 9, 0), BERLIN)  # winter time
    task = services.create_task(actor=member, title="Daily", due_at=due, recurrence="daily")
    services.set_task_status(actor=member, task=task, status="done")
    following = Task.objects.get(previous=task)
    assert following.due_at > timezone.now()
    assert following.due_at - timezone.now() <= timedelta(days=1)
    assert timezone.localtime(following.due_at, BERLIN).strftime("%H:%M") == "09:00"


def test_monthly_recurrence_keeps_the_day_or_the_months_last():
    from records.services.tasks import _shift

    start = datetime(2031, 1, 31, 10, 0)
    assert _shift(start, "monthly", 1) == datetime(2031, 2, 28, 10, 0)
    assert _shift(start, "monthly", 2) == datetime(2031, 3, 31, 10, 0)
    assert _shift(start, "monthly", 12) == datetime(2032, 1, 31, 10, 0)


# --- Reassign, edit, delete ----------------------------------------------------


def test_reassign_notifies_both_and_reaches_both_feeds(sales_manager, member, sales, acme):
    other = UserFactory(role=Role.MEMBER, departments=[sales])
    task = services.create_task(actor=sales_manager, assignee=member, title="x", target=acme)
    with capture_events() as events:
        services.reassign_task(actor=sales_manager, task=task, assignee=other)
    reassigned = [e for e in events if e.kind == "task.reassigned"]
    assert topics(reassigned) == [
        f"task.{task.pk}",
        f"user.{other.pk}",
        f"tasks.{sales.pk}",
        f"user.{member.pk}",
        f"client.{acme.pk}",
    ]
    assert reassigned[0].payload["from_assignee"] == member.pk
    told = {n.recipient: n.kind for n in Notification.objects.exclude(kind="task-assigned")}
    assert told == {member: "task-reassigned"}
    assert Notification.objects.filter(recipient=other, kind="task-assigned").exists()
    change = FieldChange.objects.get(field="assignee")
    assert (change.old, change.new) == (member.pk, other.pk)


def test_a_member_cannot_hand_their_task_to_a_colleague(member, sales):
    other = UserFactory(role=Role.MEMBER, departments=[sales])
    task = services.create_task(actor=member, title="x")
    with pytest.raises(PermissionDenied):
        services.reassign_task(actor=member, task=task, assignee=other)


def test_task_fields_conflict_like_any_record(member, sales_manager):
    task = services.create_task(actor=sales_manager, assignee=member, title="Draft")
    services.update_field(actor=member, obj=task, field="title", value="Mine", seen_value="Draft")
    with pytest.raises(services.FieldConflict) as excinfo:
        services.update_field(
            actor=sales_manager, obj=task, field="title", value="Theirs", seen_value="Draft"
        )
    assert excinfo.value.changed_by == member


def test_a_task_description_is_rendered_on_edit(member):
    task = services.create_task(actor=member, title="x")
    services.update_field(
        actor=member, obj=task, field="description", value="*soon*", seen_value=""
    )
    task.refresh_from_db()
    assert task.description_html == "<p><em>soon</em></p>"


def test_status_and_assignee_have_their_own_services(member):
    task = services.create_task(actor=member, title="x")
    for field in ("status", "assignee"):
        with pytest.raises(ValidationError, match="cannot be edited here"):
            services.update_field(actor=member, obj=task, field=field, value="", seen_value="")


def test_delete_is_for_whoever_assigned_it(sales_manager, member, acme):
    task = services.create_task(actor=sales_manager, assignee=member, title="Oops", target=acme)
    with pytest.raises(PermissionDenied):
        services.delete_task(actor=member, task=task)
    with capture_events() as events:
        services.delete_task(actor=sales_manager, task=task)
    assert not Task.objects.exists()
    assert "task.deleted" in {e.kind for e in events}
    entry = TimelineEntry.objects.filter(kind="task").first()
    assert entry.summary == f"{sales_manager} deleted task “Oops”"
    assert entry.task is None  # history stays, the link goes
    assert Notification.objects.get(kind="task-deleted").recipient == member


# --- Checklist -----------------------------------------------------------------


def test_checklist_add_tick_remove(member, sales):
    task = services.create_task(actor=member, title="x", checklist=["One"])
    with capture_events(3) as events:
        item = services.add_checklist_item(actor=member, task=task, text=" Two ")
    assert item.order == 1 and item.text == "Two"
    assert topics(events) == [f"task.{task.pk}", f"user.{member.pk}", f"tasks.{sales.pk}"]
    assert events[0].payload == {
        "id": task.pk,
        "item": item.pk,
        "action": "added",
        "actor": member.pk,
    }
    with capture_events(3):
        services.toggle_checklist_item(actor=member, item=item, done=True)
    item.refresh_from_db()
    assert item.done
    assert FieldChange.objects.get(field="done").new is True
    with capture_events(0):
        services.toggle_checklist_item(actor=member, item=item, done=True)
    with capture_events(3):
        services.remove_checklist_item(actor=member, item=item)
    assert list(ChecklistItem.objects.values_list("text", flat=True)) == ["One"]
    with pytest.raises(ValidationError, match="Write the step"):
        services.add_checklist_item(actor=member, task=task, text="  ")


def test_strangers_cannot_touch_a_checklist(member, support_member):
    task = services.create_task(actor=member, title="x", checklist=["One"])
    with pytest.raises(PermissionDenied):
        services.add_checklist_item(actor=support_member, task=task, text="Mine")
    with pytest.raises(PermissionDenied):
        services.toggle_checklist_item(actor=support_member, item=task.checklist.get(), done=True)


# --- Comments on tasks ---------------------------------------------------------


def test_comment_on_a_task_of_no_client(member, sales_manager):
    task = services.create_task(actor=sales_manager, assignee=member, title="Private")
    with capture_events(1) as events:
        comment = services.post_comment(actor=member, target=task, body="On it")
    assert comment.task == task and comment.target == task
    assert comment.target_client_id is None
    assert topics(events) == [f"task.{task.pk}"]
    assert events[0].payload["timeline"] is None
    assert not TimelineEntry.objects.filter(kind="comment").exists()
    assert services.comment_link(comment) == f"/tasks/{task.pk}/#comment-{comment.pk}"
    reply = services.post_comment(actor=sales_manager, target=task, body="Thanks", parent=comment)
    assert reply.parent == comment


def test_comment_on_a_task_of_a_client_is_in_its_timeline(member, acme, ticket):
    task = services.create_task(actor=member, title="Fix", target=ticket)
    with capture_events(2) as events:
        comment = services.post_comment(actor=member, target=task, body="Done soon")
    assert topics(events) == [f"task.{task.pk}", f"client.{acme.pk}"]
    entry = TimelineEntry.objects.get(kind="comment")
    assert entry.task == task and entry.comment == comment


def test_only_who_may_see_a_private_task_comments_on_it(member, support_member):
    task = services.create_task(actor=member, title="Private")
    with pytest.raises(PermissionDenied):
        services.post_comment(actor=support_member, target=task, body="Hi")
    assert not Comment.objects.exists()


# --- Who sees a task -----------------------------------------------------------


def test_task_visibility_and_topics(admin, sales_manager, member, support_member, sales, acme):
    private = services.create_task(actor=member, title="Dentist")
    linked = services.create_task(actor=member, title="Call", target=acme)
    assert policies.can_view_task(member, private)
    assert policies.can_view_task(sales_manager, private)  # manages the assignee
    assert policies.can_view_task(admin, private)
    assert not policies.can_view_task(support_member, private)
    assert policies.can_view_task(support_member, linked)  # records are shared
    assert not policies.can_edit_task(support_member, linked)
    with pytest.raises(Http404):
        policies.access_task(support_member, private.pk)
    assert policies.access_task(support_member, linked.pk) == linked
    assert live.can_subscribe(sales_manager, f"task.{private.pk}")
    assert not live.can_subscribe(support_member, f"task.{private.pk}")
    assert live.can_subscribe(sales_manager, f"tasks.{sales.pk}")
    assert live.can_subscribe(admin, f"tasks.{sales.pk}")
    assert not live.can_subscribe(member, f"tasks.{sales.pk}")
    marketing = DepartmentFactory(name="Marketing", slug="marketing")
    assert not live.can_subscribe(sales_manager, f"tasks.{marketing.pk}")
