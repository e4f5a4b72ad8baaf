"""Repeating events: expansion in the event's own wall clock (across DST), monthly rules,
UNTIL and COUNT, exceptions, all-day days, and bad input refused with nothing saved."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django_tasks_db.models import DBTaskResult

from accounts.models import Notification
from calendar_app import recurrence, selectors, services
from calendar_app.models import Attendee, Event
from calendar_app.recurrence import describe, expand, format_utc, normalize_rule
from tests.calendar.conftest import BERLIN, NEW_YORK, berlin, make_event
from workspace.live.models import Event as LiveEvent

pytestmark = pytest.mark.django_db


def series(organizer, rrule, start, hours=1, **fields) -> Event:
    return make_event(
        organizer, rrule=rrule, start=start, end=start + timedelta(hours=hours), **fields
    )


def starts(event, first=datetime(2026, 1, 1, tzinfo=UTC), last=datetime(2029, 1, 1, tzinfo=UTC)):
    """The starts of ``event``'s occurrences in the window, as the calendars read them."""
    entries = selectors.calendar_occurrences([event.organizer_id], first, last)
    return [entry.occurrence.start for entry in entries if entry.event.uid == event.uid]


def local(moments, tz=BERLIN):
    return [moment.astimezone(tz) for moment in moments]


def text(excinfo, field="rrule") -> str:
    return " ".join(excinfo.value.message_dict[field])


def assert_nothing_saved():
    assert not Event.objects.exists()
    assert not Attendee.objects.exists()
    assert not Notification.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert not LiveEvent.objects.exists()


# --- Across the clock changes -----------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "first", "spring", "autumn"),
    [
        (BERLIN, date(2027, 3, 15), date(2027, 3, 28), date(2027, 10, 31)),
        (NEW_YORK, date(2027, 3, 1), date(2027, 3, 14), date(2027, 11, 7)),
    ],
)
def test_a_weekly_meeting_stays_at_nine_local_across_both_clock_changes(
    organizer, invitee, tz, first, spring, autumn
):
    start = datetime.combine(first, time(9), tz)
    event = series(organizer, "FREQ=WEEKLY;COUNT=40", start, timezone_name=tz.key)
    found = starts(event)
    assert len(found) == 40
    assert {moment.astimezone(tz).time() for moment in found} == {time(9)}
    utc_hours = {
        "winter": {moment.hour for moment in found if moment.date() < spring},
        "summer": {moment.hour for moment in found if spring <= moment.date() < autumn},
        "winter again": {moment.hour for moment in found if moment.date() >= autumn},
    }
    winter = 9 - int(start.utcoffset().total_seconds() // 3600)
    assert utc_hours == {"winter": {winter}, "summer": {winter - 1}, "winter again": {winter}}
    lengths = {
        entry.occurrence.end - entry.occurrence.start
        for entry in selectors.calendar_occurrences(
            [organizer.pk], start, start + timedelta(days=400)
        )
    }
    assert lengths == {timedelta(hours=1)}


def test_an_all_day_event_on_the_days_of_the_change_is_23_and_25_hours(organizer):
    spring = make_event(
        organizer, all_day=True, start=date(2027, 3, 28), end=date(2027, 3, 29), title="Spring"
    )
    autumn = make_event(
        organizer, all_day=True, start=date(2027, 10, 31), end=date(2027, 11, 1), title="Autumn"
    )
    assert spring.end - spring.start == timedelta(hours=23)
    assert autumn.end - autumn.start == timedelta(hours=25)
    assert spring.start == berlin(2027, 3, 28) and spring.end == berlin(2027, 3, 29)


def test_a_daily_all_day_series_runs_midnight_to_midnight_across_the_change(organizer):
    event = make_event(
        organizer,
        all_day=True,
        start=date(2027, 3, 27),
        end=date(2027, 3, 28),
        rrule="FREQ=DAILY;COUNT=3",
    )
    window = (berlin(2027, 3, 26), berlin(2027, 4, 1))
    found = [entry.occurrence for entry in selectors.calendar_occurrences([organizer.pk], *window)]
    assert [(o.start.astimezone(BERLIN), o.end.astimezone(BERLIN)) for o in found] == [
        (berlin(2027, 3, 27), berlin(2027, 3, 28)),
        (berlin(2027, 3, 28), berlin(2027, 3, 29)),  # 23 hours
        (berlin(2027, 3, 29), berlin(2027, 3, 30)),
    ]
    assert event.last_end == berlin(2027, 3, 30)


def test_an_all_day_event_given_an_end_before_its_start_is_refused(organizer):
    with pytest.raises(ValidationError) as excinfo:
        make_event(organizer, all_day=True, start=date(2027, 3, 5), end=date(2027, 3, 4))
    assert "must end after it starts" in text(excinfo, "end")
    assert_nothing_saved()


# --- Monthly, UNTIL, COUNT -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rrule", "first", "expected"),
    [
        # RFC 5545: an invalid date (31 February, 31 April) is skipped, not moved.
        ("FREQ=MONTHLY;COUNT=4", date(2027, 1, 31), ["01-31", "03-31", "05-31", "07-31"]),
        ("FREQ=MONTHLY;BYDAY=2TU;COUNT=4", date(2027, 1, 12), ["01-12", "02-09", "03-09", "04-13"]),
        (
            "FREQ=MONTHLY;BYDAY=-1FR;COUNT=4",
            date(2027, 1, 29),
            ["01-29", "02-26", "03-26", "04-30"],
        ),
    ],
)
def test_monthly_by_date_and_by_weekday(organizer, rrule, first, expected):
    event = series(organizer, rrule, datetime.combine(first, time(9), BERLIN))
    assert [f"{moment:%m-%d}" for moment in local(starts(event))] == expected


