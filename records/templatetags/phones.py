"""``{{ number|phone }}``: a stored E.164 number as people read it, "+49 30 1234567"."""

from django import template

from records.models.values import format_phone

register = template.Library()


@register.filter
def phone(value) -> str:
    """Anything that is not a number (a legacy value left as typed) is shown unchanged."""
    return format_phone(str(value)) if value else ""
