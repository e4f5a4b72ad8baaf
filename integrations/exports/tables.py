"""What an export of a list holds: its columns, and its rows as people read them.

A list exports the rows its page shows for the same query string (filters,
search, sort: ``records.selectors.lists.rows``), every row, not one page. The
columns are the useful fields of the record, headed by the model fields'
verbose names ("Name", "Domain", "Expected close"…) so that the import reads
the file back; a few columns are not model fields ("ID", "Client domain",
"Open deals", a client's custom fields by their labels).

Values are as people read them: names rather than ids for people and linked
records, choice labels, countries by ISO code, lists joined with "; ", dates
and times in ISO 8601 (in the viewer's time zone, with its offset). Every
relation a column reads is joined, so an export runs the same few queries for
ten rows or a hundred thousand.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.text import capfirst

from accounts.models import User
from records.models import Client, Contact, CustomField, Deal, Ticket
from records.selectors import lists
from records.selectors.lists import ListSpec, ListState

LIST_SEPARATOR = "; "
CHUNK = 2000  # rows fetched per round trip while streaming


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Model], object]


def field(model: type[Model], name: str, header: str = "", *, raw: bool = False) -> Column:
    """A column for the model field ``name``: headed by its verbose name, read as shown
    (a choice by its label, unless ``raw``)."""
    model_field = model._meta.get_field(name)
    header = header or capfirst(model_field.verbose_name)
    if model_field.choices and not raw:
        # Looked up once per export: get_FOO_display() rebuilds the choices on every row.
        labels = {value: str(label) for value, label in model_field.flatchoices}
        attname = model_field.attname
        return Column(header, lambda obj: labels.get(getattr(obj, attname), getattr(obj, attname)))
    if model_field.is_relation:
        return Column(header, lambda obj: _text(getattr(obj, name)))
    return Column(header, lambda obj: readable(getattr(obj, name)))


def readable(value):
    """A value as a person reads it in a cell: lists joined, times in local time."""
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(each) for each in value)
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return timezone.localtime(value).replace(microsecond=0)
    return value


def _text(related) -> str:
    return "" if related is None else str(related)


def _id(obj) -> int:
    return obj.pk


@dataclass(frozen=True)
class Table:
    """One list's export: its spec, its columns and the relations they read."""

    spec: ListSpec
    columns: Callable[[], list[Column]]  # built per export: custom fields can change
    related: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.name

    def queryset(self, state: ListState, viewer: User) -> QuerySet:
        queryset = lists.rows(state, viewer)
        return queryset.select_related(*self.related) if self.related else queryset

    def rows(self, state: ListState, viewer: User) -> Iterator[list]:
        """The header and rows of the list ``state`` asks for, as ``viewer`` sees it."""
        return records(self.queryset(state, viewer), self.columns())


def records(queryset: QuerySet, columns: list[Column]) -> Iterator[list]:
    """The header, then one row per record of ``queryset``, fetched in chunks."""
    yield [column.header for column in columns]
    for obj in queryset.iterator(chunk_size=CHUNK):
        yield [column.value(obj) for column in columns]


def _custom_columns() -> list[Column]:
    """One column per active custom field, headed by its label."""

    def reader(key):
        return lambda client: readable(client.custom_values.get(key))

    active = CustomField.objects.filter(active=True)
    return [Column(each.label, reader(each.key)) for each in active]


def _client_columns() -> list[Column]:
    return [
        Column("ID", _id),
        *(field(Client, name) for name in ("name", "domain", "industry", "size", "address")),
        field(Client, "country", raw=True),  # its ISO 3166 code ("DE"), as people type it
        field(Client, "phone"),
        field(Client, "tags"),
        field(Client, "lifecycle"),
        field(Client, "owner"),
        Column("Owner email", lambda client: client.owner.email),
        field(Client, "department"),
        field(Client, "source"),
        Column("Open deals", lambda client: client.open_deals),
        Column("Open tickets", lambda client: client.open_tickets),
        field(Client, "archived"),
        field(Client, "created_at"),
        field(Client, "updated_at"),
        *_custom_columns(),
    ]


def _contact_columns() -> list[Column]:
    return [
        Column("ID", _id),
        *(field(Contact, name) for name in ("name", "title", "client")),
        Column("Client domain", lambda contact: contact.client.domain),
        *(field(Contact, name) for name in ("emails", "phones", "preferred_channel", "notes")),
        field(Contact, "created_at"),
        field(Contact, "updated_at"),
    ]


def _deal_columns() -> list[Column]:
    names = (
        "title",
        "client",
        "amount",
        "currency",
        "pipeline",
        "stage",
        "owner",
        "expected_close",
        "status",
        "loss_reason",
        "loss_note",
        "closed_at",
        "created_at",
        "updated_at",
    )
    return [Column("ID", _id), *(field(Deal, name) for name in names)]


def _ticket_columns() -> list[Column]:
    names = ("subject", "client", "contact", "status", "priority", "assignee", "channel")
    later = ("first_response_at", "resolved_at", "satisfaction", "created_at", "updated_at")
    return [
        Column("ID", _id),
        *(field(Ticket, name) for name in names),
        field(Ticket, "sla_due", "SLA due"),
        *(field(Ticket, name) for name in later),
    ]


TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table(lists.CLIENTS, _client_columns),
        Table(lists.CONTACTS, _contact_columns),
        Table(lists.DEALS, _deal_columns, related=("pipeline", "loss_reason")),
        Table(lists.TICKETS, _ticket_columns, related=("contact",)),
    )
}