def test_a_series_starts_on_the_first_day_its_rule_produces(organizer):
    monday = berlin(2027, 3, 1, 9)
    event = series(organizer, "FREQ=WEEKLY;BYDAY=WE,FR;COUNT=2", monday)
    assert event.start == berlin(2027, 3, 3, 9)
    assert event.end == berlin(2027, 3, 3, 10)
    assert [f"{moment:%a %d}" for moment in local(starts(event))] == ["Wed 03", "Fri 05"]


def test_a_date_only_until_means_through_that_day_in_the_events_zone(organizer):
    """20:00 in New York on 3 Jan is 01:00 UTC on 4 Jan, and still within UNTIL=20270103."""
    start = datetime(2027, 1, 1, 20, tzinfo=NEW_YORK)
    event = series(organizer, "FREQ=DAILY;UNTIL=20270103", start, timezone_name="America/New_York")
    assert event.rrule == "FREQ=DAILY;UNTIL=20270104T045959Z"
    assert [f"{moment:%d}" for moment in local(starts(event), NEW_YORK)] == ["01", "02", "03"]
    assert event.last_end == datetime(2027, 1, 3, 21, tzinfo=NEW_YORK)


def test_count_limits_the_series_and_sets_its_last_end(organizer):
    event = series(organizer, "FREQ=DAILY;COUNT=3", berlin(2027, 3, 1, 9))
    assert len(starts(event)) == 3
    assert event.last_end == berlin(2027, 3, 3, 10)


def test_a_series_without_end_has_no_last_end_and_shows_in_far_windows(organizer):
    event = series(organizer, "FREQ=YEARLY", berlin(2027, 3, 1, 9))
    assert event.last_end is None
    far = starts(event, berlin(2040, 1, 1), berlin(2041, 1, 1))
    assert local(far) == [berlin(2040, 3, 1, 9)]


def test_rules_are_stored_in_one_canonical_form(organizer):
    event = series(organizer, "rrule:freq=weekly;byday=mo,we;count=4", berlin(2027, 3, 1, 9))
    assert event.rrule == "FREQ=WEEKLY;COUNT=4;BYDAY=MO,WE"
    assert describe(event.rrule) == "Repeats weekly on Monday, Wednesday, 4 times"


@pytest.mark.parametrize(
    ("rrule", "description"),
    [
        ("FREQ=MONTHLY;BYDAY=+2TU", "Repeats monthly on the second Tuesday"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "Repeats monthly on the last Friday"),
        ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15", "Repeats every 3 months on day 15"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "Repeats yearly on day 29 in February"),
        ("FREQ=DAILY;UNTIL=20271231T225959Z", "Repeats daily, until 31 Dec 2027"),
        ("", ""),
    ],
)
def test_describe_says_it_for_people(rrule, description):
    assert describe(rrule) == description


# --- Bad rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rrule", "message"),
    [
        ("FREQ=HOURLY", "daily, weekly, monthly or yearly, not more often"),
        ("FREQ=MINUTELY;COUNT=5", "not more often"),
        ("FOO", "Each part is NAME=VALUE; “FOO” is not."),
        ("BYDAY=MO", "Say how often it repeats"),
        ("FREQ=FORTNIGHTLY", "not FORTNIGHTLY"),
        ("FREQ=WEEKLY;BYFOO=1", "BYFOO is not supported"),
        ("FREQ=DAILY;BYHOUR=9,17", "BYHOUR is not supported"),
        ("FREQ=WEEKLY;BYDAY=XX", "use weekdays MO, TU"),
        ("FREQ=MONTHLY;BYDAY=9TU", "like 2TU or -1FR"),
        ("FREQ=WEEKLY;INTERVAL=two", "INTERVAL must be a whole number"),
        ("FREQ=WEEKLY;COUNT=1001", "at most 1000 times"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT must be a whole number from 1"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20271231", "not both"),
        ("FREQ=WEEKLY;COUNT=3;COUNT=4", "COUNT is given twice"),
        ("FREQ=DAILY;UNTIL=20270101", "ends (UNTIL) before the event starts"),
        ("FREQ=DAILY;UNTIL=tomorrow", "is not a date"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never have those days"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "does not exist"),
        ("FREQ=WEEKLY;BYDAY=MO;BYSETPOS=1", "monthly or yearly rules only"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "never produces a date"),
        ("x" * 501, "too long"),
    ],
)
def test_a_bad_rule_is_refused_with_a_reason_and_nothing_is_saved(
    organizer, invitee, rrule, message
):
    with pytest.raises(ValidationError) as excinfo:
        series(organizer, rrule, berlin(2027, 3, 1, 9), attendees=[invitee])
    assert message in text(excinfo)
    assert "unpack" not in text(excinfo)
    assert_nothing_saved()


