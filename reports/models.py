"""Reports' rollups (kept current by listeners in the writers' transactions) and the
weekly report emails people subscribe to."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.timezone import now


class ClientHealth(models.Model):
    """A client's churn-risk score (0 to 100) and why, as reports/health.py last computed it.

    Rewritten in the transaction of every write that can move it (a listener
    on records' events) and by the daily sweep for the days that pass
    (reports/tasks.py). Only live clients have a row: archived, churned and
    merged clients are not at risk of anything.
    """

    client = models.OneToOneField(
        "records.Client", on_delete=models.CASCADE, primary_key=True, related_name="health"
    )
    score = models.PositiveSmallIntegerField(default=0)
    # [{"signal": "inactive", "points": 35, "text": "No activity for 47 days"}, …], most first.
    reasons = models.JSONField(default=list, blank=True)
    at_risk = models.BooleanField(default=False)
    computed_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name_plural = "client health"
        indexes = [models.Index(fields=["score"], name="client_health_score")]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.score}"

    @property
    def top_reasons(self) -> list[dict]:
        """The three reasons that weigh most (the client page shows them)."""
        return self.reasons[:3]


class ReportSubscription(models.Model):
    """A person's weekly email of one report, with the filters it was subscribed with.

    ``next_send_at`` is the next weekday-and-hour in the person's time zone; the
    job enqueued for that moment (reports/digests.py) re-checks it when it runs,
    so a changed or cancelled subscription's old job does nothing.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    report = models.CharField(max_length=60, help_text="The report's slug (reports/catalog.py).")
    query = models.CharField(max_length=500, blank=True, help_text="The report's filters.")
    weekday = models.PositiveSmallIntegerField(choices=Weekday, default=Weekday.MONDAY)
    hour = models.PositiveSmallIntegerField(default=8, validators=[MaxValueValidator(23)])
    next_send_at = models.DateTimeField()
    last_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["report", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "report", "query"], name="report_subscription_unique"
            ),
            models.CheckConstraint(condition=Q(hour__lte=23), name="report_subscription_hour"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="report_subscription_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.report} for {self.user} on {self.get_weekday_display()}s at {self.hour}:00"
