"""The token form on the API tokens page."""

from django import forms

from integrations.api.models import AREAS

ACCESS_CHOICES = [("", "No access"), ("read", "Read"), ("write", "Read and write")]


class TokenForm(forms.Form):
    """A name, an access level per area, an optional expiry (the scopes are built from them)."""

    name = forms.CharField(
        max_length=80, help_text="What uses it, e.g. “Zapier” or “nightly sync”."
    )
    expires_at = forms.DateField(
        required=False,
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for a token that lasts until you revoke it.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for area in AREAS:
            self.fields[f"scope_{area}"] = forms.ChoiceField(
                choices=ACCESS_CHOICES,
                required=False,
                label=area.capitalize(),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    def scope_fields(self):
        return [self[f"scope_{area}"] for area in AREAS]

    def scopes(self) -> list[str]:
        data = self.cleaned_data
        return [f"{area}:{data[f'scope_{area}']}" for area in AREAS if data.get(f"scope_{area}")]
