"""Placeholders in the texts rules write: checked when saved, filled when run."""

import pytest
from django.core.exceptions import ValidationError

from automation import templating
from records.models import CustomField
from tests.automation.action_helpers import context, make_client, make_deal, make_ticket
from tests.automation.helpers import make_rule


def test_fills_the_records_fields_the_clients_and_the_rules(admin):
    client = make_client(admin, name="Northwind")
    deal = make_deal(admin, client, title="Renewal", amount=1200)
    rule = make_rule(owner=admin, trigger="deal.won", name="Onboarding")
    ctx = context(rule, "deal", deal)

    text = templating.render(
        "{deal.title} of {client.name} for {owner.name}, by {rule.name}: {deal.amount}", ctx
    )

    assert text.startswith(f"Renewal of Northwind for {admin.full_name}, by Onboarding: ")
    assert "1,200" in text or "1200" in text


def test_a_missing_value_is_written_as_nothing(admin):
    ticket = make_ticket(admin, make_client(admin))
    ctx = context(make_rule(owner=admin, trigger="ticket.created"), "ticket", ticket)

    assert templating.render("[{owner.name}]", ctx) == "[]"  # nobody is assigned


def test_custom_client_fields(admin):
    CustomField.objects.create(key="region", label="Region", type=CustomField.Type.TEXT)
    client = make_client(admin)
    client.custom_values = {"region": "north"}
    client.save()
    ctx = context(make_rule(owner=admin, trigger="client.created"), "client", client)

    assert templating.check("In {client.custom.region}", "client") == "In {client.custom.region}"
    assert templating.render("In {client.custom.region}", ctx) == "In north"


@pytest.mark.parametrize(
    ("text", "subject_type", "named"),
    [
        ("Onboard {cleint.name}", "deal", "{cleint.name}"),
        ("{deal.title}", "ticket", "{deal.title}"),  # a ticket trigger has no deal
        ("{client.name}", "", "{client.name}"),  # a schedule has no record
        ("{client.custom.nope}", "client", "{client.custom.nope}"),
        ("{name}", "client", "{name}"),
    ],
)
def test_unknown_placeholders_are_refused_naming_them(db, text, subject_type, named):
    with pytest.raises(ValidationError) as refused:
        templating.check(text, subject_type)

    message = refused.value.messages[0]
    assert named in message
    assert "{rule.name}" in message  # and what may be used instead


def test_empty_and_overlong_texts_are_refused(db):
    with pytest.raises(ValidationError, match="Write a text"):
        templating.check("  ", "deal")
    with pytest.raises(ValidationError, match="under 10"):
        templating.check("x" * 11, "deal", max_length=10)
    assert templating.check("", "deal", required=False) == ""


def test_placeholders_offered_follow_the_record(db):
    assert "{deal.title}" in templating.placeholders("deal")
    assert "{deal.title}" not in templating.placeholders("ticket")
    assert templating.placeholders("") == ["{rule.name}"]
