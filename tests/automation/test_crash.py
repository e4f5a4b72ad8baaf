"""A worker killed mid-run: the rerun resumes at the first step not recorded, and no action
is done twice (automation/engine.py, workspace/jobs/recovery.py)."""

from dataclasses import replace
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.models import Notification
from automation import actions, engine
from automation.models import RuleRun
from records import services
from records.models import Deal, FieldChange
from tests.automation.helpers import last_run, make_rule, run_automation
from tests.jobs.test_worker_crash import LEASE, STARTUP_SECONDS, Worker, wait_for

Status = RuleRun.Status
NOTICE = "Big deal: {deal.title}"


@pytest.fixture
def deal(member):
    client = services.create_client(actor=member, name="Acme GmbH")
    return services.create_deal(actor=member, client=client, title="Rollout", amount=Decimal(900))


def notify_then_rename(owner):
    """Two real actions: a notification to ``owner``, then the deal's title changed (which
    locks the deal's row)."""
    return make_rule(
        owner=owner,
        name="Big deals",
        trigger="deal.field_changed",
        trigger_options={"fields": ["amount"]},
        actions=[
            {"type": "notify", "to": "people", "people": [owner.pk], "text": NOTICE},
            {"type": "change_field", "field": "title", "value": "Signed"},
        ],
    )


def notices(owner) -> int:
    return Notification.objects.filter(recipient=owner, kind="automation").count()


def title_changes(deal) -> int:
    deals = ContentType.objects.get_for_model(Deal)
    return FieldChange.objects.filter(content_type=deals, object_id=deal.pk, field="title").count()


def test_a_run_whose_worker_died_mid_step_resumes_at_that_step(deal, member, admin, monkeypatch):
    """The worker dies inside the second action, after its write: that step's transaction
    rolls back; the job given back (workspace/jobs/recovery.py) redoes only that step."""
    rule = notify_then_rename(admin)
    change_field = actions.CATALOG["change_field"]

    def rename_then_die(config, ctx):
        change_field.perform(config, ctx)
        raise SystemExit("killed")  # not an Exception: nothing catches it, like SIGKILL

    monkeypatch.setitem(
        actions.CATALOG, "change_field", replace(change_field, perform=rename_then_die)
    )
    services.update_field(
        actor=member, obj=deal, field="amount", value=Decimal(1000), seen_value=deal.amount
    )
    with pytest.raises(SystemExit):
        run_automation()
    run = last_run(rule)
    assert run.status == Status.RUNNING
    assert [step["index"] for step in run.steps] == [0]
    assert title_changes(deal) == 0  # rolled back with its step

    monkeypatch.setitem(actions.CATALOG, "change_field", change_field)
    DBTaskResult.objects.filter(task_path__startswith="automation.").update(
        status=TaskResultStatus.READY
    )  # as recovery gives back the dead worker's job
    run_automation()

    run = last_run(rule)
    assert run.status == Status.DONE
    assert [(step["index"], step["status"]) for step in run.steps] == [(0, "done"), (1, "done")]
    assert notices(admin) == 1
    assert title_changes(deal) == 1


@pytest.mark.backend
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_a_worker_killed_mid_run_is_resumed_by_another_without_doubling_an_action(
    server_db, tmp_path, admin, member, sales
):
    """Real ``run_worker`` processes: the first does the rule's first action, blocks on the
    deal's row (this test holds its lock) in the second and is SIGKILLed there; its
    half-done step rolls back; a second worker takes the job after the lease and finishes
    the run. (PostgreSQL: the test and the workers share its test database.)"""
    client = services.create_client(actor=member, name="Acme GmbH")
    deal = services.create_deal(actor=member, client=client, title="Rollout", amount=Decimal(9))
    rule = notify_then_rename(admin)
    first, second = Worker(server_db, tmp_path, "first"), Worker(server_db, tmp_path, "second")
    try:
        services.update_field(
            actor=member, obj=deal, field="amount", value=Decimal(1000), seen_value=deal.amount
        )
        with transaction.atomic():
            Deal.objects.select_for_update().get(pk=deal.pk)  # the second action waits for it
            first.start()
            wait_for(lambda: _steps(rule) == 1, STARTUP_SECONDS * 2, first.output)
            wait_for(_someone_waits_for_a_lock, 10, first.output)
            first.kill()
            assert (_status(rule), _steps(rule)) == (Status.RUNNING, 1)  # died in step 2
        second.start().wait_started()
        wait_for(lambda: _status(rule) == Status.DONE, LEASE * 3 + 10, second.output)
    finally:
        for worker in (first, second):
            if worker.process:
                worker.stop()

    run = last_run(rule)
    assert [(step["index"], step["status"]) for step in run.steps] == [(0, "done"), (1, "done")]
    assert notices(admin) == 1
    assert title_changes(deal) == 1
    deal.refresh_from_db()
    assert deal.title == "Signed"


def _steps(rule) -> int:
    run = last_run(rule)
    return len(run.steps) if run else 0


def _status(rule) -> str | None:
    run = last_run(rule)
    return run.status if run else None


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks JOIN pg_stat_activity USING (pid) "
            "WHERE NOT granted AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def test_a_crash_after_the_last_step_still_finishes_the_run_once(deal, member, admin):
    rule = notify_then_rename(admin)
    services.update_field(
        actor=member, obj=deal, field="amount", value=Decimal(1000), seen_value=deal.amount
    )
    run_automation()
    RuleRun.objects.filter(rule=rule).update(status=Status.RUNNING, finished_at=None)

    engine.execute(last_run(rule).pk)  # the rerun: every step is recorded already

    assert last_run(rule).status == Status.DONE
    assert notices(admin) == 1
    assert title_changes(deal) == 1
