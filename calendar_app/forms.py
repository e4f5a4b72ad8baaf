"""The event form (new and edit). It validates and shapes input; the services decide.

Times are typed as wall-clock dates and times in the event's time zone (the
``timezone`` field) and handed to the services naive: they read them in that
zone. An all-day event is typed as its first and last day; the services take
the end exclusive (the day after the last), as iCalendar does.

Repeating: the builder (``repeat``, ``interval``, ``weekdays``, ``ends``,
``until``, ``count``) writes an RRULE; "Custom" takes one as typed (``rrule``),
checked by the services. A stored rule the builder can express opens in the
builder, any other as "Custom".

Editing sends the services only what changed (``changes``): an unchanged
repeat rule is not re-sent, so changing one occurrence of a series never
trips "an occurrence cannot repeat on its own".
"""

import re
import zoneinfo
from datetime import date, datetime, time, timedelta
from functools import cache

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils import timezone

from accounts.models import User
from calendar_app.models import DESCRIPTION_MAX_LENGTH, REMINDER_CHOICES, TITLE_MAX_LENGTH, Event
from calendar_app.recurrence import MAX_COUNT, parse_utc, zone
from records.models import Contact, Deal
from records.selectors.tickets import client_choices, open_clients

WEEKDAYS = [
    ("MO", "Mon"),
    ("TU", "Tue"),
    ("WE", "Wed"),
    ("TH", "Thu"),
    ("FR", "Fri"),
    ("SA", "Sat"),
    ("SU", "Sun"),
]
DAY_CODES = [code for code, _ in WEEKDAYS]
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
CUSTOM = "custom"
FREQUENCIES = {
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly_day": "MONTHLY",
    "monthly_weekday": "MONTHLY",
    "yearly": "YEARLY",
}
ENDS = [("never", "Never"), ("until", "On a date"), ("count", "After a number of times")]
SCOPES = [
    ("this", "Only this occurrence"),
    ("following", "This and following"),
    ("all", "All occurrences"),
]
REMINDERS = [("", "No reminder"), *((str(minutes), label) for minutes, label in REMINDER_CHOICES)]
DEFAULT_REMINDER = "10"
DEFAULT_LENGTH = timedelta(hours=1)
DEAL_CHOICES = 100
BUILDER_FIELDS = ("repeat", "interval", "weekdays", "ends", "until", "count", "rrule")
TIME_FIELDS = ("all_day", "timezone", "start_date", "start_time", "end_date", "end_time")
TEXT_FIELDS = ("title", "description", "location", "video_url", "visibility")
# Service error keys that are not form field names.
SERVICE_FIELDS = {"start": "start_date", "end": "end_date", "reminder_minutes": "reminder"}
FORM_ID = "event-form"  # the colleagues picker sits outside the <form> (beside it), joined by id
SPACED_OFFSET = re.compile(r" (\d\d:?\d\d)$")  # "+01:00" typed unencoded in a URL


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


# --- Repeat rules ----------------------------------------------------------------------


def weekday_code(day: date) -> str:
    return DAY_CODES[day.weekday()]


def nth_weekday(day: date) -> int:
    """Which of its month's weekdays ``day`` is: 1 to 4, or -1 for the fifth (the last)."""
    nth = (day.day - 1) // 7 + 1
    return -1 if nth == 5 else nth


def repeat_choices(day: date | None) -> list[tuple[str, str]]:
    """The repeat options, worded for an event starting on ``day`` (event_form.js rewords
    them when the start date changes)."""
    day = day or timezone.localdate()
    weekday = f"{day:%A}"
    return [
        ("", "Does not repeat"),
        ("daily", "Daily"),
        ("weekly", "Weekly"),
        ("monthly_day", f"Monthly on day {day.day}"),
        ("monthly_weekday", f"Monthly on the {ORDINALS[nth_weekday(day)]} {weekday}"),
        ("yearly", f"Yearly on {day.day} {day:%B}"),
        (CUSTOM, "Custom rule (RRULE)…"),
    ]


