"""A list page: its spec (columns, filters, sorts), its state from a query string, its rows."""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import (
    BooleanField,
    Expression,
    F,
    Q,
    QuerySet,
    Subquery,
)
from django.http import QueryDict
from django.utils.http import urlencode

from accounts.models import User
from records.selectors import search
from records.selectors.lists.filters import Filter, Invalid

PER_PAGE = 25
SEARCH_KEY = "q"
SORT_KEY = "sort"
PAGE_KEY = "page"

# Filters higher apps add to a list at start-up (marketing's segments), by list name.
_added_filters: dict[str, dict[str, Filter]] = {}


def add_filter(list_name: str, extra: Filter) -> None:
    """Offer ``extra`` on list ``list_name`` after its own filters (records imports no
    higher app: they register here from their ``AppConfig.ready``). Registering the same
    key again replaces it."""
    _added_filters.setdefault(list_name, {})[extra.key] = extra


@dataclass(frozen=True)
class Column:
    label: str
    sort: str | None = None  # a key of ListSpec.sorts
    css: str = ""


@dataclass(frozen=True)
class ListSpec:
    name: str  # "clients": the SavedView list, the topic list.<name>, the URL name
    title: str
    noun: str  # "client": row ids client-row-<pk>, the "New client" button
    icon: str
    queryset: Callable[[], QuerySet]
    filters: tuple[Filter, ...]
    columns: tuple[Column, ...]
    sorts: dict[str, tuple]  # key -> order_by expressions, ascending
    default_sort: str
    search_fields: tuple[str, ...]  # searched with icontains, unless searchable is set
    search_hint: str
    suggestions: tuple[tuple[str, str], ...]  # (name, query string) shown to everyone
    new_url: str | None = None
    searchable: search.Searchable | None = None  # searched as the global search does (index, cap)

    @property
    def url_name(self) -> str:
        return f"records:{self.noun}_list"

    @property
    def row_template(self) -> str:
        return f"records/list_rows.html#{self.noun}-row"

    @property
    def topic(self) -> str:
        return f"list.{self.name}"

    @property
    def all_filters(self) -> tuple[Filter, ...]:
        """Its own filters, then those other apps added (``add_filter``)."""
        return self.filters + tuple(_added_filters.get(self.name, {}).values())

    @property
    def keys(self) -> set[str]:
        """The query-string keys a saved view may keep."""
        return {SEARCH_KEY, SORT_KEY, *(each.key for each in self.all_filters)}


@dataclass
class BoundFilter:
    filter: Filter
    raw: str
    options: list[tuple[str, str]] = field(default_factory=list)
    chip: dict | None = None  # a chip filter's {"label", "remove": query string without it}


@dataclass(frozen=True)
class Header:
    column: Column
    link: str  # query string; "" when the column does not sort
    direction: str  # "ascending", "descending" or ""


@dataclass
class ListState:
    """A list as a query string asked for it, once cleaned."""

    spec: ListSpec
    values: dict[str, str]  # the valid filter values, as given
    parsed: dict[str, object]
    search: str
    sort: str
    notes: list[str]

    def query_string(self, **changes) -> str:
        """This state's query string with ``changes`` (None drops a key), default sort left out."""
        params = {**self.values, SEARCH_KEY: self.search, SORT_KEY: self.sort}
        if self.sort == self.spec.default_sort:
            params.pop(SORT_KEY)
        params.update(changes)
        return urlencode({key: value for key, value in params.items() if value not in (None, "")})

    @property
    def filtered(self) -> bool:
        return bool(self.values or self.search)

    @property
    def headers(self) -> list[Header]:
        """The columns with the query string each header links to and its sort direction."""
        key, descending = self.sort.removeprefix("-"), self.sort.startswith("-")
        return [
            Header(
                column,
                self.query_string(
                    sort=f"-{column.sort}" if self.sort == column.sort else column.sort
                )
                if column.sort
                else "",
                ("descending" if descending else "ascending") if column.sort == key else "",
            )
            for column in self.spec.columns
        ]

    def page_query(self, number: int) -> str:
        return self.query_string(page=number if number > 1 else None)


def read(spec: ListSpec, params: QueryDict, viewer: User) -> ListState:
    values, parsed, notes = {}, {}, []
    for each in spec.all_filters:
        raw = params.get(each.key, "").strip()
        if not raw:
            continue
        try:
            parsed[each.key] = each.parse(raw, viewer)
        except Invalid as error:
            notes.append(str(error))
            continue
        values[each.key] = raw
    sort = params.get(SORT_KEY, "").strip() or spec.default_sort
    if sort.removeprefix("-") not in spec.sorts:
        notes.append(f"Sort: “{sort}” is not a column; sorted by the default.")
        sort = spec.default_sort
    search = " ".join(params.get(SEARCH_KEY, "").split())[:100]
    return ListState(spec, values, parsed, search, sort, notes)


def bound_filters(state: ListState) -> list[BoundFilter]:
    """The filters with their current values and options, for the filter form."""
    bound = []
    for each in state.spec.all_filters:
        raw = state.values.get(each.key, "")
        chip = None
        if raw and each.widget == "chip":
            name = each.describe(state.parsed[each.key])
            chip = {"label": name, "remove": state.query_string(**{each.key: None})}
        bound.append(BoundFilter(each, raw, each.options(), chip))
    return bound


