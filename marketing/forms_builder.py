"""The form builder's Django forms: a web form's settings, its fields and its routing
rules (two formsets whose rows the page adds, removes and moves; the order of the rows
is the order of the fields on the public page and of the rules when routing)."""

from django import forms
from django_countries import countries

from accounts.models import Department, User
from marketing.models import RoutingRule, WebForm
from marketing.web_forms import EMAIL, LABEL_MAX_LENGTH, MESSAGE, target_choices, targets

STARTER_FIELDS = (
    {"maps_to": "contact.name", "required": True},
    {"maps_to": EMAIL, "required": True},
    {"maps_to": "client.name", "required": False},
    {"maps_to": MESSAGE, "required": False},
)


def _people():
    return User.objects.filter(is_active=True).order_by("full_name", "pk")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name or obj.email


class WebFormSettingsForm(forms.ModelForm):
    fallback_owner = PersonChoiceField(
        queryset=_people(), label="Fallback owner", help_text="Gets the lead when no rule matches."
    )

    class Meta:
        model = WebForm
        fields = [
            "name",
            "title",
            "intro",
            "submit_label",
            "consent_text",
            "consent_required",
            "thank_you_message",
            "redirect_url",
            "department",
            "fallback_owner",
            "allowed_origins",
            "active",
        ]
        labels = {
            "name": "Name (for the team)",
            "title": "Heading on the form",
            "intro": "Introduction",
            "submit_label": "Button text",
            "consent_text": "Consent checkbox text",
            "consent_required": "Ticking the box is required",
            "thank_you_message": "Thank-you message",
            "redirect_url": "…or send people to this page",
            "department": "New clients' department",
            "allowed_origins": "Websites that may embed the form",
            "active": "Accepting submissions",
        }
        help_texts = {
            "consent_text": "Leave empty for no checkbox. Ticked boxes are recorded as "
            "marketing consent for the address.",
            "redirect_url": "Instead of the message, after a submission.",
            "allowed_origins": "One per line, like https://www.example.com. Other sites "
            "cannot show the form in a frame.",
            "department": "",
        }
        widgets = {
            "intro": forms.Textarea(attrs={"rows": 2}),
            "thank_you_message": forms.Textarea(attrs={"rows": 2}),
            "consent_text": forms.Textarea(attrs={"rows": 2}),
            "allowed_origins": forms.Textarea(
                attrs={"rows": 3, "placeholder": "https://www.example.com"}
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.order_by("name")

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)


class FieldRowForm(forms.Form):
    maps_to = forms.ChoiceField(label="Asks for")
    label = forms.CharField(
        label="Label",
        max_length=LABEL_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Label on the form"}),
    )
    required = forms.BooleanField(label="Required", required=False)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["maps_to"].choices = choices


class RuleRowForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label="Rule", choices=RoutingRule.Kind.choices)
    country = forms.ChoiceField(
        label="Country", required=False, choices=[("", "Choose…"), *countries]
    )
    industry = forms.CharField(label="Industry", required=False, max_length=100)
    owner = PersonChoiceField(label="Goes to", required=False, queryset=_people())
    department = forms.ModelChoiceField(
        label="Department",
        required=False,
        queryset=Department.objects.order_by("name"),
        empty_label="Choose…",
    )

    def spec(self) -> dict:
        data = self.cleaned_data
        kind = data["kind"]
        value = {
            RoutingRule.Kind.COUNTRY: data["country"],
            RoutingRule.Kind.INDUSTRY: data["industry"],
        }
        return {
            "id": data.get("id"),
            "kind": kind,
            "value": value.get(kind, ""),
            "owner": data.get("owner"),
            "department": data.get("department"),
        }


FieldFormSet = forms.formset_factory(FieldRowForm, extra=0, can_delete=True, can_order=True)
RuleFormSet = forms.formset_factory(RuleRowForm, extra=0, can_delete=True, can_order=True)


def field_formset(webform: WebForm | None, data=None) -> forms.BaseFormSet:
    available = targets()
    rows = webform.fields if webform is not None else _starter_rows(available)
    initial = [
        {**row, "label": row.get("label") or available[row["maps_to"]].label}
        for row in rows
        if row.get("maps_to") in available
    ]
    return FieldFormSet(
        data,
        initial=None if data is not None else initial,
        prefix="fields",
        form_kwargs={"choices": target_choices(available)},
    )


def _starter_rows(available) -> list[dict]:
    return [{**row, "label": available[row["maps_to"]].label} for row in STARTER_FIELDS]


def rule_formset(webform: WebForm | None, data=None) -> forms.BaseFormSet:
    initial = [{"kind": RoutingRule.Kind.EXISTING_OWNER}]
    if webform is not None:
        initial = [
            {
                "id": rule.pk,
                "kind": rule.kind,
                "country": rule.value if rule.kind == RoutingRule.Kind.COUNTRY else "",
                "industry": rule.value if rule.kind == RoutingRule.Kind.INDUSTRY else "",
                "owner": rule.owner_id,
                "department": rule.department_id,
            }
            for rule in webform.rules.all()
        ]
    return RuleFormSet(data, initial=None if data is not None else initial, prefix="rules")


def ordered_rows(formset: forms.BaseFormSet) -> list[forms.Form]:
    """The formset's kept rows in the order the page gave them (deleted ones left out)."""
    return list(formset.ordered_forms)


def field_specs(formset) -> list[dict]:
    return [
        {key: form.cleaned_data[key] for key in ("maps_to", "label", "required")}
        for form in ordered_rows(formset)
    ]


def rule_specs(formset) -> list[dict]:
    return [form.spec() for form in ordered_rows(formset)]
