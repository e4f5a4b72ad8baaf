"""The list pages' filters: options, the kinds of filter, and periods (this month…)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db import connection
from django.db.models import (
    Q,
)
from django.utils import timezone

from accounts.models import User

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
