"""Clients, contacts, deals on pipelines, tickets, comments, the timeline and the audit.

Invariants live here (field validators, ``clean``, database constraints);
every write goes through ``records/services.py``, which runs ``full_clean``.

Design choices:

* **Tags are a JSON list of short lowercase strings on the client**, not an
  M2M ``Tag`` table. A client's tags are edited as one field, so they get the
  same field-level conflict detection and audit row (old list → new list) as
  every other field, and a merge is one assignment. The cost is filtering by
  tag: ``tags__contains=[tag]`` on PostgreSQL (JSONB, GIN-indexable); SQLite
  has no JSON containment, so selectors fall back to a text match there.
* **Comments point at their target with explicit nullable foreign keys**
  (client / deal / ticket / task), with a check constraint that exactly one
  is set — not a ContentType generic relation: real foreign keys
  cascade, are indexed and joinable, and cannot dangle.
* **No version column**: conflicts are detected per field (DESIGN §5) by
  comparing the value the editor started from with the stored one; who made
  the last change comes from the ``FieldChange`` audit.
"""

import re
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import (
    EmailValidator,
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
)
from django.db import models
from django.db.models import Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.timezone import now

from accounts.models import Department

User = settings.AUTH_USER_MODEL

COMMENT_MAX_LENGTH = 10_000
TAG_MAX_LENGTH = 40
TAGS_MAX = 20
DEFAULT_CURRENCY = getattr(settings, "RECORDS_DEFAULT_CURRENCY", "EUR")

PHONE_RE = re.compile(r"^\+?[0-9(][0-9 ()./-]{3,28}[0-9]$")


def validate_phone(value: str) -> None:
    digits = sum(ch.isdigit() for ch in value)
    if not PHONE_RE.match(value) or not 5 <= digits <= 20:
        raise ValidationError(
            "“%(value)s” is not a phone number. Use digits, spaces and + ( ) - . / "
            "like +49 30 1234567.",
            params={"value": value},
            code="invalid_phone",
        )


def validate_tags(tags) -> None:
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ValidationError("Tags must be a list of words.", code="invalid_tags")
    if len(tags) > TAGS_MAX:
        raise ValidationError(f"A client can have at most {TAGS_MAX} tags.", code="too_many_tags")
    for tag in tags:
        if not tag or len(tag) > TAG_MAX_LENGTH:
            raise ValidationError(
                f"A tag is 1 to {TAG_MAX_LENGTH} characters long.", code="invalid_tag"
            )


def normalize_tags(tags) -> list[str]:
    """Lowercase, trimmed, de-duplicated, order kept; a comma-separated string is accepted."""
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, list | tuple):
        return tags
    seen: list[str] = []
    for tag in tags:
        tag = " ".join(str(tag).split()).lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def _validate_list(values, validator, what: str) -> None:
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise ValidationError(f"{what} must be a list.", code="invalid_list")
    if len(values) > 10:
        raise ValidationError(f"At most 10 {what.lower()}.", code="too_many")
    for value in values:
        validator(value)


def validate_emails(values) -> None:
    def check(value):
        # Own code: the JSON field would replace an "invalid" message with its own.
        EmailValidator(message=f"“{value}” is not an email address.", code="invalid_email")(value)

    _validate_list(values, check, "Emails")


def validate_phones(values) -> None:
    _validate_list(values, validate_phone, "Phones")


currency_validator = RegexValidator(
    r"^[A-Z]{3}$", "A currency is a three-letter ISO code such as EUR or USD.", code="currency"
)


# --- Custom fields -------------------------------------------------------------


