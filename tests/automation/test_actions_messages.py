"""Notify people and post in a room: who is told, the rule's label, the owner's rights."""

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Notification
from automation import actions
from automation.errors import BrokenReference
from chat.models import Message, Room
from tests.automation.action_helpers import act, context, make_client, make_ticket
from tests.factories import UserFactory


@pytest.fixture
def ticket(admin, support_member):
    return make_ticket(admin, make_client(admin, name="Northwind"), assignee=support_member)


@pytest.fixture
def rule(admin):
    from tests.automation.helpers import make_rule

    return make_rule(owner=admin, trigger="ticket.created", name="Urgent tickets")


def notify(**config):
    return {"type": "notify", "text": "{ticket.subject} at {client.name}"} | config


def told(kind="automation"):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__email", "text"))


def test_notifies_named_people_labelled_with_the_rule(admin, member, ticket, rule):
    summary = act(
        context(rule, "ticket", ticket), notify(to="people", people=[member.pk, admin.pk])
    )

    text = "Automation: Urgent tickets: Printer on fire at Northwind"
    assert told() == sorted([(member.email, text), (admin.email, text)])  # the owner too
    notification = Notification.objects.filter(recipient=member).get()
    assert notification.actor is None
    assert notification.link == f"/tickets/{ticket.pk}/"
    assert summary.startswith("Notified ") and summary.endswith(": Printer on fire at Northwind")


def test_notifies_a_departments_active_members(support, support_member, ticket, rule):
    gone = UserFactory(departments=[support], is_active=False)

    act(context(rule, "ticket", ticket), notify(to="department", department=support.pk))

    recipients = set(Notification.objects.values_list("recipient", flat=True))
    assert support_member.pk in recipients and gone.pk not in recipients


def test_notifies_a_departments_managers(support, support_manager, support_member, ticket, rule):
    act(context(rule, "ticket", ticket), notify(to="department_managers", department=support.pk))

    assert set(Notification.objects.values_list("recipient", flat=True)) == {support_manager.pk}


def test_notifies_the_records_owner(support_member, ticket, rule):
    act(context(rule, "ticket", ticket), notify(to="owner"))

    assert set(Notification.objects.values_list("recipient", flat=True)) == {support_member.pk}


def test_notifies_the_assignees_managers(support_manager, sales_manager, ticket, rule):
    act(context(rule, "ticket", ticket), notify(to="assignee_manager"))

    assert set(Notification.objects.values_list("recipient", flat=True)) == {support_manager.pk}


def test_no_recipient_is_said_in_the_run_log(admin, rule):
    unassigned = make_ticket(admin, make_client(admin))

    summary = act(context(rule, "ticket", unassigned), notify(to="assignee_manager"))

    assert summary.startswith("Notified nobody (no active recipient)")


def test_a_person_deactivated_since_is_a_broken_reference(member, ticket, rule):
    member.is_active = False
    member.save()

    with pytest.raises(BrokenReference):
        act(context(rule, "ticket", ticket), notify(to="people", people=[member.pk]))


def test_describe_notify_writes_nothing(support_member, ticket, rule):
    text = actions.describe(notify(to="owner"), context(rule, "ticket", ticket, dry_run=True))

    assert text == f"Would notify {support_member}: Printer on fire at Northwind"
    assert not Notification.objects.filter(kind="automation").exists()


# --- Post in a room -------------------------------------------------------------------


def test_posts_a_labelled_system_line_in_the_clients_room(ticket, rule):
    summary = act(
        context(rule, "ticket", ticket),
        {"type": "post_in_room", "room": "client", "text": "Urgent: {ticket.subject}"},
    )

    message = Message.objects.get(room__client=ticket.client)
    assert message.kind == Message.Kind.SYSTEM
    assert message.body == "**Automation: Urgent tickets:** Urgent: Printer on fire"
    assert summary == "Posted in the room of Northwind: Urgent: Printer on fire"


def test_posts_in_a_department_room_as_the_owner(support, support_manager, ticket):
    from tests.automation.helpers import make_rule

    rule = make_rule(owner=support_manager, trigger="ticket.created", name="Heads up")
    action = {"type": "post_in_room", "room": "department", "department": support.pk, "text": "New"}

    act(context(rule, "ticket", ticket), action)

    message = Message.objects.get(room__department=support)
    assert message.author == support_manager
    assert message.body == "_Automation: Heads up:_ New"


def test_an_owner_outside_the_department_may_not_post_in_its_room(admin, support, member, ticket):
    from tests.automation.helpers import make_rule

    rule = make_rule(owner=member, trigger="ticket.created")
    action = {"type": "post_in_room", "room": "department", "department": support.pk, "text": "x"}

    with pytest.raises(PermissionDenied):
        act(context(rule, "ticket", ticket), action)
    with pytest.raises(PermissionDenied):
        actions.describe(action, context(rule, "ticket", ticket, dry_run=True))
    assert not Message.objects.exists()


def test_describe_a_post(ticket, rule):
    action = {"type": "post_in_room", "room": "client", "text": "Urgent: {ticket.subject}"}

    text = actions.describe(action, context(rule, "ticket", ticket, dry_run=True))

    assert text == "Would post in the room of Northwind: Urgent: Printer on fire"
    assert not Message.objects.exists()
    assert not Room.objects.filter(client=ticket.client).exists()  # not even opened
