"""The event form: the repeat builder, prefilling, what an edit changes, errors on fields."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from calendar_app import services
from calendar_app.forms import (
    CUSTOM,
    EventForm,
    build_rrule,
    builder_fields,
    event_initial,
    new_event_initial,
    repeat_choices,
)
from calendar_app.recurrence import normalize_rule
from tests.calendar.conftest import form_data

BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY = date(2031, 3, 4)  # the first Tuesday of March 2031
LAST_FRIDAY = date(2031, 1, 31)


def rule(repeat, day=TUESDAY, **fields) -> str:
    return build_rrule({"repeat": repeat, "start_date": day, **fields})


# --- The repeat builder ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("repeat", "fields", "expected"),
    [
        ("", {}, ""),
        ("daily", {}, "FREQ=DAILY"),
        ("daily", {"interval": 3, "ends": "count", "count": 10}, "FREQ=DAILY;INTERVAL=3;COUNT=10"),
        ("weekly", {}, "FREQ=WEEKLY;BYDAY=TU"),
        ("weekly", {"weekdays": ["FR", "MO", "WE"]}, "FREQ=WEEKLY;BYDAY=MO,WE,FR"),
        ("monthly_day", {}, "FREQ=MONTHLY;BYMONTHDAY=4"),
        ("monthly_weekday", {}, "FREQ=MONTHLY;BYDAY=1TU"),
        ("yearly", {"ends": "until", "until": date(2035, 3, 4)}, "FREQ=YEARLY;UNTIL=20350304"),
        (
            CUSTOM,
            {"rrule": " FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1 "},
            "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1",
        ),
    ],
)
def test_builder_writes_rrules(repeat, fields, expected):
    assert rule(repeat, **fields) == expected


def test_the_fifth_weekday_of_a_month_is_its_last():
    assert rule("monthly_weekday", LAST_FRIDAY) == "FREQ=MONTHLY;BYDAY=-1FR"


def test_an_ending_is_only_written_with_its_value():
    assert rule("daily", ends="until") == "FREQ=DAILY"
    assert rule("daily", ends="never", count=5) == "FREQ=DAILY"


def test_repeat_options_are_worded_for_the_start_day():
    labels = dict(repeat_choices(LAST_FRIDAY))
    assert labels["monthly_day"] == "Monthly on day 31"
    assert labels["monthly_weekday"] == "Monthly on the last Friday"
    assert labels["yearly"] == "Yearly on 31 January"


@pytest.mark.parametrize(
    "fields",
    [
        {"repeat": "daily", "interval": 2},
        {"repeat": "weekly", "weekdays": ["MO", "WE"], "ends": "count", "count": 8},
        {"repeat": "weekly"},
        {"repeat": "monthly_day", "ends": "until", "until": date(2031, 12, 31)},
        {"repeat": "monthly_weekday", "interval": 3},
        {"repeat": "yearly"},
    ],
)
def test_stored_rules_open_in_the_builder(fields):
    """What the builder wrote, as the services store it (canonical, UNTIL in UTC), opens
    in the builder again with the same values."""
    start = datetime.combine(TUESDAY, time(10), BERLIN)
    stored = normalize_rule(rule(**fields), start, "Europe/Berlin")
    opened = builder_fields(stored, TUESDAY, "Europe/Berlin")
    assert {name: opened[name] for name in fields} == fields
    assert build_rrule({**opened, "start_date": TUESDAY}) == rule(**fields)


@pytest.mark.parametrize(
    "stored",
    [
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=MONTHLY;BYMONTHDAY=15",  # not the day it starts on
        "FREQ=WEEKLY;BYDAY=1MO",
        "FREQ=YEARLY;BYMONTH=3,9",
    ],
)
def test_rules_the_builder_cannot_say_open_as_custom(stored):
    opened = builder_fields(stored, TUESDAY, "Europe/Berlin")
    assert (opened["repeat"], opened["rrule"]) == (CUSTOM, stored)


# --- Prefilling a new event ------------------------------------------------------------------


def test_new_event_starts_at_the_next_full_hour(member):
    values = new_event_initial(member, QueryDict())
    assert values["start_time"].minute == 0
    assert values["timezone"] == member.timezone == "Europe/Berlin"
    assert values["reminder"] == "10" and values["repeat"] == ""


def test_prefill_reads_times_in_the_persons_zone(member):
    params = QueryDict("start=2031-03-04T09:00:00Z&end=2031-03-04T09:45:00%2B00:00")
    values = new_event_initial(member, params)
    assert (values["start_date"], values["start_time"]) == (TUESDAY, time(10))
    assert (values["end_date"], values["end_time"]) == (TUESDAY, time(10, 45))


def test_prefill_takes_an_unencoded_offset_and_naive_times(member):
    spaced = new_event_initial(member, QueryDict("start=2031-03-04T10:00:00 05:00"))
    assert spaced["start_time"] == time(6)
    naive = new_event_initial(member, QueryDict("start=2031-03-04T10:00&end=2031-03-04T09:00"))
    assert (naive["start_time"], naive["end_time"]) == (time(10), time(11))  # end fixed


def test_prefill_all_day_end_is_exclusive(member):
    values = new_event_initial(member, QueryDict("start=2031-03-04&end=2031-03-05&all_day=1"))
    assert values["all_day"] and values["start_date"] == values["end_date"] == TUESDAY
    assert values["start_time"] is None


def test_prefill_ignores_nonsense(member):
    values = new_event_initial(member, QueryDict("start=soon&attendees=3,x&attendees=4,3"))
    assert values["start_time"].minute == 0
    assert values["attendees"] == [3, 4]


# --- Checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"repeat": "daily", "ends": "until"}, "until"),
        ({"repeat": "daily", "ends": "until", "until": "2031-03-01"}, "until"),
        ({"repeat": "daily", "ends": "count"}, "count"),
        ({"repeat": CUSTOM, "rrule": ""}, "rrule"),
        ({"interval": "0", "repeat": "daily"}, "interval"),
        ({"end_time": ""}, "end_time"),
        ({"start_date": "2031-13-40"}, "start_date"),
    ],
)
def test_bad_values_are_refused_on_their_field(member, changes, field):
    form = EventForm(form_data(**changes), organizer=member)
    assert not form.is_valid()
    assert field in form.errors, form.errors


def test_all_day_ignores_times_and_ends_after_the_last_day(member):
    form = EventForm(
        form_data(all_day="on", start_time="", end_time="", end_date="2031-03-06"),
        organizer=member,
    )
    assert form.is_valid(), form.errors
    assert form.span() == (TUESDAY, date(2031, 3, 7))


def test_service_errors_land_on_the_fields_people_see(member):
    form = EventForm(form_data(repeat="daily"), organizer=member)
    assert form.is_valid()
    form.add_service_error(
        ValidationError(
            {
                "start": "Not on the rule.",
                "rrule": "Bad rule.",
                "reminder_minutes": "Too early.",
                "sequence_number": "Odd.",
            }
        )
    )
    assert form.errors["start_date"] == ["Not on the rule."]
    assert form.errors["repeat"] == ["Bad rule."]
    assert form.errors["reminder"] == ["Too early."]
    assert form.non_field_errors() == ["Odd."]
    custom = EventForm(form_data(repeat=CUSTOM, rrule="FREQ=DAILY"), organizer=member)
    custom.is_valid()
    custom.add_service_error(ValidationError({"rrule": "Bad rule."}))
    assert custom.errors["rrule"] == ["Bad rule."]


def test_the_organizer_is_not_offered_as_a_guest_of_their_own_event(member, admin):
    form = EventForm(organizer=member, initial={})
    offered = list(form.fields["attendees"].queryset)
    assert member not in offered and admin in offered


# --- What an edit changes ------------------------------------------------------------------------


@pytest.fixture
def standup(member):
    """Mondays 09:00 (Berlin) from 3 March 2031, monthly review on the same day."""
    return services.create_event(
        actor=member,
        title="Stand-up",
        start=datetime(2031, 3, 3, 9, tzinfo=BERLIN),
        end=datetime(2031, 3, 3, 9, 30, tzinfo=BERLIN),
        rrule="FREQ=WEEKLY",
        location="Room 1",
    )


def edited(event, occurrence=None, **typed) -> EventForm:
    """The edit form of ``event`` (at ``occurrence``) as opened, with ``typed`` changed."""
    start = occurrence or event.start
    initial = event_initial(event, start, start + event.duration)
    opened = EventForm(organizer=event.organizer, event=event, initial=initial, scoped=True)
    data = {}
    for name in opened.fields:
        value = opened[name].value()
        if isinstance(value, list):
            data[name] = [str(item) for item in value]
        elif value not in (None, False):
            data[name] = value.strftime("%H:%M") if isinstance(value, time) else str(value)
    form = EventForm(
        {**data, **typed}, organizer=event.organizer, event=event, initial=initial, scoped=True
    )
    assert form.is_valid(), form.errors
    return form


def test_an_untouched_form_changes_nothing(standup):
    assert edited(standup).changes() == {}
    second = datetime(2031, 3, 10, 8, tzinfo=UTC)
    assert edited(standup, second, scope="this").changes() == {}


def test_only_what_was_typed_is_changed(standup):
    changes = edited(standup, location="Room 2", reminder="30").changes()
    assert changes == {"location": "Room 2", "reminder_minutes": 30}


def test_a_new_time_sends_start_and_end_together(standup):
    changes = edited(standup, end_time="10:00").changes()
    assert changes == {"start": datetime(2031, 3, 3, 9), "end": datetime(2031, 3, 3, 10)}
    zoned = edited(standup, timezone="Europe/London").changes()
    assert zoned["timezone"] == "Europe/London" and "start" in zoned


def test_moving_one_occurrence_keeps_the_rule(standup):
    second = datetime(2031, 3, 10, 8, tzinfo=UTC)
    form = edited(standup, second, scope="this", start_date="2031-03-11", end_date="2031-03-11")
    assert "rrule" not in form.changes()


def test_touching_the_rule_of_one_occurrence_is_sent_to_be_refused(standup):
    second = datetime(2031, 3, 10, 8, tzinfo=UTC)
    form = edited(standup, second, scope="this", repeat="daily")
    assert form.changes()["rrule"] == "FREQ=DAILY"


def test_a_monthly_series_moved_to_another_day_repeats_on_that_day(member):
    review = services.create_event(
        actor=member,
        title="Review",
        start=datetime(2031, 3, 4, 9, tzinfo=BERLIN),
        end=datetime(2031, 3, 4, 10, tzinfo=BERLIN),
        rrule="FREQ=MONTHLY;BYMONTHDAY=4",
    )
    form = edited(review, scope="all", start_date="2031-03-05", end_date="2031-03-05")
    assert form.changes()["rrule"] == "FREQ=MONTHLY;BYMONTHDAY=5"


def test_people_and_links_are_compared_by_who_and_what(standup, admin):
    changes = edited(standup, attendees=[str(admin.pk)]).changes()
    assert changes == {"attendees": [admin]}
