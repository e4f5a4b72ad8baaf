"""Every write of automation rules (DESIGN §3): build, change, switch, order, remove.

A rule is checked whole before it is saved — its trigger's options
(automation/triggers.py), its conditions (automation/conditions.py) and its actions
(automation/actions/) — so a rule that is on can always run; the run finds out
only what changed since (a person who left, a deleted field) and switches the
rule off with a notice to its owner (``disable_broken_rule``).

Two managers editing one rule: the form carries the ``version`` it started from,
and a save over another person's newer version is refused (``RuleConflict``),
never silently overwritten.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department, User
from accounts.services import notify
from automation import actions, conditions, events, fragments, policies, triggers
from automation.models import Rule
from workspace import live
from workspace.errors import Conflict

EDITABLE = (
    "name",
    "description",
    "department",
    "owner",
    "trigger",
    "trigger_options",
    "match",
    "conditions",
    "actions",
    "debounce_seconds",
)


class RuleConflict(Conflict):
    """The rule was saved by someone else since the form was opened."""


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def rule_link(rule: Rule) -> str:
    return reverse("automation:rule_detail", args=[rule.pk])


def create_rule(
    *,
    actor: User,
    name: str,
    trigger: str,
    actions: list,
    trigger_options: dict | None = None,
    conditions: list | None = None,
    match: str = Rule.Match.ALL,
    department: Department | None = None,
    owner: User | None = None,
    description: str = "",
    debounce_seconds: int = 0,
    enabled: bool = False,
) -> Rule:
    """A new rule, last in the order. ``owner`` defaults to ``actor``; the rule runs with
    the owner's permissions, so only someone who may manage the department's rules may
    own one."""
    _require(policies.can_create_rules(actor), "Only admins and managers build rules.")
    owner = owner or actor
    rule = Rule(
        name=name,
        description=description,
        department=department,
        owner=owner,
        trigger=trigger,
        trigger_options=trigger_options or {},
        match=match,
        conditions=conditions or [],
        actions=actions,
        debounce_seconds=debounce_seconds,
        enabled=enabled,
        created_by=actor,
        updated_by=actor,
    )
    with transaction.atomic():
        _check_scope(actor, rule)
        _clean(rule)
        rule.position = (Rule.objects.aggregate(last=Max("position"))["last"] or 0) + 1
        rule.save()
        _publish(rule, "automation.rule_created")
    return rule


def update_rule(*, actor: User, rule: Rule, seen_version: int, **changes) -> Rule:
    """Change what the form shows (``EDITABLE``); refused with ``RuleConflict`` when the rule
    was saved since version ``seen_version`` was read."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        rule = _lock(rule)
        _require(policies.can_manage_rule(actor, rule), "You may not change this rule.")
        if rule.version != seen_version:
            raise RuleConflict(
                f"{_last_editor(rule)} saved this rule while you were editing it. "
                "Reload it to see their version; your changes were not saved."
            )
        for name, value in changes.items():
            setattr(rule, name, value)
        _check_scope(actor, rule)
        _clean(rule)
        rule.disabled_reason = ""
        _saved(rule, actor)
        _publish(rule, "automation.rule_updated")
    return rule


def set_enabled(*, actor: User, rule: Rule, enabled: bool) -> Rule:
    """Switch a rule on (checked again: what it names may have gone since) or off."""
    with transaction.atomic():
        rule = _lock(rule)
        _require(policies.can_manage_rule(actor, rule), "You may not switch this rule.")
        if enabled:
            _clean(rule)
            rule.disabled_reason = ""
        rule.enabled = enabled
        _saved(rule, actor)
        _publish(rule, "automation.rule_updated")
    return rule


def move_rule(*, actor: User, rule: Rule, before: Rule | None) -> Rule:
    """Put ``rule`` just before ``before`` in the order (None: last). Rules run in order."""
    with transaction.atomic():
        rule = _lock(rule)
        _require(policies.can_manage_rule(actor, rule), "You may not reorder this rule.")
        ordered = [other for other in Rule.objects.select_for_update() if other.pk != rule.pk]
        at = next((i for i, other in enumerate(ordered) if before and other.pk == before.pk), None)
        ordered.insert(len(ordered) if at is None else at, rule)
        for position, other in enumerate(ordered, start=1):
            if other.position != position:
                Rule.objects.filter(pk=other.pk).update(position=position)
        rule.position = ordered.index(rule) + 1
        _publish(rule, "automation.rule_moved")
    return rule


