"""The reads behind the four list pages (clients, contacts, deals, tickets).

One small framework, one declaration per list: a :class:`ListSpec` names its
filters, sortable columns, search fields and suggested views. :func:`read`
turns a query string into a :class:`ListState` (bad values are dropped with a
note a person can read, never an error), :func:`rows` gives the ordered
queryset, and :func:`row` one record annotated exactly like a page row, for
the live fragments. Every list runs a fixed number of queries whatever its
size: annotations are correlated subqueries, relations are joined.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import Department, User
from records.models import Client, Contact, Deal, Pipeline, Priority, Stage, Ticket
from records.selectors import search

PER_PAGE = 25
SEARCH_KEY = "q"
SORT_KEY = "sort"
PAGE_KEY = "page"
SLA_DUE_SOON = timedelta(hours=4)

Where = Callable[[User], Q]


class Invalid(ValueError):
    """A filter value that cannot be used; the message says so to a person."""


# --- Filters -------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    where: Where


def matches(**lookups) -> Where:
    """A ``where`` that does not depend on the viewer."""
    return lambda viewer: Q(**lookups)


def choice_options(field_name: str, choices) -> tuple[Option, ...]:
    """One option per model choice: ``field_name`` equals the value."""
    return tuple(
        Option(value, str(label), matches(**{field_name: value})) for value, label in choices
    )


@dataclass(frozen=True)
class Filter:
    """A query-string key and the rows it keeps. Subclasses parse and apply values."""

    key: str
    label: str

    widget = "select"

    def parse(self, raw: str, viewer: User):
        raise NotImplementedError

    def where(self, value, viewer: User) -> Q:
        raise NotImplementedError

    def default(self, viewer: User) -> Q:
        """What applies when the key is absent (e.g. archived clients hidden)."""
        return Q()

    def options(self) -> list[tuple[str, str]]:
        """(value, label) pairs for a select; may query (once per page)."""
        return []


@dataclass(frozen=True)
class ChoiceFilter(Filter):
    choices: tuple[Option, ...] = ()
    absent: Where | None = None

    def parse(self, raw, viewer):
        for option in self.choices:
            if option.value == raw:
                return option
        raise Invalid(f"{self.label}: “{raw}” is not one of the choices.")

    def where(self, value, viewer):
        return value.where(viewer)

    def default(self, viewer):
        return self.absent(viewer) if self.absent else Q()

    def options(self):
        return [(option.value, option.label) for option in self.choices]


@dataclass(frozen=True)
class PersonFilter(Filter):
    """A person field: "mine", a person's id, or (``unassigned``) nobody."""

    field_name: str = "owner"
    unassigned: bool = False

    def parse(self, raw, viewer):
        if raw == "mine":
            return viewer.pk
        if raw == "none" and self.unassigned:
            return None
        if raw.isdigit():
            return int(raw)
        raise Invalid(f"{self.label}: “{raw}” is not a person.")

    def where(self, value, viewer):
        if value is None:
            return Q(**{f"{self.field_name}__isnull": True})
        return Q(**{f"{self.field_name}_id": value})

    def options(self):
        special = [("mine", "Me")] + ([("none", "Unassigned")] if self.unassigned else [])
        people = (
            User.objects.filter(is_active=True).order_by("full_name").values_list("pk", "full_name")
        )
        return special + [(str(pk), name) for pk, name in people]


@dataclass(frozen=True)
class RelatedFilter(Filter):
    """A foreign key by id; ``choices`` lists the candidates.

    Without ``choices`` (too many to list: clients), the filter is set by a link
    from elsewhere and shown as a removable chip named by ``model``.
    """

    field_name: str = ""
    choices: Callable[[], list[tuple[str, str]]] | None = None
    model: type | None = None

    def describe(self, value: int) -> str:
        name = self.model.objects.filter(pk=value).first() if self.model else None
        return f"{self.label}: {name or f'#{value}'}"

    def parse(self, raw, viewer):
        if not raw.isdigit():
            raise Invalid(f"{self.label}: “{raw}” is not a valid choice.")
        return int(raw)

    def where(self, value, viewer):
        return Q(**{f"{self.field_name}_id": value})

    def options(self):
        return self.choices() if self.choices else []

    @property
    def widget(self):
        return "select" if self.choices else "chip"


@dataclass(frozen=True)
class AmountFilter(Filter):
    """A bound on a decimal field (``lookup`` is "gte" or "lte")."""

    field_name: str = "amount"
    lookup: str = "gte"

    widget = "number"

    def parse(self, raw, viewer):
        try:
            amount = Decimal(raw.replace(",", ""))
        except InvalidOperation:
            raise Invalid(f"{self.label}: “{raw}” is not an amount.") from None
        if not amount.is_finite() or amount < 0:
            raise Invalid(f"{self.label}: “{raw}” is not an amount.")
        return amount

    def where(self, value, viewer):
        return Q(**{f"{self.field_name}__{self.lookup}": value})


