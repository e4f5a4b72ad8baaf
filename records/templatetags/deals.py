"""Template filters of the deal pages: ``{% load deals %}``."""

from decimal import Decimal

from django import template

register = template.Library()

UNITS = ((Decimal(1_000_000_000), "B"), (Decimal(1_000_000), "M"), (Decimal(1_000), "k"))


@register.filter
def short_amount(value) -> str:
    """12,500 → "12.5k", 1,250,000 → "1.25M", 950 → "950": column totals fit on one line."""
    amount = Decimal(value or 0)
    for size, unit in UNITS:
        if abs(amount) >= size:
            scaled = (amount / size).quantize(Decimal("0.01")).normalize()
            return f"{scaled:f}{unit}"
    return f"{amount.quantize(Decimal(1)):f}"