def delete_rule(*, actor: User, rule: Rule) -> None:
    """Remove a rule and its run log."""
    with transaction.atomic():
        rule = _lock(rule)
        _require(policies.can_manage_rule(actor, rule), "You may not delete this rule.")
        payload = {"id": rule.pk, "actor": actor.pk}
        html = fragments.rule_removed_html(rule)
        rule.delete()
        topics = [events.rule_topic(payload["id"]), events.RULES_TOPIC]
        live.publish_each(topics, "automation.rule_deleted", payload, html)


def disable_broken_rule(*, rule_id: int, reason: str) -> Rule | None:
    """Switch off a rule that can no longer run as built (``errors.BrokenReference``) and
    tell its owner why. Called by the engine, not a person; returns None when the rule
    is gone or already off."""
    with transaction.atomic():
        rule = Rule.objects.select_for_update().select_related("owner").filter(pk=rule_id).first()
        if rule is None or not rule.enabled:
            return None
        rule.enabled = False
        rule.disabled_reason = reason[:300]
        rule.updated_at = timezone.now()
        rule.save(update_fields=["enabled", "disabled_reason", "updated_at"])
        _publish(rule, "automation.rule_updated")
        notify(
            recipient=rule.owner,
            kind="automation-disabled",
            text=f"Your rule “{rule.name}” was switched off: {reason}",
            link=rule_link(rule),
        )
    return rule


def _lock(rule: Rule) -> Rule:
    rules = Rule.objects.select_for_update(of=("self",)).select_related("department", "owner")
    return rules.get(pk=rule.pk)


def _check_scope(actor: User, rule: Rule) -> None:
    _require(
        policies.can_manage_in(actor, rule.department_id),
        "Only admins build workspace-wide rules; managers build their departments' rules."
        if rule.department_id is None
        else "You may only build rules for the departments you manage.",
    )
    if rule.owner_id != actor.pk and not policies.can_manage_in(rule.owner, rule.department_id):
        raise ValidationError(
            {"owner": f"{rule.owner} may not manage this department's rules, so cannot own one."}
        )


def _clean(rule: Rule) -> None:
    """The whole rule checked; every problem found is raised at once, by form field."""
    errors = {}
    for name, check in (
        ("trigger_options", lambda: triggers.clean_options(rule.trigger, rule.trigger_options)),
        ("conditions", lambda: conditions.clean(rule.trigger, rule.conditions)),
        ("actions", lambda: actions.clean(rule.trigger, rule.actions, owner=rule.owner)),
    ):
        try:
            setattr(rule, name, check())
        except ValidationError as error:
            errors.setdefault(name, []).extend(error.messages)
    try:
        rule.full_clean(exclude=["trigger_options", "conditions", "actions"])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    wait = rule.debounce_seconds
    if isinstance(wait, int) and wait > settings.AUTOMATION_MAX_DEBOUNCE_SECONDS:
        errors.setdefault("debounce_seconds", []).append(
            f"Wait at most {settings.AUTOMATION_MAX_DEBOUNCE_SECONDS} seconds for edits to settle."
        )
    if errors:
        raise ValidationError(errors)


def _saved(rule: Rule, actor: User) -> None:
    rule.version += 1
    rule.updated_at = timezone.now()
    rule.updated_by = actor
    rule.save()


def _last_editor(rule: Rule) -> str:
    return str(rule.updated_by) if rule.updated_by else "Someone"


def _publish(rule: Rule, kind: str) -> None:
    live.publish_each(
        [events.rule_topic(rule.pk), events.RULES_TOPIC],
        kind,
        {"id": rule.pk, "enabled": rule.enabled, "version": rule.version},
        html=fragments.rule_row_html(rule),
    )
