"""The engine: from a real service's write to a rule's run (automation/engine.py, listeners.py).

Actions here are the test-only ``probe`` and ``bump`` (tests/automation/helpers.py), so
these tests say what the engine does whatever the real actions do.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import Notification
from automation import actions, conditions, engine, triggers
from automation.errors import BrokenReference
from automation.models import Occurrence, Rule, RuleRun
from automation.services import set_enabled
from records import services
from records.models import Deal, FieldChange
from tests.automation.helpers import automation_jobs, last_run, run_automation, runs_of
from tests.live_helpers import capture_events

Status = RuleRun.Status
AMOUNT_CHANGED = {"trigger": "deal.field_changed", "trigger_options": {"fields": ["amount"]}}


@pytest.fixture
def acme(member):
    return services.create_client(actor=member, name="Acme GmbH")


@pytest.fixture
def deal(member, acme):
    return services.create_deal(actor=member, client=acme, title="Rollout", amount=Decimal(900))


def set_amount(deal, amount, *, actor):
    deal.refresh_from_db()
    services.update_field(
        actor=actor, obj=deal, field="amount", value=Decimal(amount), seen_value=deal.amount
    )


def probe_rule(rule_factory, *tags, **fields):
    return rule_factory(
        **(AMOUNT_CHANGED | fields), actions=[{"type": "probe", "tag": tag} for tag in tags]
    )


# --- Hearing the bus ----------------------------------------------------------------


def test_a_write_a_rule_hears_runs_its_actions_as_the_rule_after_commit(
    rule_factory, probe, deal, member
):
    rule = probe_rule(rule_factory, "a", "b", name="Big deals")

    set_amount(deal, 12000, actor=member)
    assert probe.calls == []  # nothing in the request: only a queued job
    assert run_automation() == 1

    run = last_run(rule)
    assert run.status == Status.DONE
    assert run.key == f"occ:{run.occurrence_id}"
    assert (run.subject_type, run.subject_id) == ("deal", deal.pk)
    assert run.subject_label == "Deal: Rollout"
    assert run.trigger_summary == "Deal amount changed to 12000"
    assert [(s["index"], s["type"], s["status"], s["summary"]) for s in run.steps] == [
        (0, "probe", "done", "Probed a"),
        (1, "probe", "done", "Probed b"),
    ]
    assert [(tag, via) for tag, via, _ in probe.calls] == [
        ("a", "Automation: Big deals"),
        ("b", "Automation: Big deals"),
    ]
    assert probe.calls[0][2].amount == Decimal(12000)  # the record, loaded fresh
    assert run.started_at and run.finished_at


def test_the_occurrence_keeps_the_event_and_a_persons_change_has_no_chain(
    rule_factory, probe, deal, member
):
    probe_rule(rule_factory, "a")
    set_amount(deal, 12000, actor=member)

    occurrence = Occurrence.objects.get()
    assert occurrence.kind == "deal.updated"
    assert occurrence.payload["field"] == "amount"
    assert occurrence.chain == []
    assert occurrence.event_id is not None
    assert f"deal.{deal.pk}" in occurrence.topics
    assert occurrence.dispatched_at is None
    run_automation()
    occurrence.refresh_from_db()
    assert occurrence.dispatched_at is not None


def test_a_field_scoped_rule_ignores_other_fields(rule_factory, probe, deal, member):
    rule = probe_rule(rule_factory, "a")
    services.update_field(
        actor=member, obj=deal, field="title", value="Phase 2", seen_value="Rollout"
    )
    run_automation()
    assert runs_of(rule) == []
    assert probe.calls == []
    assert not Occurrence.objects.exists()  # heard by nobody: not kept


def test_disabled_rules_are_ignored_and_cost_the_request_nothing(rule_factory, probe, deal, member):
    rule = probe_rule(rule_factory, "a", enabled=False)
    set_amount(deal, 12000, actor=member)
    assert not Occurrence.objects.exists()
    assert not automation_jobs().exists()
    assert runs_of(rule) == []


def test_fifty_disabled_rules_add_no_query_to_a_write(rule_factory, probe, deal, member):
    def queries_of_a_write(amount):
        set_amount(deal, 1, actor=member)  # warm: the cache of listened kinds is filled
        with CaptureQueriesContext(connection) as queries:
            set_amount(deal, amount, actor=member)
        return len(queries)

    without_rules = queries_of_a_write(100)
    for _ in range(50):
        probe_rule(rule_factory, "a", enabled=False)
    assert queries_of_a_write(200) == without_rules
    assert not Occurrence.objects.exists()


def test_a_write_that_rolls_back_leaves_no_occurrence_and_no_job(rule_factory, probe, deal, member):
    probe_rule(rule_factory, "a")
    with pytest.raises(RuntimeError), transaction.atomic():
        set_amount(deal, 12000, actor=member)
        raise RuntimeError("the request failed later")
    assert not Occurrence.objects.exists()
    assert not automation_jobs().exists()


def test_a_rule_switched_on_through_the_service_is_heard_at_once(
    rule_factory, probe, deal, member, admin
):
    rule = probe_rule(rule_factory, "a", enabled=False)
    set_amount(deal, 1000, actor=member)  # caches "nobody listens"
    set_enabled(actor=admin, rule=rule, enabled=True)

    set_amount(deal, 2000, actor=member)
    run_automation()
    assert [tag for tag, *_ in probe.calls] == ["a"]


def test_a_write_a_rule_hears_costs_the_request_two_inserts_and_no_action(
    rule_factory, probe, deal, member
):
    def queries_of_a_write(amount):
        with CaptureQueriesContext(connection) as queries:
            set_amount(deal, amount, actor=member)
        return len(queries)

    set_amount(deal, 1, actor=member)
    without_rules = queries_of_a_write(100)
    probe_rule(rule_factory, "a")
    set_amount(deal, 150, actor=member)  # warm: the cache of listened kinds is filled
    # The occurrence and its job: nothing of the rule itself.
    assert queries_of_a_write(200) == without_rules + 2
    assert probe.calls == []


# --- Order, at most once, own actions ----------------------------------------------


def test_rules_run_in_their_order(rule_factory, probe, deal, member):
    probe_rule(rule_factory, "second", position=2)
    probe_rule(rule_factory, "first", position=1)
    probe_rule(rule_factory, "third", position=3)
    set_amount(deal, 12000, actor=member)
    run_automation()
    assert [tag for tag, *_ in probe.calls] == ["first", "second", "third"]


def test_an_occurrence_dispatched_twice_runs_each_rule_once(rule_factory, probe, deal, member):
    rule = probe_rule(rule_factory, "a")
    set_amount(deal, 12000, actor=member)
    occurrence = Occurrence.objects.get()

    engine.dispatch(occurrence.pk)
    Occurrence.objects.filter(pk=occurrence.pk).update(dispatched_at=None)  # as if never marked
    engine.dispatch(occurrence.pk)
    run_automation()  # and the queued job too

    assert len(runs_of(rule)) == 1
    assert len(probe.calls) == 1


def test_a_run_executed_twice_acts_once(rule_factory, probe, deal, member):
    rule = probe_rule(rule_factory, "a")
    set_amount(deal, 12000, actor=member)
    run_automation()
    engine.execute(last_run(rule).pk)
    assert len(probe.calls) == 1


def test_schedule_run_makes_one_run_per_key(rule_factory, probe, deal):
    rule = probe_rule(rule_factory, "a", trigger="task.overdue", trigger_options={})
    facts = {
        "rule": rule,
        "key": "task-overdue:deal:1:2026-12-07T09:00",
        "subject_type": "deal",
        "subject_id": deal.pk,
        "trigger_kind": "task.overdue",
        "payload": {"due_at": "2026-12-07T09:00"},
        "summary": "Task overdue",
    }
    first = engine.schedule_run(**facts)
    assert engine.schedule_run(**facts) is None
    assert first.occurrence.kind == "task.overdue"
    assert first.occurrence.dispatched_at is not None
    assert Occurrence.objects.count() == 1  # the refused second left nothing behind

    run_automation()
    first.refresh_from_db()
    assert first.status == Status.DONE
    assert len(probe.calls) == 1


def test_schedule_run_later_waits_for_its_time(rule_factory, probe, deal, time_machine):
    rule = probe_rule(rule_factory, "a", trigger="task.overdue", trigger_options={})
    later = timezone.now() + timedelta(minutes=5)
    engine.schedule_run(
        rule=rule,
        key="later",
        subject_type="deal",
        subject_id=deal.pk,
        trigger_kind="task.overdue",
        payload={},
        summary="Later",
        due_at=later,
    )
    assert run_automation() == 0
    time_machine.move_to(later)
    assert run_automation() == 1
    assert len(probe.calls) == 1


def test_a_rules_own_actions_never_trigger_it_again(rule_factory, probe, deal, member):
    rule = rule_factory(
        trigger="deal.field_changed", actions=[{"type": "bump", "field": "amount"}]
    )  # any field of the deal, and it changes one
    set_amount(deal, 12000, actor=member)
    run_automation()

    assert [run.status for run in runs_of(rule)] == [Status.DONE]
    deal.refresh_from_db()
    assert deal.amount == Decimal(12001)
    assert Occurrence.objects.count() == 1  # the bump's own was heard by nobody


# --- What goes wrong ------------------------------------------------------------------


def test_a_rule_that_cannot_judge_an_event_leaves_the_others_hearing_it(
    rule_factory, probe, deal, member, monkeypatch
):
    odd = probe_rule(rule_factory, "odd")
    probe_rule(rule_factory, "fine")
    hears = triggers.hears

    def fussy(rule, kind, payload):
        if rule.pk == odd.pk:
            raise KeyError("fields")
        return hears(rule, kind, payload)

    monkeypatch.setattr(triggers, "hears", fussy)
    set_amount(deal, 12000, actor=member)
    run_automation()
    assert [tag for tag, *_ in probe.calls] == ["fine"]
    assert runs_of(odd) == []


def test_a_refused_action_is_logged_and_the_next_one_still_runs(rule_factory, probe, deal, member):
    rule = rule_factory(
        **AMOUNT_CHANGED,
        actions=[{"type": "probe", "fail": "denied"}, {"type": "probe", "tag": "after"}],
    )
    set_amount(deal, 12000, actor=member)
    run_automation()

    run = last_run(rule)
    assert [(s["status"], s["summary"]) for s in run.steps] == [
        ("refused", "Dana may not notify Support."),
        ("done", "Probed after"),
    ]
    assert run.status == Status.FAILED
    assert run.error == "Action 1 refused: Dana may not notify Support."


def test_an_invalid_action_fails_its_step(rule_factory, probe, deal, member):
    rule = rule_factory(**AMOUNT_CHANGED, actions=[{"type": "probe", "fail": "invalid"}])
    set_amount(deal, 12000, actor=member)
    run_automation()
    run = last_run(rule)
    assert run.steps[0]["status"] == "failed"
    assert run.steps[0]["summary"] == "The due offset is not a number."
    assert run.error == "Action 1 failed: The due offset is not a number."
    assert run.status == Status.FAILED


def test_a_refused_action_leaves_no_half_made_change(
    rule_factory, probe, deal, member, monkeypatch
):
    def bump_then_refuse(config, ctx):
        probe.bump({"field": "title"}, ctx)
        raise PermissionDenied("Not after all.")

    monkeypatch.setitem(
        actions.CATALOG,
        "probe",
        actions.ActionType(
            "probe", "Probe", lambda c, t, o: c, lambda c, ctx: "", bump_then_refuse
        ),
    )
    rule = rule_factory(**AMOUNT_CHANGED, actions=[{"type": "probe"}])
    set_amount(deal, 12000, actor=member)
    run_automation()
    deal.refresh_from_db()
    assert deal.title == "Rollout"
    assert last_run(rule).steps[0]["status"] == "refused"


def test_a_broken_reference_switches_the_rule_off_and_tells_its_owner(
    rule_factory, probe, deal, member, sales_manager
):
    rule = rule_factory(
        **AMOUNT_CHANGED,
        owner=sales_manager,
        name="Route",
        actions=[{"type": "probe", "fail": "broken"}, {"type": "probe", "tag": "never"}],
    )
    set_amount(deal, 12000, actor=member)
    run_automation()

    run = last_run(rule)
    assert run.status == Status.FAILED
    assert run.error == "The rule was switched off: Dana Ruiz, named in 'Notify', has left."
    assert [s["status"] for s in run.steps] == ["failed"]
    assert probe.calls == []
    rule.refresh_from_db()
    assert not rule.enabled
    assert rule.disabled_reason == "Dana Ruiz, named in 'Notify', has left."
    notice = Notification.objects.get(recipient=sales_manager, kind="automation-disabled")
    assert "Route" in notice.text


def test_a_condition_naming_something_gone_switches_the_rule_off(
    rule_factory, probe, deal, member, monkeypatch
):
    def gone(rule, ctx):
        raise BrokenReference("The segment “North” was deleted.")

    monkeypatch.setattr(conditions, "evaluate", gone)
    rule = probe_rule(rule_factory, "a")
    set_amount(deal, 12000, actor=member)
    run_automation()
    assert last_run(rule).status == Status.FAILED
    rule.refresh_from_db()
    assert rule.disabled_reason == "The segment “North” was deleted."
    assert probe.calls == []


def test_an_unexpected_error_fails_the_run_without_stopping_the_worker(
    rule_factory, probe, deal, member
):
    broken = rule_factory(**AMOUNT_CHANGED, actions=[{"type": "probe", "fail": "crash"}])
    fine = probe_rule(rule_factory, "fine")
    set_amount(deal, 12000, actor=member)
    run_automation()

    assert last_run(broken).status == Status.FAILED
    assert last_run(broken).error == "RuntimeError: the mail server melted"
    assert last_run(fine).status == Status.DONE


def test_a_deactivated_owners_rule_is_refused(rule_factory, probe, deal, member, sales_manager):
    rule = probe_rule(rule_factory, "a", owner=sales_manager)
    set_amount(deal, 12000, actor=member)
    sales_manager.is_active = False
    sales_manager.save()
    run_automation()
    run = last_run(rule)
    assert run.steps[0]["status"] == "refused"
    assert "deactivated" in run.steps[0]["summary"]
    assert probe.calls == []


def test_conditions_not_met_skip_the_run_with_their_report(
    rule_factory, probe, deal, member, monkeypatch
):
    report = [{"text": "Deal amount > 50000", "passed": False, "actual": "12000.00"}]
    monkeypatch.setattr(conditions, "evaluate", lambda rule, ctx: (False, report))
    rule = probe_rule(rule_factory, "a")
    set_amount(deal, 12000, actor=member)
    run_automation()
    run = last_run(rule)
    assert run.status == Status.SKIPPED
    assert run.conditions_report == report
    assert run.steps == []
    assert probe.calls == []


def test_a_record_deleted_before_the_run_skips_it(rule_factory, probe, deal, member):
    rule = probe_rule(rule_factory, "a")
    set_amount(deal, 12000, actor=member)
    deal.delete()
    run_automation()
    assert last_run(rule).status == Status.SKIPPED
    assert last_run(rule).error == "The deal is gone."


def test_a_rule_switched_off_before_its_run_does_nothing(rule_factory, probe, deal):
    rule = probe_rule(rule_factory, "a", trigger="task.overdue", trigger_options={})
    engine.schedule_run(
        rule=rule,
        key="now",
        subject_type="deal",
        subject_id=deal.pk,
        trigger_kind="task.overdue",
        payload={},
        summary="Now",
    )
    Rule.objects.filter(pk=rule.pk).update(enabled=False)
    run_automation()
    assert last_run(rule).status == Status.SKIPPED
    assert probe.calls == []


# --- Debounce --------------------------------------------------------------------------


def test_quick_edits_run_a_debounced_rule_once_with_the_final_values(
    rule_factory, probe, deal, member, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    rule = probe_rule(rule_factory, "a", debounce_seconds=30)
    for amount, after in ((1000, 0), (2000, 10), (3000, 10)):
        time_machine.shift(timedelta(seconds=after))
        set_amount(deal, amount, actor=member)
        run_automation()  # the dispatch jobs run; the waiting run is not due yet

    (run,) = runs_of(rule)
    assert run.status == Status.WAITING
    assert run.due_at == timezone.now() + timedelta(seconds=30)  # pushed by the last edit
    assert run.trigger_summary == "Deal amount changed to 3000"
    assert probe.calls == []

    time_machine.shift(timedelta(seconds=29))
    run_automation()
    assert probe.calls == []  # the job came early: it waits again, for the new time
    time_machine.shift(timedelta(seconds=1))
    run_automation()

    run.refresh_from_db()
    assert run.status == Status.DONE
    assert [(tag, subject.amount) for tag, _, subject in probe.calls] == [("a", Decimal(3000))]
    assert DBTaskResult.objects.filter(task_path__endswith="execute_run").count() == 2


def test_an_edit_after_the_debounced_run_starts_a_new_one(
    rule_factory, probe, deal, member, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    rule = probe_rule(rule_factory, "a", debounce_seconds=5)
    set_amount(deal, 1000, actor=member)
    time_machine.shift(timedelta(seconds=6))  # no worker looked meanwhile: due already
    run_automation()
    set_amount(deal, 2000, actor=member)
    time_machine.shift(timedelta(seconds=6))
    run_automation()
    assert [run.status for run in runs_of(rule)] == [Status.DONE, Status.DONE]
    assert len(probe.calls) == 2


# --- The run log, live -------------------------------------------------------------------


def test_a_run_is_published_on_the_rule_and_the_list_when_it_ends(
    rule_factory, probe, deal, member
):
    rule = probe_rule(rule_factory, "a")
    set_amount(deal, 12000, actor=member)
    with capture_events(derived=True) as published:
        run_automation()

    runs = [event for event in published if event.kind == "automation.run"]
    assert {event.topic for event in runs} == {f"automation.{rule.pk}", "automations.all"}
    statuses = [event.payload["status"] for event in runs if event.topic == "automations.all"]
    assert statuses == [Status.DONE]  # not also as it starts: most runs end within a second
    run = last_run(rule)
    assert all(event.payload["id"] == run.pk for event in runs)
    assert f'id="run-{run.pk}"' in runs[-1].html


# --- Through a real action ---------------------------------------------------------------


def test_the_audit_names_the_rule_that_made_a_change(rule_factory, deal, member, admin):
    rule = rule_factory(
        **AMOUNT_CHANGED,
        name="Sign big deals",
        actions=[{"type": "change_field", "field": "title", "value": "Signed"}],
    )
    set_amount(deal, 12000, actor=member)
    run_automation()

    assert last_run(rule).status == Status.DONE
    change = FieldChange.objects.get(
        content_type=ContentType.objects.get_for_model(Deal), object_id=deal.pk, field="title"
    )
    assert (change.actor, change.via) == (admin, "Automation: Sign big deals")
