"""What the automation tests share: rules made directly, and the automation jobs run as a
worker would.

    rule = make_rule(owner=sales_manager, trigger="deal.field_changed",
                     trigger_options={"fields": ["amount"]},
                     actions=[{"type": "notify", "to": "owner", "text": "…"}])
    services.update_field(actor=member, obj=deal, field="amount", value=..., seen_value=...)
    run_automation()            # dispatch + execute, and whatever the actions cause
    run = last_run(rule)
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from automation import engine, listeners
from automation.actions import ActionType
from automation.errors import BrokenReference
from automation.models import Rule, RuleRun
from records import services
from workspace.acting import via_label

JOBS = {job.module_path: job for job in (engine.dispatch_occurrence, engine.execute_run)}
MAX_ROUNDS = 50


def make_rule(*, owner, trigger: str, actions=(), enabled: bool = True, **fields) -> Rule:
    """A rule saved as given, unchecked (the services' checks have tests of their own), last
    in the order; the listener's cache of listened kinds is cleared, as the services do."""
    position = fields.pop("position", Rule.objects.count() + 1)
    rule = Rule.objects.create(
        name=fields.pop("name", f"Rule {position}"),
        owner=owner,
        trigger=trigger,
        actions=list(actions),
        enabled=enabled,
        position=position,
        **fields,
    )
    listeners.forget_listened_kinds()
    return rule


def automation_jobs():
    """The automation jobs a worker would take now (``run_after`` passed), oldest first."""
    return DBTaskResult.objects.ready().filter(task_path__in=JOBS).order_by("enqueued_at", "pk")


def run_automation() -> int:
    """Run the waiting automation jobs as a worker would, including the jobs they queue
    (rules reacting to rules), until none is left; returns how many ran. Jobs due later
    (a debounce) wait: move the clock (time_machine) to reach them."""
    ran = 0
    for _ in range(MAX_ROUNDS):
        jobs = list(automation_jobs())
        if not jobs:
            return ran
        for job in jobs:
            DBTaskResult.objects.filter(pk=job.pk).update(status=TaskResultStatus.SUCCESSFUL)
            JOBS[job.task_path].call(*job.args_kwargs["args"], **job.args_kwargs["kwargs"])
            ran += 1
    raise AssertionError(f"automation jobs still queued after {MAX_ROUNDS} rounds")


def runs_of(rule: Rule) -> list[RuleRun]:
    """The rule's runs, oldest first."""
    return list(RuleRun.objects.filter(rule=rule).order_by("pk"))


def last_run(rule: Rule) -> RuleRun | None:
    return RuleRun.objects.filter(rule=rule).order_by("-pk").first()


class Probe:
    """Test-only actions, registered by the ``probe`` fixture (tests/automation/conftest.py),
    so the engine's tests do not depend on what real actions do:

    * ``{"type": "probe", "tag": "a"}`` records the call (``probe.calls``: tag, the acting
      rule's label, the subject) and returns "Probed a"; ``"fail": "denied" | "invalid" |
      "broken" | "crash"`` raises PermissionDenied, ValidationError, BrokenReference or
      RuntimeError instead;
    * ``{"type": "bump", "field": "amount" | "title"}`` changes the deal through the real
      ``update_field`` as the rule's owner (amount + 1, title + "!"): rules that react to
      each other's bumps make a loop.
    """

    def __init__(self):
        self.calls = []

    def perform(self, config, ctx):
        failures = {
            "denied": PermissionDenied("Dana may not notify Support."),
            "invalid": ValidationError("The due offset is not a number."),
            "broken": BrokenReference("Dana Ruiz, named in 'Notify', has left."),
            "crash": RuntimeError("the mail server melted"),
        }
        if config.get("fail") in failures:
            raise failures[config["fail"]]
        self.calls.append((config.get("tag"), via_label(), ctx.subject))
        return f"Probed {config.get('tag')}"

    @staticmethod
    def bump(config, ctx):
        deal, field = ctx.subject, config["field"]
        current = getattr(deal, field)
        value = current + 1 if field == "amount" else f"{current}!"
        services.update_field(
            actor=ctx.actor, obj=deal, field=field, value=value, seen_value=current
        )
        return f"Bumped {field}"

    def action_types(self):
        def keep(config, trigger_key, owner):
            return config

        return [
            ActionType(
                "probe", "Probe", keep, lambda c, ctx: f"Would probe {c.get('tag')}", self.perform
            ),
            ActionType("bump", "Bump", keep, lambda c, ctx: f"Would bump {c['field']}", self.bump),
        ]
