"""One row of a file → the values to import, checked as the records' models check them.

The checks are the models' own field validators (``clean_fields``), so a row
the preview accepts is a row the services accept, with the same messages; each
message names the file's column.
"""

import re
from dataclasses import dataclass, field
from functools import cache

from django.core.exceptions import ValidationError
from django_countries import countries

from integrations.imports.models import ImportRun
from records.models import Client, Contact
from records.selectors.duplicates import normalize_domain, phone_digits

Kind = ImportRun.Kind
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SPLIT = re.compile(r"\s*[,;\n]\s*")
LIFECYCLES = {
    text.lower(): value for value, label in Client.Lifecycle.choices for text in (value, label)
}
# model field a value is checked as → the import field it came from
CHECKED_AS = {
    Kind.CLIENTS: {
        "name": "name",
        "domain": "domain",
        "phone": "phone",
        "industry": "industry",
        "address": "address",
        "tags": "tags",
        "lifecycle": "lifecycle",
    },
    Kind.CONTACTS: {
        "name": "name",
        "emails": "email",
        "phones": "phone",
        "title": "title",
        "notes": "notes",
    },
}


@dataclass
class Row:
    number: int
    values: dict = field(default_factory=dict)  # model field → value, only mapped non-blank
    company: dict = field(default_factory=dict)  # contacts: the client's name and domain
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)

    @property
    def ok(self) -> bool:
        return not self.errors

    def reason(self) -> str:
        return "; ".join(f"{column}: {message}" for column, message in self.errors)


def parse(kind: str, mapping: dict[str, str], cells: dict[str, str], number: int) -> Row:
    """The row's values by model field, and its errors by column."""
    columns = {f: header for header, f in mapping.items() if f}
    given = {f: unquote(cells.get(header, "").strip()) for f, header in columns.items()}
    row = Row(number=number)
    if kind == Kind.CLIENTS:
        row.values = _client_values(given, row, columns)
        instance = Client(**{k: v for k, v in row.values.items()})
    else:
        row.values = _contact_values(given)
        row.company = {
            "name": " ".join(given.get("company", "").split()),
            "domain": normalize_domain(given.get("company_domain", "")),
        }
        if not row.company["name"]:
            row.errors.append((columns.get("company", "Company"), "The company is missing."))
        instance = Contact(**row.values)
    _check(instance, kind, row, columns)
    return row


@cache
def country_codes() -> frozenset[str]:
    """The codes ``Client.country`` accepts (checked here, once: the model's own choice check
    walks all 250 countries for every row)."""
    return frozenset(code for code, _ in countries)


def unquote(text: str) -> str:
    """A cell as typed: without the apostrophe exports put before what a spreadsheet would
    run as a formula (workspace.spreadsheets.cell), so an exported phone "+49…" reads back."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_STARTS else text


def _client_values(given: dict, row: Row, columns: dict) -> dict:
    values = {}
    for name in ("name", "industry", "address", "phone"):
        if given.get(name):
            values[name] = given[name]
    if given.get("domain"):
        values["domain"] = normalize_domain(given["domain"])
    if given.get("tags"):
        values["tags"] = [tag for tag in SPLIT.split(given["tags"]) if tag]
    if given.get("country"):
        text = given["country"]
        code = text.upper() if len(text) == 2 else countries.by_name(text)
        if code and code in country_codes():
            values["country"] = code
        else:
            row.errors.append((columns["country"], f"“{text}” is not a country we know."))
    if given.get("lifecycle"):
        value = LIFECYCLES.get(given["lifecycle"].lower())
        if value:
            values["lifecycle"] = value
        else:
            row.errors.append(
                (columns["lifecycle"], f"Use one of: {', '.join(Client.Lifecycle.labels)}.")
            )
    return values


def _contact_values(given: dict) -> dict:
    values = {}
    for name in ("name", "title", "notes"):
        if given.get(name):
            values[name] = given[name]
    if given.get("email"):
        values["emails"] = [e.lower() for e in SPLIT.split(given["email"]) if e]
    if given.get("phone"):
        values["phones"] = [p for p in SPLIT.split(given["phone"]) if p]
    return values


def _check(instance, kind: str, row: Row, columns: dict) -> None:
    """The model's field validators, each message put on the column it came from."""
    checked = CHECKED_AS[kind]
    exclude = [f.name for f in type(instance)._meta.fields if f.name not in checked]
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            source = checked.get(name, name)
            column = columns.get(source, source.capitalize())
            if name == "name" and not row.values.get("name"):
                messages = ["The name is missing."]
            row.errors.extend((column, message) for message in messages)
    if not row.errors:
        row.values.update(
            {name: getattr(instance, name) for name in row.values if hasattr(instance, name)}
        )


def digits_of(phones) -> list[str]:
    return [d for d in (phone_digits(p) for p in phones) if len(d) >= 6]
