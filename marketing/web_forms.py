"""What a web form asks: the fields a form can map to, and the lead form built from a
``WebForm``'s definition.

A form's definition (``WebForm.fields``) is a list of ``{"maps_to", "label",
"required"}`` in order; ``maps_to`` names a contact field (``contact.email``), a
client field (``client.country``), a custom client field (``client.custom.<key>``)
or ``message`` (the note on the client's timeline). :class:`LeadForm` turns it into
a Django form whose validation is the strict one every submission passes, in the
public view and again in ``submit_form``: lengths, an email, a phone, an ISO country
code, a domain or URL, the custom field's type. Values are kept as text; nothing a
visitor sends is ever marked safe.
"""

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django_countries import countries

from records.models import Client, CustomField
from records.models.values import validate_phone
from records.selectors.duplicates import normalize_domain

CONTACT_PREFIX = "contact."
CLIENT_PREFIX = "client."
CUSTOM_PREFIX = "client.custom."
MESSAGE = "message"
EMAIL = "contact.email"
LABEL_MAX_LENGTH = 80
MESSAGE_MAX_LENGTH = 5000
CUSTOM_TEXT_MAX_LENGTH = 500
HONEYPOT = "homepage"
CONSENT = "consent"
SIGNED_RENDER = "rendered"  # the signed moment the page was drawn (public view)
TRACKING = ("utm_source", "utm_medium", "utm_campaign", "referrer")

DOMAIN_FIELD = Client._meta.get_field("domain")


@dataclass(frozen=True)
class Target:
    """A field a web form can ask for: where its value goes and how it is checked."""

    maps_to: str
    name: str  # the input's name on the public page
    label: str  # the label a new field starts with
    kind: str = "text"  # text, email, phone, website, country, size, message, or a custom type
    max_length: int = 100
    choices: tuple = ()

    @property
    def group(self) -> str:
        if self.maps_to.startswith(CONTACT_PREFIX):
            return "Contact"
        if self.maps_to.startswith(CLIENT_PREFIX):
            return "Company"
        return "Note"


STANDARD_TARGETS = (
    Target("contact.name", "name", "Your name", max_length=150),
    Target("contact.first_name", "first_name", "First name", max_length=70),
    Target("contact.last_name", "last_name", "Last name", max_length=70),
    Target(EMAIL, "email", "Work email", kind="email", max_length=254),
    Target("contact.phone", "phone", "Phone", kind="phone", max_length=40),
    Target("contact.title", "title", "Job title", max_length=100),
    Target("client.name", "company", "Company", max_length=200),
    Target("client.domain", "website", "Website", kind="website", max_length=253),
    Target("client.industry", "industry", "Industry", max_length=100),
    Target("client.country", "country", "Country", kind="country", max_length=2),
    Target("client.size", "size", "Company size", kind="size", max_length=10),
    Target("client.phone", "company_phone", "Company phone", kind="phone", max_length=40),
    Target(MESSAGE, "message", "How can we help?", kind="message", max_length=MESSAGE_MAX_LENGTH),
)


def _custom_target(field: CustomField) -> Target:
    return Target(
        f"{CUSTOM_PREFIX}{field.key}",
        f"custom_{field.key}",
        field.label,
        kind=field.type,
        max_length=CUSTOM_TEXT_MAX_LENGTH,
        choices=tuple(field.choices or ()),
    )


def targets() -> dict[str, Target]:
    """Every field a form can ask for, by ``maps_to``: the standard ones, then the active
    custom client fields (one query)."""
    found = {target.maps_to: target for target in STANDARD_TARGETS}
    for field in CustomField.objects.filter(active=True):
        target = _custom_target(field)
        found[target.maps_to] = target
    return found


def target_choices(available: dict[str, Target] | None = None) -> list:
    """The builder's grouped choices: (group, [(maps_to, label), …])."""
    grouped: dict[str, list] = {}
    for target in (available or targets()).values():
        grouped.setdefault(target.group, []).append((target.maps_to, target.label))
    return list(grouped.items())


# --- The public form ----------------------------------------------------------------


def clean_website(value: str) -> str:
    """A website or domain as typed (``https://www.acme.com/about``) → ``acme.com``."""
    if not value:
        return ""
    if "@" in value or " " in value.strip():
        raise ValidationError("Enter a website like acme.com or https://www.acme.com.")
    domain = normalize_domain(value)
    try:
        DOMAIN_FIELD.run_validators(domain)
    except ValidationError:
        raise ValidationError("Enter a website like acme.com or https://www.acme.com.") from None
    return domain