class CustomField(models.Model):
    """An admin-defined client field. Values live in ``Client.custom_values[key]``."""

    class Type(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        CHOICE = "choice", "Choice"

    key = models.SlugField(max_length=40, unique=True, help_text="Stored name; never change it.")
    label = models.CharField(max_length=80)
    type = models.CharField(max_length=10, choices=Type, default=Type.TEXT)
    choices = models.JSONField(
        default=list, blank=True, help_text='For choice fields: a list like ["Gold", "Silver"].'
    )
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "label"]

    def __str__(self) -> str:
        return self.label

    def clean(self):
        super().clean()
        if self.type == self.Type.CHOICE:
            if (
                not isinstance(self.choices, list)
                or not self.choices
                or not all(isinstance(choice, str) and choice for choice in self.choices)
            ):
                raise ValidationError({"choices": "A choice field needs a list of options."})
        elif self.choices:
            raise ValidationError({"choices": "Only choice fields have options."})

    def coerce(self, value):
        """The JSON value to store for ``value``, or ValidationError naming the field."""
        if value is None or value == "":
            return None
        match self.type:
            case self.Type.TEXT:
                if not isinstance(value, str | int | float):
                    raise self._mismatch(value, "text")
                value = str(value).strip()
                if len(value) > 500:
                    raise ValidationError(f"{self.label} is limited to 500 characters.")
                return value
            case self.Type.NUMBER:
                if isinstance(value, bool):
                    raise self._mismatch(value, "a number")
                try:
                    number = Decimal(str(value).strip())
                except ArithmeticError:
                    raise self._mismatch(value, "a number") from None
                if not number.is_finite():
                    raise self._mismatch(value, "a number")
                return int(number) if number == number.to_integral_value() else float(number)
            case self.Type.DATE:
                text = value.isoformat() if hasattr(value, "isoformat") else str(value).strip()
                try:
                    parsed = parse_date(text)
                except ValueError:
                    parsed = None
                if parsed is None:
                    raise self._mismatch(value, "a date (YYYY-MM-DD)")
                return parsed.isoformat()
            case self.Type.CHOICE:
                if value not in self.choices:
                    raise ValidationError(
                        f"{self.label} must be one of: {', '.join(self.choices)}.",
                        code="custom_field_type",
                    )
                return value
        raise ValidationError(f"{self.label} has an unknown type.")

    def _mismatch(self, value, expected: str) -> ValidationError:
        return ValidationError(
            f"{self.label} must be {expected}; “{value}” is not.", code="custom_field_type"
        )


def validate_custom_values(values: dict) -> dict:
    """Check and normalize a client's custom values against the active definitions."""
    if not isinstance(values, dict):
        raise ValidationError({"custom_values": "Custom values must be a mapping."})
    fields = {field.key: field for field in CustomField.objects.filter(active=True)}
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for key, value in values.items():
        field = fields.get(key)
        if field is None:
            errors.setdefault("custom_values", []).append(f"There is no custom field “{key}”.")
            continue
        try:
            coerced = field.coerce(value)
        except ValidationError as error:
            errors.setdefault("custom_values", []).extend(error.messages)
            continue
        if coerced is not None:
            cleaned[key] = coerced
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- Clients and contacts ------------------------------------------------------


