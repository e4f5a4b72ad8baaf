"""The calendar's JSON feed (calendar:events_json): what each viewer sees, in which zone,
overlays and dedupe, series with their exceptions, bad input, and the query budget."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.urls import reverse

from calendar_app import services
from calendar_app.models import Attendee, Event
from calendar_app.recurrence import format_utc, last_end
from tests.calendar.conftest import BERLIN, make_event
from tests.factories import DepartmentFactory, UserFactory
from tests.records.queries import count_queries

MONDAY = date(2030, 3, 4)  # Berlin is UTC+1, New York UTC-5
FEED = reverse("calendar:events_json")

pytestmark = pytest.mark.django_db


def at(day, hour, minute=0):
    """Berlin wall-clock time on ``day``."""
    return datetime.combine(day, time(hour, minute), BERLIN)


def meeting(organizer, start, **fields):
    """An event made through the service; double-booking allowed (not what these test)."""
    return make_event(organizer, start=start, allow_double_booking=True, **fields)


def feed(client, viewer, **params):
    """The feed for ``viewer``'s week of MONDAY in their zone; ``params`` replace or add."""
    client.force_login(viewer)
    week = {"start": MONDAY.isoformat(), "end": (MONDAY + timedelta(days=7)).isoformat()}
    return client.get(FEED, {**week, "timeZone": viewer.timezone, **params})


def items(client, viewer, **params):
    response = feed(client, viewer, **params)
    assert response.status_code == 200, response.content
    return response.json()


# --- What an item says ------------------------------------------------------------------------


def test_my_calendar_by_default_with_times_in_my_zone(client, organizer, invitee):
    event = meeting(
        organizer, at(MONDAY, 10), attendees=[invitee], location="Room 4", title="Kick-off"
    )

    [item] = items(client, organizer)

    assert item["id"] == str(event.pk)
    assert item["title"] == "Kick-off"
    assert (item["start"], item["end"]) == (
        "2030-03-04T10:00:00+01:00",
        "2030-03-04T11:00:00+01:00",
    )
    assert item["allDay"] is False
    assert item["url"] == reverse("calendar:event_detail", args=[event.pk])
    assert item["editable"] is True
    assert item["classNames"] == [f"cal-c{organizer.pk % 8}"]
    assert item["extendedProps"] == {
        "eventId": event.pk,
        "recurrenceId": None,
        "recurring": False,
        "sequence": 0,
        "response": "accepted",
        "private": False,
        "location": "Room 4",
        "people": [organizer.pk],
        "colour": organizer.pk % 8,
    }


def test_times_follow_the_zone_the_calendar_is_drawn_in(client, organizer):
    organizer.timezone = "America/New_York"
    organizer.save()
    meeting(organizer, at(MONDAY, 10))  # 10:00 Berlin = 04:00 New York

    [item] = items(client, organizer)

    assert item["start"] == "2030-03-04T04:00:00-05:00"
    # A naive window is read in the calendar's zone: 04:00-05:00 New York holds it.
    window = {"start": "2030-03-04T04:00:00", "end": "2030-03-04T04:30:00"}
    assert len(items(client, organizer, **window)) == 1
    window = {"start": "2030-03-04T05:00:00", "end": "2030-03-04T06:00:00"}
    assert items(client, organizer, **window) == []


def test_an_invitee_sees_the_event_as_not_answered_yet(client, organizer, invitee):
    meeting(organizer, at(MONDAY, 10), attendees=[invitee])

    [item] = items(client, invitee)

    assert item["editable"] is False  # only the organizer moves it
    assert item["extendedProps"]["response"] == "needs-action"
    assert "is-needs-action" in item["classNames"]
    assert item["classNames"][0] == f"cal-c{invitee.pk % 8}"


def test_a_declined_event_leaves_my_calendar(client, organizer, invitee):
    event = meeting(organizer, at(MONDAY, 10), attendees=[invitee])
    services.rsvp(actor=invitee, event=event, response=Attendee.Response.DECLINED)

    assert items(client, invitee) == []
    [item] = items(client, invitee, people=f"{invitee.pk},{organizer.pk}")  # still in Ada's
    assert item["extendedProps"]["people"] == [organizer.pk]
    assert "is-declined" in item["classNames"]


def test_all_day_events_are_dates_in_their_own_zone(client, organizer):
    meeting(organizer, MONDAY, end=MONDAY + timedelta(days=2), all_day=True, title="Offsite")
    organizer.timezone = "America/New_York"
    organizer.save()

    [item] = items(client, organizer)

    assert (item["start"], item["end"], item["allDay"]) == ("2030-03-04", "2030-03-06", True)


# --- Private events ---------------------------------------------------------------------------