class WebsiteField(forms.CharField):
    def clean(self, value):
        return clean_website(super().clean(value))


class PhoneField(forms.CharField):
    default_validators = [validate_phone]


class CustomValueField(forms.CharField):
    """A custom client field's value, checked by the field's own rules (``coerce``)."""

    def __init__(self, *, custom_key: str, **kwargs):
        self.custom_key = custom_key
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        definition = CustomField.objects.filter(key=self.custom_key, active=True).first()
        if not value or definition is None:
            return value
        coerced = definition.coerce(value)
        return "" if coerced is None else str(coerced)


def _text_input(target: Target, **attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"maxlength": target.max_length, **attrs})


def form_field(target: Target, *, label: str, required: bool) -> forms.Field:
    """The Django field that asks for ``target`` on the public page."""
    common = {"label": label, "required": required}
    match target.kind:
        case "email":
            return forms.EmailField(
                max_length=target.max_length,
                widget=forms.EmailInput(attrs={"autocomplete": "email"}),
                error_messages={"invalid": "Enter an email address like ana@example.com."},
                **common,
            )
        case "phone":
            return PhoneField(
                max_length=target.max_length,
                widget=_text_input(target, type="tel", autocomplete="tel"),
                **common,
            )
        case "website":
            return WebsiteField(
                max_length=target.max_length,
                widget=_text_input(target, inputmode="url", placeholder="acme.com"),
                **common,
            )
        case "country":
            return forms.ChoiceField(
                choices=[("", "Choose a country…"), *countries],
                error_messages={"invalid_choice": "Pick a country from the list."},
                **common,
            )
        case "size":
            sizes = [(value, label) for value, label in Client.Size.choices if value]
            return forms.ChoiceField(
                choices=[("", "Choose…"), *sizes],
                error_messages={"invalid_choice": "Pick a company size from the list."},
                **common,
            )
        case "message":
            return forms.CharField(
                max_length=target.max_length,
                widget=forms.Textarea(attrs={"rows": 4, "maxlength": target.max_length}),
                **common,
            )
        case "choice":
            return forms.ChoiceField(
                choices=[("", "Choose…"), *((choice, choice) for choice in target.choices)],
                **common,
            )
    custom_key = target.maps_to.removeprefix(CUSTOM_PREFIX)
    if target.maps_to.startswith(CUSTOM_PREFIX):
        return CustomValueField(
            custom_key=custom_key,
            max_length=target.max_length,
            widget=_text_input(target, type="date" if target.kind == "date" else "text"),
            **common,
        )
    return forms.CharField(max_length=target.max_length, widget=_text_input(target), **common)


class LeadForm(forms.Form):
    """The public form of ``webform``: its fields in order, the consent box, and the
    hidden tracking inputs and honeypot (which the public view reads, not the service)."""

    def __init__(self, webform, *args, available: dict[str, Target] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.webform = webform
        available = available or targets()
        self.targets: dict[str, Target] = {}
        for spec in webform.fields or ():
            target = available.get(spec.get("maps_to"))
            if target is None:  # a custom field switched off since: no longer asked
                continue
            self.targets[target.name] = target
            self.fields[target.name] = form_field(
                target, label=spec.get("label") or target.label, required=bool(spec.get("required"))
            )
        if webform.consent_text:
            self.fields[CONSENT] = forms.BooleanField(
                label=webform.consent_text,
                required=webform.consent_required,
                error_messages={"required": "Tick the box to agree, or we cannot take this."},
            )

    def submitted(self) -> dict[str, str]:
        """The cleaned values of the form's own fields (text), for ``submit_form``."""
        values = {name: self.cleaned_data.get(name) or "" for name in self.targets}
        if CONSENT in self.fields:
            values[CONSENT] = "on" if self.cleaned_data.get(CONSENT) else ""
        return values

    def values_by_target(self) -> dict[str, str]:
        """The cleaned values by ``maps_to`` (blank ones left out)."""
        return {
            target.maps_to: str(self.cleaned_data[name]).strip()
            for name, target in self.targets.items()
            if self.cleaned_data.get(name) not in (None, "")
        }

    @property
    def consented(self) -> bool:
        return bool(self.cleaned_data.get(CONSENT))
