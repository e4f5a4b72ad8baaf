"""What a column can be imported into, guessing it from the header, and saved mappings."""

import hashlib
import re

from django.utils import timezone

from integrations.imports.models import ImportMapping, ImportRun

Kind = ImportRun.Kind

# field → (label, header spellings that mean it, normalized: lowercase letters and digits)
FIELDS = {
    Kind.CLIENTS: {
        "name": (
            "Name",
            [
                "name",
                "company",
                "companyname",
                "client",
                "organisation",
                "organization",
                "account",
                "accountname",
                "firma",
            ],
        ),
        "domain": ("Website / domain", ["domain", "website", "web", "url", "site", "homepage"]),
        "phone": ("Phone", ["phone", "telephone", "tel", "phonenumber", "mainphone"]),
        "industry": ("Industry", ["industry", "sector", "branche"]),
        "country": ("Country", ["country", "countrycode", "land"]),
        "address": ("Address", ["address", "street", "postaladdress", "adresse"]),
        "tags": ("Tags", ["tags", "tag", "labels"]),
        "lifecycle": ("Lifecycle", ["lifecycle", "stage", "status", "lifecyclestage"]),
    },
    Kind.CONTACTS: {
        "name": ("Name", ["name", "fullname", "contact", "contactname", "person", "fn"]),
        "email": ("E-mail", ["email", "emailaddress", "mail", "emails"]),
        "phone": ("Phone", ["phone", "telephone", "tel", "mobile", "phonenumber", "phones"]),
        "title": ("Job title", ["title", "jobtitle", "position", "role"]),
        "company": (
            "Company",
            ["company", "companyname", "client", "organisation", "organization", "account", "org"],
        ),
        "company_domain": (
            "Company website",
            ["website", "domain", "url", "companywebsite", "companydomain", "web"],
        ),
        "notes": ("Notes", ["notes", "note", "comment", "comments"]),
    },
}
REQUIRED = {Kind.CLIENTS: {"name"}, Kind.CONTACTS: {"name", "company"}}


def field_choices(kind: str) -> list[tuple[str, str]]:
    return [("", "Do not import")] + [(key, label) for key, (label, _) in FIELDS[kind].items()]


def label_of(kind: str, field: str) -> str:
    return FIELDS[kind][field][0]


def _spelling(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def guess(kind: str, headers: list[str]) -> dict[str, str]:
    """Header → field for the headers that name a field ("E-mail", "Company", "Website"…);
    each field taken once, by the first header that names it."""
    mapping, taken = {}, set()
    for header in headers:
        spelling = _spelling(header)
        for field, (label, spellings) in FIELDS[kind].items():
            if field not in taken and (spelling in spellings or spelling == _spelling(label)):
                mapping[header] = field
                taken.add(field)
                break
    return mapping


def header_key(headers: list[str]) -> str:
    normalized = "\n".join(sorted(_spelling(header) for header in headers))
    return hashlib.sha256(normalized.encode()).hexdigest()


def suggested(user, kind: str, headers: list[str]) -> dict[str, str]:
    """The mapping this person saved for these headers, else the guess."""
    saved = ImportMapping.objects.filter(user=user, kind=kind, header_key=header_key(headers))
    saved = saved.values_list("mapping", flat=True).first()
    if saved is not None:
        return {header: field for header, field in saved.items() if header in headers}
    return guess(kind, headers)


def save(user, kind: str, headers: list[str], mapping: dict[str, str]) -> None:
    ImportMapping.objects.update_or_create(
        user=user,
        kind=kind,
        header_key=header_key(headers),
        defaults={"mapping": mapping, "updated_at": timezone.now()},
    )


def check(kind: str, mapping: dict[str, str]) -> list[str]:
    """What is wrong with a mapping: a field mapped twice, a required field missing."""
    problems = []
    chosen = [field for field in mapping.values() if field]
    for field in sorted({f for f in chosen if chosen.count(f) > 1}):
        problems.append(f"{label_of(kind, field)} is chosen for more than one column.")
    for field in sorted(REQUIRED[kind] - set(chosen)):
        problems.append(f"Choose the column that holds the {label_of(kind, field).lower()}.")
    return problems
