"""The six shipped templates: each becomes a valid rule, switched off, in a department its
taker manages (an admin's natural department, or workspace-wide), and can be switched on."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.html import escape

from automation import rule_templates, services
from automation.models import Rule

KEYS = [template.key for template in rule_templates.TEMPLATES]


def test_six_templates_ship():
    assert len(KEYS) == 6
    assert len(set(KEYS)) == 6


@pytest.mark.parametrize("key", KEYS)
def test_an_admin_takes_each_template_as_a_rule_that_is_off_and_valid(key, admin, sales, support):
    template = rule_templates.get(key)
    rule = rule_templates.create(template, actor=admin)
    assert not rule.enabled
    assert rule.owner == admin
    assert rule.name == template.name
    expected = {"sales": sales, "support": support, "": None}[template.home]
    assert rule.department == expected
    switched = services.set_enabled(actor=admin, rule=rule, enabled=True)  # checked whole again
    assert switched.enabled


@pytest.mark.parametrize("key", KEYS)
def test_a_manager_takes_each_template_into_their_own_department(
    key, support_manager, support, sales
):
    rule = rule_templates.create(rule_templates.get(key), actor=support_manager)
    assert rule.department == support
    assert not rule.enabled


def test_a_member_may_not_take_a_template(member):
    with pytest.raises(PermissionDenied):
        rule_templates.create(rule_templates.get("overdue-task"), actor=member)


def test_an_unknown_template_is_not_found():
    with pytest.raises(Http404):
        rule_templates.get("no-such-template")


def test_the_list_offers_the_templates_and_taking_one_opens_it_in_the_builder(
    client, sales_manager, sales, support
):
    client.force_login(sales_manager)
    page = client.get(reverse("automation:rule_list")).text
    for template in rule_templates.TEMPLATES:
        assert escape(template.name) in page
    response = client.post(reverse("automation:rule_from_template", args=["won-deal-onboarding"]))
    rule = Rule.objects.get()
    assert response["Location"] == reverse("automation:rule_edit", args=[rule.pk])
    assert not rule.enabled
    assert rule.actions[0]["department"] == support.pk
    builder = client.get(response["Location"])
    assert builder.status_code == 200
    assert "Onboard {client.name}" in builder.text


def test_a_member_is_refused_the_template_button(client, member):
    client.force_login(member)
    response = client.post(reverse("automation:rule_from_template", args=["overdue-task"]))
    assert response.status_code == 403
    assert not Rule.objects.exists()


def test_the_demo_seeds_the_templates_off_and_two_rules_with_a_run_log(
    admin, sales_manager, support_manager, member, sales, support
):
    from demo.automation import seed_automation
    from records import services as records

    client = records.create_client(actor=member, name="Northwind")
    for n in range(3):
        records.create_deal(actor=member, client=client, title=f"Deal {n}", amount=1000)
    for n in range(2):
        records.create_client(actor=member, name=f"Prospect {n}", lifecycle="prospect")

    made = seed_automation()

    assert made["rules"] == 8
    assert made["switched on"] == 2
    big_deals = Rule.objects.get(name="Big deals: tell the sales managers")
    customers = Rule.objects.get(name="New customer: tell the sales managers")
    assert [run.status for run in big_deals.runs.order_by("pk")] == ["done", "done", "skipped"]
    assert [run.status for run in customers.runs.all()] == ["done", "done"]
    assert seed_automation() == {}  # once
