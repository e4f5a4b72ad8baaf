"""Marketing's records: segments, email campaigns and their recipients, consent and
suppression, web-to-lead forms with their routing rules, and attribution (touches).

Design choices:

* **A segment is a JSON definition** (and/or groups of conditions, see
  marketing/segments.py) compiled to a query whenever it is read, so a dynamic
  segment is always current. Freezing copies its members into
  ``SegmentMember`` rows: a static list that no longer moves.
* **Consent and suppression are per email address**, not per contact: the
  same person can appear as a contact of two clients, and an unsubscribe or a
  bounce must hold for the address wherever it appears (and after a contact is
  deleted and imported again).
* **One ``Recipient`` row per address per campaign** (a unique constraint),
  written when the campaign is prepared, each with its state. Sending claims a
  row (``sending``), hands the message to the mail server, then marks it
  ``sent``: a worker killed between the two leaves the row ``sending``, and it
  is never sent again automatically (``unconfirmed``) — no one is emailed twice.
* **A campaign's links are rows** (``CampaignLink``): a click token names a
  link by id, so the redirect can only go to a URL the campaign's own body
  contains — never an open redirect.
* **Attribution is a log of touches** (``Touch``: a form, a campaign, a UTM
  link, manual entry, an import) per contact; ``Attribution`` keeps the first
  and latest touch of each contact and deal so reports read them with a join.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from accounts.models import Department
from records.models import DEFAULT_CURRENCY, Client, Contact, Deal, currency_validator

User = settings.AUTH_USER_MODEL

UTM_MAX_LENGTH = 100


def normalize_email(address: str) -> str:
    return (address or "").strip().lower()


class UtmFields(models.Model):
    """The UTM source, medium and campaign a visit carried (a submission, a touch)."""

    utm_source = models.CharField(max_length=UTM_MAX_LENGTH, blank=True)
    utm_medium = models.CharField(max_length=UTM_MAX_LENGTH, blank=True)
    utm_campaign = models.CharField(max_length=UTM_MAX_LENGTH, blank=True)

    class Meta:
        abstract = True


# --- Segments ------------------------------------------------------------------


class Segment(models.Model):
    """A saved filter over clients and contacts, or (frozen) a static list of them."""

    class Kind(models.TextChoices):
        DYNAMIC = "dynamic", "Dynamic"
        STATIC = "static", "Static list"

    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.DYNAMIC)
    # {"match": "all"|"any", "groups": [{"match": "all"|"any", "conditions": [
    #     {"field": "lifecycle", "op": "is", "value": "lead"}, …]}, …]}
    definition = models.JSONField(default=dict, blank=True)
    frozen_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    frozen_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_static(self) -> bool:
        return self.kind == self.Kind.STATIC


class SegmentMember(models.Model):
    """One contact of a frozen (static) segment, and its client."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "client", "contact"], name="segment_member_once"
            ),
        ]
        indexes = [models.Index(fields=["segment", "contact"], name="segment_member_contact")]

    def __str__(self) -> str:
        return f"{self.segment_id}: {self.contact_id or self.client_id}"


# --- Consent and suppression -------------------------------------------------------


class Consent(models.Model):
    """An address's permission to receive marketing email: given with a text, at a time."""

    class Source(models.TextChoices):
        FORM = "form", "Web form"
        MANUAL = "manual", "Recorded by staff"
        IMPORT = "import", "Import"

    email = models.EmailField(unique=True)
    text = models.CharField(max_length=500, blank=True, help_text="What the person agreed to.")
    source = models.CharField(max_length=10, choices=Source)
    granted_at = models.DateTimeField(default=now)
    recorded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return self.email


class Suppression(models.Model):
    """An address no campaign may email again (unsubscribed, bounced or complained)."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"

    email = models.EmailField(unique=True)
    reason = models.CharField(max_length=12, choices=Reason)
    campaign = models.ForeignKey(
        "Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"{self.email} ({self.get_reason_display()})"


# --- Campaigns ---------------------------------------------------------------------


class Campaign(models.Model):
    """An email to a segment: composed, tested, then sent now or at a time, in batches."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    class Layout(models.TextChoices):
        PLAIN = "plain", "Plain letter"
        NEWSLETTER = "newsletter", "Newsletter"
        ANNOUNCEMENT = "announcement", "Announcement"

    name = models.CharField(max_length=120)
    subject = models.CharField(max_length=200, blank=True)
    preheader = models.CharField(max_length=200, blank=True)
    body = models.TextField(max_length=50_000, blank=True, help_text="Markdown.")
    layout = models.CharField(max_length=15, choices=Layout, default=Layout.PLAIN)
    segment = models.ForeignKey(
        Segment, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    # Messages per minute; None: settings.MARKETING_SEND_RATE.
    send_rate = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(
        max_length=3, default=DEFAULT_CURRENCY, validators=[currency_validator]
    )
    # Links in the body get utm_source=workspace&utm_medium=email&utm_campaign=<utm_campaign>.
    utm_campaign = models.SlugField(max_length=UTM_MAX_LENGTH, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "scheduled_for"], name="campaign_due")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SCHEDULED)


