"""Clients and their contacts, and the custom fields admins add to clients."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import (
    RegexValidator,
)
from django.db import models
from django.db.models import Q
from django.utils.dateparse import parse_date
from django.utils.timezone import now
from django_countries import countries

from accounts.models import Department
from records.models.values import (
    normalize_phone,
    normalize_tags,
    validate_emails,
    validate_phone,
    validate_phones,
    validate_tags,
)

User = settings.AUTH_USER_MODEL

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


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166-1 alpha-2 codes and their English names (django-countries), by name."""
    return list(countries)


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
    country = models.CharField(max_length=2, choices=country_choices, blank=True)
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
    # Its deals still open and tickets not resolved, for the list's sorts: written only by
    # records.services.counts.recount_open_work (see its module), never by a save.
    open_deal_count = models.PositiveIntegerField(default=0, editable=False)
    open_ticket_count = models.PositiveIntegerField(default=0, editable=False)

    COUNTERS = frozenset({"open_deal_count", "open_ticket_count"})

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
            # Sorted by owner: each owner's live clients in id order, the owners walked
            # in name order (an index on the user's name, accounts).
            models.Index(
                fields=["owner", "id"],
                condition=Q(archived=False, merged_into__isnull=True),
                name="client_live_owner",
            ),
            models.Index(  # sorted by department: each department's clients in id order
                fields=["department", "id"],
                condition=Q(archived=False, merged_into__isnull=True),
                name="client_live_department",
            ),
            models.Index(fields=["archived", "-updated_at"], name="client_archived_updated"),
            models.Index(fields=["name"], name="client_name"),
            models.Index(fields=["domain"], name="client_domain"),
            models.Index(fields=["phone"], name="client_phone"),
            # The client list sorted by open deals or open tickets (either way round).
            models.Index(fields=["open_deal_count", "id"], name="client_open_deals"),
            models.Index(fields=["open_ticket_count", "id"], name="client_open_tickets"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, **kwargs):
        """Saving a client read earlier must not write back the counters it read then (a
        deal opened meanwhile would be uncounted): an update leaves them out unless named."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            left_out = self.COUNTERS | self.get_deferred_fields()
            kwargs["update_fields"] = [
                field.attname
                for field in self._meta.concrete_fields
                if not field.primary_key and field.attname not in left_out
            ]
        super().save(**kwargs)

    def clean_fields(self, exclude=None):
        # Normalize before the field validators run, so " WWW.Acme.com " is valid.
        self.name = " ".join((self.name or "").split())
        self.domain = (self.domain or "").strip().lower().removeprefix("www.")
        self.tags = normalize_tags(self.tags)
        errors = _normalize_phones(self, "phone", exclude, region=self.country)
        _clean_rest(super().clean_fields, exclude, errors)

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
        indexes = [
            # The contact list's order (name, then id): a page is the first matching entries,
            # with no sort of the contacts sharing a name (a common one: hundreds).
            models.Index(fields=["name", "id"], name="contact_name_id"),
            # The contact list sorted by preferred channel (either way round).
            models.Index(fields=["preferred_channel", "id"], name="contact_channel"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None):
        self.name = " ".join((self.name or "").split())
        if isinstance(self.emails, list):
            self.emails = list(dict.fromkeys(str(e).strip().lower() for e in self.emails if e))
        region = self.client.country if self.client_id else None
        errors = _normalize_phones(self, "phones", exclude, region=region)
        _clean_rest(super().clean_fields, exclude, errors)


def _normalize_phones(record, field: str, exclude, *, region) -> dict:
    """Store ``record.<field>`` (a number or a list of them) in E.164, read in ``region``
    (records.models.values.normalize_phone), so every write path stores one form.

    Returns the field's errors; a value that does not parse is left as typed. An excluded
    field is normalized where it can be but never reported.
    """
    value = getattr(record, field)
    if isinstance(value, list):
        numbers = [str(item).strip() for item in value if item]
    elif isinstance(value, str | None):
        numbers = [(value or "").strip()]
    else:
        return {}
    messages, normalized = [], []
    for number in numbers:
        try:
            normalized.append(normalize_phone(number, region))
        except ValidationError as error:
            messages.extend(error.messages)
            normalized.append(number)
    if isinstance(value, list):
        setattr(record, field, list(dict.fromkeys(normalized)))
    else:
        setattr(record, field, normalized[0])
    if not messages or field in (exclude or ()):
        return {}
    return {field: messages}


def _clean_rest(clean_fields, exclude, errors: dict) -> None:
    """``clean_fields`` (the model's own) for the fields without ``errors`` yet; all errors
    raised at once."""
    try:
        clean_fields(set(exclude or ()) | errors.keys())
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
