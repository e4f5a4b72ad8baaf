"""Dragging and resizing (calendar:event_move): the organizer moves, others are refused,
stale and double-booked moves answer 409, bad input 400, repeating events by scope."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from calendar_app import services
from calendar_app.models import Event
from calendar_app.recurrence import format_utc
from tests.calendar.conftest import BERLIN
from tests.calendar.test_events_json import at, meeting
from tests.live_helpers import capture_events

MONDAY = date(2030, 3, 4)
TUESDAY = MONDAY + timedelta(days=1)

pytestmark = pytest.mark.django_db


def move(client, person, event, **fields):
    client.force_login(person)
    body = {
        "start": "2030-03-04T14:00:00",
        "end": "2030-03-04T15:30:00",
        "timeZone": "Europe/Berlin",
    }
    return client.post(reverse("calendar:event_move", args=[event.pk]), {**body, **fields})


def span(event):
    event.refresh_from_db()
    return event.start.astimezone(BERLIN).strftime("%a %H:%M"), event.end.astimezone(
        BERLIN
    ).strftime("%H:%M")


# --- One event --------------------------------------------------------------------------------


def test_the_organizer_moves_and_every_shown_calendar_hears_of_it(client, organizer, invitee):
    event = meeting(organizer, at(MONDAY, 10), attendees=[invitee])

    with capture_events() as published:
        response = move(client, organizer, event, sequence="0")

    assert response.status_code == 200
    assert response.json() == {"ok": True, "event": event.pk, "sequence": 1}
    assert span(event) == ("Mon 14:00", "15:30")
    changed = {e.topic for e in published if e.kind == "calendar.changed"}
    assert changed == {f"calendar.{organizer.pk}", f"calendar.{invitee.pk}"}


def test_times_without_an_offset_are_read_in_the_calendars_zone(client, organizer):
    event = meeting(organizer, at(MONDAY, 10))

    response = move(client, organizer, event, timeZone="America/New_York")

    assert response.status_code == 200
    assert span(event) == ("Mon 20:00", "21:30")  # 14:00 New York


def test_an_event_becomes_all_day_with_dates(client, organizer):
    event = meeting(organizer, at(MONDAY, 10))

    response = move(client, organizer, event, start="2030-03-05", end="2030-03-07", all_day="1")

    assert response.status_code == 200
    event.refresh_from_db()
    assert event.all_day is True
    assert (event.start, event.end) == (at(TUESDAY, 0), at(MONDAY + timedelta(days=3), 0))


def test_an_invitee_cannot_move_the_event(client, organizer, invitee):
    event = meeting(organizer, at(MONDAY, 10), attendees=[invitee])

    response = move(client, invitee, event)

    assert response.status_code == 403
    assert response.json()["reason"] == "forbidden"
    assert "organizer" in response.json()["error"]
    assert span(event) == ("Mon 10:00", "11:00")


def test_someone_elses_private_event_does_not_exist_for_them(client, organizer, invitee):
    event = meeting(organizer, at(MONDAY, 10), visibility="private")

    assert move(client, invitee, event).status_code == 404


def test_a_stale_version_is_refused(client, organizer):
    event = meeting(organizer, at(MONDAY, 10))
    services.move_event(actor=organizer, event=event, start=at(MONDAY, 11), end=at(MONDAY, 12))

    response = move(client, organizer, event, sequence="0")

    assert response.status_code == 409
    assert response.json()["reason"] == "stale"
    assert "Reload" in response.json()["error"]
    assert span(event) == ("Mon 11:00", "12:00")


def test_double_booking_asks_first_then_moves_when_forced(client, organizer, invitee):
    event = meeting(organizer, at(MONDAY, 10), attendees=[invitee])
    meeting(invitee, at(MONDAY, 14), title="Dentist")

    refused = move(client, organizer, event)

    assert refused.status_code == 409
    assert refused.json()["reason"] == "double_booked"
    assert refused.json()["people"] == [{"id": invitee.pk, "name": "Ivan Invitee"}]
    assert "Dentist" not in refused.text
    assert span(event) == ("Mon 10:00", "11:00")

    forced = move(client, organizer, event, force="1")

    assert forced.status_code == 200
    assert span(event) == ("Mon 14:00", "15:30")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"end": "2030-03-04T13:00:00"}, "must end after it starts"),
        ({"start": "soon"}, "start: “soon” is not a date and time"),
        ({"end": ""}, "end: give a date and time in ISO 8601"),
        ({"end": "2030-04-20T13:00:00"}, "at most 31 days"),
        ({"scope": "some"}, "scope must be this, following or all"),
        ({"occurrence": "yesterday"}, "occurrence must be a recurrence id"),
        ({"sequence": "-1"}, "sequence must be a whole number"),
        ({"timeZone": "Nowhere/City"}, "“Nowhere/City” is not a known time zone"),
    ],
)
def test_bad_input_answers_400_and_changes_nothing(client, organizer, fields, message):
    event = meeting(organizer, at(MONDAY, 10))

    response = move(client, organizer, event, **fields)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert response.json()["reason"] == "invalid"
    assert span(event) == ("Mon 10:00", "11:00")


def test_a_cancelled_event_cannot_be_moved(client, organizer):
    event = meeting(organizer, at(MONDAY, 10))
    services.cancel_event(actor=organizer, event=event)

    response = move(client, organizer, event)

    assert response.status_code == 409
    assert response.json()["reason"] == "gone"


def test_moving_needs_a_post(client, organizer):
    event = meeting(organizer, at(MONDAY, 10))
    client.force_login(organizer)

    assert client.get(reverse("calendar:event_move", args=[event.pk])).status_code == 405


# --- Repeating events -------------------------------------------------------------------------


@pytest.fixture
def standup(organizer, invitee):
    return meeting(
        organizer, at(MONDAY, 9), attendees=[invitee], title="Stand-up", rrule="FREQ=DAILY;COUNT=5"
    )


def move_tuesday(client, organizer, standup, scope, occurrence=None):
    occurrence = occurrence or format_utc(at(TUESDAY, 9))
    return move(
        client,
        organizer,
        standup,
        start="2030-03-05T11:00:00",
        end="2030-03-05T11:30:00",
        occurrence=occurrence,
        scope=scope,
        sequence=str(standup.sequence),
    )


def starts(organizer, client):
    client.force_login(organizer)
    response = client.get(
        reverse("calendar:events_json"),
        {"start": "2030-03-04", "end": "2030-03-11", "timeZone": "Europe/Berlin"},
    )
    return [(item["title"], item["start"][5:16], item["end"][11:16]) for item in response.json()]


def test_only_this_occurrence(client, organizer, standup):
    assert move_tuesday(client, organizer, standup, "this").status_code == 200

    assert starts(organizer, client) == [
        ("Stand-up", "03-04T09:00", "10:00"),
        ("Stand-up", "03-05T11:00", "11:30"),
        ("Stand-up", "03-06T09:00", "10:00"),
        ("Stand-up", "03-07T09:00", "10:00"),
        ("Stand-up", "03-08T09:00", "10:00"),
    ]
    assert Event.objects.filter(series=standup).count() == 1


def test_this_and_following(client, organizer, standup):
    assert move_tuesday(client, organizer, standup, "following").status_code == 200

    assert [start for _, start, _ in starts(organizer, client)] == [
        "03-04T09:00",
        "03-05T11:00",
        "03-06T11:00",
        "03-07T11:00",
        "03-08T11:00",
    ]
    assert Event.objects.filter(series__isnull=True, rrule__startswith="FREQ=DAILY").count() == 2


def test_all_occurrences(client, organizer, standup):
    assert move_tuesday(client, organizer, standup, "all").status_code == 200

    assert [(start, end) for _, start, end in starts(organizer, client)] == [
        ("03-04T11:00", "11:30"),
        ("03-05T11:00", "11:30"),
        ("03-06T11:00", "11:30"),
        ("03-07T11:00", "11:30"),
        ("03-08T11:00", "11:30"),
    ]


def test_an_occurrence_that_is_not_there_is_gone(client, organizer, standup):
    response = move_tuesday(client, organizer, standup, "this", occurrence="20300305T100000Z")

    assert response.status_code == 409
    assert response.json()["reason"] == "gone"


def test_a_repeating_event_needs_its_occurrence_for_this(client, organizer, standup):
    response = move_tuesday(client, organizer, standup, "this", occurrence=" ")

    assert response.status_code == 409  # the service's one code for "no such occurrence"
    assert "Say which occurrence" in response.json()["error"]
    assert [start for _, start, _ in starts(organizer, client)][1] == "03-05T09:00"