def build_rrule(data: dict) -> str:
    """The RRULE of the builder's values (``start_date`` gives the day the rule hangs on)."""
    repeat = data.get("repeat") or ""
    if repeat == CUSTOM:
        return (data.get("rrule") or "").strip()
    if not repeat or not data.get("start_date"):
        return ""
    day = data["start_date"]
    parts = [f"FREQ={FREQUENCIES[repeat]}"]
    if (data.get("interval") or 1) > 1:
        parts.append(f"INTERVAL={data['interval']}")
    if repeat == "weekly":
        days = data.get("weekdays") or [weekday_code(day)]
        parts.append("BYDAY=" + ",".join(code for code in DAY_CODES if code in days))
    elif repeat == "monthly_day":
        parts.append(f"BYMONTHDAY={day.day}")
    elif repeat == "monthly_weekday":
        parts.append(f"BYDAY={nth_weekday(day)}{weekday_code(day)}")
    if data.get("ends") == "until" and data.get("until"):
        parts.append(f"UNTIL={data['until']:%Y%m%d}")
    elif data.get("ends") == "count" and data.get("count"):
        parts.append(f"COUNT={data['count']}")
    return ";".join(parts)


def builder_fields(rule: str, day: date, tz_name: str) -> dict:
    """The builder's values for a stored ``rule`` of a series on ``day``; "Custom" (with the
    rule as text) when the builder cannot say it."""
    fields = {
        "repeat": "",
        "interval": 1,
        "weekdays": [],
        "ends": "never",
        "until": None,
        "count": None,
        "rrule": "",
    }
    if not rule:
        return fields
    parts = dict(part.partition("=")[::2] for part in rule.split(";"))
    frequency = parts.pop("FREQ", "")
    interval = parts.pop("INTERVAL", "1")
    count, until = parts.pop("COUNT", None), parts.pop("UNTIL", None)
    repeat = _builder_repeat(frequency, parts, day)
    if repeat is None or not interval.isdigit() or not 1 <= int(interval) <= 99:
        return {**fields, "repeat": CUSTOM, "rrule": rule}
    fields.update(repeat=repeat, interval=int(interval))
    if repeat == "weekly" and parts.get("BYDAY", weekday_code(day)) != weekday_code(day):
        fields["weekdays"] = parts["BYDAY"].split(",")  # none ticked: the day it starts on
    if count:
        fields.update(ends="count", count=int(count))
    elif until:
        fields.update(ends="until", until=_until_day(until, tz_name))
    return fields


def _builder_repeat(frequency: str, rest: dict, day: date) -> str | None:
    if frequency == "DAILY" and not rest:
        return "daily"
    if frequency == "WEEKLY" and set(rest) <= {"BYDAY"}:
        days = rest["BYDAY"].split(",") if rest else []
        return "weekly" if set(days) <= set(DAY_CODES) else None
    if frequency == "MONTHLY" and rest in ({}, {"BYMONTHDAY": str(day.day)}):
        return "monthly_day"
    nth_day = f"{nth_weekday(day)}{weekday_code(day)}"
    if frequency == "MONTHLY" and set(rest) == {"BYDAY"} and rest["BYDAY"].lstrip("+") == nth_day:
        return "monthly_weekday"
    if frequency == "YEARLY" and not rest:
        return "yearly"
    return None


def _until_day(text: str, tz_name: str) -> date:
    if text.endswith("Z"):
        return parse_utc(text).astimezone(zone(tz_name)).date()
    return datetime.strptime(text[:8], "%Y%m%d").date()


# --- Fields -------------------------------------------------------------------------------


