"""The slot finder (calendar_app/slots.py): working hours, time zones, days off, busy
time from single events, series and their exceptions, DST, the grid, reasons, queries."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calendar_app import services
from calendar_app.slots import find_slots
from tests.factories import UserFactory

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2030, 3, 4).date()  # Berlin UTC+1, New York UTC-5
HALF_HOUR = timedelta(minutes=30)

NOW = datetime(2030, 1, 1, tzinfo=UTC)  # the tests' clock: their dates stay in the future

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The slot finder never proposes the past: these tests run on a clock set to ``NOW``."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def person(tz="Europe/Berlin", start=9, end=17, days=(0, 1, 2, 3, 4), **fields):
    return UserFactory(
        timezone=tz, work_start=time(start), work_end=time(end), work_days=list(days), **fields
    )


def at(day, hour, minute=0, tz=BERLIN):
    return datetime.combine(day, time(hour, minute), tz)


def meeting(organizer, start, end, attendees=(), **fields):
    return services.create_event(
        actor=organizer,
        title=fields.pop("title", "Planning"),
        start=start,
        end=end,
        attendees=list(attendees),
        allow_double_booking=True,
        **fields,
    )


def local(slots, tz=BERLIN):
    """The slots as local (weekday, "HH:MM") pairs, for readable assertions."""
    return [(start.astimezone(tz).strftime("%a %H:%M")) for start, _ in slots]


@pytest.fixture
def ann():
    return person(full_name="Ann Berg")


@pytest.fixture
def bob():
    return person(full_name="Bob Fisher")


# --- Working hours and time zones -------------------------------------------------------


def test_slots_lie_in_working_hours_back_to_back(ann):
    found = find_slots([ann], HALF_HOUR, at(MONDAY, 6))

    assert local(found) == ["Mon 09:00", "Mon 09:30", "Mon 10:00", "Mon 10:30", "Mon 11:00"]
    assert all(end - start == HALF_HOUR for start, end in found)
    assert all(start.tzinfo is not None for start, _ in found)


def test_no_slot_after_work_continues_next_working_day(ann):
    found = find_slots([ann], HALF_HOUR, at(MONDAY, 16, 30), count=2)

    assert local(found) == ["Mon 16:30", "Tue 09:00"]


def test_berlin_and_new_york_meet_only_from_15_to_17_berlin(ann):
    new_yorker = person("America/New_York")

    found = find_slots([ann, new_yorker], HALF_HOUR, at(MONDAY, 0), count=10)

    assert local(found) == [
        *["Mon 15:00", "Mon 15:30", "Mon 16:00", "Mon 16:30"],
        *["Tue 15:00", "Tue 15:30", "Tue 16:00", "Tue 16:30"],
        *["Wed 15:00", "Wed 15:30"],
    ]
    assert local(found[:1], NEW_YORK) == ["Mon 09:00"]


def test_when_only_new_york_moved_its_clocks_the_overlap_is_three_hours(ann):
    new_yorker = person("America/New_York")
    monday = datetime(2030, 3, 11).date()  # New York on summer time since Sunday, Berlin not

    found = find_slots([ann, new_yorker], timedelta(hours=1), at(monday, 0), count=4)

    assert local(found) == ["Mon 14:00", "Mon 15:00", "Mon 16:00", "Tue 14:00"]


def test_no_slot_on_a_day_off(ann):
    friday = MONDAY + timedelta(days=4)

    found = find_slots([ann], HALF_HOUR, at(friday, 16, 30), count=2)

    assert local(found) == ["Fri 16:30", "Mon 09:00"]


def test_a_sunday_to_thursday_week_is_respected_alone_and_together(ann):
    jerusalem = person("Asia/Jerusalem", days=(6, 0, 1, 2, 3))
    friday = MONDAY + timedelta(days=4)

    alone = find_slots([jerusalem], HALF_HOUR, at(friday, 6), count=1)
    together = find_slots([ann, jerusalem], HALF_HOUR, at(friday, 6), count=60)

    assert local(alone, ZoneInfo("Asia/Jerusalem")) == ["Sun 09:00"]
    days = {start.astimezone(BERLIN).strftime("%a") for start, _ in together}
    assert days == {"Mon", "Tue", "Wed", "Thu"}


# --- Busy time ------------------------------------------------------------------------------


def test_an_event_blocks_its_time(ann, bob):
    meeting(bob, at(MONDAY, 9), at(MONDAY, 10, 15), attendees=[ann])

    found = find_slots([ann], HALF_HOUR, at(MONDAY, 6), count=2)

    assert local(found) == ["Mon 10:15", "Mon 10:45"]


def test_anyone_busy_blocks_the_common_slot(ann, bob):
    meeting(bob, at(MONDAY, 9), at(MONDAY, 12))

    found = find_slots([ann, bob], HALF_HOUR, at(MONDAY, 6), count=1)

    assert local(found) == ["Mon 12:00"]


def test_each_occurrence_of_a_series_blocks(ann):
    meeting(ann, at(MONDAY, 9), at(MONDAY, 11), rrule="FREQ=DAILY")

    found = find_slots([ann], HALF_HOUR, at(MONDAY + timedelta(days=2), 6), count=1)

    assert local(found) == ["Wed 11:00"]


def test_an_occurrence_moved_into_a_slot_blocks_there_and_frees_its_old_time(ann):
    series = meeting(ann, at(MONDAY, 9), at(MONDAY, 12), rrule="FREQ=DAILY")
    tuesday = MONDAY + timedelta(days=1)
    services.update_event(
        actor=ann,
        event=series,
        changes={"start": at(tuesday, 14), "end": at(tuesday, 17)},
        occurrence=at(tuesday, 9).astimezone(UTC),
        scope="this",
    )

    found = find_slots([ann], timedelta(hours=3), at(tuesday, 6), count=2)

    assert local(found) == ["Tue 09:00", "Wed 12:00"]


def test_a_deleted_occurrence_frees_its_slot(ann):
    series = meeting(ann, at(MONDAY, 9), at(MONDAY, 17), rrule="FREQ=DAILY")
    tuesday = MONDAY + timedelta(days=1)
    services.cancel_event(
        actor=ann, event=series, occurrence=at(tuesday, 9).astimezone(UTC), scope="this"
    )

    found = find_slots([ann], HALF_HOUR, at(MONDAY, 6), count=1)

    assert local(found) == ["Tue 09:00"]


def test_a_declined_invitation_does_not_block(ann, bob):
    event = meeting(bob, at(MONDAY, 9), at(MONDAY, 12), attendees=[ann])
    services.rsvp(actor=ann, event=event, response="declined")

    assert local(find_slots([ann], HALF_HOUR, at(MONDAY, 6), count=1)) == ["Mon 09:00"]
    assert local(find_slots([ann, bob], HALF_HOUR, at(MONDAY, 6), count=1)) == ["Mon 12:00"]


def test_a_tentative_answer_still_blocks(ann, bob):
    event = meeting(bob, at(MONDAY, 9), at(MONDAY, 12), attendees=[ann])
    services.rsvp(actor=ann, event=event, response="tentative")

    assert local(find_slots([ann], HALF_HOUR, at(MONDAY, 6), count=1)) == ["Mon 12:00"]


def test_a_cancelled_event_does_not_block(ann):
    event = meeting(ann, at(MONDAY, 9), at(MONDAY, 12))
    services.cancel_event(actor=ann, event=event)

    assert local(find_slots([ann], HALF_HOUR, at(MONDAY, 6), count=1)) == ["Mon 09:00"]


def test_the_event_being_rescheduled_does_not_block_itself(ann):
    event = meeting(ann, at(MONDAY, 9), at(MONDAY, 12))

    found = find_slots([ann], HALF_HOUR, at(MONDAY, 6), count=1, ignore_uid=event.uid)

    assert local(found) == ["Mon 09:00"]


# --- Clock changes, the grid, after, count -------------------------------------------------


def test_working_hours_follow_the_local_clock_across_the_change_to_summer_time():
    every_day = person(days=range(7))
    saturday = datetime(2030, 3, 30).date()  # Berlin moves its clocks on Sunday 31 March

    found = find_slots([every_day], timedelta(hours=8), at(saturday, 0), count=3)

    assert [start.astimezone(UTC).hour for start, _ in found] == [8, 7, 7]
    assert local(found) == ["Sat 09:00", "Sun 09:00", "Mon 09:00"]


def test_the_short_night_of_the_clock_change_has_its_true_length():
    night_owl = person(start=1, end=5, days=range(7))
    sunday = datetime(2030, 3, 31).date()  # no 02:00 to 03:00: 01:00 to 05:00 is 3 h

    three_hours = find_slots([night_owl], timedelta(hours=3), at(sunday, 0), count=1)
    four_hours = find_slots([night_owl], timedelta(hours=4), at(sunday, 0), count=1)

    assert local(three_hours) == ["Sun 01:00"]
    assert three_hours[0][0] == datetime(2030, 3, 31, 0, tzinfo=UTC)
    assert local(four_hours) == ["Mon 01:00"]


def test_slots_start_on_the_quarter_hour_grid():
    late_starter = person(start=9)
    late_starter.work_start = time(9, 10)

    found = find_slots([late_starter], timedelta(minutes=20), at(MONDAY, 6), count=3)

    assert local(found) == ["Mon 09:15", "Mon 09:45", "Mon 10:15"]


def test_a_coarser_step_moves_the_grid(ann, bob):
    meeting(ann, at(MONDAY, 9), at(MONDAY, 9, 10))

    found = find_slots([ann], HALF_HOUR, at(MONDAY, 6), count=2, step=timedelta(hours=1))

    assert local(found) == ["Mon 10:00", "Mon 11:00"]


def test_search_starts_after_a_moment_in_the_middle_of_the_day(ann):
    found = find_slots([ann], HALF_HOUR, at(MONDAY, 11, 7), count=2)

    assert local(found) == ["Mon 11:15", "Mon 11:45"]


def test_a_meeting_longer_than_what_is_left_of_the_day_goes_to_the_next_day(ann, bob):
    meeting(bob, at(MONDAY, 12), at(MONDAY, 13), attendees=[ann])

    found = find_slots([ann], timedelta(hours=4), at(MONDAY, 6), count=2)

    assert local(found) == ["Mon 13:00", "Tue 09:00"]


def test_count_limits_the_proposals(ann):
    assert len(find_slots([ann], HALF_HOUR, at(MONDAY, 6), count=1)) == 1
    assert len(find_slots([ann], HALF_HOUR, at(MONDAY, 6), count=12)) == 12


def test_never_a_slot_in_the_past(ann):
    found = find_slots([ann], HALF_HOUR, datetime(2001, 1, 1, tzinfo=UTC), count=3)

    assert found
    assert found[0][0] == NOW + timedelta(hours=8)  # Tuesday 1 January, 9:00 in Berlin


def test_slots_within_the_horizon_only(ann):
    found = find_slots([ann], HALF_HOUR, at(MONDAY, 6), count=1000, horizon_days=7)

    assert found[-1][1] <= at(MONDAY, 6) + timedelta(days=7)
    assert len(found) == 5 * 16


# --- Why nothing was found ------------------------------------------------------------------


def test_no_common_working_hours_is_said():
    berlin, auckland = person(), person("Pacific/Auckland")

    found = find_slots([berlin, auckland], HALF_HOUR, at(MONDAY, 0))

    assert found == []
    assert found.reason.startswith("No common working hours in the next 14 days")


def test_a_meeting_longer_than_the_shared_hours_is_said(ann):
    february = datetime(2030, 2, 4).date()  # two weeks before New York's clock change
    found = find_slots([ann, person("America/New_York")], timedelta(hours=3), at(february, 0))

    assert found == []
    assert "long enough for 3 h (the longest is 2 h)" in found.reason


def test_all_booked_is_said(ann):
    meeting(ann, at(MONDAY, 8), at(MONDAY, 18), rrule="FREQ=DAILY")

    found = find_slots([ann], HALF_HOUR, at(MONDAY, 0))

    assert found == []
    assert found.reason.startswith("Everyone is busy for the next 14 days")


def test_slots_found_have_no_reason(ann):
    assert find_slots([ann], HALF_HOUR, at(MONDAY, 0)).reason == ""


# --- Queries --------------------------------------------------------------------------------


def queries_of_search(people):
    with CaptureQueriesContext(connection) as queries:
        find_slots(people, HALF_HOUR, at(MONDAY, 0), count=5)
    return len(queries)


def test_the_search_costs_the_same_queries_for_few_and_many_events_and_people(ann, bob):
    meeting(ann, at(MONDAY, 9), at(MONDAY, 10), rrule="FREQ=WEEKLY")
    few = queries_of_search([ann, bob])

    others = [person() for _ in range(6)]
    for day in range(10):
        start = at(MONDAY + timedelta(days=day), 10)
        meeting(bob, start, start + HALF_HOUR, attendees=others[:3])
        meeting(others[day % 6], start + HALF_HOUR, start + HALF_HOUR * 2, rrule="FREQ=DAILY")
    series = meeting(ann, at(MONDAY, 16), at(MONDAY, 17), rrule="FREQ=DAILY", attendees=others)
    tuesday = MONDAY + timedelta(days=1)
    services.update_event(
        actor=ann,
        event=series,
        changes={"start": at(tuesday, 11), "end": at(tuesday, 12)},
        occurrence=at(tuesday, 16).astimezone(UTC),
        scope="this",
    )
    many = queries_of_search([ann, bob, *others])

    assert many == few <= 3
