from django import forms

from integrations.webhooks import catalog


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="HTTPS only. It must resolve to a public address.",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/workspace"}),
    )
    description = forms.CharField(max_length=200, required=False)
    kinds = forms.MultipleChoiceField(
        label="Events to send",
        choices=catalog.CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event kind."},
    )
    active = forms.BooleanField(
        required=False, initial=True, help_text="Switched-off endpoints receive nothing."
    )