@dataclass(frozen=True)
class TagFilter(Filter):
    """A client tag. JSON containment on PostgreSQL; SQLite has none, so a text match there."""

    widget = "text"

    def parse(self, raw, viewer):
        tag = " ".join(raw.split()).lower()
        if not tag or len(tag) > 40 or '"' in tag:
            raise Invalid(f"{self.label}: “{raw}” is not a tag.")
        return tag

    def where(self, value, viewer):
        if connection.vendor == "postgresql":
            return Q(tags__contains=[value])
        return Q(tags__icontains=f'"{value}"')


# --- Periods -------------------------------------------------------------------


def _month_start(day: date, months_later: int = 0) -> date:
    month = day.month - 1 + months_later
    return date(day.year + month // 12, month % 12 + 1, 1)


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


PERIODS: dict[str, tuple[str, Callable[[date], tuple[date | None, date | None]]]] = {
    "today": ("Today", lambda today: (today, today + timedelta(days=1))),
    "this_week": (
        "This week",
        lambda today: (today - timedelta(days=today.weekday()), today + timedelta(days=1)),
    ),
    "this_month": ("This month", lambda today: (_month_start(today), _month_start(today, 1))),
    "last_month": ("Last month", lambda today: (_month_start(today, -1), _month_start(today))),
    "next_month": ("Next month", lambda today: (_month_start(today, 1), _month_start(today, 2))),
    "this_quarter": (
        "This quarter",
        lambda today: (_quarter_start(today), _month_start(_quarter_start(today), 3)),
    ),
    "this_year": ("This year", lambda today: (date(today.year, 1, 1), date(today.year + 1, 1, 1))),
    "last_30_days": ("Last 30 days", lambda today: (today - timedelta(days=29), None)),
    "overdue": ("Overdue", lambda today: (None, today)),
}


def _as_datetime(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def period_options(field_name: str, names: tuple[str, ...], *, dates: bool) -> tuple[Option, ...]:
    """Options for date ranges relative to today (the viewer's time zone), [start, end)."""

    def where_for(name: str) -> Where:
        def where(viewer):
            start, end = PERIODS[name][1](timezone.localdate())
            convert = (lambda day: day) if dates else _as_datetime
            lookups = {}
            if start is not None:
                lookups[f"{field_name}__gte"] = convert(start)
            if end is not None:
                lookups[f"{field_name}__lt"] = convert(end)
            return Q(**lookups)

        return where

    return tuple(Option(name, PERIODS[name][0], where_for(name)) for name in names)


# --- Columns, lists ------------------------------------------------------------


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
    def keys(self) -> set[str]:
        """The query-string keys a saved view may keep."""
        return {SEARCH_KEY, SORT_KEY, *(each.key for each in self.filters)}


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
    for each in spec.filters:
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
    for each in state.spec.filters:
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
    for each in spec.filters:
        if each.key in state.parsed:
            queryset = queryset.filter(each.where(state.parsed[each.key], viewer))
        else:
            queryset = queryset.filter(each.default(viewer))
    if state.search and spec.searchable:
        queryset = search.narrow(spec.searchable, queryset, state.search)
    elif state.search:
        query = Q()
        for name in spec.search_fields:
            query |= Q(**{f"{name}__icontains": state.search})
        queryset = queryset.filter(query)
    return queryset.order_by(*_ordering(spec, state.sort))


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
    """Whether ``path`` ("assignee__full_name") can be NULL: a nullable field or link on the way."""
    for name in path.split("__"):
        field = model._meta.get_field(name)
        if field.null:
            return True
        model = field.related_model
    return False


def row(spec: ListSpec, pk: int):
    """One record as its list shows it (same joins and annotations), or None."""
    return spec.queryset().filter(pk=pk).first()


# --- The four lists ------------------------------------------------------------


def _rank(field_name: str, values) -> Case:
    """An ordinal for a choice field, so sorting follows the workflow, not the alphabet."""
    return Case(
        *(When(**{field_name: value}, then=Value(rank)) for rank, value in enumerate(values)),
        output_field=IntegerField(),
    )


OPEN_STATUSES = (Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING)


def _count_per_client(model, **lookups):
    related = (
        model.objects.filter(client=OuterRef("pk"), **lookups)
        .order_by()
        .values("client")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(related), 0)


def _clients() -> QuerySet:
    return Client.objects.select_related("owner", "department").annotate(
        open_deals=_count_per_client(Deal, status=Deal.Status.OPEN),
        open_tickets=_count_per_client(Ticket, status__in=OPEN_STATUSES),
    )


def _contacts() -> QuerySet:
    return Contact.objects.select_related("client")


def _deals() -> QuerySet:
    """Deals with ``is_overdue``: still open after their expected close date."""
    overdue = Q(status=Deal.Status.OPEN, expected_close__lt=timezone.localdate())
    return Deal.objects.select_related("client", "stage", "owner").annotate(
        is_overdue=Case(When(overdue, then=Value(True)), default=Value(False))
    )


def _tickets() -> QuerySet:
    """Tickets with ``sla_state``: "breached", "due_soon" or "" (resolved or not due yet)."""
    now = timezone.now()
    unresolved = Q(status__in=OPEN_STATUSES)
    return Ticket.objects.select_related("client", "assignee").annotate(
        sla_state=Case(
            When(unresolved & Q(sla_due__lt=now), then=Value("breached")),
            When(unresolved & Q(sla_due__lt=now + SLA_DUE_SOON), then=Value("due_soon")),
            default=Value(""),
        )
    )


def _departments() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Department.objects.values_list("pk", "name")]


def _pipelines() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Pipeline.objects.values_list("pk", "name")]


