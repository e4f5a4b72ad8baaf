"""Global search (the top bar): clients, contacts, deals and tickets, plus people.

On PostgreSQL each kind of record is matched with full-text search: a
``to_tsvector('simple', …)`` of its searchable columns, backed by a GIN
expression index (migration ``records/0004_search_index``), against a prefix
``to_tsquery`` so results come while the person is still typing a word. The
vectors below and the indexed expressions must stay identical, or the planner
stops using the index (tests/records/test_search.py checks with EXPLAIN).
Elsewhere (SQLite, the embedded default) every word must appear, case
insensitively, in one of the same columns.

The query is never passed through as tsquery syntax: it is cut into words of
letters and digits (dots and hyphens inside a word kept, so a domain stays one
word), each quoted and given the ``:*`` prefix marker. Emails are indexed and
searched as their two halves (``jo``, ``acme.example``), so a company's name
finds its contacts and a whole email still finds its owner.

Ranking rebuilds each row's vector from its columns (the index only finds
rows), so ranking every match of a common word ("summit": 5,000 contacts of a
big book) took 100 ms. Only the first ``CANDIDATES`` matches the index yields
are ranked, in no particular order: sorting all matches first (by name, say)
costs as much as ranking them. A group shows at most ``PER_GROUP`` anyway;
its "all results" link (the list page with ``?q=``) has every match.
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Cast, Replace

from accounts.selectors import people_matching
from records.models import Client, Contact, Deal, Ticket

MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
MAX_WORD_LENGTH = 60
PER_GROUP = 8
CANDIDATES = 500  # matches ranked per group (see the module docstring)
WORD = re.compile(r"[^\W_]+(?:[.-][^\W_]+)*")
CONFIG = "simple"  # no stemming or stop words: names, domains and emails are not prose

# Searchable columns per model; the same tuples build the indexes in migration 0004.
CLIENT_FIELDS = ("name", "domain", "industry")
CONTACT_FIELDS = ("name", "title", "emails")
DEAL_FIELDS = ("title",)
TICKET_FIELDS = ("subject",)


def _searchable_text(field: str):
    if field == "emails":
        return Replace(
            Cast("emails", TextField()), Value("@"), Value(" "), output_field=TextField()
        )
    return field


def search_vector(fields: tuple[str, ...]) -> SearchVector:
    return SearchVector(*map(_searchable_text, fields), config=CONFIG)


@dataclass
class Group:
    """One kind of result: up to PER_GROUP items, and whether there are more."""

    name: str
    label: str
    icon: str
    list_url_name: str  # the page listing all of them, which takes ?q=
    items: list
    has_more: bool

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class Searchable:
    name: str
    label: str
    icon: str
    list_url_name: str
    fields: tuple[str, ...]
    order: tuple[str, ...]

    def queryset(self) -> QuerySet:
        match self.name:
            case "clients":
                return Client.objects.filter(merged_into__isnull=True)
            case "contacts":
                return Contact.objects.select_related("client")
            case "deals":
                return Deal.objects.select_related("client", "stage")
        return Ticket.objects.select_related("client")


SEARCHABLES = (
    Searchable("clients", "Clients", "building", "records:client_list", CLIENT_FIELDS, ("name",)),
    Searchable(
        "contacts", "Contacts", "person-vcard", "records:contact_list", CONTACT_FIELDS, ("name",)
    ),
    Searchable("deals", "Deals", "briefcase", "records:deal_list", DEAL_FIELDS, ("-updated_at",)),
    Searchable(
        "tickets",
        "Tickets",
        "life-preserver",
        "records:ticket_list",
        TICKET_FIELDS,
        ("-created_at",),
    ),
)

# People are searched by accounts' own selector (a small table: no full-text index).
PEOPLE = Searchable("people", "People", "people", "team", (), ())


def search_words(query: str) -> list[str]:
    """The words of ``query`` worth searching for (lowercase; punctuation dropped)."""
    words = WORD.findall((query or "")[:MAX_QUERY_LENGTH].lower())
    return [word[:MAX_WORD_LENGTH] for word in words][:MAX_WORDS]


def prefix_tsquery(words: list[str]) -> str:
    """``["acme", "gm"]`` → ``'acme':* & 'gm':*`` — every word, each as a prefix."""
    return " & ".join(f"'{word}':*" for word in words)


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def matching(searchable: Searchable, words: list[str]) -> QuerySet:
    """``searchable``'s records matching every word, best first (on PostgreSQL, of CANDIDATES)."""
    queryset = searchable.queryset()
    if uses_full_text():
        vector = search_vector(searchable.fields)
        query = SearchQuery(prefix_tsquery(words), search_type="raw", config=CONFIG)
        candidates = (
            queryset.annotate(search=vector)
            .filter(search=query)
            .order_by()  # any matches: see the module docstring
            .values("pk")[:CANDIDATES]
        )
        return (
            queryset.filter(pk__in=Subquery(candidates))
            .annotate(rank=SearchRank(vector, query))
            .order_by("-rank", *searchable.order, "pk")
        )
    for word in words:
        any_field = Q()
        for field in searchable.fields:
            any_field |= Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(any_field)
    return queryset.order_by(*searchable.order, "pk")


def _group(kind: Searchable, queryset, limit: int) -> Group:
    rows = list(queryset[: limit + 1])
    return Group(
        kind.name, kind.label, kind.icon, kind.list_url_name, rows[:limit], len(rows) > limit
    )


def search_everything(query: str, *, limit: int = PER_GROUP) -> list[Group]:
    """Every kind of result for ``query``, one query per kind; [] for nothing searchable."""
    words = search_words(query)
    if not words:
        return []
    groups = [_group(kind, matching(kind, words), limit) for kind in SEARCHABLES]
    people = people_matching(" ".join(words)).order_by("full_name")
    return [*groups, _group(PEOPLE, people, limit)]
