"""The campaign editor's form. It validates input; marketing.services.campaigns decides.

The send time is typed as the person's own wall-clock time (``datetime-local``)
and read in their time zone (``User.timezone``), so "09:00" means nine in the
morning where the marketer sits, whatever the server's zone.
"""

from datetime import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from marketing.models import UTM_MAX_LENGTH, Campaign, Segment
from records.deal_forms import CURRENCIES
from workspace import moments

# The fields the services take (marketing.services.campaigns.EDITABLE_FIELDS, less send_rate).
CONTENT_FIELDS = (
    "name",
    "subject",
    "preheader",
    "layout",
    "segment",
    "body",
    "cost",
    "currency",
    "utm_campaign",
)
INPUT_FORMAT = "%Y-%m-%dT%H:%M"


class Action:
    """What the editor's submit button asks for, after saving what was typed."""

    SAVE = "save"
    TEST = "test"
    SEND = "send"
    SCHEDULE = "schedule"
    ALL = (SAVE, TEST, SEND, SCHEDULE)


class CampaignForm(forms.Form):
    name = forms.CharField(
        max_length=Campaign._meta.get_field("name").max_length,
        error_messages={"required": "Give the campaign a name your team will recognise."},
        widget=forms.TextInput(attrs={"placeholder": "e.g. December newsletter"}),
    )
    subject = forms.CharField(
        required=False,
        max_length=Campaign._meta.get_field("subject").max_length,
        widget=forms.TextInput(attrs={"placeholder": "What the inbox shows first"}),
    )
    preheader = forms.CharField(
        required=False,
        max_length=Campaign._meta.get_field("preheader").max_length,
        help_text="The grey line after the subject in most inboxes.",
    )
    layout = forms.ChoiceField(
        choices=Campaign.Layout.choices,
        initial=Campaign.Layout.PLAIN,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Pick one of the three layouts."},
    )
    segment = forms.ModelChoiceField(
        queryset=Segment.objects.order_by("name", "pk"),
        required=False,
        empty_label="Choose later",
        label="Send to",
        error_messages={"invalid_choice": "That segment no longer exists. Pick another."},
    )
    body = forms.CharField(
        required=False,
        max_length=Campaign._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "true"}),
        help_text="Markdown: **bold**, _italic_, [a link](https://…), lists with “- ”.",
    )
    cost = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        initial=Decimal(0),
        help_text="What the campaign cost, for its ROI. You can change it after sending.",
        error_messages={
            "invalid": "Enter the cost as a number, e.g. 250 or 250.50.",
            "min_value": "A cost cannot be negative.",
        },
    )
    currency = forms.ChoiceField(
        choices=[(code, code) for code in CURRENCIES],
        error_messages={"invalid_choice": "Pick one of the listed currencies."},
    )
    utm_campaign = forms.SlugField(
        required=False,
        max_length=UTM_MAX_LENGTH,
        label="UTM campaign",
        help_text="Added to every link as utm_campaign, so web analytics credit this email.",
        error_messages={"invalid": "Use letters, numbers, hyphens and underscores only."},
    )
    send_at = forms.CharField(
        required=False,
        label="Send at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    action = forms.ChoiceField(
        choices=[(action, action) for action in Action.ALL],
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(
        self, *args, viewer, campaign: Campaign | None = None, read_only: bool = False, **kwargs
    ):
        """``read_only``: every field disabled (a campaign that went out, or a viewer who
        may not change it): what it shows is the saved campaign, whatever is posted."""
        self.viewer = viewer
        self.zone = moments.zone(viewer.timezone)
        if campaign is not None:
            kwargs.setdefault("initial", initial_of(campaign, self.zone))
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = Campaign._meta.get_field("currency").default
        self.fields["send_at"].help_text = f"Your time ({viewer.timezone.replace('_', ' ')})."
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    def clean_send_at(self) -> datetime | None:
        text = self.cleaned_data["send_at"].strip()
        if not text:
            return None
        try:
            moment = parse_datetime(text)
        except ValueError:
            moment = None
        if moment is None:
            raise forms.ValidationError("Enter a date and a time, e.g. 2026-12-08 09:00.")
        return timezone.make_aware(moment.replace(tzinfo=None), self.zone)

    def clean(self):
        data = super().clean()
        if data.get("action") == Action.SCHEDULE:
            when = data.get("send_at")
            if when is None and "send_at" not in self.errors:
                self.add_error("send_at", "Pick when to send it, or use “Send now”.")
            elif when is not None and when <= timezone.now():
                self.add_error("send_at", "That time has passed. Pick a later one, or send now.")
        return data

    @property
    def chosen_action(self) -> str:
        return self.cleaned_data.get("action") or Action.SAVE

    def service_fields(self) -> dict:
        """What ``create_campaign`` / ``update_campaign`` take from this form."""
        return {name: self.cleaned_data[name] for name in CONTENT_FIELDS}


def initial_of(campaign: Campaign, zone) -> dict:
    """The form's values for a saved campaign (the send time in the viewer's zone)."""
    initial = {name: getattr(campaign, name) for name in CONTENT_FIELDS}
    if campaign.scheduled_for:
        initial["send_at"] = campaign.scheduled_for.astimezone(zone).strftime(INPUT_FORMAT)
    return initial


class CostForm(forms.Form):
    """A campaign's cost alone: it may be set any time, even after sending (for its ROI)."""

    cost = CampaignForm.base_fields["cost"]
    currency = CampaignForm.base_fields["currency"]
