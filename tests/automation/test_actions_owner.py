"""Assign the owner: through update_field (or reassign_task), as "Automation: <rule>" in
the timeline and the history, with the owner's rights, refused or failed readably."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from automation import actions
from automation.errors import BrokenReference
from records import services
from records.models import FieldChange, Ticket, TimelineEntry
from tests.automation.action_helpers import (
    MONDAY_NOON_BERLIN,
    SATURDAY_NOON_BERLIN,
    act,
    context,
    make_client,
    make_deal,
    make_ticket,
)
from tests.automation.helpers import make_rule
from tests.factories import UserFactory


@pytest.fixture
def rule(admin):
    return make_rule(owner=admin, trigger="client.created", name="Route web leads")


def test_gives_a_client_to_the_named_person_as_the_rule(admin, member, rule):
    client = make_client(admin)
    ctx = context(rule, "client", client, now=MONDAY_NOON_BERLIN)

    summary = act(ctx, {"type": "assign_owner", "strategy": "person", "person": member.pk})

    client.refresh_from_db()
    assert client.owner == member
    assert summary == f"Gave Client: Northwind to {member} (a named person)"
    entry = TimelineEntry.objects.filter(client=client, kind="field").latest("pk")
    assert (entry.actor, entry.via) == (admin, "Automation: Route web leads")
    change = FieldChange.objects.filter(field="owner").latest("pk")
    assert change.via == "Automation: Route web leads"


def test_the_timeline_and_history_pages_show_the_rule_not_the_owner(client, admin, member, rule):
    record = make_client(admin)
    ctx = context(rule, "client", record, now=MONDAY_NOON_BERLIN)
    act(ctx, {"type": "assign_owner", "strategy": "person", "person": member.pk})
    client.force_login(admin)

    page = client.get(reverse("records:client_detail", args=[record.pk])).content.decode()
    history = client.get(reverse("records:history", args=["client", record.pk])).content.decode()

    for html in (page, history):
        assert "Automation: Route web leads" in html
        assert "bi-robot" in html


def test_round_robin_gives_a_ticket_to_its_assignee(admin, support, rule):
    people = [UserFactory(departments=[support]) for _ in range(2)]
    client = make_client(admin)
    tickets = [make_ticket(admin, client, subject=f"T{n}") for n in range(3)]
    config = {"type": "assign_owner", "strategy": "round_robin", "department": support.pk}

    for ticket in tickets:
        act(context(rule, "ticket", ticket, now=MONDAY_NOON_BERLIN), config)

    assignees = [Ticket.objects.get(pk=ticket.pk).assignee for ticket in tickets]
    assert assignees == [people[0], people[1], people[0]]


def test_the_ticket_page_shows_the_rule_in_its_history(client, admin, member, support, rule):
    ticket = make_ticket(admin, make_client(admin))
    config = {"type": "assign_owner", "strategy": "person", "person": member.pk}
    act(context(rule, "ticket", ticket, now=MONDAY_NOON_BERLIN), config)
    client.force_login(admin)

    html = client.get(reverse("records:ticket_detail", args=[ticket.pk])).content.decode()

    assert "Automation: Route web leads" in html


def test_a_task_is_reassigned(admin, support_manager, support_member, support):
    task = services.create_task(actor=support_manager, title="Call back", assignee=support_manager)
    rule = make_rule(owner=support_manager, trigger="task.created", name="Spread tasks")
    config = {"type": "assign_owner", "strategy": "person", "person": support_member.pk}

    act(context(rule, "task", task, now=MONDAY_NOON_BERLIN), config)

    task.refresh_from_db()
    assert task.assignee == support_member


def test_existing_owner_gives_the_ticket_to_the_clients_owner(admin, member, rule):
    ticket = make_ticket(admin, make_client(admin, owner=member))

    act(context(rule, "ticket", ticket, now=MONDAY_NOON_BERLIN), _existing())

    ticket.refresh_from_db()
    assert ticket.assignee == member


def test_already_the_owner_changes_nothing(admin, rule):
    client = make_client(admin)
    entries = TimelineEntry.objects.count()

    summary = act(context(rule, "client", client, now=MONDAY_NOON_BERLIN), _existing())

    assert summary.endswith("already theirs")
    assert TimelineEntry.objects.count() == entries


def test_describe_tells_who_without_writing(admin, member, support, rule):
    UserFactory(departments=[support])
    client = make_client(admin)
    ctx = context(rule, "client", client, now=MONDAY_NOON_BERLIN, dry_run=True)
    config = {"type": "assign_owner", "strategy": "round_robin", "department": support.pk}

    text = actions.describe(config, ctx)

    assert text.startswith("Would give Client: Northwind to ")
    assert "round-robin within a department in Support" in text
    client.refresh_from_db()
    assert client.owner == admin


def test_an_owner_without_the_right_is_refused(admin, member, sales_manager):
    client = make_client(admin, owner=admin)
    deal = make_deal(admin, client, owner=admin)
    rule = make_rule(owner=member, trigger="deal.created")
    config = {"type": "assign_owner", "strategy": "person", "person": sales_manager.pk}

    with pytest.raises(PermissionDenied):
        act(context(rule, "deal", deal, now=MONDAY_NOON_BERLIN), config)


def test_nobody_available_fails_the_step_with_the_reason(admin, support, rule):
    UserFactory(departments=[support])
    config = {"type": "assign_owner", "strategy": "least_loaded", "department": support.pk}

    with pytest.raises(ValidationError, match="nobody in Support is available now"):
        act(context(rule, "client", make_client(admin), now=SATURDAY_NOON_BERLIN), config)


def test_a_person_deactivated_since_is_a_broken_reference(admin, member, rule):
    config = actions.clean(
        "client.created",
        [{"type": "assign_owner", "strategy": "person", "person": member.pk}],
        owner=admin,
    )[0]
    member.is_active = False
    member.save()

    with pytest.raises(BrokenReference):
        act(context(rule, "client", make_client(admin), now=MONDAY_NOON_BERLIN), config)


def test_a_deleted_record_fails_readably(admin, rule):
    ctx = context(rule, "client", None)

    with pytest.raises(ValidationError, match="was deleted"):
        act(ctx, _existing())


def _existing():
    return {"type": "assign_owner", "strategy": "existing_owner"}
