"""What the action tests share: a run's context built by hand, actions done as the engine
does them (inside ``on_behalf_of_rule`` and a transaction), and records made through the
services.

    rule = make_rule(owner=admin, trigger="deal.won", name="Onboard")
    ctx = context(rule, "deal", deal)
    summary = act(ctx, {"type": "notify", "to": "owner", "text": "Won {deal.title}"})
"""

from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from automation import actions, subjects
from automation.context import RunContext
from records import services
from workspace.acting import on_behalf_of_rule

# A Monday, 12:00 in Berlin (the factories' time zone): inside everyone's working hours.
MONDAY_NOON_BERLIN = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
# The Saturday after: outside them.
SATURDAY_NOON_BERLIN = datetime(2026, 12, 12, 11, 0, tzinfo=UTC)


def context(rule, subject_type: str, subject, *, now=None, dry_run=False) -> RunContext:
    """The context the engine would build for ``subject`` (loaded fresh, as a run does)."""
    fresh = subjects.load(subject_type, subject.pk) if subject is not None else None
    return RunContext(
        rule=rule,
        trigger_kind="test.event",
        payload={"id": subject.pk if subject is not None else None},
        subject_type=subject_type,
        subject=fresh,
        client=subjects.client_of(fresh) if fresh is not None else None,
        now=now or timezone.now(),
        dry_run=dry_run,
    )


def act(ctx: RunContext, action: dict) -> str:
    """Perform one action as the engine does: as the rule, in one transaction."""
    with on_behalf_of_rule(rule_id=ctx.rule.pk, name=ctx.rule.name), transaction.atomic():
        return actions.perform(action, ctx)


def make_client(actor, name="Northwind", **fields):
    return services.create_client(actor=actor, name=name, **fields)


def make_deal(actor, client, title="Northwind renewal", **fields):
    return services.create_deal(actor=actor, client=client, title=title, **fields)


def make_ticket(actor, client, subject="Printer on fire", **fields):
    return services.create_ticket(actor=actor, client=client, subject=subject, **fields)
