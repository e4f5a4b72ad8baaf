"""Tasks (with checklists) and handoffs between departments."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
)
from django.db import models
from django.db.models import Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone
from django.utils.timezone import now

from accounts.models import Department
from records.models.clients import Client
from records.models.deals import Deal
from records.models.tickets import Priority, Ticket
from records.models.values import at_most_one_of

User = settings.AUTH_USER_MODEL

# --- Tasks ---------------------------------------------------------------------

TASK_DESCRIPTION_MAX_LENGTH = 10_000
TASK_TARGETS = ("client", "deal", "ticket")  # what a task may be linked to
CHECKLIST_ITEMS_MAX = 50


class Task(models.Model):
    """Work for one person: due time, priority, optional link to one client, deal or ticket.

    ``due_at`` is an aware moment (the UI enters it in the assignee's time
    zone). ``reminder_at`` is when the pending reminder job should fire, set by
    the services whenever the due time, lead time, assignee or status changes;
    the job compares it with the one it was enqueued with and does nothing
    when they differ (moved, done, cancelled or reassigned meanwhile).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    class Recurrence(models.TextChoices):
        NONE = "none", "Does not repeat"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    ACTIVE = (Status.OPEN, Status.IN_PROGRESS)
    TARGETS = TASK_TARGETS

    title = models.CharField(max_length=200)
    description = models.TextField(max_length=TASK_DESCRIPTION_MAX_LENGTH, blank=True)
    description_html = models.TextField(blank=True, editable=False)
    assignee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="tasks")
    assigned_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks_assigned"
    )
    due_at = models.DateTimeField("due", null=True, blank=True)
    priority = models.CharField(max_length=10, choices=Priority, default=Priority.NORMAL)
    status = models.CharField(max_length=12, choices=Status, default=Status.OPEN)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    recurrence = models.CharField(max_length=8, choices=Recurrence, default=Recurrence.NONE)
    previous = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_occurrence",
        editable=False,
        help_text="The occurrence of a recurring task whose completion created this one.",
    )
    reminder_minutes = models.PositiveIntegerField(
        "reminder",
        null=True,
        blank=True,
        validators=[MaxValueValidator(60 * 24 * 30)],
        help_text="Minutes before due to remind the assignee; empty: their profile's default.",
    )
    reminder_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            # My tasks by status and due time; team boards join assignees of a department.
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee_status_due"),
            models.Index(fields=["status", "due_at"], name="task_status_due"),
            models.Index(fields=["assigned_by", "status"], name="task_assigned_by_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=at_most_one_of(TASK_TARGETS), name="task_at_most_one_target"
            ),
            models.CheckConstraint(
                condition=Q(status="done", completed_at__isnull=False)
                | (~Q(status="done") & Q(completed_at__isnull=True)),
                name="task_completed_at_when_done",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean_fields(self, exclude=None):
        self.title = " ".join((self.title or "").split())
        self.description = (self.description or "").strip()
        super().clean_fields(exclude)

    def clean(self):
        super().clean()
        if sum(getattr(self, f"{name}_id") is not None for name in self.TARGETS) > 1:
            raise ValidationError("A task is linked to at most one client, deal or ticket.")
        if self.due_at is not None and timezone.is_naive(self.due_at):
            raise ValidationError({"due_at": "A due time needs a time zone."})

    @property
    def target(self):
        """The linked client, deal or ticket, or None."""
        return self.client or self.deal or self.ticket

    @property
    def target_client_id(self) -> int | None:
        """The client whose page and timeline show this task (None when unlinked)."""
        if self.client_id:
            return self.client_id
        if self.deal_id or self.ticket_id:
            return self.target.client_id
        return None

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_overdue(self) -> bool:
        return self.is_active and self.due_at is not None and self.due_at < now()


class ChecklistItem(models.Model):
    """One step of a task, ticked off on its own."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="checklist")
    text = models.CharField(max_length=200)
    done = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text

    def clean_fields(self, exclude=None):
        self.text = " ".join((self.text or "").split())
        super().clean_fields(exclude)


# --- Handoffs ------------------------------------------------------------------

# An unanswered handoff escalates to the receiving department's managers after this.
HANDOFF_ESCALATE_AFTER = getattr(settings, "RECORDS_HANDOFF_ESCALATE_AFTER", timedelta(hours=24))
# The task an accepted handoff creates is due this long after acceptance.
HANDOFF_TASK_DUE = getattr(settings, "RECORDS_HANDOFF_TASK_DUE", timedelta(hours=24))
# A deal opened for the client this long after a handoff counts as its outcome.
HANDOFF_DEAL_WINDOW = timedelta(days=90)
HANDOFF_NOTE_MAX_LENGTH = 5_000


class HandoffQuerySet(models.QuerySet):
    def open(self):
        """Waiting for an answer (escalated ones too)."""
        return self.filter(status__in=Handoff.OPEN)

    def from_department(self, slug: str):
        return self.filter(from_department__slug=slug)

    def with_deal_within(self, window: timedelta = HANDOFF_DEAL_WINDOW):
        """Annotate ``led_to_deal``: a deal was opened for the client within ``window`` after."""
        deals = Deal.objects.filter(
            client=OuterRef("client"),
            created_at__gte=OuterRef("created_at"),
            created_at__lte=ExpressionWrapper(
                OuterRef("created_at") + window, output_field=models.DateTimeField()
            ),
        )
        return self.annotate(led_to_deal=Exists(deals))

    def led_to_deal(self, window: timedelta = HANDOFF_DEAL_WINDOW):
        """Handoffs after which a deal was opened for the client within ``window`` (90 days)."""
        return self.with_deal_within(window).filter(led_to_deal=True)


class Handoff(models.Model):
    """A client (or one of its tickets) handed to another department or person, with context.

    The receiver accepts (a task is created for the acceptor) or declines with a
    reason; an unanswered handoff escalates to the receiving department's
    managers at ``escalate_after``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ESCALATED = "escalated", "Escalated"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    OPEN = (Status.PENDING, Status.ESCALATED)

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="handoffs")
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="handoffs"
    )
    deal = models.ForeignKey(
        Deal, on_delete=models.SET_NULL, null=True, blank=True, related_name="handoffs"
    )
    from_user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="handoffs_sent")
    from_department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="handoffs_received"
    )
    to_user = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handoffs_received",
    )
    note = models.TextField(max_length=HANDOFF_NOTE_MAX_LENGTH)
    note_html = models.TextField(editable=False)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    decline_reason = models.TextField(max_length=2000, blank=True)
    answered_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    task = models.OneToOneField(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="handoff"
    )
    created_at = models.DateTimeField(default=now, editable=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    escalate_after = models.DateTimeField()
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = HandoffQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["to_department", "status", "-created_at"], name="handoff_inbox"),
            models.Index(fields=["to_user", "status"], name="handoff_to_user_status"),
            models.Index(fields=["from_department", "-created_at"], name="handoff_from_dept"),
            # The inbox's Answered tab, most recent first (records/selectors/handoff_pages.py).
            models.Index(fields=["-answered_at", "-created_at", "-id"], name="handoff_answered"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="handoff_declined_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["accepted", "declined"]) | Q(answered_at__isnull=False),
                name="handoff_answered_at_when_answered",
            ),
        ]

    def __str__(self) -> str:
        return f"Handoff of {self.client} to {self.to_user or self.to_department}"

    def clean_fields(self, exclude=None):
        self.note = (self.note or "").strip()
        self.decline_reason = (self.decline_reason or "").strip()
        super().clean_fields(exclude)

    def clean(self):
        super().clean()
        if not self.note:
            raise ValidationError(
                {"note": "Add a note: what the client needs and what was promised."}
            )
        for name in ("ticket", "deal"):
            linked = getattr(self, name)
            if linked is not None and self.client_id and linked.client_id != self.client_id:
                raise ValidationError({name: f"{linked} does not belong to {self.client}."})
        if self.status == self.Status.DECLINED and not self.decline_reason:
            raise ValidationError({"decline_reason": "Say why you decline the handoff."})

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def accepted_by(self):
        return self.answered_by if self.status == self.Status.ACCEPTED else None