def _stages() -> list[tuple[str, str]]:
    stages = Stage.objects.select_related("pipeline").order_by("pipeline__name", "order", "pk")
    several = len({stage.pipeline_id for stage in stages}) > 1
    return [
        (str(stage.pk), f"{stage.pipeline.name}: {stage.name}" if several else stage.name)
        for stage in stages
    ]


def _sla_options() -> tuple[Option, ...]:
    """Unresolved tickets past their SLA, or due within SLA_DUE_SOON."""
    unresolved = Q(status__in=OPEN_STATUSES)

    def breached(viewer):
        return unresolved & Q(sla_due__lt=timezone.now())

    def due_soon(viewer):
        now = timezone.now()
        return unresolved & Q(sla_due__gte=now, sla_due__lt=now + SLA_DUE_SOON)

    return (Option("breached", "Breached", breached), Option("due_soon", "Due soon", due_soon))


CLIENTS = ListSpec(
    name="clients",
    title="Clients",
    noun="client",
    icon="building",
    queryset=_clients,
    filters=(
        ChoiceFilter(
            "lifecycle", "Lifecycle", choice_options("lifecycle", Client.Lifecycle.choices)
        ),
        PersonFilter("owner", "Owner", field_name="owner"),
        RelatedFilter("department", "Department", field_name="department", choices=_departments),
        ChoiceFilter("source", "Source", choice_options("source", Client.Source.choices)),
        TagFilter("tag", "Tag"),
        ChoiceFilter(
            "created",
            "Created",
            period_options(
                "created_at",
                ("today", "this_week", "this_month", "last_month", "this_quarter", "this_year"),
                dates=False,
            ),
        ),
        ChoiceFilter(
            "archived",
            "Show",
            (
                Option("archived", "Archived", matches(archived=True, merged_into__isnull=True)),
                Option("merged", "Merged away", matches(merged_into__isnull=False)),
                Option("all", "All, incl. archived and merged", matches()),
            ),
            absent=matches(archived=False, merged_into__isnull=True),
        ),
    ),
    columns=(
        Column("Client", "name", "col-main"),
        Column("Lifecycle", "lifecycle"),
        Column("Owner", "owner"),
        Column("Department", "department"),
        Column("Tags", None, "col-wide"),
        Column("Open deals", "deals", "text-end"),
        Column("Open tickets", "tickets", "text-end"),
        Column("Updated", "updated", "text-end"),
    ),
    sorts={
        "name": ("name",),
        "lifecycle": (_rank("lifecycle", Client.Lifecycle.values),),
        "owner": ("owner__full_name",),
        "department": ("department__name",),
        "deals": ("open_deals",),
        "tickets": ("open_tickets",),
        "updated": ("updated_at",),
    },
    default_sort="name",
    search_fields=(),
    search_hint="Search name, domain, industry",
    suggestions=(
        ("Sales leads this month", "lifecycle=lead&created=this_month"),
        ("My clients", "owner=mine"),
    ),
    new_url="records:client_new",
    searchable=search.CLIENTS,
)