class PeopleSelect(forms.SelectMultiple):
    """Colleagues to invite; each option carries what event_form.js's picker shows."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        person = getattr(value, "instance", None)
        if person is not None:
            option["attrs"].update(
                {
                    "data-initials": person.initials,
                    "data-colour": person.avatar_colour,
                    "data-detail": person.job_title or person.email,
                }
            )
        return option


class GuestsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, contact: Contact) -> str:
        return f"{contact.name} · {contact.emails[0]}"


class EventForm(forms.Form):
    title = forms.CharField(
        max_length=TITLE_MAX_LENGTH,
        error_messages={"required": "Give the event a title."},
        widget=forms.TextInput(attrs={"placeholder": "What is it about?", "autofocus": True}),
    )
    all_day = forms.BooleanField(required=False, label="All day")
    start_date = forms.DateField(
        label="Starts",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Pick the day it starts.", "invalid": "Enter a date."},
    )
    start_time = forms.TimeField(
        required=False,
        label="Start time",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time like 09:30."},
    )
    end_date = forms.DateField(
        required=False,
        label="Ends",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date."},
    )
    end_time = forms.TimeField(
        required=False,
        label="End time",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time like 10:30."},
    )
    timezone = forms.ChoiceField(
        label="Time zone",
        widget=forms.Select(attrs={"data-slot-input": True}),
        error_messages={
            "invalid_choice": "“%(value)s” is not a known time zone. "
            "Pick one like Europe/Berlin or America/New_York."
        },
    )
    repeat = forms.ChoiceField(required=False, label="Repeat")
    interval = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=99,
        label="Every",
        error_messages={"min_value": "At least 1.", "max_value": "At most 99."},
    )
    weekdays = forms.MultipleChoiceField(
        choices=WEEKDAYS, required=False, widget=forms.CheckboxSelectMultiple, label="On"
    )
    ends = forms.ChoiceField(choices=ENDS, required=False, widget=forms.RadioSelect, label="Ends")
    until = forms.DateField(
        required=False,
        label="Last day",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    count = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_COUNT,
        label="Times",
        error_messages={"max_value": f"An event can repeat at most {MAX_COUNT} times."},
    )
    rrule = forms.CharField(
        required=False,
        max_length=500,
        label="Repeat rule (RRULE)",
        help_text="RFC 5545, e.g. FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1 "
        "(the last working day of each month).",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    location = forms.CharField(
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "Room, address…"}),
    )
    video_url = forms.URLField(
        required=False,
        max_length=500,
        label="Video link",
        widget=forms.URLInput(attrs={"placeholder": "https://meet.example.com/…"}),
        error_messages={"invalid": "Enter the full link, starting with https://."},
    )
    description = forms.CharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Agenda, notes… (plain text)"}),
    )
    attendees = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Colleagues",
        widget=PeopleSelect(
            attrs={"form": FORM_ID, "data-slot-input": True, "data-people-picker": True}
        ),
        error_messages={"invalid_choice": "Pick colleagues from the list."},
    )
    client = forms.ModelChoiceField(
        queryset=open_clients(),
        required=False,
        empty_label="No client",
        error_messages={"invalid_choice": "Pick one of the listed clients."},
        widget=forms.Select(
            attrs={
                "hx-get": reverse_lazy("calendar:event_form_client"),
                "hx-trigger": "change",
                "hx-target": "#event-client-parts",
            }
        ),
    )
    deal = forms.ModelChoiceField(
        queryset=Deal.objects.select_related("client"),
        required=False,
        empty_label="No deal",
        error_messages={"invalid_choice": "Pick one of the client's deals."},
    )
    guests = GuestsField(
        queryset=Contact.objects.none(),
        required=False,
        label="Guests",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Pick guests among the client's contacts."},
    )
    visibility = forms.ChoiceField(
        choices=[(Event.Visibility.NORMAL, "Normal"), (Event.Visibility.PRIVATE, "Private")],
        widget=forms.RadioSelect,
        label="Visibility",
        help_text="Colleagues who are not invited see a private event only as “busy”.",
    )
    reminder = forms.ChoiceField(choices=REMINDERS, required=False, label="Reminder")
    scope = forms.ChoiceField(
        choices=SCOPES,
        widget=forms.RadioSelect,
        label="Change",
        error_messages={"required": "Say which occurrences to change."},
    )
    sequence = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # Sent only by the buttons of the double-booking and "changed meanwhile" warnings.
    allow_double_booking = forms.BooleanField(required=False)
    stale_ok = forms.IntegerField(required=False)

    def __init__(self, *args, organizer: User, event: Event | None = None, scoped=False, **kwargs):
        """``organizer``: whose event it is (left out of the colleagues to invite);
        ``event``: the row being edited; ``scoped``: it is a series' occurrence, so the
        person says which occurrences a change is for."""
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["timezone"].choices = timezone_choices()
        self.fields["repeat"].choices = repeat_choices(self._typed_start_day())
        invited = self.initial.get("attendees") or []
        self.fields["attendees"].queryset = (
            User.objects.filter(Q(is_active=True) | Q(pk__in=invited))
            .exclude(pk=organizer.pk)
            .order_by("full_name")
        )
        self._set_links()
        if not scoped:
            del self.fields["scope"]
        if event is None:
            del self.fields["sequence"]
        self.clashes, self.clash_message = [], ""  # DoubleBooked: who is busy when
        self.stale_sequence = None  # StaleEvent: the event's sequence now

    def _typed_start_day(self) -> date | None:
        value = self.data.get("start_date") if self.is_bound else self.initial.get("start_date")
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value or "")
        except ValueError:
            return None

    def _set_links(self) -> None:
        """Client choices: recent ones and the picked one; deals and guests: the client's."""
        client_id = self.data.get("client") if self.is_bound else self.initial.get("client")
        client_id = getattr(client_id, "pk", client_id)
        client_id = int(client_id) if str(client_id or "").isdigit() else None
        self.client_id = client_id
        self.fields["client"].choices = [("", "No client"), *client_choices(keep=client_id)]
        deals = Deal.objects.filter(client_id=client_id).order_by("status", "title")
        self.fields["deal"].choices = [
            ("", "No deal"),
            *((deal.pk, _deal_label(deal)) for deal in deals[:DEAL_CHOICES]),
        ]
        contacts = list(Contact.objects.filter(client_id=client_id).order_by("name"))
        self.contacts_without_email = [contact.name for contact in contacts if not contact.emails]
        self.fields["guests"].queryset = Contact.objects.filter(
            pk__in=[contact.pk for contact in contacts if contact.emails]
        ).order_by("name")
        if client_id is None:
            self.fields["deal"].choices = [("", "Pick a client first")]
            self.fields["deal"].widget.attrs["disabled"] = True

    # --- Checks -------------------------------------------------------------------------

    def clean(self):
        data = super().clean()
        if "start_date" not in data:
            return data
        data["end_date"] = data.get("end_date") or data["start_date"]
        if data.get("all_day"):
            if data["end_date"] < data["start_date"]:
                self.add_error("end_date", "The last day cannot be before the first.")
        else:
            for name, what in (("start_time", "starts"), ("end_time", "ends")):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, f"Pick the time it {what}, or make it an all-day event.")
        self._check_repeat(data)
        return data

    def _check_repeat(self, data: dict) -> None:
        repeat = data.get("repeat")
        if repeat == CUSTOM and not data.get("rrule", "").strip():
            self.add_error("rrule", "Type a repeat rule, or pick one of the simple options.")
        elif repeat and repeat != CUSTOM:
            ends = data.get("ends") or "never"
            if ends == "until" and data.get("until") is None and "until" not in self.errors:
                self.add_error("until", "Pick the last day, or choose another ending.")
            elif ends == "until" and data.get("until") and data["until"] < data["start_date"]:
                self.add_error("until", "The last day of the series is before its first.")
            if ends == "count" and data.get("count") is None and "count" not in self.errors:
                self.add_error("count", "Say how many times, or choose another ending.")

    def add_service_error(self, error) -> None:
        """Put a service's ValidationError on the fields it names (``start`` on the start
        date, an RRULE problem on the builder or the custom rule, ...)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for name, messages in error.message_dict.items():
            self.add_error(self._field_of(name), messages)

    def _field_of(self, name: str) -> str | None:
        if name == "rrule":
            return "rrule" if self.data.get("repeat") == CUSTOM else "repeat"
        name = SERVICE_FIELDS.get(name, name)
        return name if name in self.fields else None

    # --- What the services take ---------------------------------------------------------

    @property
    def seen_sequence(self) -> int | None:
        data = self.cleaned_data
        return data["stale_ok"] if data.get("stale_ok") is not None else data.get("sequence")

    def span(self) -> tuple:
        """(start, end): naive date-times in the event's zone, or dates (end exclusive)."""
        data = self.cleaned_data
        if data.get("all_day"):
            return data["start_date"], data["end_date"] + timedelta(days=1)
        return (
            datetime.combine(data["start_date"], data["start_time"]),
            datetime.combine(data["end_date"], data["end_time"]),
        )

    def create_arguments(self) -> dict:
        """What ``services.create_event`` takes from this form (``actor`` is the view's)."""
        data = self.cleaned_data
        start, end = self.span()
        return {
            "title": data["title"],
            "start": start,
            "end": end,
            "timezone_name": data["timezone"],
            "all_day": data["all_day"],
            "description": data["description"],
            "location": data["location"],
            "video_url": data["video_url"],
            "attendees": list(data["attendees"]),
            "guests": list(data["guests"]),
            "client": data["client"],
            "deal": data["deal"],
            "visibility": data["visibility"],
            "reminder_minutes": _minutes(data["reminder"]),
            "rrule": build_rrule(data),
            "allow_double_booking": data["allow_double_booking"],
        }

    def changes(self) -> dict:
        """What ``services.update_event`` should change: only what differs from the event."""
        data, before = self.cleaned_data, self.initial
        changes = {name: data[name] for name in TEXT_FIELDS if data[name] != before.get(name)}
        if _time_values(data) != _time_values(before):
            changes["start"], changes["end"] = self.span()
            for name in ("all_day", "timezone"):
                if data[name] != before.get(name):
                    changes[name] = data[name]
        if data["reminder"] != before.get("reminder"):
            changes["reminder_minutes"] = _minutes(data["reminder"])
        if self._repeat_changed():
            changes["rrule"] = build_rrule(data)
        if _pk(data["client"]) != _pk(before.get("client")) or _pk(data["deal"]) != _pk(
            before.get("deal")
        ):
            changes["client"], changes["deal"] = data["client"], data["deal"]
        if {person.pk for person in data["attendees"]} != set(before.get("attendees") or []):
            changes["attendees"] = list(data["attendees"])
        if {contact.pk for contact in data["guests"]} != set(before.get("guests") or []):
            changes["guests"] = list(data["guests"])
        return changes

    def _repeat_changed(self) -> bool:
        """For one occurrence: whether the person touched the repeat fields (which is then
        refused). Otherwise: whether the rule differs, also by implication (a monthly
        event moved to another day of the month repeats on that day)."""
        data, before = self.cleaned_data, self.initial
        if data.get("scope") == "this":
            return any(
                (data.get(name) or None) != (before.get(name) or None) for name in BUILDER_FIELDS
            )
        return build_rrule(data) != build_rrule(before)