class Client(models.Model):
    """A company or person we sell to or support. Shared with all staff."""

    class Size(models.TextChoices):
        UNKNOWN = "", "Unknown"
        SOLO = "1", "1"
        SMALL = "2-10", "2 to 10"
        MEDIUM = "11-50", "11 to 50"
        LARGE = "51-250", "51 to 250"
        XLARGE = "251-1000", "251 to 1,000"
        ENTERPRISE = "1000+", "1,000+"

    class Lifecycle(models.TextChoices):
        LEAD = "lead", "Lead"
        PROSPECT = "prospect", "Prospect"
        CUSTOMER = "customer", "Customer"
        CHURNED = "churned", "Churned"

    class Source(models.TextChoices):
        WEB_FORM = "web_form", "Web form"
        REFERRAL = "referral", "Referral"
        CAMPAIGN = "campaign", "Campaign"
        EVENT = "event", "Event"
        COLD_OUTREACH = "cold_outreach", "Cold outreach"
        PARTNER = "partner", "Partner"
        IMPORT = "import", "Import"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    domain = models.CharField(
        max_length=253,
        blank=True,
        validators=[
            RegexValidator(
                r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
                "Enter a domain like example.com (no https://, no path).",
                code="domain",
            )
        ],
    )
    industry = models.CharField(max_length=100, blank=True)
    size = models.CharField(max_length=10, choices=Size, default=Size.UNKNOWN, blank=True)
    address = models.TextField(max_length=1000, blank=True)
    phone = models.CharField(max_length=40, blank=True, validators=[validate_phone])
    tags = models.JSONField(default=list, blank=True, validators=[validate_tags])
    lifecycle = models.CharField(max_length=10, choices=Lifecycle, default=Lifecycle.LEAD)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="owned_clients")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="clients")
    source = models.CharField(max_length=20, choices=Source, default=Source.OTHER)
    custom_values = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    archived = models.BooleanField(default=False)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_from",
        editable=False,
        help_text="Set when this client was merged into another; its links lead there.",
    )
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            # The client list: live clients of a lifecycle, last changed first (bench/pages.py).
            models.Index(
                fields=["lifecycle", "-updated_at", "-id"],
                condition=Q(archived=False, merged_into__isnull=True),
                name="client_live_lifecycle",
            ),
            models.Index(fields=["owner", "-updated_at"], name="client_owner_updated"),
            models.Index(fields=["archived", "-updated_at"], name="client_archived_updated"),
            models.Index(fields=["name"], name="client_name"),
            models.Index(fields=["domain"], name="client_domain"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None):
        # Normalize before the field validators run, so " WWW.Acme.com " is valid.
        self.name = " ".join((self.name or "").split())
        self.domain = (self.domain or "").strip().lower().removeprefix("www.")
        self.phone = (self.phone or "").strip()
        self.tags = normalize_tags(self.tags)
        super().clean_fields(exclude)

    def clean(self):
        super().clean()
        self.custom_values = validate_custom_values(self.custom_values)


class Contact(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        CHAT = "chat", "Chat"
        MEETING = "meeting", "In person"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=150)
    title = models.CharField(max_length=100, blank=True)
    emails = models.JSONField(default=list, blank=True, validators=[validate_emails])
    phones = models.JSONField(default=list, blank=True, validators=[validate_phones])
    preferred_channel = models.CharField(
        max_length=10, choices=Channel, default=Channel.EMAIL, blank=True
    )
    notes = models.TextField(max_length=5000, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["name"], name="contact_name")]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None):
        self.name = " ".join((self.name or "").split())
        if isinstance(self.emails, list):
            self.emails = list(dict.fromkeys(str(e).strip().lower() for e in self.emails if e))
        if isinstance(self.phones, list):
            self.phones = list(dict.fromkeys(str(p).strip() for p in self.phones if p))
        super().clean_fields(exclude)


# --- Deals and pipelines -------------------------------------------------------


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


# --- Tickets -------------------------------------------------------------------


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


# --- Comments ------------------------------------------------------------------


COMMENT_TARGETS = ("client", "deal", "ticket", "task")
TASK_TARGETS = ("client", "deal", "ticket")


def _exactly_one_of(names) -> Q:
    """A condition: exactly one of the foreign keys ``names`` is set."""
    condition = Q()
    for name in names:
        condition |= Q(
            **{f"{name}__isnull": False},
            **{f"{other}__isnull": True for other in names if other != name},
        )
    return condition


def _at_most_one_of(names) -> Q:
    """A condition: at most one of the foreign keys ``names`` is set."""
    return Q(**{f"{name}__isnull": True for name in names}) | _exactly_one_of(names)


