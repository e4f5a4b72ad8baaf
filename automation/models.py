"""Rules ("when <trigger>, if <conditions>, then <actions>"), what they heard, what they did.

* ``Rule``: built in a form, owned by a department or workspace-wide, run with its
  owner's permissions. Conditions and actions are small JSON documents checked by
  automation/conditions.py and automation/actions/ (what a person can build in the
  form, nothing more);
* ``Occurrence``: one change on the live bus that some enabled rule may care about,
  written by the bus listener in the writer's transaction (automation/listeners.py)
  and handled after commit by a background job — never in the request;
* ``RuleRun``: one rule's handling of one occurrence (or one moment of a time
  trigger): the run log. ``(rule, key)`` is unique, so a rule handles an event at
  most once, whichever worker runs it and however often; each action's step is
  stored in the transaction that performs it, so a run resumed after a crash
  skips what was done.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.timezone import now

User = settings.AUTH_USER_MODEL


class Rule(models.Model):
    class Match(models.TextChoices):
        ALL = "all", "all conditions hold"
        ANY = "any", "any condition holds"

    name = models.CharField(max_length=120)
    description = models.TextField(max_length=1000, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="automation_rules",
        help_text="Empty: a workspace-wide rule (admins manage those).",
    )
    owner = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="automation_rules",
        help_text="The rule acts with this person's permissions and hears of its problems.",
    )
    enabled = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0, help_text="Rules run in this order.")
    trigger = models.CharField(max_length=40)
    trigger_options = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    match = models.CharField(max_length=3, choices=Match, default=Match.ALL)
    conditions = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    actions = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    debounce_seconds = models.PositiveIntegerField(
        default=0,
        help_text="Edits of one record within this many seconds run the rule once, "
        "with the final values (0: every edit).",
    )
    disabled_reason = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["enabled", "trigger"], name="automation_rule_live")]

    def __str__(self) -> str:
        return self.name


class Occurrence(models.Model):
    """A change some enabled rule may react to, queued in the writer's transaction."""

    kind = models.CharField(max_length=60)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    topics = models.JSONField(default=list)
    chain = models.JSONField(
        default=list, help_text="The rules whose actions led to this change, oldest first."
    )
    event_id = models.BigIntegerField(
        null=True, blank=True, help_text="The live event log's row for the change."
    )
    created_at = models.DateTimeField(default=now, editable=False, db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"

    @property
    def depth(self) -> int:
        return len(self.chain)


class RuleRun(models.Model):
    """One rule handling one occurrence or one moment: what matched, what was done."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for edits to settle"
        PENDING = "pending", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Conditions not met"
        FAILED = "failed", "Failed"
        STOPPED = "stopped", "Stopped (loop)"

    FINISHED = (Status.DONE, Status.SKIPPED, Status.FAILED, Status.STOPPED)

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="runs")
    key = models.CharField(
        max_length=160, help_text="What was handled: 'occ:<id>', 'sla-breached:ticket:9:…'."
    )
    occurrence = models.ForeignKey(
        Occurrence, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    subject_type = models.CharField(max_length=20, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    subject_label = models.CharField(max_length=200, blank=True)
    trigger_summary = models.CharField(max_length=300, blank=True)
    chain = models.JSONField(default=list)
    status = models.CharField(max_length=8, choices=Status, default=Status.PENDING)
    conditions_report = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    steps = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    error = models.TextField(blank=True)
    due_at = models.DateTimeField(default=now)
    created_at = models.DateTimeField(default=now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "key"], name="automation_run_once"),
        ]
        indexes = [
            models.Index(fields=["rule", "-created_at"], name="automation_run_rule_new"),
            models.Index(fields=["status", "due_at"], name="automation_run_due"),
            models.Index(
                fields=["rule", "subject_type", "subject_id", "status"],
                name="automation_run_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} #{self.pk} {self.status}"


class AssignmentTurn(models.Model):
    """Whose turn was last in a department's round-robin (locked while choosing)."""

    department = models.OneToOneField(
        "accounts.Department", on_delete=models.CASCADE, related_name="+"
    )
    last_user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"{self.department_id}: last {self.last_user_id}"
