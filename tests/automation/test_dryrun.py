"""“Test against the last 20 events”: what a rule would have done, and nothing written."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from automation import conditions
from automation.actions import CATALOG, ActionType
from automation.dryrun import dry_run
from automation.errors import BrokenReference
from records import services
from tests.automation.helpers import make_rule
from tests.live_helpers import capture_events

AMOUNT_CHANGED = {"trigger": "deal.field_changed", "trigger_options": {"fields": ["amount"]}}
WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def acme(member):
    return services.create_client(actor=member, name="Acme GmbH")


@pytest.fixture
def deal(member, acme):
    return services.create_deal(actor=member, client=acme, title="Rollout", amount=Decimal(900))


def set_field(deal, field, value, *, actor):
    deal.refresh_from_db()
    services.update_field(
        actor=actor, obj=deal, field=field, value=value, seen_value=getattr(deal, field)
    )


def test_the_latest_events_the_trigger_hears_newest_first_each_change_once(
    rule_factory, probe, deal, member
):
    rule = rule_factory(**AMOUNT_CHANGED, actions=[{"type": "probe", "tag": "a"}])
    for amount in (1000, 2000, 3000):
        set_field(deal, "amount", Decimal(amount), actor=member)
    set_field(deal, "title", "Phase 2", actor=member)  # not heard

    rows = dry_run(rule)

    assert [row.happened for row in rows] == [
        "Deal amount changed to 3000",
        "Deal amount changed to 2000",
        "Deal amount changed to 1000",
    ]  # once each, though each change is logged on the deal, its client and the list
    assert all(row.matched for row in rows)
    assert rows[0].subject_label == "Deal: Phase 2"  # the record as it is now
    assert rows[0].subject_link == f"/deals/{deal.pk}/"
    assert rows[0].actions == ["Would probe a"]
    assert rows[0].reason == ""
    assert probe.calls == []
    assert len(dry_run(rule, limit=2)) == 2


def test_it_says_why_a_rule_would_not_act(rule_factory, probe, deal, member, monkeypatch):
    report = [{"text": "Deal amount > 50000", "passed": False, "actual": "1000"}]
    monkeypatch.setattr(conditions, "evaluate", lambda rule, ctx: (False, report))
    rule = rule_factory(**AMOUNT_CHANGED, actions=[{"type": "probe", "tag": "a"}])
    set_field(deal, "amount", Decimal(1000), actor=member)

    (row,) = dry_run(rule)
    assert not row.matched
    assert row.conditions == report
    assert row.actions == []
    assert row.reason == "The conditions do not hold."


def test_a_record_gone_or_an_action_that_would_fail_is_shown(
    rule_factory, probe, deal, acme, member
):
    rule = rule_factory(**AMOUNT_CHANGED, actions=[{"type": "probe", "tag": "a"}])
    set_field(deal, "amount", Decimal(1000), actor=member)
    other = services.create_deal(actor=member, client=acme, title="Other", amount=Decimal(1))
    set_field(other, "amount", Decimal(5), actor=member)
    other.delete()

    rows = dry_run(rule)
    assert rows[0].reason == "The deal is gone."
    assert rows[1].matched


def test_an_action_that_would_fail_says_so(rule_factory, probe, deal, member, monkeypatch):
    def gone(config, ctx):
        raise BrokenReference("Dana Ruiz has left.")

    monkeypatch.setitem(CATALOG, "probe", ActionType("probe", "Probe", lambda *a: {}, gone, gone))
    rule = rule_factory(**AMOUNT_CHANGED, actions=[{"type": "probe"}])
    set_field(deal, "amount", Decimal(1000), actor=member)
    (row,) = dry_run(rule)
    assert row.actions == ["Would fail: Dana Ruiz has left."]
    assert row.reason == (
        "Action 1 names something gone; the rule would be switched off: Dana Ruiz has left."
    )


def test_a_timed_rule_is_tried_on_its_latest_moments(rule_factory, probe, member, acme):
    rule = rule_factory(trigger="task.overdue", actions=[{"type": "probe", "tag": "late"}])
    task = services.create_task(
        actor=member,
        title="Call back",
        due_at=timezone.now() + timedelta(minutes=5),
        target=acme,
    )
    services.update_field(
        actor=member,
        obj=task,
        field="due_at",
        value=timezone.now() - timedelta(minutes=5),
        seen_value=task.due_at,
    )

    (row,) = dry_run(rule)
    assert row.subject_label == "Task: Call back"
    assert row.matched
    assert row.actions == ["Would probe late"]
    assert not row.already_ran


def test_a_dry_run_writes_nothing_and_publishes_nothing(deal, member, admin):
    rule = make_rule(
        owner=admin,
        **AMOUNT_CHANGED,
        actions=[
            {"type": "notify", "to": "people", "people": [admin.pk], "text": "{deal.title}"},
            {"type": "change_field", "field": "title", "value": "Signed"},
            {
                "type": "create_task",
                "title": "Onboard {client.name}",
                "due_in_hours": 48,
                "checklist": ["Kick-off call"],
                "assignee": "rule_owner",
            },
        ],
    )
    for amount in (1000, 2000):
        set_field(deal, "amount", Decimal(amount), actor=member)
    counts = _row_counts()

    with capture_events(0, derived=True), CaptureQueriesContext(connection) as queries:
        rows = dry_run(rule)

    assert [sql for sql in _statements(queries) if sql.startswith(WRITES)] == []
    assert _row_counts() == counts
    assert len(rows) == 2
    assert len(rows[0].actions) == 3
    assert all(line.startswith("Would") for line in rows[0].actions), rows[0].actions


def _statements(queries) -> list[str]:
    return [query["sql"].lstrip().upper() for query in queries.captured_queries]


def _row_counts() -> dict[str, int]:
    labels = ("automation", "records", "accounts", "chat", "live", "django_tasks_database")
    return {
        model._meta.label: model.objects.count()
        for label in labels
        for model in apps.get_app_config(label).get_models()
    }
