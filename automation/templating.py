"""Placeholders in the texts a rule writes: task titles, notes, notifications, posts.

A text names what it is about in single braces: ``Onboard {client.name}``,
``{ticket.subject} is urgent``, ``Assigned by {rule.name}``. Which placeholders a rule
may use depends on its trigger's record (a deal trigger has ``{deal.…}`` and
``{client.…}``; a schedule has none but ``{rule.name}``), and anything else in braces
is refused when the rule is saved, naming it, so a typo never reaches a person as
``{cleint.name}``. A value missing at run time (a ticket nobody is assigned to) is
written as an empty text. Custom client fields are ``{client.custom.<key>}``.
"""

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError

from automation import assignment
from automation.context import RunContext
from records.models import CustomField
from records.services.deals import money_text
from records.services.reminders import local_due

PLACEHOLDER = re.compile(r"\{\s*([^{}\s]*)\s*\}")
CUSTOM = "client.custom."


def _name(person) -> str:
    return person.full_name if person else ""


# source → {field → how it is read from the source}
FIELDS: dict[str, dict[str, Callable]] = {
    "client": {
        "name": lambda c: c.name,
        "country": lambda c: c.country,
        "owner": lambda c: _name(c.owner),
    },
    "contact": {"name": lambda c: c.name, "email": lambda c: c.emails[0] if c.emails else ""},
    "deal": {
        "title": lambda d: d.title,
        "amount": lambda d: money_text(d.amount, d.currency),
        "stage": lambda d: d.stage.name,
        "owner": lambda d: _name(d.owner),
    },
    "ticket": {
        "subject": lambda t: t.subject,
        "id": lambda t: str(t.pk),
        "priority": lambda t: t.get_priority_display(),
        "status": lambda t: t.get_status_display(),
    },
    "task": {
        "title": lambda t: t.title,
        "due": lambda t: local_due(t) if t.due_at else "",
        "assignee": lambda t: _name(t.assignee),
    },
    "handoff": {
        "note": lambda h: h.note,
        "department": lambda h: h.to_department.name,
        "from": lambda h: _name(h.from_user),
    },
    "owner": {"name": lambda u: u.full_name, "email": lambda u: u.email},
    "rule": {"name": lambda r: r.name},
}

# The sources a trigger's record brings (besides the rule, always there).
SOURCES_BY_SUBJECT = {
    "client": ("client", "owner"),
    "contact": ("contact", "client", "owner"),
    "deal": ("deal", "client", "owner"),
    "ticket": ("ticket", "client", "owner"),
    "task": ("task", "client", "owner"),
    "handoff": ("handoff", "client", "owner"),
    "": (),
}


def placeholders(subject_type: str | None) -> list[str]:
    """Every placeholder a rule about ``subject_type`` may use (None: any record), for the
    form's help text; custom client fields come on top as ``{client.custom.<key>}``."""
    return [
        f"{{{source}.{field}}}" for source in _sources(subject_type) for field in FIELDS[source]
    ]


def check(text, subject_type: str | None, *, required: bool = True, max_length: int = 1000):
    """``text`` stripped, or a ValidationError naming each unknown placeholder."""
    if not isinstance(text, str):
        raise ValidationError("Write a text.")
    text = text.strip()
    if required and not text:
        raise ValidationError("Write a text.")
    if len(text) > max_length:
        raise ValidationError(f"Keep the text under {max_length} characters.")
    unknown = [name for name in PLACEHOLDER.findall(text) if not _known(name, subject_type)]
    if unknown:
        names = ", ".join(f"{{{name}}}" for name in dict.fromkeys(unknown))
        known = ", ".join(placeholders(subject_type))
        raise ValidationError(f"Unknown placeholder {names}. This rule can use: {known}.")
    return text


def render(text: str, ctx: RunContext) -> str:
    """``text`` with its placeholders filled from the run (empty where a value is missing)."""
    sources = _values(ctx)

    def fill(match: re.Match) -> str:
        return _read(match.group(1), sources)

    return PLACEHOLDER.sub(fill, text or "")


def _sources(subject_type: str | None) -> tuple[str, ...]:
    found = SOURCES_BY_SUBJECT.get(subject_type) if subject_type is not None else None
    if found is None:  # a trigger not known yet: its own check names it
        found = tuple(source for source in FIELDS if source != "rule")
    return (*found, "rule")


def _known(name: str, subject_type: str | None) -> bool:
    if name.startswith(CUSTOM):
        key = name.removeprefix(CUSTOM)
        return "client" in _sources(subject_type) and (
            CustomField.objects.filter(key=key, active=True).exists()
        )
    source, _, field = name.partition(".")
    return source in _sources(subject_type) and field in FIELDS[source]


def _values(ctx: RunContext) -> dict:
    return {
        ctx.subject_type: ctx.subject,
        "client": ctx.client,
        "owner": assignment.subject_owner(ctx.subject_type, ctx.subject),
        "rule": ctx.rule,
    }


def _read(name: str, sources: dict) -> str:
    if name.startswith(CUSTOM):
        client = sources.get("client")
        value = client.custom_values.get(name.removeprefix(CUSTOM)) if client else None
        return "" if value is None else str(value)
    source_name, _, field = name.partition(".")
    source = sources.get(source_name)
    read = FIELDS.get(source_name, {}).get(field)
    if source is None or read is None:
        return ""
    return str(read(source) or "")
