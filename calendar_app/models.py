"""Calendar events, their attendees and the private subscription feeds.

An event is one row; a repeating event is one row too (its ``rrule``), whose
occurrences are computed (calendar_app/recurrence.py), never stored. An
occurrence edited on its own is an *override*: a row of its own pointing at
its series with the original start as ``recurrence_id`` (RFC 5545's
RECURRENCE-ID), sharing the series' ``uid``. An occurrence deleted on its own
is an *exdate* of the series. ``uid`` never changes (calendar apps that
subscribed recognise the event across edits); ``sequence`` grows with every
change that matters to attendees (time, place, rule, cancellation).

Everyone who may see an event in their calendar has an Attendee row, the
organizer included (``is_organizer``): "my events" is one indexed join.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from accounts.models import validate_timezone

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000
MAX_EVENT_LENGTH = timedelta(days=31)
REMINDER_CHOICES = [
    (0, "At the start"),
    (5, "5 minutes before"),
    (10, "10 minutes before"),
    (15, "15 minutes before"),
    (30, "30 minutes before"),
    (60, "1 hour before"),
    (120, "2 hours before"),
    (1440, "1 day before"),
]


def new_uid() -> str:
    return f"{uuid.uuid4()}@{settings.CALENDAR_UID_DOMAIN}"


class EventQuerySet(models.QuerySet):
    def live(self):
        return self.filter(status=Event.Status.CONFIRMED)

    def overlapping(self, start, end):
        """Rows whose span (a series: from its first start to its last end) meets [start, end)."""
        return self.filter(Q(last_end__isnull=True) | Q(last_end__gt=start), start__lt=end)

    def attended_by(self, user_ids):
        """Events in these people's calendars (organized by them, or they are invited)."""
        return self.filter(
            pk__in=Attendee.objects.filter(user_id__in=user_ids)
            .exclude(response=Attendee.Response.DECLINED)
            .values("event_id")
        )


class Event(models.Model):
    class Visibility(models.TextChoices):
        NORMAL = "normal", "Normal"
        PRIVATE = "private", "Private (others see only “busy”)"

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"

    uid = models.CharField(max_length=255, default=new_uid)
    series = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="overrides"
    )
    recurrence_id = models.DateTimeField(
        null=True, blank=True, help_text="The original start of the occurrence this row overrides."
    )
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="organized_events"
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    location = models.CharField(max_length=300, blank=True)
    video_url = models.URLField(max_length=500, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    all_day = models.BooleanField(default=False)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    rrule = models.CharField(
        max_length=500, blank=True, help_text="RFC 5545 RRULE value, e.g. FREQ=WEEKLY;BYDAY=MO"
    )
    exdates = models.JSONField(
        default=list, blank=True, help_text="Starts (UTC, ISO 8601) of deleted occurrences."
    )
    last_end = models.DateTimeField(
        null=True, blank=True, help_text="End of the last occurrence; empty: repeats forever."
    )
    visibility = models.CharField(max_length=10, choices=Visibility, default=Visibility.NORMAL)
    status = models.CharField(max_length=10, choices=Status, default=Status.CONFIRMED)
    client = models.ForeignKey(
        "records.Client", on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    deal = models.ForeignKey(
        "records.Deal", on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    reminder_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Notify attendees this many minutes before; empty: no."
    )
    reminder_at = models.DateTimeField(null=True, blank=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.UniqueConstraint(
                "uid", condition=Q(series__isnull=True), name="event_series_uid_unique"
            ),
            models.UniqueConstraint(
                "series",
                "recurrence_id",
                condition=Q(series__isnull=False),
                name="event_override_unique",
            ),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="event_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["start"], name="event_start"),
            models.Index(fields=["last_end"], name="event_last_end"),
            models.Index(fields=["reminder_at"], name="event_reminder_at"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        super().clean()
        if self.start and self.end:
            if self.end <= self.start:
                raise ValidationError({"end": "The event must end after it starts."})
            if self.end - self.start > MAX_EVENT_LENGTH:
                raise ValidationError(
                    {"end": "An event can last at most 31 days. For longer, make it repeat."}
                )
        if self.rrule and self.series_id:
            raise ValidationError({"rrule": "A changed occurrence cannot repeat on its own."})

    @property
    def is_recurring(self) -> bool:
        return bool(self.rrule) and self.series_id is None

    @property
    def is_private(self) -> bool:
        return self.visibility == self.Visibility.PRIVATE

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


class Attendee(models.Model):
    """A person in an event: a colleague (``user``) or an external guest (``email``).

    External guests are usually a client's contacts (``contact``); their name and
    address are copied, so the invitation still reaches them if the contact changes.
    """

    class Response(models.TextChoices):
        NEEDS_ACTION = "needs-action", "Not answered"
        ACCEPTED = "accepted", "Going"
        TENTATIVE = "tentative", "Maybe"
        DECLINED = "declined", "Not going"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="event_invitations",
    )
    contact = models.ForeignKey(
        "records.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True)
    is_organizer = models.BooleanField(default=False)
    response = models.CharField(max_length=14, choices=Response, default=Response.NEEDS_ACTION)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-is_organizer", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                "user", "event", condition=Q(user__isnull=False), name="attendee_user_unique"
            ),
            models.UniqueConstraint(
                "event", "email", condition=Q(user__isnull=True), name="attendee_guest_unique"
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(email=""), name="attendee_has_someone"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    @classmethod
    def of_colleague(cls, event: Event, person, **fields) -> "Attendee":
        """An unsaved row for the colleague ``person`` (their name and address copied)."""
        return cls(event=event, user=person, name=person.full_name, email=person.email, **fields)

    @classmethod
    def of_organizer(cls, event: Event, answered_at) -> "Attendee":
        """An unsaved row for the event's organizer, who is going."""
        return cls.of_colleague(
            event,
            event.organizer,
            is_organizer=True,
            response=cls.Response.ACCEPTED,
            responded_at=answered_at,
        )

    @property
    def is_guest(self) -> bool:
        return self.user_id is None


class CalendarFeed(models.Model):
    """A person's private iCalendar subscription link.

    Only a SHA-256 hash of the link's token is kept: the link is shown once,
    when made; a leaked database leaks no usable link. Deleting the row (or
    making a new link) revokes the old one.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