def test_a_colleague_sees_only_busy_for_a_private_event(client, organizer, invitee, colleague):
    meeting(
        organizer,
        at(MONDAY, 10),
        attendees=[invitee],
        title="Salary review",
        location="HR office",
        description="Confidential numbers",
        visibility=Event.Visibility.PRIVATE,
    )

    response = feed(client, colleague, people=f"{organizer.pk},{invitee.pk}")
    [item] = response.json()

    assert item["title"] == "Busy"
    assert item["editable"] is False
    assert item["classNames"][0] == "is-busy"
    assert "url" not in item
    assert item["extendedProps"] == {
        "people": [organizer.pk, invitee.pk],
        "private": True,
        "colour": organizer.pk % 8,
    }
    for secret in ("Salary", "HR office", "Confidential", "Ivan Invitee", "eventId"):
        assert secret not in response.text


def test_the_invitee_of_a_private_event_sees_its_title(client, organizer, invitee):
    meeting(
        organizer, at(MONDAY, 10), attendees=[invitee], title="Salary review", visibility="private"
    )

    [item] = items(client, invitee)

    assert item["title"] == "Salary review"
    assert item["extendedProps"]["private"] is True
    assert "url" in item


def test_an_admin_not_invited_sees_busy_too(client, organizer, admin):
    meeting(organizer, at(MONDAY, 10), title="Salary review", visibility="private")

    [item] = items(client, admin, people=str(organizer.pk))

    assert (item["title"], item["editable"]) == ("Busy", False)


# --- Whose calendars --------------------------------------------------------------------------


def test_an_event_in_several_shown_calendars_comes_once_in_the_viewers_colour(
    client, organizer, invitee
):
    meeting(organizer, at(MONDAY, 10), attendees=[invitee])
    meeting(organizer, at(MONDAY, 14), title="Olga alone")

    shown = items(client, invitee, people=f"{organizer.pk},{invitee.pk}")

    assert [item["title"] for item in shown] == ["Planning", "Olga alone"]
    assert shown[0]["extendedProps"]["people"] == [invitee.pk, organizer.pk]  # the viewer first
    assert shown[0]["classNames"][0] == f"cal-c{invitee.pk % 8}"
    assert shown[1]["classNames"][0] == f"cal-c{organizer.pk % 8}"


def test_a_colleagues_calendar_without_mine(client, organizer, invitee, colleague):
    meeting(organizer, at(MONDAY, 10), title="Olga's")
    meeting(colleague, at(MONDAY, 11), title="Cora's")

    assert [item["title"] for item in items(client, colleague, people=str(organizer.pk))] == [
        "Olga's"
    ]


def test_a_department_overlay_shows_all_its_members(client, organizer, invitee, colleague, sales):
    meeting(organizer, at(MONDAY, 9), title="Olga's")
    meeting(invitee, at(MONDAY, 11), title="Ivan's")
    meeting(colleague, at(MONDAY, 13), title="Cora's")

    overlay = items(client, colleague, dept=str(sales.pk))
    assert [item["title"] for item in overlay] == ["Olga's", "Ivan's"]
    with_me = items(client, colleague, dept=str(sales.pk), people=str(colleague.pk))
    assert [item["title"] for item in with_me] == ["Olga's", "Ivan's", "Cora's"]


def test_unknown_and_departed_people_are_left_out(client, organizer, invitee):
    meeting(invitee, at(MONDAY, 10), title="Ivan's")
    invitee.is_active = False
    invitee.save()

    assert items(client, organizer, people=f"{invitee.pk},999999") == []
    assert items(client, organizer, dept="999999") == []


# --- Series, overrides, exceptions --------------------------------------------------------------


def test_series_occurrences_with_an_override_and_a_deleted_one(client, organizer, invitee):
    series = meeting(
        organizer, at(MONDAY, 9), attendees=[invitee], title="Stand-up", rrule="FREQ=DAILY;COUNT=5"
    )
    tuesday, wednesday = at(MONDAY + timedelta(days=1), 9), at(MONDAY + timedelta(days=2), 9)
    override = services.update_event(
        actor=organizer,
        event=series,
        changes={
            "title": "Stand-up (demo day)",
            "start": at(MONDAY + timedelta(days=1), 15),
            "end": at(MONDAY + timedelta(days=1), 16),
        },
        occurrence=tuesday,
        scope="this",
    )
    services.cancel_event(actor=organizer, event=series, occurrence=wednesday, scope="this")

    shown = items(client, invitee)

    assert [(item["title"], item["start"][:16]) for item in shown] == [
        ("Stand-up", "2030-03-04T09:00"),
        ("Stand-up (demo day)", "2030-03-05T15:00"),
        ("Stand-up", "2030-03-07T09:00"),
        ("Stand-up", "2030-03-08T09:00"),
    ]
    first, moved = shown[0], shown[1]
    monday_id = format_utc(at(MONDAY, 9))
    assert first["id"] == f"{series.pk}-{monday_id}"
    assert first["url"].endswith(f"/events/{series.pk}/?occurrence={monday_id}")
    assert first["extendedProps"]["recurring"] is True
    assert first["extendedProps"]["recurrenceId"] == monday_id
    assert moved["id"] == f"{series.pk}-{format_utc(tuesday)}"
    assert moved["url"] == reverse("calendar:event_detail", args=[override.pk])
    assert moved["extendedProps"]["eventId"] == override.pk
    assert moved["extendedProps"]["recurrenceId"] == format_utc(tuesday)
    assert len({item["id"] for item in shown}) == 4