class CampaignLink(models.Model):
    """A link in a campaign's body; click tokens point here, never at a raw URL."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    url = models.URLField(max_length=2000)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="campaign_link_once"),
        ]

    def __str__(self) -> str:
        return self.url


class Recipient(models.Model):
    """One address of one campaign, and what happened to its email."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Being handed to the mail server"
        SENT = "sent", "Sent"
        UNCONFIRMED = "unconfirmed", "Not confirmed (the sender stopped mid-send)"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    class Skip(models.TextChoices):
        NO_CONSENT = "no_consent", "No consent"
        SUPPRESSED = "suppressed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced address"
        DELETED = "deleted", "Contact deleted"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    client = models.ForeignKey(
        Client, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    email = models.EmailField()
    state = models.CharField(max_length=12, choices=State, default=State.QUEUED)
    skip_reason = models.CharField(max_length=12, choices=Skip, blank=True)
    error = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "email"], name="recipient_once"),
        ]
        indexes = [models.Index(fields=["campaign", "state"], name="recipient_state")]

    def __str__(self) -> str:
        return self.email


# --- Web-to-lead forms -------------------------------------------------------------


class WebForm(models.Model):
    """A public form whose submissions create or update a contact and its client."""

    name = models.CharField(max_length=120)
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200, blank=True, help_text="Shown above the form.")
    intro = models.TextField(max_length=2000, blank=True)
    # [{"name": "email", "label": "Work email", "maps_to": "contact.email", "required": true}, …]
    fields = models.JSONField(default=list, blank=True)
    consent_text = models.CharField(max_length=500, blank=True)
    consent_required = models.BooleanField(default=False)
    submit_label = models.CharField(max_length=40, default="Send")
    thank_you_message = models.CharField(max_length=500, blank=True)
    redirect_url = models.URLField(max_length=500, blank=True)
    # One origin per line ("https://www.example.com"); the page may be framed only there.
    allowed_origins = models.TextField(max_length=2000, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", help_text="New clients' team."
    )
    fallback_owner = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", help_text="When no rule matches."
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Who gets a form's lead: the first rule that matches, in order."""

    class Kind(models.TextChoices):
        EXISTING_OWNER = "existing_owner", "The client's existing owner"
        COUNTRY = "country", "By country, to a person"
        INDUSTRY = "industry", "By industry, to a person"
        ROUND_ROBIN = "round_robin", "Round-robin within a department"

    form = models.ForeignKey(WebForm, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=15, choices=Kind)
    value = models.CharField(max_length=100, blank=True, help_text="The country code or industry.")
    owner = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.get_kind_display()

    def clean(self):
        super().clean()
        if self.kind in (self.Kind.COUNTRY, self.Kind.INDUSTRY) and (
            not self.value or self.owner_id is None
        ):
            raise ValidationError("Name the value to match and the person who gets it.")
        if self.kind == self.Kind.ROUND_ROBIN and self.department_id is None:
            raise ValidationError("Pick the department whose members take turns.")


class RoundRobinTurn(models.Model):
    """Whose turn it was last in a department's round-robin (locked while choosing)."""

    department = models.OneToOneField(
        Department, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.department_id}: {self.last_user_id}"


class Submission(UtmFields):
    """One accepted submission of a web form: what was sent, where it went, who got it."""

    form = models.ForeignKey(WebForm, on_delete=models.CASCADE, related_name="submissions")
    data = models.JSONField(default=dict)  # the cleaned values, shown escaped, never as HTML
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    client = models.ForeignKey(
        Client, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    routed_to = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rule = models.ForeignKey(
        RoutingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    referrer = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["form", "-created_at"], name="submission_form_new")]

    def __str__(self) -> str:
        return f"{self.form_id} at {self.created_at:%Y-%m-%d %H:%M}"


# --- Attribution -------------------------------------------------------------------


class Touch(UtmFields):
    """One time a contact reached us through a channel."""

    class Channel(models.TextChoices):
        FORM = "form", "Web form"
        CAMPAIGN = "campaign", "Email campaign"
        UTM = "utm", "Tracked link"
        MANUAL = "manual", "Added by staff"
        IMPORT = "import", "Import"

    # A deal keeps its source when the contact is deleted.
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel)
    form = models.ForeignKey(
        WebForm, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["contact", "created_at"], name="touch_contact_time"),
            models.Index(fields=["client", "created_at"], name="touch_client_time"),
            models.Index(fields=["campaign"], name="touch_campaign"),
        ]

    def __str__(self) -> str:
        return self.get_channel_display()


class Attribution(models.Model):
    """The first and latest touch of a contact, or of a deal (its client's, when it opened)."""

    contact = models.OneToOneField(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="attribution"
    )
    deal = models.OneToOneField(
        Deal, on_delete=models.CASCADE, null=True, blank=True, related_name="attribution"
    )
    first = models.ForeignKey(Touch, on_delete=models.CASCADE, related_name="+")
    latest = models.ForeignKey(Touch, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False, deal__isnull=True)
                | Q(contact__isnull=True, deal__isnull=False),
                name="attribution_of_one",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} … {self.latest_id}"
