"""What a rule's conditions and actions see while it runs (or is tried in a dry run)."""

from dataclasses import dataclass, field
from datetime import datetime

from automation.models import Rule, RuleRun


@dataclass
class RunContext:
    """One run of ``rule`` about ``subject`` (a fresh record, or None when the trigger has
    no record: a schedule). ``payload`` is what the trigger heard (the bus event's
    payload, or the time trigger's facts); ``client`` the client the subject belongs to.

    ``dry_run``: nothing may be written; actions describe what they would do.
    ``run`` is None in a dry run.
    """

    rule: Rule
    trigger_kind: str  # the bus kind ("deal.updated") or the time trigger ("sla.breached")
    payload: dict
    subject_type: str
    subject: object | None
    client: object | None
    now: datetime
    run: RuleRun | None = None
    dry_run: bool = False
    chain: tuple[int, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def actor(self):
        """Whose permissions the actions use: the rule's owner."""
        return self.rule.owner
