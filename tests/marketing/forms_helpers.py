"""Shared by the web form tests: a form built through the service, and a valid post."""

from marketing.services import forms as form_services

FIELDS = [
    {"maps_to": "contact.name", "label": "Your name", "required": True},
    {"maps_to": "contact.email", "label": "Work email", "required": True},
    {"maps_to": "contact.phone", "label": "Phone", "required": False},
    {"maps_to": "client.name", "label": "Company", "required": False},
    {"maps_to": "client.domain", "label": "Website", "required": False},
    {"maps_to": "client.industry", "label": "Industry", "required": False},
    {"maps_to": "client.country", "label": "Country", "required": False},
    {"maps_to": "message", "label": "Message", "required": False},
]


def build_form(actor, department, fallback_owner, *, rules=(), **options):
    options.setdefault("consent_text", "Send me product news.")
    options.setdefault("allowed_origins", "https://www.example.com\nhttps://shop.example.org")
    return form_services.create_form(
        actor=actor,
        name="Contact us",
        department=department,
        fallback_owner=fallback_owner,
        fields=FIELDS,
        rules=list(rules),
        **options,
    )


def lead(**values):
    data = {
        "name": "Rita Lead",
        "email": "rita@globex.example",
        "company": "Globex",
        "message": "We need 40 seats.",
    }
    data.update(values)
    return data
