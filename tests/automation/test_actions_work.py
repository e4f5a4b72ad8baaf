"""Create a task and hand off: templated texts, the right assignee and link, the owner's
rights, and references gone since the rule was saved."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from automation import actions
from automation.errors import BrokenReference
from records import services
from records.models import Handoff, Task
from tests.automation.action_helpers import (
    MONDAY_NOON_BERLIN,
    act,
    context,
    make_client,
    make_deal,
    make_ticket,
)
from tests.automation.helpers import last_run, make_rule, run_automation


def task_action(**config):
    return {
        "type": "create_task",
        "title": "Onboard {client.name}",
        "assignee": "owner",
        "due_in_hours": 48,
        "checklist": ["Kick-off call with {client.name}", "Send the welcome pack"],
    } | config


def test_creates_a_templated_task_linked_to_the_record(admin, member):
    client = make_client(admin, name="Northwind")
    deal = make_deal(admin, client, owner=member)
    rule = make_rule(owner=admin, trigger="deal.won", name="Onboarding")

    summary = act(context(rule, "deal", deal, now=MONDAY_NOON_BERLIN), task_action())

    task = Task.objects.get(title="Onboard Northwind")
    assert (task.assignee, task.assigned_by, task.deal) == (member, admin, deal)
    assert task.due_at == MONDAY_NOON_BERLIN + timedelta(hours=48)
    assert [item.text for item in task.checklist.order_by("order")] == [
        "Kick-off call with Northwind",
        "Send the welcome pack",
    ]
    assert (
        summary == f"Created task “Onboard Northwind” for {member}, due in 48 h, 2 checklist steps"
    )
    assert task.target_client_id == client.pk
    assert client.timeline.filter(via="Automation: Onboarding", task=task).exists()


@pytest.mark.parametrize(
    ("assignee", "expected"),
    [("client_owner", "member"), ("rule_owner", "admin"), ("person", "support_member")],
)
def test_the_assignee_choices(request, admin, member, support_member, assignee, expected):
    ticket = make_ticket(admin, make_client(admin, owner=member))
    rule = make_rule(owner=admin, trigger="ticket.rated")
    config = task_action(assignee=assignee, person=support_member.pk, checklist=[])

    act(context(rule, "ticket", ticket), config)

    task = Task.objects.get(ticket=ticket)
    assert task.assignee == request.getfixturevalue(expected)


def test_a_schedule_makes_a_task_of_no_record(admin):
    rule = make_rule(owner=admin, trigger="schedule", name="Weekly review")
    config = actions.clean(
        "schedule",
        [{"type": "create_task", "title": "{rule.name}", "assignee": "rule_owner"}],
        owner=admin,
    )[0]

    act(context(rule, "", None), config)

    task = Task.objects.get(title="Weekly review")
    assert task.target is None and task.due_at is None


def test_a_record_without_owner_fails_readably(admin):
    ticket = make_ticket(admin, make_client(admin))  # nobody assigned
    rule = make_rule(owner=admin, trigger="ticket.created")

    with pytest.raises(ValidationError, match="has no owner"):
        act(context(rule, "ticket", ticket), task_action())


def test_an_owner_who_may_not_assign_that_person_is_refused(admin, member, support_member):
    rule = make_rule(owner=member, trigger="deal.won")
    deal = make_deal(admin, make_client(admin))

    with pytest.raises(PermissionDenied):
        act(context(rule, "deal", deal), task_action(assignee="person", person=support_member.pk))


def test_a_named_person_gone_since_is_a_broken_reference(admin, member):
    rule = make_rule(owner=admin, trigger="deal.won")
    member.is_active = False
    member.save()

    with pytest.raises(BrokenReference, match=member.full_name):
        act(
            context(rule, "deal", make_deal(admin, make_client(admin))),
            task_action(assignee="person", person=member.pk),
        )


def test_describe_writes_nothing(admin):
    rule = make_rule(owner=admin, trigger="deal.won")
    deal = make_deal(admin, make_client(admin, name="Acme"))

    text = actions.describe(task_action(), context(rule, "deal", deal, dry_run=True))

    assert text == f"Would create task “Onboard Acme” for {admin}, due in 48 h, 2 checklist steps"
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"title": "Onboard {client.nmae}"}, "Unknown placeholder {client.nmae}"),
        ({"due_in_hours": "soon"}, "Due in \\(hours\\) must be a whole number"),
        ({"due_in_hours": -1}, "must be from 0"),
        ({"checklist": "Call\n\nMail"}, None),
        ({"checklist": ["step"] * 51}, "at most"),
        ({"assignee": "person"}, "Choose who gets the task"),
        ({"assignee": "everyone"}, "Choose who gets the task"),
    ],
)
def test_bad_task_settings_are_refused(admin, config, message):
    attempt = [task_action(**config)]
    if message is None:
        assert actions.clean("deal.won", attempt, owner=admin)[0]["checklist"] == ["Call", "Mail"]
        return
    with pytest.raises(ValidationError, match=message):
        actions.clean("deal.won", attempt, owner=admin)


# --- Hand off -------------------------------------------------------------------------


def test_hands_the_deals_client_to_a_department_with_a_templated_note(admin, support):
    client = make_client(admin, name="Northwind")
    deal = make_deal(admin, client, title="Renewal")
    rule = make_rule(owner=admin, trigger="deal.won", name="Won to Support")
    config = {"type": "hand_off", "department": support.pk, "note": "Onboard {deal.title}"}

    summary = act(context(rule, "deal", deal), config)

    handoff = Handoff.objects.get()
    assert (handoff.client, handoff.deal, handoff.to_department) == (client, deal, support)
    assert handoff.note == "Onboard Renewal"
    assert summary == "Handed Northwind to Support"
    assert client.timeline.filter(via="Automation: Won to Support", handoff=handoff).exists()


def test_hands_a_ticket_to_a_person_of_the_department(admin, support, support_member):
    ticket = make_ticket(admin, make_client(admin))
    rule = make_rule(owner=admin, trigger="ticket.created")
    config = {"type": "hand_off", "department": support.pk, "person": support_member.pk}

    act(context(rule, "ticket", ticket), config | {"note": "{ticket.subject}"})

    handoff = Handoff.objects.get()
    assert (handoff.ticket, handoff.to_user) == (ticket, support_member)


def test_a_second_open_handoff_fails_readably(admin, support):
    deal = make_deal(admin, make_client(admin))
    rule = make_rule(owner=admin, trigger="deal.won")
    config = {"type": "hand_off", "department": support.pk, "note": "x"}
    act(context(rule, "deal", deal), config)

    with pytest.raises(ValidationError, match="already handed"):
        act(context(rule, "deal", deal), config)


def test_a_receiver_outside_the_department_is_refused_when_saved(admin, support, member):
    with pytest.raises(ValidationError, match="must belong to the department"):
        actions.clean(
            "deal.won",
            [{"type": "hand_off", "department": support.pk, "person": member.pk, "note": "x"}],
            owner=admin,
        )


def test_a_department_deleted_since_is_a_broken_reference(admin):
    rule = make_rule(owner=admin, trigger="deal.won")
    deal = make_deal(admin, make_client(admin))

    with pytest.raises(BrokenReference, match="department"):
        act(context(rule, "deal", deal), {"type": "hand_off", "department": 99999, "note": "x"})


def test_describe_a_hand_off(admin, support):
    rule = make_rule(owner=admin, trigger="deal.won")
    deal = make_deal(admin, make_client(admin, name="Acme"))
    config = {"type": "hand_off", "department": support.pk, "note": "Onboard {client.name}"}

    assert actions.describe(config, context(rule, "deal", deal, dry_run=True)) == (
        "Would hand Acme to Support: Onboard Acme"
    )
    assert not Handoff.objects.exists()


def test_a_won_deal_gets_its_task_through_the_engine(admin, member):
    deal = make_deal(admin, make_client(admin, name="Northwind"), owner=member)
    rule = make_rule(
        owner=admin,
        trigger="deal.won",
        name="Onboarding",
        actions=[task_action(checklist=[])],
    )
    services.win_deal(actor=admin, deal=deal)
    run_automation()

    task = Task.objects.get(title="Onboard Northwind")
    assert task.assignee == member
    assert last_run(rule).status == "done"
    assert deal.client.timeline.filter(via="Automation: Onboarding", task=task).exists()
