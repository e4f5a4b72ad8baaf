"""Support tickets, their priorities and the SLA each priority gets."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
)
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from records.models.clients import Client, Contact

User = settings.AUTH_USER_MODEL


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


# Resolution targets in hours, used when no TicketSlaPolicy row overrides them.
DEFAULT_SLA_HOURS = getattr(
    settings,
    "RECORDS_SLA_HOURS",
    {Priority.LOW: 72, Priority.NORMAL: 24, Priority.HIGH: 8, Priority.URGENT: 4},
)


class TicketSlaPolicy(models.Model):
    """Admin-set hours to resolve a ticket of a priority (falls back to DEFAULT_SLA_HOURS)."""

    priority = models.CharField(max_length=10, choices=Priority, unique=True)
    hours = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = "ticket SLA policy"
        verbose_name_plural = "ticket SLA policies"
        ordering = ["hours"]

    def __str__(self) -> str:
        return f"{self.get_priority_display()}: {self.hours} h"

    @classmethod
    def hours_for(cls, priority: str) -> int:
        row = cls.objects.filter(priority=priority).values_list("hours", flat=True).first()
        return row if row is not None else DEFAULT_SLA_HOURS[priority]


class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        PENDING = "pending", "Pending"
        SOLVED = "solved", "Solved"
        CLOSED = "closed", "Closed"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        CHAT = "chat", "Chat"
        WEB = "web", "Web"

    RESOLVED = (Status.SOLVED, Status.CLOSED)

    subject = models.CharField(max_length=200)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="tickets")
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.NEW)
    priority = models.CharField(max_length=10, choices=Priority, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_tickets"
    )
    channel = models.CharField(max_length=10, choices=Channel, default=Channel.EMAIL)
    sla_due = models.DateTimeField(editable=False)
    first_response_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    satisfaction = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "sla_due"], name="ticket_status_due"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["priority", "status"], name="ticket_priority_status"),
            models.Index(fields=["-updated_at"], name="ticket_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5, status__in=["solved", "closed"]),
                name="ticket_satisfaction_when_solved",
            )
        ]

    def __str__(self) -> str:
        return self.subject

    def clean_fields(self, exclude=None):
        self.subject = " ".join((self.subject or "").split())
        super().clean_fields(exclude)

    def clean(self):
        super().clean()
        if self.contact_id and self.client_id and self.contact.client_id != self.client_id:
            raise ValidationError({"contact": f"{self.contact} is not a contact of {self.client}."})
        if self.satisfaction is not None and self.status not in self.RESOLVED:
            raise ValidationError({"satisfaction": "A ticket is rated once it is solved."})