def test_build_rule_never_shows_dateutils_own_words():
    with pytest.raises(ValidationError) as excinfo:
        recurrence.build_rule("FREQ=WEEKLY;BYDAY=XX", berlin(2027, 3, 1, 9), "Europe/Berlin")
    assert text(excinfo) == (
        "“BYDAY=XX” is not a value this calendar understands. "
        "Example: FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"
    )
    with pytest.raises(ValidationError, match="is not a repeat rule this calendar understands"):
        recurrence.build_rule("FOO", berlin(2027, 3, 1, 9), "Europe/Berlin")


def test_a_bad_rule_on_change_keeps_the_old_one(organizer):
    event = series(organizer, "FREQ=WEEKLY;COUNT=4", berlin(2027, 3, 1, 9))
    with pytest.raises(ValidationError, match="not more often"):
        services.update_event(actor=organizer, event=event, changes={"rrule": "FREQ=SECONDLY"})
    event.refresh_from_db()
    assert (event.rrule, event.sequence) == ("FREQ=WEEKLY;COUNT=4", 0)


# --- Other bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"end": berlin(2027, 3, 1, 9)}, "end", "must end after it starts"),
        ({"end": berlin(2027, 3, 1, 10)}, "end", "must end after it starts"),
        ({"end": berlin(2027, 4, 2, 10)}, "end", "at most 31 days"),
        ({"timezone_name": "Mars/Olympus"}, "timezone", "not a known time zone"),
        ({"start": "next tuesday"}, "start", "is not a date and time"),
        ({"title": "   "}, "title", "This field cannot be blank"),
        ({"visibility": "secret"}, "visibility", "not a valid choice"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_saved(
    organizer, invitee, fields, field, message
):
    fields = {"start": berlin(2027, 3, 1, 10), "end": berlin(2027, 3, 1, 11), **fields}
    with pytest.raises(ValidationError) as excinfo:
        make_event(organizer, attendees=[invitee], **fields)
    assert message in text(excinfo, field)
    assert_nothing_saved()


def test_an_event_of_exactly_31_days_is_fine(organizer):
    event = make_event(organizer, start=berlin(2027, 3, 1, 10), end=berlin(2027, 4, 1, 10))
    assert event.duration == timedelta(days=31) - timedelta(hours=1)  # summer time began


def test_naive_times_are_read_in_the_events_zone(organizer):
    event = make_event(
        organizer,
        start=datetime(2027, 7, 1, 9),
        end=datetime(2027, 7, 1, 10),
        timezone_name="America/New_York",
    )
    assert event.start == datetime(2027, 7, 1, 13, tzinfo=UTC)


# --- Exceptions ----------------------------------------------------------------------------


def test_a_deleted_occurrence_is_an_exdate_and_shows_nowhere(organizer):
    event = series(organizer, "FREQ=WEEKLY;COUNT=4", berlin(2027, 3, 1, 9))
    second = berlin(2027, 3, 8, 9)
    services.cancel_event(actor=organizer, event=event, occurrence=second, scope="this")
    event.refresh_from_db()
    assert event.exdates == [format_utc(second)]
    assert second not in starts(event)
    assert len(starts(event)) == 3


def test_an_override_moved_out_of_the_window_still_hides_the_original(organizer):
    event = series(organizer, "FREQ=WEEKLY;COUNT=4", berlin(2027, 3, 1, 9))
    second = berlin(2027, 3, 8, 9)
    moved = services.move_event(
        actor=organizer,
        event=event,
        occurrence=second,
        start=berlin(2027, 3, 25, 14),
        end=berlin(2027, 3, 25, 15),
    )
    that_week = starts(event, berlin(2027, 3, 8), berlin(2027, 3, 15))
    assert that_week == []
    later = selectors.calendar_occurrences([organizer.pk], berlin(2027, 3, 25), berlin(2027, 3, 26))
    assert [(entry.event, entry.occurrence.recurrence_id) for entry in later] == [(moved, second)]


def test_expand_without_the_overrides_rows_uses_the_replaced_set(organizer):
    event = series(organizer, "FREQ=DAILY;COUNT=3", berlin(2027, 3, 1, 9))
    second = berlin(2027, 3, 2, 9)
    found = expand([event], berlin(2027, 3, 1), berlin(2027, 3, 4), replaced={(event.pk, second)})
    assert [occurrence.start for occurrence in found] == [
        berlin(2027, 3, 1, 9),
        berlin(2027, 3, 3, 9),
    ]
    assert found[1].key == f"{event.pk}-{format_utc(berlin(2027, 3, 3, 9))}"


def test_normalize_rule_is_idempotent():
    start = berlin(2027, 3, 1, 9)
    once = normalize_rule("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20271231", start, "Europe/Berlin")
    assert normalize_rule(once, start, "Europe/Berlin") == once
