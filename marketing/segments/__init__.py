"""Segments: a definition (and/or groups of conditions) compiled to a query of clients and contacts.

A definition::

    {"match": "all" | "any",
     "groups": [{"match": "all" | "any",
                 "conditions": [{"field": "lifecycle", "op": "is", "value": "lead"}, …]}, …]}

Every field is declared once in the catalog (:data:`FIELDS`, plus the active
custom client fields), with its label, its operators and the kind of value each
operator takes — the builder page is generated from it, and
:func:`validate_definition` checks a definition against it.

A field is about a client (lifecycle, tags, open deals…) or a contact (has an
email, title, consent, campaign engagement). Each condition compiles to a
``Q`` in a :class:`Scope`: on the clients list a client condition is plain and
a contact condition becomes "one of its contacts matches" (``Exists``); on the
contacts list a client condition goes through ``contact.client``. Archived and
merged clients (and their contacts) never match. A definition with no
conditions matches every live client and contact.

Tags are JSON lists: containment on PostgreSQL, a quoted-text match on SQLite
(as records' TagFilter does). A contact's email for consent and suppression is
its first (primary) address, as the campaigns send to.

Modules: ``fields`` (the catalog, values and scopes), ``definitions`` (validate,
compile, count, preview, describe) and ``lists`` (the filter on records' lists and
the live topic).
"""

from marketing.segments.definitions import (
    PREVIEW_SIZE,
    PreviewRow,
    SegmentCount,
    clients_matching,
    clients_of,
    compile_definition,
    contacts_matching,
    contacts_of,
    count,
    count_of,
    describe,
    preview,
    preview_of,
    segment_q,
    validate_definition,
)
from marketing.segments.fields import (
    CLIENTS,
    CONTACTS,
    MATCHES,
    MAX_CONDITIONS,
    MAX_GROUPS,
    NONE,
    Op,
    Scope,
    SegmentField,
    catalog,
)
from marketing.segments.lists import TOPIC, SegmentFilter, load

__all__ = [
    "CLIENTS",
    "CONTACTS",
    "MATCHES",
    "MAX_CONDITIONS",
    "MAX_GROUPS",
    "NONE",
    "PREVIEW_SIZE",
    "TOPIC",
    "Op",
    "PreviewRow",
    "Scope",
    "SegmentCount",
    "SegmentField",
    "SegmentFilter",
    "catalog",
    "clients_matching",
    "clients_of",
    "compile_definition",
    "contacts_matching",
    "contacts_of",
    "count",
    "count_of",
    "describe",
    "load",
    "preview",
    "preview_of",
    "segment_q",
    "validate_definition",
]
