"""The triggers a rule can start from. (Foundation stub: helper C builds this module.)"""

from django.core.exceptions import ValidationError


def clean_options(trigger: str, options: dict) -> dict:
    raise ValidationError(f"Unknown trigger {trigger!r}.")
