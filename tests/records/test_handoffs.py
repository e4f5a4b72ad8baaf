"""Handoffs: hand off with a note, accept (once), decline (with a reason), escalate, withdraw,
their timeline, audit, notifications and live events, and the analytics query.

Cast: ``acme`` (Sales, owned by ``member``) is handed by ``support_member`` to
Sales, whose manager is ``sales_manager``.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import Notification, Role
from records import policies, services
from records.models import Deal, FieldChange, Handoff, Task, TimelineEntry
from records.selectors.handoffs import handoffs_that_led_to_deals
from records.tasks import escalate_unanswered_handoff
from tests.factories import DepartmentFactory, UserFactory
from tests.live_helpers import capture_events
from tests.races import second_waits_for_first
from workspace import live


def text(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def topics(events) -> list[str]:
    return [event.topic for event in events]


def escalation_jobs() -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(task_path=escalate_unanswered_handoff.module_path).order_by(
            "enqueued_at"
        )
    )


def run(row: DBTaskResult):
    return row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])


@pytest.fixture
def handoff(support_member, acme, ticket, sales, sales_manager):
    return services.hand_off(
        actor=support_member,
        client=acme,
        ticket=ticket,
        to_department=sales,
        note="Wants the **enterprise** plan; I promised a call this week.",
    )


# --- Hand off ------------------------------------------------------------------


def test_hand_off_records_notifies_managers_publishes_and_schedules_escalation(
    support_member, support, sales_manager, acme, ticket, sales
):
    with capture_events(6) as events:
        handoff = services.hand_off(
            actor=support_member,
            client=acme,
            ticket=ticket,
            to_department=sales,
            note="  Wants the enterprise plan.  ",
        )
    assert handoff.status == "pending"
    assert handoff.from_department == support
    assert handoff.note == "Wants the enterprise plan."
    assert handoff.escalate_after == handoff.created_at + timedelta(hours=24)
    entry = TimelineEntry.objects.get(kind="handoff")
    assert entry.handoff == handoff and entry.ticket == ticket
    assert entry.body == "Wants the enterprise plan."
    assert entry.summary == f"{support_member} handed Acme GmbH (ticket Cannot log in) to Sales"
    assert topics(events) == [
        f"handoffs.{sales.pk}",
        f"client.{acme.pk}",
        f"ticket.{ticket.pk}",
        f"user.{support_member.pk}",
        # The client's room is told before anyone is notified: a chat post locks the room,
        # then the people it mentions; the same order here cannot deadlock with it.
        f"room.{acme.chat_room.pk}",
        f"user.{sales_manager.pk}",
    ]
    assert {e.kind for e in events[:4]} == {"handoff.created"}
    assert events[4].kind == "chat.message.posted"
    assert events[5].kind == "notification.added"
    notification = Notification.objects.get(recipient=sales_manager)
    assert notification.kind == "handoff"
    assert notification.link == f"/handoffs/{handoff.pk}/"
    [job] = escalation_jobs()
    assert job.run_after == handoff.escalate_after
    assert job.args_kwargs["args"] == [handoff.pk]


def test_hand_off_to_a_person_notifies_them(support_member, member, acme, sales, sales_manager):
    handoff = services.hand_off(
        actor=support_member, client=acme, to_department=sales, to_user=member, note="Yours"
    )
    assert [n.recipient for n in Notification.objects.all()] == [member]
    assert f"user.{member.pk}" in services.base._topics(handoff)


def test_a_department_without_managers_is_told_as_a_whole(support_member, acme):
    marketing = DepartmentFactory(name="Marketing", slug="marketing")
    people = [UserFactory(departments=[marketing]) for _ in range(2)]
    services.hand_off(actor=support_member, client=acme, to_department=marketing, note="Campaign?")
    assert {n.recipient for n in Notification.objects.all()} == set(people)


@pytest.mark.parametrize("note", ["", "   ", None])
def test_a_handoff_needs_a_note(support_member, acme, sales, note):
    with capture_events(0), pytest.raises(ValidationError) as excinfo:
        services.hand_off(actor=support_member, client=acme, to_department=sales, note=note)
    assert "what the client needs" in text(excinfo)
    assert not Handoff.objects.exists()
    assert not escalation_jobs()


def test_the_person_must_be_in_the_department(support_member, support_manager, acme, sales):
    with pytest.raises(ValidationError, match="is not in Sales"):
        services.hand_off(
            actor=support_member,
            client=acme,
            to_department=sales,
            to_user=support_manager,
            note="x",
        )


def test_the_ticket_must_be_the_clients(support_member, acme, sales, member):
    other = services.create_client(actor=member, name="Other Ltd")
    foreign = services.create_ticket(actor=support_member, client=other, subject="Elsewhere")
    with pytest.raises(ValidationError, match="does not belong to Acme GmbH"):
        services.hand_off(
            actor=support_member, client=acme, ticket=foreign, to_department=sales, note="x"
        )


def test_a_double_submit_hands_off_once(handoff, support_member, acme, ticket, sales):
    with pytest.raises(ValidationError, match="already handed to Sales"):
        services.hand_off(
            actor=support_member, client=acme, ticket=ticket, to_department=sales, note="again"
        )
    assert Handoff.objects.count() == 1


# --- Accept --------------------------------------------------------------------


def test_accept_creates_a_task_for_the_acceptor(handoff, member, support_member, acme, ticket):
    with capture_events() as events:
        services.accept_handoff(actor=member, handoff=handoff)
    handoff.refresh_from_db()
    assert handoff.status == "accepted"
    assert handoff.accepted_by == member
    assert handoff.answered_at is not None
    task = handoff.task
    assert task.assignee == member
    assert task.ticket == ticket  # linked to what was handed over
    assert "enterprise" in task.description
    assert task.due_at is not None and task.reminder_at is not None
    change = FieldChange.objects.get(field="status")
    assert (change.old, change.new, change.actor) == ("pending", "accepted", member)
    entry = TimelineEntry.objects.get(kind="handoff", summary__contains="accepted")
    assert entry.task == task
    kinds = [e.kind for e in events]
    assert "task.created" in kinds and "handoff.accepted" in kinds
    accepted = [e for e in events if e.kind == "handoff.accepted"]
    assert f"client.{acme.pk}" in topics(accepted)
    assert accepted[0].payload["task"] == task.pk
    assert Notification.objects.get(kind="handoff-accepted").recipient == support_member


def test_a_second_accept_is_refused_and_creates_no_second_task(handoff, member, sales_manager):
    services.accept_handoff(actor=member, handoff=handoff)
    for second in (member, sales_manager):  # a second click, another tab or person
        with capture_events(0), pytest.raises(ValidationError) as excinfo:
            services.accept_handoff(actor=second, handoff=handoff)
        assert f"already accepted by {member}" in text(excinfo)
    assert Task.objects.count() == 1
    with pytest.raises(ValidationError, match="already accepted"):
        services.decline_handoff(actor=sales_manager, handoff=handoff, reason="No")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs a server database: SQLite's in-memory test database is one connection",
)
@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_make_one_task(support, sales):
    """Two tabs accept at the same moment: the row lock serializes them."""
    sender = UserFactory(departments=[support])
    one, two = (UserFactory(departments=[sales]) for _ in range(2))
    client = services.create_client(actor=one, name="Race Ltd")
    handoff = services.hand_off(actor=sender, client=client, to_department=sales, note="Go")
    first, second = second_waits_for_first(
        lambda: services.accept_handoff(actor=one, handoff=handoff),
        lambda: services.accept_handoff(actor=two, handoff=handoff),
    )
    assert first.status == "accepted"
    assert isinstance(second, ValidationError)
    assert f"already accepted by {one}" in " ".join(second.messages)
    assert Task.objects.filter(handoff__isnull=False).count() == 1
    assert Task.objects.get().assignee == one


def test_who_may_answer(handoff, support_member, member, admin, sales_manager, support_manager):
    assert policies.can_answer_handoff(member, handoff)  # addressed to Sales, any member
    assert policies.can_answer_handoff(sales_manager, handoff)
    assert policies.can_answer_handoff(admin, handoff)
    assert not policies.can_answer_handoff(support_manager, handoff)
    assert not policies.can_answer_handoff(support_member, handoff)  # the sender
    with pytest.raises(PermissionDenied, match="for Sales"):
        services.accept_handoff(actor=support_manager, handoff=handoff)


def test_addressed_to_a_person_only_they_and_the_managers_answer(
    support_member, acme, sales, member, sales_manager
):
    colleague = UserFactory(departments=[sales])
    handoff = services.hand_off(
        actor=support_member, client=acme, to_department=sales, to_user=member, note="x"
    )
    assert not policies.can_answer_handoff(colleague, handoff)
    assert policies.can_answer_handoff(member, handoff)
    assert policies.can_answer_handoff(sales_manager, handoff)


def test_a_manager_accepts_for_someone_of_the_department(handoff, sales_manager, member):
    services.accept_handoff(actor=sales_manager, handoff=handoff, assignee=member)
    handoff.refresh_from_db()
    assert handoff.answered_by == sales_manager
    assert handoff.task.assignee == member
    assert handoff.task.assigned_by == sales_manager
    told = Notification.objects.filter(recipient=member).values_list("kind", flat=True)
    assert list(told) == ["task-assigned"]


def test_a_member_cannot_accept_for_someone_else(handoff, member, sales):
    colleague = UserFactory(departments=[sales])
    with pytest.raises(PermissionDenied, match="managers"):
        services.accept_handoff(actor=member, handoff=handoff, assignee=colleague)


def test_the_assignee_must_be_in_the_receiving_department(handoff, sales_manager, support_member):
    with pytest.raises(ValidationError, match="active member of Sales"):
        services.accept_handoff(actor=sales_manager, handoff=handoff, assignee=support_member)
    assert not Task.objects.exists()


def test_accept_can_make_the_assignee_the_clients_owner(
    support_member, sales_manager, member, acme, sales
):
    colleague = UserFactory(departments=[sales])
    handoff = services.hand_off(actor=support_member, client=acme, to_department=sales, note="x")
    with capture_events() as events:
        services.accept_handoff(
            actor=sales_manager, handoff=handoff, assignee=colleague, take_ownership=True
        )
    acme.refresh_from_db()
    assert acme.owner == colleague
    change = FieldChange.objects.get(field="owner")
    assert (change.old, change.new) == (member.pk, colleague.pk)
    assert "client.updated" in {e.kind for e in events}
    assert TimelineEntry.objects.filter(kind="field", summary__contains="Owner").exists()


def test_taking_ownership_needs_someone_who_could_give_the_client_away(
    handoff, sales, member, acme
):
    colleague = UserFactory(departments=[sales])  # neither owner nor manager; nor is the sender
    with pytest.raises(PermissionDenied, match="new owner"):
        services.accept_handoff(actor=colleague, handoff=handoff, take_ownership=True)
    handoff.refresh_from_db()
    assert handoff.status == "pending"
    assert not Task.objects.exists()


# --- Decline -------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "  ", None])
def test_decline_needs_a_reason(handoff, member, reason):
    with capture_events(0), pytest.raises(ValidationError, match="Say why"):
        services.decline_handoff(actor=member, handoff=handoff, reason=reason)
    handoff.refresh_from_db()
    assert handoff.status == "pending"


def test_decline_tells_the_sender_why(handoff, member, support_member, acme):
    with capture_events() as events:
        services.decline_handoff(actor=member, handoff=handoff, reason="Not a sales topic")
    handoff.refresh_from_db()
    assert handoff.status == "declined"
    assert handoff.decline_reason == "Not a sales topic"
    notification = Notification.objects.get(kind="handoff-declined")
    assert notification.recipient == support_member
    assert notification.text.endswith("Not a sales topic")
    assert "handoff.declined" in {e.kind for e in events}
    entry = TimelineEntry.objects.get(kind="handoff", summary__contains="declined")
    assert entry.body == "Not a sales topic"
    assert FieldChange.objects.get(field="status").new == "declined"
    with pytest.raises(ValidationError, match=f"already declined by {member}"):
        services.accept_handoff(actor=member, handoff=handoff)
    assert not Task.objects.exists()


# --- Escalate ------------------------------------------------------------------


def test_escalation_before_its_time_does_nothing(handoff):
    with capture_events(0):
        assert run(escalation_jobs()[0]) is False
    handoff.refresh_from_db()
    assert handoff.status == "pending"


def test_unanswered_handoff_escalates_to_the_managers(handoff, sales_manager, sales, acme):
    second_manager = UserFactory(role=Role.MANAGER, departments=[sales])
    Handoff.objects.filter(pk=handoff.pk).update(escalate_after=timezone.now())
    Notification.objects.all().delete()
    with capture_events() as events:
        assert run(escalation_jobs()[0]) is True
    handoff.refresh_from_db()
    assert handoff.status == "escalated"
    assert handoff.escalated_at is not None
    told = {n.recipient for n in Notification.objects.filter(kind="handoff-escalated")}
    assert told == {sales_manager, second_manager}
    entry = TimelineEntry.objects.get(kind="handoff", summary__contains="escalated")
    assert entry.actor is None
    assert "handoff.escalated" in {e.kind for e in events}
    assert f"handoffs.{sales.pk}" in topics(events)
    # It runs once: a second run changes nothing.
    assert run(escalation_jobs()[0]) is False
    # An escalated handoff can still be accepted.
    services.accept_handoff(actor=sales_manager, handoff=handoff)
    handoff.refresh_from_db()
    assert handoff.status == "accepted"


def test_answered_handoff_does_not_escalate(handoff, member):
    services.accept_handoff(actor=member, handoff=handoff)
    Handoff.objects.filter(pk=handoff.pk).update(escalate_after=timezone.now())
    assert run(escalation_jobs()[0]) is False
    assert not Notification.objects.filter(kind="handoff-escalated").exists()


def test_without_managers_escalation_goes_to_admins(support_member, acme, admin):
    marketing = DepartmentFactory(name="Marketing", slug="marketing")
    UserFactory(departments=[marketing])
    handoff = services.hand_off(
        actor=support_member, client=acme, to_department=marketing, note="x"
    )
    Handoff.objects.filter(pk=handoff.pk).update(escalate_after=timezone.now())
    assert services.escalate_handoff(handoff_id=handoff.pk) is not None
    assert Notification.objects.get(kind="handoff-escalated").recipient == admin


def test_escalation_of_a_deleted_handoff_does_nothing(db):
    assert services.escalate_handoff(handoff_id=987654) is None


# --- Withdraw ------------------------------------------------------------------


def test_the_sender_withdraws_an_open_handoff(handoff, support_member, member, sales_manager):
    with pytest.raises(PermissionDenied):
        services.withdraw_handoff(actor=member, handoff=handoff)
    services.withdraw_handoff(actor=support_member, handoff=handoff)
    handoff.refresh_from_db()
    assert handoff.status == "withdrawn"
    assert Notification.objects.filter(kind="handoff-withdrawn", recipient=sales_manager).exists()
    with pytest.raises(ValidationError, match="withdrew"):
        services.accept_handoff(actor=member, handoff=handoff)
    assert run(escalation_jobs()[0]) is False


# --- Topics and analytics ------------------------------------------------------


def test_the_inbox_topic_is_for_the_department(sales, member, support_member, admin):
    assert live.can_subscribe(member, f"handoffs.{sales.pk}")
    assert live.can_subscribe(admin, f"handoffs.{sales.pk}")
    assert not live.can_subscribe(support_member, f"handoffs.{sales.pk}")


def test_handoffs_from_support_that_led_to_a_deal_within_90_days(
    support_member, member, sales, support, acme
):
    other = services.create_client(actor=member, name="Globex")
    late = services.create_client(actor=member, name="Initech")
    quiet = services.create_client(actor=member, name="Hooli")
    handoffs = {
        client.name: services.hand_off(
            actor=support_member, client=client, to_department=sales, note="Lead"
        )
        for client in (acme, other, late, quiet)
    }
    from_sales = services.hand_off(actor=member, client=acme, to_department=support, note="Help")
    assert from_sales.from_department == sales
    services.create_deal(actor=member, client=acme, title="Won it")  # right after
    deal = services.create_deal(actor=member, client=other, title="In time")
    Deal.objects.filter(pk=deal.pk).update(
        created_at=handoffs["Globex"].created_at + timedelta(days=89)
    )
    deal = services.create_deal(actor=member, client=late, title="Too late")
    Deal.objects.filter(pk=deal.pk).update(
        created_at=handoffs["Initech"].created_at + timedelta(days=91)
    )
    counted = handoffs_that_led_to_deals()
    assert set(counted.values_list("client__name", flat=True)) == {"Acme GmbH", "Globex"}
    assert counted.count() == 2
    annotated = Handoff.objects.with_deal_within().get(pk=handoffs["Hooli"].pk)
    assert annotated.led_to_deal is False
    future = timezone.now() + timedelta(days=1)
    assert handoffs_that_led_to_deals(since=future).count() == 0
