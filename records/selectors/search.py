"""Records' part of the global search (workspace/search.py): clients, contacts, deals
and tickets. The client list's own search box (records/selectors/lists.py) uses
:func:`narrow`.

On PostgreSQL each kind of record is matched with full-text search: a
``to_tsvector('simple', …)`` of its searchable columns, backed by a GIN
expression index (migration ``records/0004_search_index``), against a prefix
``to_tsquery`` so results come while the person is still typing a word. The
vectors below and the indexed expressions must stay identical, or the planner
stops using the index (tests/records/test_search.py checks with EXPLAIN).
Elsewhere (SQLite, the embedded default) every word must appear, case
insensitively, in one of the same columns, and nothing else is forgiven.

The query is never passed through as tsquery syntax: it is cut into words of
letters and digits (dots and hyphens inside a word kept, so a domain stays one
word), each quoted and given the ``:*`` prefix marker; a query without such a
word ("%", "_", punctuation) finds nothing. Emails are indexed and searched as
their two halves (``jo``, ``acme.example``), so a company's name finds its
contacts and a whole email still finds its owner. A query that is a number
(``123`` or ``#123``) also finds the ticket of that number.

Typos (PostgreSQL): when the words as typed find ``limit`` records of a kind or
fewer, records whose title (a client's or contact's name, a deal's title, a
ticket's subject) resembles the query follow them: pg_trgm's
``strict_word_similarity`` of at least ``SIMILARITY_THRESHOLD`` ("skyard" and
"Skyward Labs": 0.5), found through its ``%>>`` operator and a GIN trigram
index (migration ``records/0008_search_trigram``), every word of the query
resembling a word of the title or starting a word of the record. Only queries
with a word of ``MIN_SIMILAR_LENGTH`` letters or more are forgiven: a shorter
one is a prefix still being typed. The strict variant because its threshold is
pg_trgm's default one (0.5) and the operator reads it from a setting: the plain
``word_similarity`` needs 0.5 to find "skyard", so a ``SET`` around every search.

Ranking: exact hits (the title is the query, or the ticket's number is), then
titles starting with the query, then the other matches, then the resembling
records; with typo tolerance on, most similar first within each of those, then
by name (clients, contacts) or most recent (deals, tickets). Only the first
``CANDIDATES`` matches the index yields (and ``SIMILAR_CANDIDATES`` resembling
ones) are ranked, in no particular order: ranking reads each row again (its
vector, its similarity), and ranking every match of a common word ("summit":
5,000 contacts of a big book) took 100 ms; sorting all matches first (by name,
say) costs as much. A group shows at most ``PER_GROUP`` anyway; its "all
results" link (the list page with ``?q=``) has the matches.

The candidates are an ``= ANY(ARRAY(subquery))``: PostgreSQL runs such a
subquery once, before the rest of the plan (an InitPlan), and the one looking
for resembling records only when its branch is taken. The former
``pk IN (subquery LIMIT n)`` let the planner re-run the subquery for every row
of the table when the table had no statistics (a freshly seeded demo book, on
a server without autovacuum: 0.3 to 0.6 s a search for 320 clients).
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import (
    SearchQuery,
    SearchVector,
    SearchVectorExact,
    TrigramStrictWordSimilarity,
)
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Expression,
    F,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Replace

from records.models import Client, Contact, Deal, Ticket
from workspace.search import MAX_QUERY_LENGTH, PER_GROUP, Group, search_words

CANDIDATES = 500  # matches ranked per group (see the module docstring)
SIMILAR_CANDIDATES = 100  # resembling records ranked per group
SIMILARITY_THRESHOLD = 0.5  # strict_word_similarity("skyard", "Skyward Labs") is 0.5
MIN_SIMILAR_LENGTH = 4
NUMBER = re.compile(r"#? ?(\d{1,18})")  # a ticket's number; 18 digits always fit a bigint
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


@dataclass(frozen=True)
class Searchable:
    name: str
    label: str
    icon: str
    list_url_name: str
    fields: tuple[str, ...]
    order: tuple[str, ...]
    title: str = ""  # the column an exact hit equals and a typo resembles (trigram-indexed)
    numbered: bool = False  # found by its number, too

    @property
    def hit_template(self) -> str:
        """The partial drawing one result (templates/records/search_hits.html)."""
        return f"records/search_hits.html#{self.name}"

    def queryset(self) -> QuerySet:
        match self.name:
            case "clients":
                return Client.objects.filter(merged_into__isnull=True)
            case "contacts":
                return Contact.objects.select_related("client")
            case "deals":
                return Deal.objects.select_related("client", "stage")
        return Ticket.objects.select_related("client")


CLIENTS = Searchable(
    "clients", "Clients", "building", "records:client_list", CLIENT_FIELDS, ("name",), "name"
)
SEARCHABLES = (
    CLIENTS,
    Searchable(
        "contacts",
        "Contacts",
        "person-vcard",
        "records:contact_list",
        CONTACT_FIELDS,
        ("name",),
        "name",
    ),
    Searchable(
        "deals", "Deals", "briefcase", "records:deal_list", DEAL_FIELDS, ("-updated_at",), "title"
    ),
    Searchable(
        "tickets",
        "Tickets",
        "life-preserver",
        "records:ticket_list",
        TICKET_FIELDS,
        ("-created_at",),
        "subject",
        numbered=True,
    ),
)


@dataclass(frozen=True)
class Terms:
    """A query as the search uses it."""

    text: str  # the query, spaces collapsed: what an exact or starting hit is compared with
    words: list[str]  # see search_words
    number: int | None  # "#123" or "123": a ticket's number

    @classmethod
    def of(cls, query: str) -> "Terms":
        text = " ".join((query or "").split())[:MAX_QUERY_LENGTH]
        number = NUMBER.fullmatch(text)
        return cls(text, search_words(text), int(number[1]) if number else None)

    @property
    def forgives_typos(self) -> bool:
        """Whether records resembling the query are looked for (PostgreSQL, long enough)."""
        return uses_full_text() and any(len(word) >= MIN_SIMILAR_LENGTH for word in self.words)

    @property
    def words_text(self) -> str:
        return " ".join(self.words)


def prefix_tsquery(words: list[str]) -> str:
    """``["acme", "gm"]`` → ``'acme':* & 'gm':*`` — every word, each as a prefix."""
    return " & ".join(f"'{word}':*" for word in words)


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


class Candidates(Expression):
    """The pks worth ranking, as an array: the first CANDIDATES of ``found``, then, when
    there are ``enough`` or fewer of them, the first SIMILAR_CANDIDATES of ``similar``.

    The ``similar`` subquery is only run when needed: PostgreSQL evaluates a
    subquery of a CASE branch (an InitPlan) on first use. ``OFFSET 0`` keeps the
    planner from inlining ``found`` into each of its two uses (it ran twice).
    """

    template = (
        "(SELECT CASE WHEN cardinality(found) > %%s THEN found ELSE found || ARRAY%(similar)s END"
        " FROM (SELECT ARRAY%(found)s AS found OFFSET 0) AS prefix)"
    )

    def __init__(self, found: QuerySet, similar: QuerySet | None = None, enough: int = 0):
        super().__init__()
        self.found = self._pks(found, CANDIDATES)
        self.similar = None if similar is None else self._pks(similar, SIMILAR_CANDIDATES)
        self.enough = enough

    @staticmethod
    def _pks(queryset: QuerySet, limit: int) -> Subquery:
        return Subquery(queryset.order_by().values("pk")[:limit])

    def get_source_expressions(self):
        return [self.found, self.similar]

    def set_source_expressions(self, expressions):
        self.found, self.similar = expressions

    def as_sql(self, compiler, connection):
        found, found_params = compiler.compile(self.found)
        if self.similar is None:
            return f"ARRAY{found}", found_params
        similar, similar_params = compiler.compile(self.similar)
        sql = self.template % {"similar": similar, "found": found}
        return sql, (self.enough, *similar_params, *found_params)


class Among(Expression):
    """``pk = ANY(candidates)``: PostgreSQL computes the array once, before the rest of
    the plan (an InitPlan), whatever its statistics say."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, candidates: Candidates):
        super().__init__()
        self.pk, self.candidates = F("pk"), candidates

    def get_source_expressions(self):
        return [self.pk, self.candidates]

    def set_source_expressions(self, expressions):
        self.pk, self.candidates = expressions

    def as_sql(self, compiler, connection):
        pk, pk_params = compiler.compile(self.pk)
        candidates, params = compiler.compile(self.candidates)
        array_type = self.pk.output_field.cast_db_type(connection)
        return f"{pk} = ANY(({candidates})::{array_type}[])", (*pk_params, *params)


