"""Deals on pipelines: pipelines, their stages, loss reasons and deals."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
)
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from records.models.clients import Client
from records.models.values import DEFAULT_CURRENCY, currency_validator

User = settings.AUTH_USER_MODEL


class Pipeline(models.Model):
    name = models.CharField(max_length=80, unique=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_pipeline"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=80)
    order = models.PositiveIntegerField(default=0)
    probability = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(100)],
        help_text="Chance of winning a deal in this stage, in percent.",
    )
    is_won = models.BooleanField(default=False)
    is_lost = models.BooleanField(default=False)

    class Meta:
        ordering = ["pipeline", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_unique_name"),
            models.CheckConstraint(
                condition=~Q(is_won=True, is_lost=True), name="stage_not_won_and_lost"
            ),
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        if self.is_won and self.is_lost:
            raise ValidationError("A stage is either won or lost, not both.")
        if self.is_won:
            self.probability = 100
        if self.is_lost:
            self.probability = 0

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost


class LossReason(models.Model):
    name = models.CharField(max_length=80, unique=True)
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Deal(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    title = models.CharField(max_length=200)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="deals")
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0), "An amount cannot be negative.")],
    )
    currency = models.CharField(
        max_length=3, default=DEFAULT_CURRENCY, validators=[currency_validator]
    )
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals")
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="owned_deals")
    expected_close = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=5, choices=Status, default=Status.OPEN, editable=False)
    loss_reason = models.ForeignKey(
        LossReason, on_delete=models.PROTECT, null=True, blank=True, related_name="deals"
    )
    loss_note = models.TextField(max_length=2000, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    position = models.IntegerField(default=0, help_text="Order within its kanban column.")
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["position", "-updated_at", "pk"]
        indexes = [
            models.Index(fields=["pipeline", "stage", "position"], name="deal_board"),
            models.Index(fields=["status", "-updated_at"], name="deal_status_updated"),
            models.Index(fields=["owner", "status"], name="deal_owner_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="lost") | Q(loss_reason__isnull=False),
                name="deal_lost_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean_fields(self, exclude=None):
        self.title = " ".join((self.title or "").split())
        self.currency = (self.currency or "").strip().upper()
        super().clean_fields(exclude)

    def clean(self):
        super().clean()
        if self.stage_id and self.pipeline_id and self.stage.pipeline_id != self.pipeline_id:
            raise ValidationError({"stage": f"“{self.stage}” is not a stage of {self.pipeline}."})
        if self.stage_id:
            self.status = (
                self.Status.WON
                if self.stage.is_won
                else self.Status.LOST
                if self.stage.is_lost
                else self.Status.OPEN
            )
        if self.status == self.Status.LOST and self.loss_reason_id is None:
            raise ValidationError({"loss_reason": "Say why the deal was lost: pick a reason."})
        if self.status != self.Status.LOST:
            self.loss_reason = None
            self.loss_note = ""
