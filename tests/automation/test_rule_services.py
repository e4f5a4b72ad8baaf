"""automation/services.py: every write of rules — checked whole, scoped to the departments
their builder manages, versioned against lost edits, ordered, published live."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Notification
from automation import services
from automation.models import Rule
from tests.factories import UserFactory
from tests.live_helpers import capture_events

NOTIFY = [{"type": "notify", "to": "owner", "text": "Won: {deal.title}"}]


def won_rule(actor, department, **fields):
    return services.create_rule(
        actor=actor,
        name=fields.pop("name", "Won deals"),
        trigger="deal.won",
        actions=fields.pop("actions", NOTIFY),
        department=department,
        **fields,
    )


def test_a_new_rule_is_off_last_in_order_and_published(sales_manager, sales):
    first = won_rule(sales_manager, sales, name="First")
    with capture_events(2) as events:
        second = won_rule(sales_manager, sales, name="Second")
    assert not second.enabled
    assert second.owner == sales_manager
    assert second.position > first.position
    assert {event.topic for event in events} == {f"automation.{second.pk}", "automations.all"}
    assert f'id="rule-{second.pk}"' in events[0].html


def test_only_admins_and_managers_build_rules(member, sales):
    with pytest.raises(PermissionDenied):
        won_rule(member, sales)


def test_a_manager_builds_only_for_their_departments(sales_manager, support):
    with pytest.raises(PermissionDenied, match="departments you manage"):
        won_rule(sales_manager, support)
    with pytest.raises(PermissionDenied, match="Only admins build workspace-wide"):
        won_rule(sales_manager, None)


def test_the_owner_must_be_able_to_manage_the_rule(admin, member, sales):
    with pytest.raises(ValidationError) as refused:
        won_rule(admin, sales, owner=member)
    assert "owner" in refused.value.message_dict


def test_every_problem_is_raised_at_once_by_field(sales_manager, sales):
    with pytest.raises(ValidationError) as refused:
        won_rule(
            sales_manager,
            sales,
            name="",
            conditions=[{"field": "deal.amount", "op": "gt", "value": "lots"}],
            actions=[],
            debounce_seconds=10**6,
        )
    problems = refused.value.message_dict
    assert set(problems) >= {"name", "conditions", "actions", "debounce_seconds"}
    assert problems["conditions"][0].startswith("Condition 1:")


def test_a_debounce_that_is_not_a_number_is_refused_in_words(sales_manager, sales):
    with pytest.raises(ValidationError) as refused:
        won_rule(sales_manager, sales, debounce_seconds="soon")
    assert "debounce_seconds" in refused.value.message_dict


def test_an_edit_over_a_newer_version_is_refused(sales_manager, admin, sales):
    rule = won_rule(sales_manager, sales)
    seen = rule.version
    services.update_rule(actor=admin, rule=rule, seen_version=seen, name="By admin")
    with pytest.raises(services.RuleConflict, match="saved this rule while you were editing"):
        services.update_rule(actor=sales_manager, rule=rule, seen_version=seen, name="Mine")
    rule.refresh_from_db()
    assert rule.name == "By admin"
    assert rule.version == seen + 1


def test_an_edit_clears_a_broken_rules_notice(sales_manager, sales):
    rule = won_rule(sales_manager, sales, enabled=True)
    services.disable_broken_rule(rule_id=rule.pk, reason="Dana has left.")
    rule.refresh_from_db()
    updated = services.update_rule(
        actor=sales_manager, rule=rule, seen_version=rule.version, name="Fixed"
    )
    assert updated.disabled_reason == ""


def test_only_what_the_form_shows_can_be_edited(sales_manager, sales):
    rule = won_rule(sales_manager, sales)
    with pytest.raises(ValueError, match="Not editable: enabled"):
        services.update_rule(actor=sales_manager, rule=rule, seen_version=1, enabled=True)


def test_another_departments_manager_may_not_edit_switch_move_or_delete(
    sales_manager, support_manager, sales
):
    rule = won_rule(sales_manager, sales)
    with pytest.raises(PermissionDenied):
        services.update_rule(actor=support_manager, rule=rule, seen_version=1, name="x")
    with pytest.raises(PermissionDenied):
        services.set_enabled(actor=support_manager, rule=rule, enabled=True)
    with pytest.raises(PermissionDenied):
        services.move_rule(actor=support_manager, rule=rule, before=None)
    with pytest.raises(PermissionDenied):
        services.delete_rule(actor=support_manager, rule=rule)
    assert Rule.objects.filter(pk=rule.pk, enabled=False).exists()


def test_switching_on_checks_the_rule_again(sales_manager, sales):
    person = UserFactory(departments=[sales])
    rule = won_rule(
        sales_manager,
        sales,
        actions=[{"type": "notify", "to": "people", "people": [person.pk], "text": "Hi"}],
    )
    person.is_active = False
    person.save()
    with pytest.raises(ValidationError):
        services.set_enabled(actor=sales_manager, rule=rule, enabled=True)
    rule.refresh_from_db()
    assert not rule.enabled


def test_rules_are_put_in_order(admin, sales):
    first, second, third = (won_rule(admin, sales, name=n) for n in ("A", "B", "C"))
    services.move_rule(actor=admin, rule=third, before=first)
    assert list(Rule.objects.values_list("name", flat=True)) == ["C", "A", "B"]
    services.move_rule(actor=admin, rule=third, before=None)
    assert list(Rule.objects.values_list("name", flat=True)) == ["A", "B", "C"]
    assert second.pk


def test_deleting_publishes_the_rows_removal(sales_manager, sales):
    rule = won_rule(sales_manager, sales)
    with capture_events(2) as events:
        services.delete_rule(actor=sales_manager, rule=rule)
    assert not Rule.objects.exists()
    assert all('hx-swap-oob="delete"' in event.html for event in events)


def test_a_broken_rule_is_switched_off_and_its_owner_told(sales_manager, sales):
    rule = won_rule(sales_manager, sales, enabled=True)
    switched = services.disable_broken_rule(rule_id=rule.pk, reason="Dana Ruiz has left.")
    assert not switched.enabled
    assert switched.disabled_reason == "Dana Ruiz has left."
    notice = Notification.objects.get(recipient=sales_manager, kind="automation-disabled")
    assert "Won deals" in notice.text and "Dana Ruiz has left." in notice.text
    assert services.disable_broken_rule(rule_id=rule.pk, reason="again") is None  # already off
