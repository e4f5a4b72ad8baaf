"""Likely duplicates of a client or contact being typed (or of an existing client).

A match is the same domain, the same phone (in E.164: "+49 30 1234567" and
"030 1234567" typed for a German client are one number), the same contact
email, or a close name. Names are compared normalized (lowercase, no
punctuation, no legal suffixes such as GmbH, Inc or Ltd). To stay cheap on a
large book, close names are looked for only among a bounded candidate set
read through an indexable prefix filter (the first letters of the name),
then ranked with ``difflib`` in Python.
"""

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.core.exceptions import ValidationError
from django.db.models import Q

from records.models import Client, Contact
from records.models.values import normalize_phone
from records.selectors.contact_points import contacts_with_phone

LEGAL_SUFFIXES = frozenset(
    [
        "ab",
        "ag",
        "bv",
        "co",
        "company",
        "corp",
        "corporation",
        "gmbh",
        "inc",
        "incorporated",
        "kg",
        "limited",
        "llc",
        "llp",
        "ltd",
        "nv",
        "oy",
        "plc",
        "pty",
        "sa",
        "sarl",
        "sas",
        "se",
        "spa",
        "srl",
        "ug",
    ]
)
MIN_NAME_LENGTH = 3
MIN_PHONE_DIGITS = 6
PREFIX_LENGTH = 3
CANDIDATES = 200
CLOSE_RATIO = 0.85
MAX_HINTS = 5
CONTACT_HINT_FIELDS = ("id", "name", "emails", "client__id", "client__name")


@dataclass
class Duplicate:
    """An existing record that may be the one being typed, and why we think so."""

    record: Client | Contact
    reasons: list[str] = field(default_factory=list)

    @property
    def is_client(self) -> bool:
        return isinstance(self.record, Client)

    @property
    def client_pk(self) -> int:
        """The client whose page shows the record."""
        return self.record.pk if self.is_client else self.record.client_id


def normalize_name(name: str) -> str:
    """``"ACME, Inc."`` → ``"acme"``: lowercase words without punctuation or legal suffixes."""
    joined = (name or "").lower().replace(".", "")  # "B.V." is "bv"
    words = re.sub(r"[\W_]+", " ", joined).split()
    kept = [word for word in words if word not in LEGAL_SUFFIXES]
    return " ".join(kept or words)


def normalize_domain(text: str) -> str:
    """``"https://www.Acme.com/about"`` → ``"acme.com"``; an email gives its domain."""
    text = (text or "").strip().lower()
    text = text.rsplit("@", 1)[-1]
    text = re.sub(r"^[a-z]+://", "", text).split("/", 1)[0].split(":", 1)[0]
    return text.removeprefix("www.")


def phone_digits(text: str) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


def typed_phone(text: str, region: str | None = None) -> str:
    """The E.164 form of a number being typed, or "" while it is not one (yet)."""
    if len(phone_digits(text)) < MIN_PHONE_DIGITS:
        return ""
    try:
        return normalize_phone(text, region)
    except ValidationError:
        return ""


def close_names(name: str, candidates, *, exclude_pk=None) -> list:
    """Those of ``candidates`` (objects with ``.name``) whose normalized name is close to
    ``name``: it starts with what was typed, or they are at least CLOSE_RATIO alike."""
    typed = normalize_name(name)
    if len(typed) < MIN_NAME_LENGTH:
        return []
    scored = []
    for candidate in candidates:
        if candidate.pk == exclude_pk:
            continue
        theirs = normalize_name(candidate.name)
        ratio = SequenceMatcher(None, typed, theirs).ratio()
        if theirs.startswith(typed) or typed.startswith(theirs) or ratio >= CLOSE_RATIO:
            scored.append((-ratio, candidate.name, candidate))
    return [candidate for *_, candidate in sorted(scored, key=lambda row: row[:2])]


def _name_prefix(name: str) -> str:
    typed = normalize_name(name)
    return typed[:PREFIX_LENGTH] if len(typed) >= MIN_NAME_LENGTH else ""


class _Hints:
    """Collects matches in order, one entry per record with all its reasons."""

    def __init__(self):
        self.found: dict[tuple[str, int], Duplicate] = {}

    def add(self, records, reason: str) -> None:
        for record in records:
            key = (type(record).__name__, record.pk)
            duplicate = self.found.setdefault(key, Duplicate(record))
            if reason not in duplicate.reasons:
                duplicate.reasons.append(reason)

    def result(self) -> list[Duplicate]:
        return list(self.found.values())[:MAX_HINTS]


def _live_clients():
    return Client.objects.filter(merged_into__isnull=True).only(
        "pk", "name", "domain", "phone", "archived"
    )


def client_duplicates(
    *,
    name: str = "",
    domain: str = "",
    phone: str = "",
    country: str = "",
    exclude_pk: int | None = None,
) -> list[Duplicate]:
    """Clients (not merged away) that look like the client described, best first. A
    national ``phone`` is read in ``country`` (else the default region)."""
    hints = _Hints()
    clients = _live_clients().exclude(pk=exclude_pk) if exclude_pk else _live_clients()
    domain = normalize_domain(domain)
    if "." in domain:
        hints.add(clients.filter(domain=domain)[:MAX_HINTS], f"same domain {domain}")
    number = typed_phone(phone, country)
    if number:
        hints.add(clients.filter(phone=number)[:MAX_HINTS], "same phone")
    prefix = _name_prefix(name)
    if prefix:
        candidates = clients.filter(name__istartswith=prefix).order_by("name")[:CANDIDATES]
        hints.add(close_names(name, candidates)[:MAX_HINTS], "similar name")
    return hints.result()


def contact_duplicates(*, client: Client, name: str = "", emails=(), phones=()) -> list[Duplicate]:
    """Contacts anywhere with one of these emails or phones, and close names at ``client``."""
    hints = _Hints()
    contacts = Contact.objects.select_related("client").only(*CONTACT_HINT_FIELDS)
    for email in emails:
        email = email.strip().lower()
        if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            same = contacts.filter(emails__icontains=f'"{email}"')[:MAX_HINTS]
            hints.add(same, f"same email {email}")
    region = client.country if client else None
    for phone in phones:
        number = typed_phone(phone, region)
        if number:
            same = contacts_with_phone(number).only(*CONTACT_HINT_FIELDS)
            hints.add(same[:MAX_HINTS], "same phone")
    if _name_prefix(name):
        hints.add(close_names(name, contacts.filter(client=client)[:CANDIDATES]), "similar name")
    return hints.result()


def client_search(query: str, *, exclude_pk: int, limit: int = 8):
    """Clients to merge with: a name or domain containing ``query``."""
    query = " ".join(query.split())[:100]
    if not query:
        return []
    matches = Q(name__icontains=query) | Q(domain__icontains=query)
    return list(_live_clients().exclude(pk=exclude_pk).filter(matches).order_by("name")[:limit])