def prefix_query(words: list[str]) -> SearchQuery:
    return SearchQuery(prefix_tsquery(words), search_type="raw", config=CONFIG)


def _words_match(searchable: Searchable, words: list[str]) -> Q:
    """Every word in one of the columns: as a word's prefix in full text, or icontains."""
    if uses_full_text():
        return Q(SearchVectorExact(search_vector(searchable.fields), prefix_query(words)))
    every_word = Q()
    for word in words:
        any_field = Q()
        for field in searchable.fields:
            any_field |= Q(**{f"{field}__icontains": word})
        every_word &= any_field
    return every_word


class Resembles(Expression):
    """``title %>> text``, held to ``strict_word_similarity >= SIMILARITY_THRESHOLD``.

    The operator finds the candidates in the trigram index, at the server's
    ``pg_trgm.strict_word_similarity_threshold`` (0.5 unless changed); the
    comparison holds them to ours. One expression, not a lookup and a function
    compared: the ORM's work on them was a tenth of a search's time.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, title: str, text: str):
        super().__init__()
        self.title, self.text = F(title), Value(text)

    def get_source_expressions(self):
        return [self.title, self.text]

    def set_source_expressions(self, expressions):
        self.title, self.text = expressions

    def as_sql(self, compiler, connection):
        title, title_params = compiler.compile(self.title)
        text, text_params = compiler.compile(self.text)
        sql = f"({title} %%>> {text} AND strict_word_similarity({text}, {title}) >= %s)"
        return sql, (*title_params, *text_params, *text_params, *title_params, SIMILARITY_THRESHOLD)


def _resembles(searchable: Searchable, terms: Terms) -> Q:
    """The title resembles the query, and each word resembles a word of the title or
    starts a word of the record (so "zephyr borealis" does not find Borealis alone)."""
    condition = Q(Resembles(searchable.title, terms.words_text))
    if len(terms.words) > 1:
        for word in terms.words:
            condition &= Q(Resembles(searchable.title, word)) | _words_match(searchable, [word])
    return condition


def _candidates(searchable: Searchable, queryset: QuerySet, terms: Terms, enough: int) -> Q:
    """``queryset``'s rows worth ranking (PostgreSQL): see :class:`Candidates`."""
    found = queryset.filter(_words_match(searchable, terms.words))
    similar = queryset.filter(_resembles(searchable, terms)) if terms.forgives_typos else None
    return Q(Among(Candidates(found, similar, enough)))


