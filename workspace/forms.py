"""Glue between Django forms and the services (DESIGN §3)."""

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting


def call_service(form: forms.Form, service: Callable[[], object]):
    """Run a service for a valid form; put its ValidationError on the form.

    Returns the service's result, or None when it refused (the form then has
    errors a person can read and act on, and nothing was saved).
    """
    try:
        return service()
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            form.add_error(None, error)
        return None


class BootstrapFormRenderer(TemplatesSetting):
    """Every Django form renders with Bootstrap markup (templates/forms/)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