CONTACTS = ListSpec(
    name="contacts",
    title="Contacts",
    noun="contact",
    icon="person-lines-fill",
    queryset=_contacts,
    filters=(
        RelatedFilter("client", "Client", field_name="client", model=Client),
        ChoiceFilter(
            "email",
            "Email",
            (
                Option("yes", "Has an email", lambda viewer: ~Q(emails=[])),
                Option("no", "No email", matches(emails=[])),
            ),
        ),
        ChoiceFilter(
            "channel",
            "Preferred channel",
            choice_options("preferred_channel", Contact.Channel.choices),
        ),
    ),
    columns=(
        Column("Name", "name", "col-main"),
        Column("Title", "title", "col-aside"),
        Column("Client", "client"),
        Column("Email"),
        Column("Phone"),
        Column("Prefers", "channel"),
    ),
    sorts={
        "name": ("name",),
        "title": ("title",),
        "client": ("client__name",),
        "channel": ("preferred_channel",),
    },
    default_sort="name",
    search_fields=("name", "title", "emails", "phones", "client__name"),
    search_hint="Search name, title, email, phone, client",
    suggestions=(
        ("With an email", "email=yes"),
        ("Prefer a call", "channel=phone"),
    ),
)

DEALS = ListSpec(
    name="deals",
    title="Deals",
    noun="deal",
    icon="cash-coin",
    queryset=_deals,
    filters=(
        RelatedFilter("pipeline", "Pipeline", field_name="pipeline", choices=_pipelines),
        RelatedFilter("stage", "Stage", field_name="stage", choices=_stages),
        ChoiceFilter("status", "Status", choice_options("status", Deal.Status.choices)),
        PersonFilter("owner", "Owner", field_name="owner"),
        ChoiceFilter(
            "close",
            "Expected close",
            period_options(
                "expected_close",
                ("overdue", "this_month", "next_month", "this_quarter", "this_year"),
                dates=True,
            ),
        ),
        AmountFilter("amount_min", "Min amount", lookup="gte"),
        AmountFilter("amount_max", "Max amount", lookup="lte"),
    ),
    columns=(
        Column("Deal", "title", "col-main"),
        Column("Client", "client"),
        Column("Stage", "stage"),
        Column("Amount", "amount", "text-end"),
        Column("Owner", "owner"),
        Column("Expected close", "close"),
        Column("Status", "status"),
    ),
    sorts={
        "title": ("title",),
        "client": ("client__name",),
        "stage": ("pipeline__name", "stage__order"),
        "amount": ("amount",),
        "owner": ("owner__full_name",),
        "close": ("expected_close",),
        "status": (_rank("status", Deal.Status.values),),
        "updated": ("updated_at",),
    },
    default_sort="-updated",
    search_fields=("title", "client__name"),
    search_hint="Search deal or client",
    suggestions=(
        ("My open deals", "owner=mine&status=open"),
        ("Closing this month", "status=open&close=this_month"),
    ),
    new_url="records:deal_new",
)

TICKETS = ListSpec(
    name="tickets",
    title="Tickets",
    noun="ticket",
    icon="life-preserver",
    queryset=_tickets,
    filters=(
        ChoiceFilter(
            "status",
            "Status",
            (
                Option("open", "Open (new, open, pending)", matches(status__in=OPEN_STATUSES)),
                *choice_options("status", Ticket.Status.choices),
            ),
        ),
        ChoiceFilter("priority", "Priority", choice_options("priority", Priority.choices)),
        PersonFilter("assignee", "Assignee", field_name="assignee", unassigned=True),
        ChoiceFilter("sla", "SLA", _sla_options()),
        ChoiceFilter("channel", "Channel", choice_options("channel", Ticket.Channel.choices)),
    ),
    columns=(
        Column("Subject", "subject", "col-main"),
        Column("Client", "client"),
        Column("Status", "status"),
        Column("Priority", "priority"),
        Column("Assignee", "assignee"),
        Column("SLA due", "sla"),
        Column("Channel", "channel", "col-wide"),
        Column("Updated", "updated", "text-end"),
    ),
    sorts={
        "subject": ("subject",),
        "client": ("client__name",),
        "status": (_rank("status", Ticket.Status.values),),
        "priority": (_rank("priority", Priority.values),),
        "assignee": ("assignee__full_name",),
        "sla": ("sla_due",),
        "channel": ("channel",),
        "updated": ("updated_at",),
    },
    default_sort="-updated",
    search_fields=("subject", "client__name"),
    search_hint="Search subject or client",
    suggestions=(
        ("My open tickets", "assignee=mine&status=open"),
        ("Breached SLA", "sla=breached"),
    ),
    new_url="records:ticket_new",
)

LISTS: dict[str, ListSpec] = {spec.name: spec for spec in (CLIENTS, CONTACTS, DEALS, TICKETS)}
BY_NOUN: dict[str, ListSpec] = {spec.noun: spec for spec in LISTS.values()}
