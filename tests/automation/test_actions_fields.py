"""Change a field: checked against the field when saved, written through update_field
as the rule, overwriting what the record holds at run time."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from automation import actions
from automation.errors import BrokenReference
from records.models import CustomField, FieldChange
from tests.automation.action_helpers import act, context, make_client, make_deal, make_ticket
from tests.automation.helpers import make_rule


def change(field, value):
    return {"type": "change_field", "field": field, "value": value}


def clean(trigger, action, owner):
    return actions.clean(trigger, [action], owner=owner)[0]


def test_sets_a_tickets_priority_as_the_rule(admin):
    ticket = make_ticket(admin, make_client(admin), subject="Down")
    rule = make_rule(owner=admin, trigger="ticket.created", name="Escalate")

    summary = act(
        context(rule, "ticket", ticket),
        clean("ticket.created", change("priority", "urgent"), admin),
    )

    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    assert summary == "Set priority of Ticket: Down to “urgent”"
    assert FieldChange.objects.get(field="priority").via == "Automation: Escalate"


def test_overwrites_a_value_changed_since_the_event(admin, member):
    deal = make_deal(admin, make_client(admin), amount=100)
    ctx = context(make_rule(owner=admin, trigger="deal.created"), "deal", deal)
    deal.amount = Decimal(500)  # someone's edit the run's record does not know of
    deal.save()

    act(ctx, change("amount", "1000"))

    deal.refresh_from_db()
    assert deal.amount == Decimal(1000)


def test_a_value_already_set_changes_nothing(admin):
    ticket = make_ticket(admin, make_client(admin), priority="high")
    rule = make_rule(owner=admin, trigger="ticket.created")
    action = change("priority", "high")

    assert actions.describe(action, context(rule, "ticket", ticket, dry_run=True)) == (
        "Would leave priority as “high” (already set)"
    )
    act(context(rule, "ticket", ticket), action)
    assert not FieldChange.objects.filter(field="priority").exists()


def test_sets_a_custom_client_field(admin):
    CustomField.objects.create(key="region", label="Region", type=CustomField.Type.TEXT)
    client = make_client(admin)
    rule = make_rule(owner=admin, trigger="client.created")

    act(
        context(rule, "client", client),
        clean("client.created", change("custom.region", "north"), admin),
    )

    client.refresh_from_db()
    assert client.custom_values == {"region": "north"}


def test_a_custom_field_removed_since_is_a_broken_reference(admin):
    field = CustomField.objects.create(key="region", label="Region", type=CustomField.Type.TEXT)
    rule = make_rule(owner=admin, trigger="client.created")
    action = clean("client.created", change("custom.region", "north"), admin)
    field.active = False
    field.save()

    with pytest.raises(BrokenReference, match="region"):
        act(context(rule, "client", make_client(admin)), action)


def test_an_owner_without_the_right_is_refused(admin, member):
    ticket = make_ticket(admin, make_client(admin))
    rule = make_rule(owner=member, trigger="ticket.created")  # not support, not assigned

    with pytest.raises(PermissionDenied):
        act(context(rule, "ticket", ticket), change("priority", "urgent"))


@pytest.mark.parametrize(
    ("trigger", "action", "message"),
    [
        ("ticket.created", change("priority", "whenever"), "Priority: Value 'whenever'"),
        ("deal.created", change("amount", "lots"), "Amount: "),
        ("deal.created", change("stage", 1), "Choose a field to change"),
        ("deal.created", change("owner", 987654), "does not exist"),
        ("client.created", change("custom.nope", "x"), "Choose a field to change"),
        ("handoff.sent", change("note", "x"), "no fields a rule may change"),
        ("client.created", change("name", ""), "Name: This field cannot be blank"),
    ],
)
def test_wrong_fields_and_values_are_refused_when_saved(admin, trigger, action, message):
    with pytest.raises(ValidationError, match=message):
        clean(trigger, action, admin)


def test_a_custom_number_field_refuses_text(admin):
    CustomField.objects.create(key="seats", label="Seats", type=CustomField.Type.NUMBER)

    with pytest.raises(ValidationError, match="Seats"):
        clean("client.created", change("custom.seats", "many"), admin)
