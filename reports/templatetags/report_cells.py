"""Report values as text before the browser localizes them (static/js/reports.js).

The server's text is the fallback (no script, CSV readers, screen readers
before the script ran): plain digits with thousands separators, ISO dates.
"""

from datetime import date
from decimal import Decimal

from django import template
from django.utils.html import format_html

register = template.Library()


def plain_text(value, kind: str, currency: str = "") -> str:
    if value is None or value == "":
        return "—"
    match kind:
        case "money":
            return f"{Decimal(value):,.0f} {currency}".strip()
        case "percent":
            return f"{float(value):.0f} %"
        case "hours":
            return f"{float(value):,.1f} h"
        case "days":
            return f"{float(value):,.1f} d"
        case "number":
            number = float(value)
            return f"{number:,.0f}" if number == int(number) else f"{number:,.1f}"
        case "month":
            return value.strftime("%Y-%m") if isinstance(value, date) else str(value)
        case "date":
            return value.isoformat() if isinstance(value, date) else str(value)
        case _:
            return str(value)


@register.simple_tag
def report_value(value, kind: str, currency: str = ""):
    """A value in a `<data>` element the browser reformats in the viewer's locale."""
    text = plain_text(value, kind, currency)
    if value is None or value == "" or kind in ("text", "person"):
        return text
    raw = value.isoformat() if isinstance(value, date) else value
    return format_html(
        '<data value="{}" data-kind="{}" data-currency="{}">{}</data>', raw, kind, currency, text
    )


@register.filter
def cell(row: dict, key: str):
    return row.get(key)
