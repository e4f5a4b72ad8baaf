"""The run log keeps AUTOMATION_RUN_LOG_DAYS of runs; orphaned occurrences go after a day."""

from datetime import timedelta

from django.utils import timezone

from automation import retention
from automation.models import Occurrence, RuleRun
from tests.automation.helpers import make_rule


def a_run(rule, key, *, finished_days_ago, occurrence=None):
    finished = timezone.now() - timedelta(days=finished_days_ago)
    return RuleRun.objects.create(
        rule=rule, key=key, status=RuleRun.Status.DONE, finished_at=finished, occurrence=occurrence
    )


def test_old_runs_go_recent_and_unfinished_runs_stay(admin, settings):
    settings.AUTOMATION_RUN_LOG_DAYS = 30
    rule = make_rule(owner=admin, trigger="deal.won")
    old = a_run(rule, "occ:1", finished_days_ago=31)
    recent = a_run(rule, "occ:2", finished_days_ago=29)
    waiting = RuleRun.objects.create(rule=rule, key="occ:3", status=RuleRun.Status.WAITING)

    assert retention.prune(timezone.now()) == 1

    assert set(RuleRun.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert not RuleRun.objects.filter(pk=old.pk).exists()


def test_occurrences_without_runs_go_after_a_day_not_before_their_dispatch(admin):
    rule = make_rule(owner=admin, trigger="deal.won")
    day_ago = timezone.now() - timedelta(days=1, minutes=1)
    orphan = Occurrence.objects.create(kind="deal.won", created_at=day_ago, dispatched_at=day_ago)
    undispatched = Occurrence.objects.create(kind="deal.won", created_at=day_ago)
    fresh = Occurrence.objects.create(kind="deal.won", dispatched_at=timezone.now())
    used = Occurrence.objects.create(kind="deal.won", created_at=day_ago, dispatched_at=day_ago)
    a_run(rule, "occ:used", finished_days_ago=1, occurrence=used)

    assert retention.prune(timezone.now()) == 1

    assert set(Occurrence.objects.values_list("pk", flat=True)) == {
        undispatched.pk,
        fresh.pk,
        used.pk,
    }
    assert not Occurrence.objects.filter(pk=orphan.pk).exists()
