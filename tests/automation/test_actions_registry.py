"""The actions registry: every action checked when a rule is saved, each problem naming
its action, and unknown actions refused."""

import pytest
from django.core.exceptions import ValidationError

from automation import actions


def test_the_catalog_has_every_action_with_its_form_settings():
    assert list(actions.CATALOG) == [
        "assign_owner",
        "create_task",
        "hand_off",
        "notify",
        "post_in_room",
        "change_field",
        "send_email",
        "call_webhook",
    ]
    for action in actions.CATALOG.values():
        assert action.label and action.params, action.key


def test_clean_returns_each_action_with_its_type(admin, support):
    cleaned = actions.clean(
        "deal.won",
        [
            {"type": "notify", "to": "owner", "text": " Won {deal.title} ", "junk": 1},
            {"type": "hand_off", "department": str(support.pk), "note": "Onboard them"},
        ],
        owner=admin,
    )

    assert cleaned == [
        {"type": "notify", "to": "owner", "text": "Won {deal.title}"},
        {"type": "hand_off", "department": support.pk, "note": "Onboard them"},
    ]


def test_every_problem_is_named_by_its_action(admin):
    with pytest.raises(ValidationError) as refused:
        actions.clean(
            "deal.won",
            [
                {"type": "notify", "to": "owner", "text": "fine"},
                {"type": "create_task", "title": "", "assignee": "owner"},
                {"type": "teleport"},
                "not a dict",
            ],
            owner=admin,
        )

    assert refused.value.messages == [
        "Action 2 (Create a task): Write a text.",
        "Action 3 (Unknown action): Unknown action 'teleport'.",
        "Action 4 (Unknown action): Each action is a set of settings.",
    ]


def test_a_rule_needs_an_action(admin):
    with pytest.raises(ValidationError, match="at least one action"):
        actions.clean("deal.won", [], owner=admin)


@pytest.mark.parametrize(
    ("trigger", "action", "message"),
    [
        ("deal.won", {"type": "assign_owner", "strategy": "person"}, "Choose the person"),
        ("deal.won", {"type": "assign_owner", "strategy": "magic"}, "how to pick the person"),
        ("schedule", {"type": "assign_owner", "strategy": "existing_owner"}, "needs a record"),
        ("schedule", {"type": "notify", "to": "owner", "text": "hi"}, "needs a record"),
        ("schedule", {"type": "post_in_room", "room": "client", "text": "hi"}, "needs a record"),
        ("schedule", {"type": "change_field", "field": "title", "value": "x"}, "needs a record"),
        ("schedule", {"type": "hand_off", "department": 1, "note": "x"}, "needs a record"),
        ("schedule", {"type": "send_email", "template": 1}, "needs a record"),
    ],
)
def test_schedules_and_bad_settings_are_refused(admin, trigger, action, message):
    with pytest.raises(ValidationError, match=message):
        actions.clean(trigger, [action], owner=admin)


def test_a_deactivated_person_or_missing_department_is_refused_when_saved(admin, member):
    member.is_active = False
    member.save()

    with pytest.raises(ValidationError) as refused:
        actions.clean(
            "deal.won",
            [
                {"type": "notify", "to": "people", "people": [member.pk], "text": "x"},
                {"type": "notify", "to": "department", "department": 424242, "text": "x"},
            ],
            owner=admin,
        )

    assert refused.value.messages == [
        f"Action 1 (Notify people): {member.full_name} was deactivated: "
        "choose someone else as whom to notify.",
        "Action 2 (Notify people): Choose a department: department #424242 does not exist.",
    ]


def test_perform_and_describe_refuse_an_unknown_action(db):
    with pytest.raises(ValidationError):
        actions.perform({"type": "teleport"}, None)
    with pytest.raises(ValidationError):
        actions.describe({"type": "teleport"}, None)


def test_describing_every_action_writes_nothing(admin, support, support_manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from integrations.mail.models import Snippet
    from integrations.webhooks.models import Endpoint
    from records import services
    from tests.automation.action_helpers import context, make_client, make_deal
    from tests.automation.helpers import make_rule

    client = make_client(admin, name="Northwind")
    services.create_contact(actor=admin, client=client, name="Ann", emails=["ann@n.example"])
    deal = make_deal(admin, client)
    snippet = Snippet.objects.create(name="Hi", subject="Hi", body="Hello", owner=admin)
    endpoint = Endpoint.objects.create(url="https://h.example/in", kinds=["client.created"])
    every = [
        {
            "type": "assign_owner",
            "strategy": "round_robin",
            "department": support.pk,
            "fallback": admin.pk,
        },
        {"type": "create_task", "title": "Onboard {client.name}", "assignee": "owner"},
        {"type": "hand_off", "department": support.pk, "note": "Welcome"},
        {"type": "notify", "to": "department_managers", "department": support.pk, "text": "x"},
        {"type": "post_in_room", "room": "client", "text": "Won {deal.title}"},
        {"type": "change_field", "field": "title", "value": "Renewal 2027"},
        {"type": "send_email", "template": snippet.pk, "to": "primary_contact"},
        {"type": "call_webhook", "endpoint": endpoint.pk},
    ]
    assert [a["type"] for a in every] == list(actions.CATALOG)
    rule = make_rule(owner=admin, trigger="deal.won")
    cleaned = actions.clean("deal.won", every, owner=admin)
    ctx = context(rule, "deal", deal, dry_run=True)

    with CaptureQueriesContext(connection) as queries:
        described = [actions.describe(action, ctx) for action in cleaned]

    assert all(text.startswith("Would ") for text in described), described
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert not [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]  # nor locks
