"""Two rules that set each other off stop at the depth limit, reported in both run logs."""

from decimal import Decimal

import pytest

from automation.models import Occurrence, RuleRun
from records import services
from tests.automation.helpers import run_automation, runs_of

Status = RuleRun.Status


@pytest.fixture
def deal(member):
    client = services.create_client(actor=member, name="Acme GmbH")
    return services.create_deal(actor=member, client=client, title="Rollout", amount=Decimal(900))


def bumps_on(rule_factory, name, heard, bumped):
    """A rule: when the deal's ``heard`` field changes, change its ``bumped`` field."""
    return rule_factory(
        name=name,
        trigger="deal.field_changed",
        trigger_options={"fields": [heard]},
        actions=[{"type": "bump", "field": bumped}],
    )


def test_two_rules_changing_each_others_field_are_stopped_and_both_logs_say_so(
    rule_factory, probe, deal, member, settings
):
    settings.AUTOMATION_MAX_DEPTH = 3
    ping = bumps_on(rule_factory, "Ping", heard="amount", bumped="title")
    pong = bumps_on(rule_factory, "Pong", heard="title", bumped="amount")

    services.update_field(
        actor=member, obj=deal, field="amount", value=Decimal(1000), seen_value=deal.amount
    )
    run_automation()

    # A person's edit → Ping (depth 0) → Pong (1) → Ping (2) → Pong stopped (3).
    assert [run.status for run in runs_of(ping)] == [Status.DONE, Status.DONE, Status.STOPPED]
    assert [run.status for run in runs_of(pong)] == [Status.DONE, Status.STOPPED]
    notice = (
        "Stopped a loop: Ping → Pong → Ping → Pong — at most 3 rules may set one another off "
        "in a row."
    )
    assert runs_of(pong)[-1].error == notice
    assert runs_of(ping)[-1].error == notice
    assert runs_of(ping)[-1].key == runs_of(pong)[-1].key.replace("occ:", "loop:")
    assert runs_of(pong)[-1].chain == [ping.pk, pong.pk, ping.pk]

    deal.refresh_from_db()
    assert (deal.title, deal.amount) == ("Rollout!!", Decimal(1001))  # three actions, no more
    deepest = Occurrence.objects.order_by("pk").last()
    assert deepest.chain == [ping.pk, pong.pk, ping.pk]


def test_the_depth_limit_is_a_setting(rule_factory, probe, deal, member, settings):
    settings.AUTOMATION_MAX_DEPTH = 1
    ping = bumps_on(rule_factory, "Ping", heard="amount", bumped="title")
    pong = bumps_on(rule_factory, "Pong", heard="title", bumped="amount")

    services.update_field(
        actor=member, obj=deal, field="amount", value=Decimal(1000), seen_value=deal.amount
    )
    run_automation()

    assert [run.status for run in runs_of(ping)] == [Status.DONE, Status.STOPPED]
    assert [run.status for run in runs_of(pong)] == [Status.STOPPED]
    assert "Ping → Pong" in runs_of(ping)[-1].error


def test_a_rule_changing_the_field_it_hears_does_not_loop(rule_factory, probe, deal, member):
    rule = bumps_on(rule_factory, "Echo", heard="amount", bumped="amount")
    services.update_field(
        actor=member, obj=deal, field="amount", value=Decimal(1000), seen_value=deal.amount
    )
    run_automation()
    assert [run.status for run in runs_of(rule)] == [Status.DONE]
    deal.refresh_from_db()
    assert deal.amount == Decimal(1001)
