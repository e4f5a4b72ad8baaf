"""Live values of record fields: every page showing a field swaps its value element.

The element is ``#field-<model>-<pk>-<field>-value`` from the ``value`` partial of
templates/records/fields.html, the same one ``{% field_editor %}`` and
``{% field_value %}`` draw, so a page and an event can never disagree.
"""

from records.fragments import fragment, renders
from records.selectors.fields import custom_definitions, field_view, load_record
from records.services.base import CUSTOM_PREFIX

# Events that change a field not named in their payload: kind -> fields to redraw.
IMPLIED_FIELDS = {
    "deal.moved": ("stage",),
    "deal.won": ("stage",),
    "deal.lost": ("stage",),
    "ticket.status": ("status",),
}


def _values(name: str, pk: int, fields) -> str:
    obj = load_record(name, pk)
    if obj is None:
        return ""
    definitions = custom_definitions() if any(f.startswith(CUSTOM_PREFIX) for f in fields) else None
    views = [field_view(obj, field, definitions) for field in fields]
    return "".join(fragment("records/fields.html#value", {"v": v, "oob": True}) for v in views)


@renders("client.updated", "contact.updated", "deal.updated", "ticket.updated", "task.updated")
def updated_value(kind: str, payload: dict) -> str:
    return _values(kind.split(".")[0], payload["id"], [payload["field"]])


@renders(*IMPLIED_FIELDS)
def implied_value(kind: str, payload: dict) -> str:
    return _values(kind.split(".")[0], payload["id"], IMPLIED_FIELDS[kind])
