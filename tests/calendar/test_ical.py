"""iCalendar output: the feed parsed back with icalendar and expanded with recurring-ical-events
matches the app's own expansion; UIDs, SEQUENCE, VTIMEZONE, privacy."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from django.utils import timezone
from icalendar import Calendar

from calendar_app import feeds, ical, selectors, services
from calendar_app.models import Attendee, Event
from calendar_app.recurrence import all_day_bounds
from tests.factories import UserFactory

BERLIN = ZoneInfo("Europe/Berlin")
YEAR = timezone.now().year + 1  # every test event is in the feed's future


def at(month: int, day: int, hour: int = 0, minute: int = 0, tz=BERLIN) -> datetime:
    return datetime(YEAR, month, day, hour, minute, tzinfo=tz)


WINDOW = (at(2, 1).astimezone(UTC), at(6, 1).astimezone(UTC))  # four months, across DST


def schedule(actor, title: str, start, end, **fields) -> Event:
    return services.create_event(
        actor=actor, title=title, start=start, end=end, allow_double_booking=True, **fields
    )


def build_calendar(owner, colleague) -> dict[str, Event]:
    """A calendar with what a feed must carry: singles, all-day, series across DST, exceptions."""
    made = {
        "single": schedule(owner, "Kickoff", at(2, 10, 10), at(2, 10, 11), location="Room 1"),
        "all-day": schedule(owner, "Offsite", date(YEAR, 2, 20), date(YEAR, 2, 22), all_day=True),
        "weekly": schedule(
            owner, "Standup", at(3, 2, 9), at(3, 2, 9, 30), rrule="FREQ=WEEKLY;COUNT=10"
        ),
        "forever": schedule(
            owner,
            "Review",
            at(2, 4, 14),
            at(2, 4, 15),
            rrule="FREQ=WEEKLY",
            video_url="https://meet.example.com/review",
        ),
        "monthly-all-day": schedule(
            owner,
            "Payday",
            date(YEAR, 2, 25),
            date(YEAR, 2, 26),
            all_day=True,
            rrule=f"FREQ=MONTHLY;UNTIL={YEAR}0430",
        ),
        "utc": schedule(
            owner,
            "Sync with NY",
            at(4, 6, 15, tz=UTC),
            at(4, 6, 16, tz=UTC),
            timezone_name="UTC",
            rrule="FREQ=DAILY;COUNT=5",
        ),
        "private": schedule(
            owner, "Doctor", at(3, 5, 12), at(3, 5, 13), visibility=Event.Visibility.PRIVATE
        ),
        "invited": schedule(
            colleague, "Colleague's demo", at(3, 10, 15), at(3, 10, 16), attendees=[owner]
        ),
        "declined": schedule(
            colleague, "Declined talk", at(3, 11, 15), at(3, 11, 16), attendees=[owner]
        ),
    }
    forever = made["forever"]
    services.cancel_event(actor=owner, event=forever, occurrence=at(2, 11, 14), scope="this")
    services.update_event(
        actor=owner,
        event=forever,
        changes={"start": at(2, 19, 16), "end": at(2, 19, 17), "title": "Review (moved)"},
        occurrence=at(2, 18, 14),
        scope="this",
    )
    services.rsvp(actor=owner, event=made["declined"], response=Attendee.Response.DECLINED)
    return made


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def app_occurrences(user) -> set[tuple[str, datetime, datetime]]:
    return {
        (entry.event.uid, entry.occurrence.start, entry.occurrence.end)
        for entry in selectors.calendar_occurrences([user.pk], *WINDOW)
    }


def _utc(value, tz_name: str) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return all_day_bounds(value, value, tz_name)[0]


def feed_occurrences(calendar: Calendar, tz_name="Europe/Berlin") -> set:
    return {
        (str(component["UID"]), _utc(component.start, tz_name), _utc(component.end, tz_name))
        for component in recurring_ical_events.of(calendar).between(*WINDOW)
    }


@pytest.fixture
def owner(member):
    return member


@pytest.fixture
def colleague(sales):
    return UserFactory(departments=[sales], full_name="Casey Colleague")


@pytest.fixture
def made(owner, colleague):
    return build_calendar(owner, colleague)


def test_feed_expands_like_the_app(owner, made):
    calendar = parse(feeds.feed_calendar(owner))

    expected = app_occurrences(owner)
    assert feed_occurrences(calendar) == expected
    titles = {str(component["SUMMARY"]) for component in calendar.events}
    assert "Declined talk" not in titles
    assert {
        "Kickoff",
        "Offsite",
        "Standup",
        "Review (moved)",
        "Doctor",
        "Colleague's demo",
    } <= titles
    # the series across DST keeps its wall-clock time: 09:00 Berlin is 08:00 UTC, then 07:00
    standup = sorted(start for uid, start, _ in expected if uid == made["weekly"].uid)
    assert standup[0].hour == 8 and standup[-1].hour == 7


def test_feed_writes_zones_rules_and_exceptions(owner, made):
    body = feeds.feed_calendar(owner).decode()
    calendar = parse(body.encode())

    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == f"{owner.full_name} (Workspace)"
    assert [zone.tz_name for zone in calendar.timezones] == ["Europe/Berlin"]
    assert calendar.get_missing_tzids() == set()
    forever = [c for c in calendar.events if str(c["UID"]) == made["forever"].uid]
    series = next(c for c in forever if "RECURRENCE-ID" not in c)
    override = next(c for c in forever if "RECURRENCE-ID" in c)
    assert series["RRULE"].to_ical() == b"FREQ=WEEKLY"
    assert [value.dt for value in series["EXDATE"].dts] == [at(2, 11, 14)]
    assert override["RECURRENCE-ID"].dt == at(2, 18, 14)
    assert override.start == at(2, 19, 16)
    assert "DTSTART;TZID=Europe/Berlin:" in body
    assert f"DTSTART:{YEAR}0406T150000Z" in body  # the UTC series stays in UTC
    assert f"DTSTART;VALUE=DATE:{YEAR}0220" in body and f"DTEND;VALUE=DATE:{YEAR}0222" in body
    assert f"RRULE:FREQ=MONTHLY;UNTIL={YEAR}0430" in body  # all-day UNTIL is a date
    assert "Video call: https://meet.example.com/review" in str(series["DESCRIPTION"])


def test_vevent_carries_people_status_and_class(owner, colleague, made):
    calendar = parse(feeds.feed_calendar(owner))
    demo = next(c for c in calendar.events if str(c["UID"]) == made["invited"].uid)
    private = next(c for c in calendar.events if str(c["UID"]) == made["private"].uid)

    assert str(demo["ORGANIZER"]) == f"mailto:{colleague.email}"
    assert demo["ORGANIZER"].params["CN"] == "Casey Colleague"
    people = {str(a): a.params for a in demo["ATTENDEE"]}
    assert people[f"mailto:{colleague.email}"]["ROLE"] == "CHAIR"
    mine = people[f"mailto:{owner.email}"]
    assert (mine["PARTSTAT"], mine["RSVP"], mine["ROLE"]) == (
        "NEEDS-ACTION",
        "TRUE",
        "REQ-PARTICIPANT",
    )
    assert demo["STATUS"] == "CONFIRMED" and demo["CLASS"] == "PUBLIC"
    assert private["CLASS"] == "PRIVATE" and str(private["SUMMARY"]) == "Doctor"
    assert str(demo["URL"]).endswith(f"/calendar/events/{made['invited'].pk}/")
    for name in ("DTSTAMP", "LAST-MODIFIED", "SEQUENCE", "CREATED"):
        assert name in demo


def test_uid_stable_and_sequence_grows_on_edit(owner, made):
    event = made["single"]
    before = next(c for c in parse(feeds.feed_calendar(owner)).events if str(c["UID"]) == event.uid)

    services.update_event(
        actor=owner, event=event, changes={"start": at(2, 10, 12), "end": at(2, 10, 13)}
    )

    after = next(c for c in parse(feeds.feed_calendar(owner)).events if str(c["UID"]) == event.uid)
    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after.start == at(2, 10, 12)


def test_colleague_feed_has_none_of_the_owners_private_or_other_events(owner, colleague, made):
    body = feeds.feed_calendar(colleague).decode()

    assert "Doctor" not in body
    assert made["private"].uid not in body
    assert made["single"].uid not in body  # not invited: not in their calendar at all
    assert made["invited"].uid in body


def test_override_the_owner_is_not_in_hides_its_occurrence(owner, colleague):
    series = schedule(
        colleague,
        "Team lunch",
        at(2, 3, 12),
        at(2, 3, 13),
        rrule="FREQ=WEEKLY;COUNT=6",
        attendees=[owner],
    )
    services.update_event(
        actor=colleague,
        event=series,
        changes={"attendees": []},
        occurrence=at(2, 10, 12),
        scope="this",
    )

    calendar = parse(feeds.feed_calendar(owner))

    assert feed_occurrences(calendar) == app_occurrences(owner)
    assert len([1 for uid, *_ in app_occurrences(owner) if uid == series.uid]) == 5


def test_old_events_leave_the_feed_but_old_series_stay(owner):
    long_ago = timezone.now() - timedelta(days=200)
    schedule(owner, "Old meeting", long_ago, long_ago + timedelta(hours=1))
    weekly = schedule(
        owner, "Old weekly", long_ago, long_ago + timedelta(hours=1), rrule="FREQ=WEEKLY"
    )

    body = feeds.feed_calendar(owner).decode()

    assert "Old meeting" not in body
    assert weekly.uid in body


def test_cancelled_event_in_a_calendar_says_cancelled(owner, made):
    services.cancel_event(actor=owner, event=made["single"])

    component = ical.event_calendar(Event.objects.get(pk=made["single"].pk)).events[0]
    assert component["STATUS"] == "CANCELLED"
    assert made["single"].uid not in feeds.feed_calendar(owner).decode()


def test_reminder_is_an_alarm(owner):
    event = schedule(owner, "Call", at(2, 2, 9), at(2, 2, 10), reminder_minutes=15)

    component = ical.event_calendar(event).events[0]

    alarm = component.subcomponents[0]
    assert alarm["ACTION"] == "DISPLAY" and alarm["TRIGGER"].dt == timedelta(minutes=-15)


def test_unchanged_feed_is_byte_for_byte_the_same(owner, made):
    assert feeds.feed_calendar(owner) == feeds.feed_calendar(owner)


def test_video_line_round_trips():
    event = Event(description="Agenda", video_url="https://meet.example.com/x")

    assert ical.split_video(ical.description_with_video(event)) == (
        "Agenda",
        "https://meet.example.com/x",
    )
    assert ical.split_video("Just text") == ("Just text", "")
