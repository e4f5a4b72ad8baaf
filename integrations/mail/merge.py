"""Merge fields in mail and snippets: ``{{ contact.first_name }}`` filled when a mail is sent.

Only the fields below exist; anything else between ``{{ }}`` is refused with an
error naming it, so a typo never reaches a client as ``{{ contatc.name }}``.
A field is filled from what the mail is written about: the first contact it is
addressed to, the client, the sender (``me``), and the deal or ticket it was
written from. A field whose source is missing (``{{ deal.title }}`` on a mail
written from the client page) is refused too, with what it needs.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

FIELD = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def _first_word(name: str) -> str:
    return name.split()[0] if name.strip() else ""


# name → (the source it is read from, how it is read)
FIELDS: dict[str, tuple[str, Callable]] = {
    "contact.first_name": ("contact", lambda c: _first_word(c.name)),
    "contact.name": ("contact", lambda c: c.name),
    "client.name": ("client", lambda c: c.name),
    "me.name": ("me", lambda u: u.full_name),
    "me.first_name": ("me", lambda u: u.get_short_name()),
    "me.email": ("me", lambda u: u.email),
    "deal.title": ("deal", lambda d: d.title),
    "ticket.subject": ("ticket", lambda t: t.subject),
    "ticket.id": ("ticket", lambda t: str(t.pk)),
}

NEEDS = {
    "contact": "a contact among the recipients",
    "client": "a client",
    "me": "a sender",
    "deal": "a deal: write from the deal's page",
    "ticket": "a ticket: write from the ticket's page",
}


@dataclass(frozen=True)
class Sources:
    """What the fields of one mail are filled from (any of them may be missing)."""

    me: object = None
    client: object = None
    contact: object = None
    deal: object = None
    ticket: object = None


def known_fields() -> str:
    return ", ".join(f"{{{{ {name} }}}}" for name in FIELDS)


def unknown_fields(text: str) -> list[str]:
    """The names between ``{{ }}`` in ``text`` that are not merge fields, in order."""
    return list(dict.fromkeys(n for n in FIELD.findall(text or "") if n not in FIELDS))


def check(**texts: str) -> None:
    """Refuse texts (by form field name) that use unknown merge fields, naming them."""
    errors = {}
    for field, text in texts.items():
        unknown = unknown_fields(text)
        if unknown:
            names = ", ".join(f"{{{{ {name} }}}}" for name in unknown)
            errors[field] = f"Unknown merge field {names}. The merge fields are: {known_fields()}."
    if errors:
        raise ValidationError(errors)


def fill(text: str, sources: Sources, *, field: str) -> str:
    """``text`` with its merge fields filled from ``sources``; a ValidationError on
    ``field`` names an unknown field or one whose source is missing."""
    check(**{field: text})
    missing = []

    def value(match: re.Match) -> str:
        source_name, read = FIELDS[match.group(1)]
        source = getattr(sources, source_name)
        if source is None:
            missing.append(match.group(0))
            return match.group(0)
        return read(source)

    filled = FIELD.sub(value, text or "")
    if missing:
        needs = {NEEDS[FIELDS[FIELD.match(name).group(1)][0]] for name in missing}
        raise ValidationError(
            {field: f"{', '.join(dict.fromkeys(missing))} needs {'; '.join(sorted(needs))}."}
        )
    return filled