# --- Bad input --------------------------------------------------------------------------------


def test_a_window_of_at_most_100_days(client, organizer):
    assert feed(client, organizer, end=str(MONDAY + timedelta(days=100))).status_code == 200

    response = feed(client, organizer, end=str(MONDAY + timedelta(days=101)))

    assert response.status_code == 400
    assert "at most 100 days" in response.json()["error"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": ""}, "start: give a date and time in ISO 8601"),
        ({"start": "next tuesday"}, "start: “next tuesday” is not a date and time"),
        ({"end": "2030-02-30"}, "end: “2030-02-30” is not a date and time"),
        ({"start": "0001-01-01T00:00+01:00"}, "start: “0001-01-01T00:00+01:00” is too far"),
        ({"end": "2030-03-01"}, "end must be after start"),
        ({"people": "3,abc"}, "“abc” is not a person's id"),
        ({"people": ",".join(str(n) for n in range(1, 60))}, "at most 50 people"),
        ({"dept": "sales"}, "“sales” is not a department's id"),
        ({"people": "9" * 30}, "is not a person's id"),
        ({"timeZone": "Mars/Olympus"}, "“Mars/Olympus” is not a known time zone"),
    ],
)
def test_bad_parameters_answer_400_with_the_reason(client, organizer, params, message):
    response = feed(client, organizer, **params)

    assert response.status_code == 400
    assert message in response.json()["error"]


def test_signed_out_people_are_sent_to_sign_in(client, db):
    response = client.get(FEED, {"start": "2030-03-04", "end": "2030-03-11"})
    assert response.status_code == 302


# --- Query budget -----------------------------------------------------------------------------


def bulk_month(people, count):
    """``count`` event rows in March 2030 among ``people``: singles, daily series (with
    an exdate) and their overrides; written in bulk (speed), as the services would."""
    rows, attendees = [], []
    for n in range(count):
        organizer = people[n % len(people)]
        start = at(date(2030, 3, 1) + timedelta(days=n % 28), 8 + n % 9)
        row = Event(
            organizer=organizer,
            title=f"Meeting {n}",
            start=start.astimezone(UTC),
            end=(start + timedelta(hours=1)).astimezone(UTC),
            timezone="Europe/Berlin",
            visibility="private" if n % 7 == 0 else "normal",
        )
        if n % 5 == 0:
            row.rrule = "FREQ=DAILY;COUNT=3"
            row.exdates = [format_utc(start + timedelta(days=2))]
        row.last_end = last_end(row)
        rows.append(row)
    Event.objects.bulk_create(rows)
    overrides = [
        Event(
            uid=series.uid,
            series=series,
            recurrence_id=series.start + timedelta(days=1),
            organizer=series.organizer,
            title=f"{series.title} (moved)",
            start=series.start + timedelta(days=1, hours=2),
            end=series.end + timedelta(days=1, hours=2),
            timezone=series.timezone,
        )
        for series in rows
        if series.rrule
    ]
    Event.objects.bulk_create(overrides)
    for row in rows + overrides:
        guest = people[(row.organizer_id + 1) % len(people)]
        attendees.append(Attendee(event=row, user=row.organizer, is_organizer=True))
        if guest != row.organizer:
            attendees.append(Attendee(event=row, user=guest, response="tentative"))
    Attendee.objects.bulk_create(attendees)


@pytest.fixture
def team(sales):
    return [UserFactory(departments=[sales]) for _ in range(4)]


def test_a_month_costs_the_same_few_queries_for_5_or_500_events(client, team, sales):
    viewer = team[0]
    client.force_login(viewer)
    url = f"{FEED}?start=2030-02-24&end=2030-04-07&timeZone=Europe/Berlin&dept={sales.pk}"
    bulk_month(team, 5)
    few = count_queries(client, url)
    bulk_month(team, 495)
    many = count_queries(client, url)
    shown = client.get(url).json()

    assert few == many <= 8
    assert len(shown) > 500  # series occurrences and overrides, each once
    assert len({item["id"] for item in shown}) == len(shown)
    assert any(item["title"] == "Busy" for item in shown)


def test_the_feed_needs_a_department_that_exists_but_not_the_viewers(client, organizer):
    other = DepartmentFactory(name="Marketing", slug="marketing")
    colleague = UserFactory(departments=[other])
    meeting(colleague, at(MONDAY, 10), title="Campaign")

    assert [item["title"] for item in items(client, organizer, dept=str(other.pk))] == ["Campaign"]