def _tier(searchable: Searchable, terms: Terms) -> Case:
    """0 for an exact hit, 1 for a title starting with the query, 2 for the other matches of
    the words, 3 for a title that only resembles the query (PostgreSQL)."""
    exact = Q(**{f"{searchable.title}__iexact": terms.text})
    if searchable.numbered and terms.number is not None:
        exact |= Q(pk=terms.number)
    tiers = [
        When(exact, then=Value(0)),
        When(Q(**{f"{searchable.title}__istartswith": terms.text}), then=Value(1)),
    ]
    if terms.forgives_typos:
        tiers.append(When(_words_match(searchable, terms.words), then=Value(2)))
        return Case(*tiers, default=Value(3))
    return Case(*tiers, default=Value(2))


def matching(searchable: Searchable, terms: Terms, *, limit: int = PER_GROUP) -> QuerySet:
    """``searchable``'s records matching every word (or a ticket by its number), best
    first; on PostgreSQL, when ``limit`` or fewer match, then those resembling the query.

    On PostgreSQL only the first CANDIDATES matches are ranked (see the module docstring).
    """
    queryset = searchable.queryset()
    if uses_full_text():
        condition = _candidates(searchable, queryset, terms, enough=limit)
    else:
        condition = _words_match(searchable, terms.words)
    if searchable.numbered and terms.number is not None:
        condition |= Q(pk=terms.number)
    ranked = queryset.filter(condition).annotate(tier=_tier(searchable, terms))
    if not terms.forgives_typos:
        return ranked.order_by("tier", *searchable.order, "pk")
    similarity = TrigramStrictWordSimilarity(terms.words_text, searchable.title)
    return ranked.annotate(similarity=similarity).order_by(
        "tier", "-similarity", *searchable.order, "pk"
    )


def narrow(searchable: Searchable, queryset: QuerySet, query: str) -> QuerySet:
    """``queryset`` (a list page's rows, filtered) narrowed to the search ``query`` as the
    global search finds records: the same index and cap, and on PostgreSQL the records
    resembling the query when none matches it as typed. Nothing for nothing searchable.

    The cap also keeps PostgreSQL from walking the list's sort index and testing every
    row against the words (0.6 s for a name late in the alphabet among 100,000 clients).
    """
    terms = Terms.of(query)
    if not terms.words:
        return queryset.none()
    if uses_full_text():
        return queryset.filter(_candidates(searchable, queryset, terms, enough=0))
    return queryset.filter(_words_match(searchable, terms.words))


def _group(kind: Searchable, rows: list, limit: int) -> Group:
    has_more = len(rows) > limit
    rows = rows[:limit]
    return Group(
        kind.name, kind.label, kind.icon, kind.list_url_name, rows, has_more, kind.hit_template
    )


def record_groups(viewer, query: str, limit: int = PER_GROUP) -> list[Group]:
    """Clients, contacts, deals and tickets matching ``query``, one query per kind
    (records are shared with all staff: ``viewer`` sees every one)."""
    terms = Terms.of(query)
    if not terms.words:
        return []
    return [
        _group(kind, list(matching(kind, terms, limit=limit)[: limit + 1]), limit)
        for kind in SEARCHABLES
    ]