def rows(state: ListState, viewer: User) -> QuerySet:
    spec = state.spec
    queryset = spec.queryset()
    for each in spec.all_filters:
        if each.key in state.parsed:
            queryset = queryset.filter(each.where(state.parsed[each.key], viewer))
        else:
            queryset = queryset.filter(each.default(viewer))
    if state.search and spec.searchable:
        queryset = search.narrow(spec.searchable, queryset, state.search)
    elif state.search:
        queryset = queryset.filter(_contains(queryset.model, spec.search_fields, state.search))
    return queryset.order_by(*_ordering(spec, state.sort))


def _contains(model, fields: tuple[str, ...], text: str) -> Q:
    """Rows with ``text`` in one of ``fields``, case-insensitively (``icontains``).

    On PostgreSQL each of the model's own columns is matched through its trigram index
    (``UPPER(column) gin_trgm_ops``, migration ``records/0017_list_sort_and_search_indexes``), and a
    related one ("client__name") as ``client_id = ANY(ARRAY(…))``: the related rows are
    found once through their own index (an InitPlan) and the matching rows through the
    foreign key's. Every branch of the OR then has an index, so PostgreSQL ORs bitmaps;
    joined (``client.name LIKE …``), one branch needed the join and the whole OR became
    a scan of every row (300,000 contacts: 578 ms).
    """
    query = Q()
    for name in fields:
        relation, _, rest = name.partition("__")
        if rest and connection.vendor == "postgresql":
            related = model._meta.get_field(relation).related_model.objects
            query |= Q(AnyOf(relation, related.filter(**{f"{rest}__icontains": text})))
        else:
            query |= Q(**{f"{name}__icontains": text})
    return query


class AnyOf(Expression):
    """``field = ANY(ARRAY(SELECT pk FROM …))``: PostgreSQL runs the subquery once, before
    the rest of the plan (an InitPlan), and can find the rows through ``field``'s index."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, field: str, queryset: QuerySet):
        super().__init__()
        self.column, self.subquery = F(field), Subquery(queryset.order_by().values("pk"))

    def get_source_expressions(self):
        return [self.column, self.subquery]

    def set_source_expressions(self, expressions):
        self.column, self.subquery = expressions

    def as_sql(self, compiler, connection):
        field, field_params = compiler.compile(self.column)
        subquery, params = compiler.compile(self.subquery)
        return f"{field} = ANY(ARRAY{subquery})", (*field_params, *params)


class IdsFirst:
    """A list's rows for Django's paginator: a page's ids ranked on the filtered table alone,
    then those rows loaded with their joins and annotations, in one query.

    Ranking the rows with their joins let PostgreSQL join every deal to its client
    (a hash join reading all 100,000 clients) to keep 25: ``/deals/?sort=-updated``
    spent 72 ms in SQL. Ranked in a subquery of their own (``LIMIT 25``), the ids are
    an index walk and their rows a few index lookups, as the board's cards are
    (records/selectors/deals.py). The sort's own joins and annotations (a client's open
    deals) stay in the ranking query.

    A page past the middle is ranked the other way round and turned back: the last
    page of 100,000 clients walks 25 index entries, not 100,000 (``OFFSET``).
    """

    ordered = True  # sorted by ``rows``: the paginator need not warn

    def __init__(self, ranked: QuerySet, load: QuerySet):
        self.ranked = ranked
        self.load = load

    @cached_property
    def total(self) -> int:
        return self.ranked.count()

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, page: slice) -> QuerySet:
        start, stop = page.start or 0, min(page.stop, self.total)
        if start + stop <= self.total:
            ids = self.ranked.values("pk")[start:stop]
        else:
            ids = self.ranked.reverse().values("pk")[self.total - stop : self.total - start]
        return self.load.filter(pk__in=ids).order_by(*self.ranked.query.order_by)


def page_rows(state: ListState, viewer: User) -> IdsFirst:
    """``rows`` for the paginator, a page's ids first (see :class:`IdsFirst`)."""
    return IdsFirst(rows(state, viewer), state.spec.queryset())


def _ordering(spec: ListSpec, sort: str) -> list:
    """The sort's expressions, then pk the same way round (a stable order across pages).

    Empty values (no close date, nobody assigned) come last both ways; columns
    that cannot be empty get a plain ORDER BY, which their indexes serve.
    """
    descending = sort.startswith("-")
    model = spec.queryset().model
    ordering = []
    for path in spec.sorts[sort.removeprefix("-")]:
        nullable = isinstance(path, str) and _nullable(model, path)
        expression = F(path) if isinstance(path, str) else path
        order = expression.desc if descending else expression.asc
        ordering.append(order(nulls_last=True) if nullable else order())
    return [*ordering, "-pk" if descending else "pk"]


def _nullable(model, path: str) -> bool:
    """Whether ``path`` ("assignee__full_name") can be NULL: a nullable field or link on the
    way. An annotation of the list's queryset (a client's open deals) is taken to be."""
    for name in path.split("__"):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return True
        if field.null:
            return True
        model = field.related_model
    return False


def row(spec: ListSpec, pk: int):
    """One record as its list shows it (same joins and annotations), or None."""
    return spec.queryset().filter(pk=pk).first()
