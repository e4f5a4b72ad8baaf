"""Forms of the new-client, new-contact and merge pages. They shape input; services decide."""

import re

from django import forms

from accounts.models import Department, User
from records import policies
from records.models import Client, Contact, CustomField, country_choices

DUPLICATE_TRIGGER = "input changed delay:300ms"


def _hint_attrs(url: str, inputs: str) -> dict:
    """htmx attributes asking ``url`` for likely duplicates while the person types."""
    return {
        "hx-get": url,
        "hx-trigger": DUPLICATE_TRIGGER,
        "hx-target": "#duplicate-hints",
        "hx-swap": "outerHTML",
        "hx-include": inputs,
        "autocomplete": "off",
    }


def _split(text: str, separators: str) -> list[str]:
    return [part.strip() for part in re.split(separators, text or "") if part.strip()]


class ClientForm(forms.Form):
    """A new client. Owner and department appear only when the person may choose them."""

    name = forms.CharField(max_length=200)
    domain = forms.CharField(
        max_length=253, required=False, help_text="The website, like acme.com."
    )
    phone = forms.CharField(max_length=40, required=False)
    industry = forms.CharField(max_length=100, required=False)
    country = forms.ChoiceField(choices=[("", "—"), *country_choices()], required=False)
    size = forms.ChoiceField(choices=Client.Size.choices, required=False, label="Employees")
    lifecycle = forms.ChoiceField(
        choices=Client.Lifecycle.choices, initial=Client.Lifecycle.LEAD, label="Lifecycle stage"
    )
    source = forms.ChoiceField(choices=Client.Source.choices, initial=Client.Source.OTHER)
    tags = forms.CharField(max_length=1000, required=False, help_text="Separate tags with commas.")
    address = forms.CharField(
        max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    department = forms.ModelChoiceField(queryset=Department.objects.none(), empty_label=None)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), empty_label=None)

    def __init__(self, *args, actor: User, hints_url: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._choose_ownership(actor)
        hints = _hint_attrs(hints_url, "#id_name, #id_domain, #id_phone")
        for name in ("name", "domain", "phone"):
            self.fields[name].widget.attrs.update(hints)
        self.custom_fields = list(CustomField.objects.filter(active=True))
        for definition in self.custom_fields:
            self.fields[f"custom_{definition.key}"] = _custom_field(definition)

    def _choose_ownership(self, actor: User) -> None:
        departments = Department.objects.all()
        if not actor.is_admin:
            departments = departments.filter(members=actor)
        self.fields["department"].queryset = departments
        self.fields["department"].initial = departments.order_by("pk").first()
        if not any(
            policies.can_assign_owner(actor, pk) for pk in departments.values_list("pk", flat=True)
        ):
            del self.fields["owner"]
            return
        owner = self.fields["owner"]
        owner.queryset = User.objects.filter(is_active=True).order_by("full_name")
        owner.initial = actor.pk
        owner.help_text = "Admins and department managers can give it to someone else."

    def custom_bound_fields(self):
        return [self[f"custom_{definition.key}"] for definition in self.custom_fields]

    def service_arguments(self) -> dict:
        """The cleaned data as ``services.create_client`` takes it."""
        data = dict(self.cleaned_data)
        typed = {d.key: data.pop(f"custom_{d.key}", None) for d in self.custom_fields}
        data["custom_values"] = {key: value for key, value in typed.items() if value}
        return data


def _custom_field(definition: CustomField) -> forms.Field:
    """An input for an admin-defined field; the model's ``coerce`` judges the value."""
    options = {"label": definition.label, "required": False}
    match definition.type:
        case CustomField.Type.CHOICE:
            choices = [("", "—"), *((choice, choice) for choice in definition.choices)]
            return forms.ChoiceField(choices=choices, **options)
        case CustomField.Type.DATE:
            return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **options)
        case CustomField.Type.NUMBER:
            return forms.CharField(
                widget=forms.TextInput(attrs={"inputmode": "decimal"}), **options
            )
    return forms.CharField(max_length=500, **options)


class ContactForm(forms.Form):
    name = forms.CharField(max_length=150)
    title = forms.CharField(max_length=100, required=False, label="Job title")
    emails = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line, or separated by commas.",
    )
    phones = forms.CharField(
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line, or separated by commas.",
    )
    preferred_channel = forms.ChoiceField(
        choices=Contact.Channel.choices, initial=Contact.Channel.EMAIL, label="Preferred channel"
    )
    notes = forms.CharField(
        max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, hints_url: str, **kwargs):
        super().__init__(*args, **kwargs)
        hints = _hint_attrs(hints_url, "#id_name, #id_emails, #id_phones")
        for name in ("name", "emails", "phones"):
            self.fields[name].widget.attrs.update(hints)

    @staticmethod
    def split_emails(text: str) -> list[str]:
        return _split(text, r"[,;\s]+")

    @staticmethod
    def split_phones(text: str) -> list[str]:
        return _split(text, r"[,;\n]+")

    def clean_emails(self) -> list[str]:
        return self.split_emails(self.cleaned_data["emails"])

    def clean_phones(self) -> list[str]:
        return self.split_phones(self.cleaned_data["phones"])


class MergeForm(forms.Form):
    """One radio per field that differs: keep this client's value, or take the other's."""

    SIDES = [("survivor", "Keep"), ("loser", "Take")]

    def __init__(self, *args, fields: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for name in fields:
            self.fields[name] = forms.ChoiceField(
                choices=self.SIDES, initial="survivor", widget=forms.RadioSelect
            )
