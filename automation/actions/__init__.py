"""A rule's actions: what "then <actions>" can do, and how each is checked, tried and done.

Every action is an ``ActionType`` in ``CATALOG`` (one module per family in this
package). Each has three parts:

* ``clean(config, trigger_key, owner) -> dict``: the action's JSON checked when the rule
  is saved (types, things it names still exist); ``ValidationError`` with a message a
  person can read;
* ``describe(config, ctx) -> str``: what it would do, for the dry run; never writes;
* ``perform(config, ctx) -> str``: do it through the same services people use, with
  ``actor=ctx.actor`` (the rule's owner), and say what was done for the run log.

``perform`` lets the services' errors through: ``PermissionDenied`` (the owner may not:
logged as refused), ``ValidationError`` (failed), ``errors.BrokenReference`` (something
it names is gone: the engine switches the rule off). The engine wraps each call in
``workspace.acting.on_behalf_of_rule`` and a transaction; actions open no outer commit.
"""

from django.core.exceptions import ValidationError

from automation.actions import fields, messages, outbound, owners, work
from automation.actions.base import ActionType, Param
from automation.context import RunContext

__all__ = ["CATALOG", "ActionType", "Param", "choices", "clean", "describe", "perform"]

# In the order the form offers them.
CATALOG: dict[str, ActionType] = {
    action.key: action
    for module in (owners, work, messages, fields, outbound)
    for action in module.ACTIONS
}


def choices() -> list[tuple[str, str]]:
    """(key, label) of every action, for the form's select."""
    return [(action.key, action.label) for action in CATALOG.values()]


def clean(trigger_key: str, actions: list, *, owner) -> list:
    """The rule's actions checked one by one; every problem raised at once, each naming
    its action ("Action 2 (Create a task): …")."""
    if not isinstance(actions, list) or not actions:
        raise ValidationError("Add at least one action.")
    cleaned, problems = [], []
    for number, config in enumerate(actions, start=1):
        try:
            cleaned.append(_clean_one(trigger_key, config, owner))
        except ValidationError as error:
            name = _label_of(config)
            problems.extend(f"Action {number} ({name}): {m}" for m in error.messages)
    if problems:
        raise ValidationError(problems)
    return cleaned


def perform(action: dict, ctx: RunContext) -> str:
    """Do one action; a one-line summary of what was done, for the run log."""
    action_type = _type_of(action)
    return action_type.perform(action, ctx)


def describe(action: dict, ctx: RunContext) -> str:
    """What one action would do now, written for the dry run (no writes)."""
    action_type = _type_of(action)
    return action_type.describe(action, ctx)


def _clean_one(trigger_key: str, config, owner) -> dict:
    if not isinstance(config, dict):
        raise ValidationError("Each action is a set of settings.")
    action_type = CATALOG.get(config.get("type"))
    if action_type is None:
        raise ValidationError(f"Unknown action {config.get('type')!r}.")
    return {"type": action_type.key, **action_type.clean(config, trigger_key, owner)}


def _label_of(config) -> str:
    action_type = CATALOG.get(config.get("type")) if isinstance(config, dict) else None
    return action_type.label if action_type else "Unknown action"


def _type_of(action: dict) -> ActionType:
    action_type = CATALOG.get(action.get("type"))
    if action_type is None:
        raise ValidationError(f"Unknown action {action.get('type')!r}.")
    return action_type