class Comment(models.Model):
    """A threaded comment on exactly one of a client, a deal, a ticket or a task."""

    TARGETS = COMMENT_TARGETS

    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="comments")
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    task = models.ForeignKey(
        "Task", on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    body = models.TextField(max_length=COMMENT_MAX_LENGTH)
    body_html = models.TextField(editable=False)
    mentions = models.ManyToManyField(User, blank=True, related_name="mentioned_in")
    created_at = models.DateTimeField(default=now, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["client", "created_at"], name="comment_client"),
            models.Index(fields=["deal", "created_at"], name="comment_deal"),
            models.Index(fields=["ticket", "created_at"], name="comment_ticket"),
            models.Index(fields=["task", "created_at"], name="comment_task"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=_exactly_one_of(COMMENT_TARGETS), name="comment_exactly_one_target"
            )
        ]

    def __str__(self) -> str:
        return f"Comment #{self.pk} by {self.author}"

    @property
    def target(self):
        return self.client or self.deal or self.ticket or self.task

    @property
    def target_client_id(self) -> int | None:
        """The client whose page and timeline show this comment (None: a task of no client)."""
        if self.client_id:
            return self.client_id
        if self.task_id:
            return self.task.target_client_id
        return (self.deal or self.ticket).client_id

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def clean(self):
        super().clean()
        if not self.body.strip():
            raise ValidationError({"body": "Write something first."})
        if sum(getattr(self, f"{name}_id") is not None for name in self.TARGETS) != 1:
            raise ValidationError("A comment belongs to exactly one client, deal, ticket or task.")
        if self.parent_id:
            same = all(
                getattr(self.parent, f"{name}_id") == getattr(self, f"{name}_id")
                for name in self.TARGETS
            )
            if not same:
                raise ValidationError({"parent": "A reply belongs to the same record."})


# --- Timeline and audit --------------------------------------------------------


class TimelineEntry(models.Model):
    """One item of a client's 360° timeline. Never deleted (history)."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        FIELD = "field", "Field change"
        COMMENT = "comment", "Comment"
        CALL = "call", "Call"
        MEETING = "meeting", "Meeting"
        EMAIL = "email", "Email"
        NOTE = "note", "Note"
        CONTACT = "contact", "Contact"
        DEAL = "deal", "Deal"
        TICKET = "ticket", "Ticket"
        MERGE = "merge", "Merge"
        TASK = "task", "Task"
        HANDOFF = "handoff", "Handoff"
        CHAT = "chat", "Chat highlight"

    ACTIVITIES = (Kind.CALL, Kind.MEETING, Kind.EMAIL, Kind.NOTE)

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=12, choices=Kind)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    summary = models.CharField(max_length=300)
    body = models.TextField(max_length=COMMENT_MAX_LENGTH, blank=True)
    body_html = models.TextField(blank=True, editable=False)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    deal = models.ForeignKey(
        Deal, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    task = models.ForeignKey(
        "Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handoff = models.ForeignKey(
        "Handoff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "timeline entries"
        indexes = [
            models.Index(fields=["client", "-created_at"], name="timeline_client_new"),
            models.Index(fields=["client", "kind", "-created_at"], name="timeline_client_kind"),
        ]

    def __str__(self) -> str:
        return self.summary


class FieldChange(models.Model):
    """One field's change on one record: who, when, old → new. Never deleted."""

    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=80)
    old = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    new = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    old_display = models.CharField(max_length=300, blank=True)
    new_display = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "field", "-created_at"],
                name="fieldchange_record_field",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_display} → {self.new_display}"


# --- Lists ---------------------------------------------------------------------


class SavedView(models.Model):
    """A person's named filter of a list page ("my open tickets", "sales leads this month")."""

    class List(models.TextChoices):
        CLIENTS = "clients", "Clients"
        CONTACTS = "contacts", "Contacts"
        DEALS = "deals", "Deals"
        TICKETS = "tickets", "Tickets"

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_views")
    list = models.CharField(max_length=10, choices=List)
    name = models.CharField(max_length=80)
    query = models.CharField(
        max_length=1000, blank=True, help_text="The list's query string: filters, search, sort."
    )
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["list", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "list", "name"], name="savedview_unique_name_per_list"
            )
        ]

    def __str__(self) -> str:
        return self.name


# --- Tasks ---------------------------------------------------------------------

TASK_DESCRIPTION_MAX_LENGTH = 10_000
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
                condition=_at_most_one_of(TASK_TARGETS), name="task_at_most_one_target"
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