def _deal_label(deal: Deal) -> str:
    return deal.title if deal.status == Deal.Status.OPEN else f"{deal.title} ({deal.status})"


def _minutes(value: str) -> int | None:
    return int(value) if value else None


def _pk(value) -> int | None:
    return getattr(value, "pk", value)


def _time_values(values: dict) -> tuple:
    """The time fields as compared for a change (times do not count for all-day events)."""
    all_day = bool(values.get("all_day"))
    return tuple(
        None if all_day and name.endswith("_time") else values.get(name) for name in TIME_FIELDS
    )


# --- Starting values ----------------------------------------------------------------------


def new_event_initial(organizer: User, params, *, client=None, deal=None) -> dict:
    """A new event's values: from the calendar's selection (``start``, ``end``, ``all_day``;
    ISO 8601, an all-day ``end`` exclusive as FullCalendar gives it), else the next full
    hour for an hour; ``attendees`` ids; the client and deal the page was opened from."""
    tz_name = organizer.timezone
    tz = zone(tz_name)
    all_day = params.get("all_day", "") in ("1", "true", "on")
    start = _prefill_moment(params.get("start"), tz) or _next_hour(tz)
    end = _prefill_moment(params.get("end"), tz)
    if all_day:
        last = end.date() - timedelta(days=1) if end and end.date() > start.date() else None
        start_time = end_time = None
        end_date = last or start.date()
    else:
        end = end if end and end > start else start + DEFAULT_LENGTH
        start_time, end_time, end_date = start.time(), end.time(), end.date()
    return {
        "all_day": all_day,
        "start_date": start.date(),
        "start_time": start_time,
        "end_date": end_date,
        "end_time": end_time,
        "timezone": tz_name,
        "visibility": Event.Visibility.NORMAL,
        "reminder": DEFAULT_REMINDER,
        "attendees": _ids(params.getlist("attendees")),
        "client": (client or (deal.client if deal else None)),
        "deal": deal,
        **builder_fields("", start.date(), tz_name),
    }


