"""The clock: time triggers find their moments, with keys that make every moment run once
however often (or by however many clocks) the tick runs; schedules in a department's
time zone across daylight saving; a missed hour caught up, an older one skipped."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone

from accounts.models import Notification
from automation import clock
from automation.models import RuleRun
from records import services
from records.models import Task
from tests.automation.helpers import make_rule, run_automation, runs_of
from tests.factories import DepartmentFactory
from tests.records import conftest as records_fixtures
from workspace.jobs.recurring import jobs_of

pytestmark = pytest.mark.django_db

acme, defaults, ticket = records_fixtures.acme, records_fixtures.defaults, records_fixtures.ticket

BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.UTC
PROBE = [{"type": "probe", "tag": "tick"}]


def timed(owner, trigger: str, **options):
    return make_rule(owner=owner, trigger=trigger, trigger_options=options, actions=PROBE)


def keys(rule, now, **kwargs) -> list[str]:
    return [candidate.key for candidate in clock.candidates(rule, now, **kwargs)]


# --- Tickets' SLA -------------------------------------------------------------------------


def test_sla_breached_fires_once_per_breach_with_a_deterministic_key(admin, ticket, probe):
    rule = timed(admin, "ticket.sla_breached")
    due = ticket.sla_due
    key = f"sla-breached:ticket:{ticket.pk}:{due.astimezone(UTC).isoformat()}"
    assert clock.tick(due - timedelta(minutes=1)) == 0
    assert clock.tick(due + timedelta(minutes=1)) == 1
    assert clock.tick(due + timedelta(minutes=2)) == 0  # the next tick, or a second clock
    [run] = runs_of(rule)
    assert (run.key, run.subject_type, run.subject_id) == (key, "ticket", ticket.pk)
    assert run.trigger_summary == "SLA of “Cannot log in” breached"
    assert run.occurrence.kind == "ticket.sla_breached"
    assert run.occurrence.payload == {"id": ticket.pk, "sla_due": due.astimezone(UTC).isoformat()}
    run_automation()
    assert [tag for tag, _via, subject in probe.calls] == ["tick"]
    assert probe.calls[0][2] == ticket
    assert RuleRun.objects.get().status == RuleRun.Status.DONE


def test_a_resolved_ticket_is_not_breached_and_an_old_breach_is_not_caught_up(
    admin, ticket, support_member, acme
):
    rule = timed(admin, "ticket.sla_breached")
    old = services.create_ticket(actor=support_member, client=acme, subject="Old")
    services.set_ticket_status(actor=support_member, ticket=ticket, status="solved")
    later = ticket.sla_due + clock.CATCH_UP + timedelta(minutes=1)
    assert clock.tick(later) == 0
    assert keys(rule, later, limit=20) == [
        f"sla-breached:ticket:{old.pk}:{old.sla_due.astimezone(UTC).isoformat()}"
    ]


def test_sla_due_soon_fires_within_the_chosen_minutes_and_not_after_the_breach(admin, ticket):
    rule = timed(admin, "ticket.sla_due_soon", minutes=30)
    due = ticket.sla_due
    assert keys(rule, due - timedelta(minutes=31), since=due - timedelta(hours=2)) == []
    found = clock.candidates(rule, due - timedelta(minutes=29), since=due - timedelta(hours=1))
    assert [c.key for c in found] == [
        f"sla-due-soon:ticket:{ticket.pk}:{due.astimezone(UTC).isoformat()}"
    ]
    assert found[0].summary == "SLA of “Cannot log in” due within 30 minutes"
    assert keys(rule, due + timedelta(minutes=1), since=due - timedelta(minutes=10)) == []


def test_a_changed_priority_moves_the_sla_and_fires_again(admin, ticket, support_member):
    rule = timed(admin, "ticket.sla_breached")
    clock.tick(ticket.sla_due + timedelta(minutes=1))
    services.update_field(
        actor=support_member, obj=ticket, field="priority", value="urgent", seen_value="normal"
    )
    ticket.refresh_from_db()
    clock.tick(max(timezone.now(), ticket.sla_due) + timedelta(minutes=1))
    assert len({run.key for run in runs_of(rule)}) == 2


# --- Handoffs and tasks -------------------------------------------------------------------


def test_a_handoff_unanswered_for_n_hours(admin, member, acme, support, support_member):
    rule = timed(admin, "handoff.unanswered", hours=24)
    waiting = services.hand_off(actor=member, client=acme, note="Onboard", to_department=support)
    sent = waiting.created_at
    assert clock.tick(sent + timedelta(hours=23, minutes=59)) == 0
    assert clock.tick(sent + timedelta(hours=24, minutes=1)) == 1
    [run] = runs_of(rule)
    assert run.key == f"handoff-unanswered:handoff:{waiting.pk}:24h"
    assert run.trigger_summary == "Handoff of Acme GmbH unanswered for 24 hours"
    services.accept_handoff(actor=support_member, handoff=waiting)
    answered = services.hand_off(actor=member, client=acme, note="Billing", to_department=support)
    services.decline_handoff(actor=support_member, handoff=answered, reason="Not ours")
    assert clock.tick(answered.created_at + timedelta(hours=24, minutes=1)) == 0


def test_an_overdue_task_fires_and_a_new_due_date_rearms_it(admin, member):
    rule = timed(admin, "task.overdue")
    due = timezone.now() + timedelta(hours=1)
    task = services.create_task(actor=member, title="Call Acme", due_at=due)
    done = services.create_task(actor=member, title="Done already", due_at=due)
    services.set_task_status(actor=member, task=done, status=Task.Status.DONE)
    assert clock.tick(due + timedelta(minutes=1)) == 1
    assert runs_of(rule)[0].trigger_summary == "Task “Call Acme” overdue"
    later = due + timedelta(days=1)
    services.update_field(actor=member, obj=task, field="due_at", value=later, seen_value=due)
    assert clock.tick(later + timedelta(minutes=1)) == 1
    assert [run.subject_id for run in runs_of(rule)] == [task.pk, task.pk]


# --- Schedules ----------------------------------------------------------------------------


def test_a_schedule_runs_at_the_slot_in_the_departments_zone(admin):
    berlin = DepartmentFactory(name="Berlin office", slug="berlin", timezone="Europe/Berlin")
    rule = timed(admin, "schedule", weekdays=[0], time="09:00")
    rule.department = berlin
    rule.save(update_fields=["department"])
    monday_0759_utc = datetime(2026, 12, 7, 7, 59, tzinfo=UTC)  # 08:59 in Berlin
    assert clock.tick(monday_0759_utc) == 0
    assert clock.tick(monday_0759_utc + timedelta(minutes=2)) == 1
    assert clock.tick(monday_0759_utc + timedelta(minutes=30)) == 0
    [run] = runs_of(rule)
    assert run.key == "schedule:2026-12-07T09:00+01:00"
    assert (run.subject_type, run.subject_id) == ("", None)
    assert run.trigger_summary == "Monday 09:00 (Europe/Berlin)"


def test_a_workspace_wide_schedule_runs_in_utc(admin):
    rule = timed(admin, "schedule", weekdays=[0, 2], time="09:00")
    assert keys(rule, datetime(2026, 12, 9, 9, 0, tzinfo=UTC), limit=3) == [
        "schedule:2026-12-09T09:00+00:00",
        "schedule:2026-12-07T09:00+00:00",
        "schedule:2026-12-02T09:00+00:00",
    ]


def test_a_missed_slot_runs_once_within_the_hour_and_is_skipped_after(admin):
    rule = timed(admin, "schedule", weekdays=[0, 1, 2, 3, 4, 5, 6], time="09:00")
    assert clock.tick(datetime(2026, 12, 7, 9, 59, tzinfo=UTC)) == 1  # clock down 59 minutes
    assert clock.tick(datetime(2026, 12, 8, 10, 1, tzinfo=UTC)) == 0  # down over an hour
    assert [run.key for run in runs_of(rule)] == ["schedule:2026-12-07T09:00+00:00"]


def test_schedule_slots_keep_wall_clock_time_across_daylight_saving():
    """Berlin moves to summer time on Sunday 2026-03-29 at 02:00 (to 03:00)."""
    monday = clock.slots_before(datetime(2026, 3, 30, 12, 0, tzinfo=UTC), [0], "09:00", BERLIN)
    after, before = next(monday), next(monday)
    assert after.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert before.astimezone(UTC) == datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # 09:00 CET
    skipped = clock.slots_before(datetime(2026, 3, 29, 12, 0, tzinfo=UTC), [6], "02:30", BERLIN)
    night = next(skipped)
    assert night.isoformat(timespec="minutes") == "2026-03-29T02:30+01:00"  # once, not lost
    assert night.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_the_autumn_change_runs_a_repeated_wall_time_once(admin):
    """Berlin goes back from 03:00 to 02:00 on Sunday 2026-10-25: 02:30 happens twice."""
    berlin = DepartmentFactory(name="Berlin office", slug="berlin", timezone="Europe/Berlin")
    rule = timed(admin, "schedule", weekdays=[6], time="02:30")
    rule.department = berlin
    rule.save(update_fields=["department"])
    first = datetime(2026, 10, 25, 0, 31, tzinfo=UTC)  # 02:31 CEST
    second = datetime(2026, 10, 25, 1, 31, tzinfo=UTC)  # 02:31 CET
    assert clock.tick(first) + clock.tick(second) == 1


# --- The tick -----------------------------------------------------------------------------


def test_the_tick_skips_disabled_and_bus_rules(admin, ticket):
    make_rule(owner=admin, trigger="ticket.sla_breached", actions=PROBE, enabled=False)
    make_rule(owner=admin, trigger="ticket.created", actions=PROBE)
    assert clock.tick(ticket.sla_due + timedelta(minutes=1)) == 0
    assert not RuleRun.objects.exists()


def test_a_rule_whose_options_broke_is_switched_off_and_the_others_still_run(admin, ticket):
    broken = timed(admin, "handoff.unanswered", hours="a day")
    working = timed(admin, "ticket.sla_breached")
    assert clock.tick(ticket.sla_due + timedelta(minutes=1)) == 1
    broken.refresh_from_db()
    assert not broken.enabled
    assert "Hours without an answer: “a day” is not a whole number." in broken.disabled_reason
    assert Notification.objects.filter(recipient=admin, kind="automation-disabled").exists()
    assert [run.rule for run in RuleRun.objects.all()] == [working]


def test_a_quiet_minute_costs_at_most_two_queries_per_timed_rule(
    admin, ticket, django_assert_max_num_queries
):
    for trigger in ("ticket.sla_breached", "task.overdue", "handoff.unanswered"):
        timed(admin, trigger)
    timed(admin, "schedule", weekdays=[0], time="09:00")
    clock.tick(ticket.sla_due + timedelta(minutes=1))  # the breach (and perhaps the slot)
    with django_assert_max_num_queries(1 + 4 * 2):  # the rules; per rule: moments, keys run
        assert clock.tick(ticket.sla_due + timedelta(minutes=2)) == 0


def test_the_command_ticks_now_or_starts_one_recurring_cycle(admin, ticket, capsys):
    call_command("automation_clock")
    assert "The automation clock scheduled 0 runs." in capsys.readouterr().out
    call_command("automation_clock", every=60)
    call_command("automation_clock", every=60)
    out = capsys.readouterr().out
    assert "enqueued; it will repeat every 60 s" in out and "already scheduled" in out
    assert jobs_of(clock.clock_tick, TaskResultStatus.READY).count() == 1


def test_a_clock_tick_queues_the_next_one_first(admin):
    clock.clock_tick.call(60)
    [following] = jobs_of(clock.clock_tick, TaskResultStatus.READY)
    assert following.run_after > timezone.now() + timedelta(seconds=55)
