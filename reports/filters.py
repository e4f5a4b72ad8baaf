"""A report's filters, read from its query string (so a filtered report is a link).

``period`` is a preset (this month, last quarter, …) or ``custom`` with
``start`` and ``end`` dates; the period is read in the viewer's time zone.
``department``, ``person`` and ``pipeline`` are ids; one the viewer may not
see is answered 404, as if it did not exist. Bad dates or an unknown preset
are form errors shown above the report, which falls back to the defaults.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from records.models import Deal, Pipeline
from records.models.values import DEFAULT_CURRENCY
from reports import policies
from reports.policies import Scope
from workspace import moments

PERIODS = {
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "last_quarter": "Last quarter",
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "this_year": "This year",
    "last_12_months": "Last 12 months",
    "custom": "Custom range",
}
DEFAULT_PERIOD = "last_12_months"
DEFAULT_STUCK_DAYS = 30
LONGEST_RANGE = timedelta(days=3 * 366)


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def period_range(period: str, today: date) -> tuple[date, date]:
    """The first and last day (inclusive) of a preset ``period`` around ``today``."""
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    match period:
        case "this_month":
            return _month_start(today), today
        case "last_month":
            start = _month_start(today, 1)
            return start, _month_start(today) - timedelta(days=1)
        case "this_quarter":
            return quarter_start, today
        case "last_quarter":
            return _month_start(quarter_start, 3), quarter_start - timedelta(days=1)
        case "last_30_days":
            return today - timedelta(days=29), today
        case "last_90_days":
            return today - timedelta(days=89), today
        case "this_year":
            return date(today.year, 1, 1), today
        case _:
            return _month_start(today, 11), today


@dataclass(frozen=True)
class Filters:
    """What a report is asked for, and by whom (its scope). Report builders take one."""

    scope: Scope
    start: date
    end: date  # inclusive
    period: str = DEFAULT_PERIOD
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    department: object = None  # Department
    person: object = None  # User
    pipeline: object = None  # Pipeline
    currency: str = DEFAULT_CURRENCY
    days: int = DEFAULT_STUCK_DAYS
    today: date | None = None  # the viewer's today (None: from the clock)

    @cached_property
    def start_at(self) -> datetime:
        """The period's first moment, in the viewer's time zone."""
        return datetime.combine(self.start, time.min, tzinfo=self.tz)

    @cached_property
    def end_at(self) -> datetime:
        """The moment after the period (exclusive)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.tz)

    @property
    def now(self) -> datetime:
        return timezone.now()

    def in_period(self, lookup: str) -> Q:
        """``lookup`` (a datetime field) within the period."""
        return Q(**{f"{lookup}__gte": self.start_at, f"{lookup}__lt": self.end_at})

    def people_ids(self) -> list[int] | None:
        """Whose numbers count: the person, the department's members, the scope's
        departments' members, or None for everyone (an admin with no filter)."""
        if self.person is not None:
            return [self.person.pk]
        if self.department is not None:
            return list(self.department.members.values_list("pk", flat=True))
        if self.scope.department_ids is None:
            return None
        return list(
            policies.User.objects.filter(departments__in=self.scope.department_ids)
            .values_list("pk", flat=True)
            .distinct()
        )

    def by_people(self, lookup: str) -> Q:
        """Rows whose ``lookup`` (a user field) is one of ``people_ids()``."""
        ids = self.people_ids()
        return Q() if ids is None else Q(**{f"{lookup}__in": ids})

    def itemizes(self, person_id: int | None) -> bool:
        """Whether a per-person row for ``person_id`` may be shown to the viewer."""
        return self.scope.itemizes_others or person_id == self.scope.viewer_id

    def query(self, **changes) -> dict:
        """The query-string parameters of these filters (with ``changes``), defaults left
        out: the same filters always give the same query string (subscriptions match it)."""
        params = {"period": self.period}
        if self.period == "custom":
            params |= {"start": self.start.isoformat(), "end": self.end.isoformat()}
        for name in ("department", "person", "pipeline"):
            if (value := getattr(self, name)) is not None:
                params[name] = value.pk
        if self.currency != DEFAULT_CURRENCY:
            params["currency"] = self.currency
        if self.days != DEFAULT_STUCK_DAYS:
            params["days"] = self.days
        params |= changes
        return {key: value for key, value in params.items() if value not in (None, "")}

    def query_string(self, **changes) -> str:
        return urlencode(self.query(**changes))

    @property
    def cache_key(self) -> str:
        """Same key, same numbers (the viewer's scope is part of it)."""
        return f"{self.scope.key}|{self.start}|{self.end}|{self.tz.key}|" + self.query_string()


class FilterForm(forms.Form):
    period = forms.ChoiceField(choices=PERIODS.items(), required=False)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    department = forms.IntegerField(required=False, min_value=1)
    person = forms.IntegerField(required=False, min_value=1)
    pipeline = forms.IntegerField(required=False, min_value=1)
    currency = forms.RegexField(regex=r"^[A-Za-z]{3}$", required=False)
    days = forms.IntegerField(required=False, min_value=1, max_value=3650)

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError("A custom range needs a first and a last day.")
            if end < start:
                raise forms.ValidationError("The last day comes before the first: swap them.")
            if end - start > LONGEST_RANGE:
                raise forms.ValidationError("Pick a range of at most three years.")
        return data


def read_filters(user, params, today: date | None = None) -> tuple[Filters, FilterForm]:
    """The filters in ``params`` for ``user``; invalid values fall back to the defaults
    (the form carries their errors); an invisible department, person or pipeline is 404."""
    scope = policies.scope_for(user)
    tz = moments.zone(user.timezone)
    today = today or timezone.localtime(timezone.now(), tz).date()
    form = FilterForm(params)
    data = form.cleaned_data if form.is_valid() else {}
    period = data.get("period") or DEFAULT_PERIOD
    if period == "custom":
        start, end = data["start"], data["end"]
    else:
        start, end = period_range(period, today)
    filters = Filters(
        scope=scope,
        start=start,
        end=end,
        period=period,
        tz=tz,
        department=_visible(policies.visible_departments(scope), params.get("department")),
        person=_visible(policies.visible_people(scope), params.get("person")),
        pipeline=_visible(Pipeline.objects.all(), params.get("pipeline")),
        currency=(data.get("currency") or DEFAULT_CURRENCY).upper(),
        days=data.get("days") or DEFAULT_STUCK_DAYS,
        today=today,
    )
    return filters, form


def _visible(queryset, raw):
    """The row ``raw`` names among ``queryset``: None when not given, 404 when not there."""
    if raw in (None, ""):
        return None
    try:
        return queryset.get(pk=int(raw))
    except (ValueError, TypeError, queryset.model.DoesNotExist):
        raise Http404("No such filter value.") from None


def currencies() -> list[str]:
    """The currencies deals are in, the default first."""
    used = set(Deal.objects.values_list("currency", flat=True).distinct())
    return [DEFAULT_CURRENCY, *sorted(used - {DEFAULT_CURRENCY})]
