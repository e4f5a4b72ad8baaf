"""Who is acting when nobody clicked: the automation rule a change is made for.

Automation (a higher app) runs a rule's actions through the same services people use,
with the rule owner's permissions. Those services (records, chat, accounts) cannot
import automation, so the rule travels down in a context variable instead:

    with acting.on_behalf_of_rule(rule_id=7, name="Escalate", chain=(3,)):
        records.services.update_field(actor=rule.owner, ...)

* the timeline and the field audit store ``via`` = "Automation: Escalate"
  (records/timeline.py, records/services/base.py), shown instead of the owner;
* the events published inside carry the chain of rules that led to them, so the
  automation listener knows how deep a cascade of rules is (loops stop) and that a
  rule's own actions never trigger that rule again.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

AUTOMATION_PREFIX = "Automation: "


@dataclass(frozen=True)
class RuleActing:
    rule_id: int
    name: str
    chain: tuple[int, ...]  # the rules whose actions led here, oldest first, ending with rule_id

    @property
    def label(self) -> str:
        return f"{AUTOMATION_PREFIX}{self.name}"[:120]


_acting: ContextVar[RuleActing | None] = ContextVar("acting_rule", default=None)


@contextmanager
def on_behalf_of_rule(*, rule_id: int, name: str, chain: tuple[int, ...] = ()) -> Iterator:
    """Changes made inside the block are the rule's: ``chain`` is the chain of rules that
    led to the event being handled (empty for a person's change); the rule is appended."""
    token = _acting.set(RuleActing(rule_id=rule_id, name=name, chain=(*chain, rule_id)))
    try:
        yield
    finally:
        _acting.reset(token)


def acting_rule() -> RuleActing | None:
    """The rule making the current change, or None when a person (or the system) is."""
    return _acting.get()


def via_label() -> str:
    """What the timeline and the audit say made the current change, besides its actor:
    "Automation: <rule name>", or "" for a person's own change."""
    rule = _acting.get()
    return rule.label if rule else ""