def event_initial(event: Event, start: datetime, end: datetime) -> dict:
    """The values of ``event`` (a single event, a series, or an override row) as the form
    shows them; ``start``/``end`` of the occurrence being edited."""
    tz_name = event.timezone
    local_start, local_end = start.astimezone(zone(tz_name)), end.astimezone(zone(tz_name))
    if event.all_day:
        end_date = local_end.date() - timedelta(days=1)
        start_time = end_time = None
    else:
        end_date, start_time, end_time = local_end.date(), local_start.time(), local_end.time()
    attendees = list(event.attendees.all())
    rule = event.series.rrule if event.series_id else event.rrule
    return {
        "title": event.title,
        "description": event.description,
        "location": event.location,
        "video_url": event.video_url,
        "visibility": event.visibility,
        "all_day": event.all_day,
        "timezone": tz_name,
        "start_date": local_start.date(),
        "start_time": start_time,
        "end_date": end_date,
        "end_time": end_time,
        "reminder": "" if event.reminder_minutes is None else str(event.reminder_minutes),
        "client": event.client_id,
        "deal": event.deal_id,
        "attendees": [a.user_id for a in attendees if a.user_id and not a.is_organizer],
        "guests": [a.contact_id for a in attendees if a.user_id is None and a.contact_id],
        "sequence": event.sequence,
        "scope": "this",
        **builder_fields(rule, local_start.date(), tz_name),
    }


def _prefill_moment(text, tz) -> datetime | None:
    """A wall-clock time in ``tz`` from ISO 8601 text (a date: its midnight), or None."""
    text = SPACED_OFFSET.sub(r"+\1", (text or "").strip())
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if timezone.is_aware(moment):
        moment = moment.astimezone(tz).replace(tzinfo=None)
    return moment.replace(second=0, microsecond=0)


def _next_hour(tz) -> datetime:
    now = timezone.now().astimezone(tz).replace(tzinfo=None)
    return datetime.combine(now.date(), time(now.hour)) + timedelta(hours=1)


def _ids(values) -> list[int]:
    found = []
    for value in values:
        found += [int(part) for part in value.split(",") if part.strip().isdigit()]
    return list(dict.fromkeys(found))
