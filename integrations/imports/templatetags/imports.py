"""``{% row_value row field %}``: a planned row's value for an import field, as text."""

from django import template

register = template.Library()
LISTS = {"email": "emails", "phone": "phones"}  # contacts keep these as lists


@register.simple_tag
def row_value(row, field: str) -> str:
    if field in ("company", "company_domain"):
        return row.company.get(field.removeprefix("company_") if field != "company" else "name", "")
    value = row.values.get(field) or row.values.get(LISTS.get(field, ""), "")
    return ", ".join(value) if isinstance(value, list) else str(value)
