"""The slot finder fragment and page (calendar:slots) and free/busy JSON (calendar:freebusy):
proposals in the viewer's zone, day strips, double-booking warnings, parameter errors,
privacy (never a title, place or description) and constant query counts."""

import re
from datetime import UTC, time, timedelta

import pytest
from django.urls import reverse

from calendar_app import services
from calendar_app.models import Event
from tests.calendar.test_slots import MONDAY, at, clock, meeting, person  # noqa: F401
from tests.factories import PASSWORD
from tests.records.queries import count_queries

pytestmark = pytest.mark.django_db

DASH = "\N{EN DASH}"
SLOTS = reverse("calendar:slots")
FREEBUSY = reverse("calendar:freebusy")
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "slot-finder"}
SECRETS = ("Acquisition of Initech", "Room 4.12 Secret", "salary numbers", "Dentist Dr Who")


@pytest.fixture
def ann(client):
    ann = person(full_name="Ann Berg")
    client.login(email=ann.email, password=PASSWORD)
    return ann


@pytest.fixture
def sam():
    return person(full_name="Sam Lee")


def fragment(client, **params):
    return client.get(SLOTS, params, **HTMX)


def slot_buttons(response) -> list[tuple[str, str, str]]:
    """(data-slot-start, data-slot-end, text) of each proposal button."""
    return re.findall(
        r'<button type="button" class="[^"]*slot-button[^"]*" data-slot-start="([^"]+)" '
        r'data-slot-end="([^"]+)"[^>]*>([^<]+)</button>',
        response.content.decode(),
    )


def monday(hour, minute=0):
    return at(MONDAY, hour, minute).isoformat()


# --- The fragment ----------------------------------------------------------------------------


def test_proposals_are_buttons_in_the_viewers_zone(client, ann, sam):
    response = fragment(client, attendees=sam.pk, duration=45, after=monday(6))

    assert response.status_code == 200
    buttons = slot_buttons(response)
    assert buttons[0] == (
        "2030-03-04T09:00+01:00",
        "2030-03-04T09:45+01:00",
        f"Mon 4 Mar, 09:00{DASH}09:45",
    )
    assert len(buttons) == 5
    assert "Europe/Berlin" in response.content.decode()
    assert "<html" not in response.content.decode()


def test_the_viewer_is_always_included(client, ann, sam):
    meeting(ann, at(MONDAY, 9), at(MONDAY, 11))

    buttons = slot_buttons(fragment(client, after=monday(6)))

    assert buttons[0][2] == f"Mon 4 Mar, 11:00{DASH}11:30"


def test_attendees_repeated_or_comma_separated(client, ann, sam):
    new_yorker = person("America/New_York", full_name="Nia York")
    repeated = client.get(
        f"{SLOTS}?attendees={sam.pk}&attendees={new_yorker.pk}&after=2030-03-04T06:00Z", **HTMX
    )
    joined = fragment(client, attendees=f"{sam.pk}, {new_yorker.pk}", after="2030-03-04T06:00Z")

    assert slot_buttons(repeated) == slot_buttons(joined)
    assert slot_buttons(joined)[0][2] == f"Mon 4 Mar, 15:00{DASH}15:30"
    assert "Nia York" in joined.content.decode()


def test_times_shown_in_the_asked_zone_and_buttons_in_the_form_event_zone(client, ann):
    response = fragment(client, after=monday(6), tz="America/New_York", timezone="Asia/Tokyo")

    start, end, label = slot_buttons(response)[0]
    assert label == f"Mon 4 Mar, 03:00{DASH}03:30"  # 09:00 Berlin in New York
    assert (start, end) == ("2030-03-04T17:00+09:00", "2030-03-04T17:30+09:00")
    assert "times in America/New_York" in response.content.decode()


def test_the_forms_separate_date_and_time_fields_are_read_and_give_the_duration(client, ann):
    chosen = {"start_date": "2030-03-04", "start_time": "09:30"}
    response = fragment(client, after=monday(6), end_date="2030-03-04", end_time="10:45", **chosen)

    assert slot_buttons(response)[0][2] == f"Mon 4 Mar, 09:00{DASH}10:15"
    assert response.context["strip"]["chosen"] == [{"x": 90, "width": 75}]


def test_the_chosen_proposal_is_marked(client, ann):
    response = fragment(client, after=monday(6), start="2030-03-04T09:30", end="2030-03-04T10:00")

    assert 'data-slot-start="2030-03-04T09:30+01:00"' in response.content.decode()
    assert re.search(
        r'is-chosen" data-slot-start="2030-03-04T09:30\+01:00"', response.content.decode()
    )


def test_nothing_found_says_why(client, ann):
    response = fragment(client, attendees=person("Pacific/Auckland").pk, after=monday(6))

    assert slot_buttons(response) == []
    assert "No common working hours in the next 14 days" in response.content.decode()


# --- Double-booking warnings ------------------------------------------------------------------


def test_a_chosen_time_when_someone_is_busy_warns_by_name(client, ann, sam):
    meeting(sam, at(MONDAY, 10), at(MONDAY, 11))

    busy = fragment(
        client, attendees=sam.pk, after=monday(6), start="2030-03-04T10:30", end="2030-03-04T11:30"
    )
    free = fragment(
        client, attendees=sam.pk, after=monday(6), start="2030-03-04T11:00", end="2030-03-04T11:30"
    )

    assert "Sam Lee is busy then." in busy.content.decode()
    assert "busy then" not in free.content.decode()


def test_the_viewer_and_others_busy(client, ann, sam):
    meeting(ann, at(MONDAY, 10), at(MONDAY, 11), attendees=[sam])

    response = fragment(
        client, attendees=sam.pk, after=monday(6), start="2030-03-04T10:00", duration=30
    )

    assert "You and Sam Lee are busy then." in response.content.decode()


def test_a_chosen_time_outside_working_hours_warns(client, ann, sam):
    response = fragment(client, attendees=sam.pk, start="2030-03-04T16:45", end="2030-03-04T17:15")

    assert "You and Sam Lee are not at work then." in response.content.decode()


def test_the_event_being_edited_does_not_warn_about_itself(client, ann, sam):
    event = meeting(ann, at(MONDAY, 10), at(MONDAY, 11), attendees=[sam])
    chosen = {"start": "2030-03-04T10:00", "end": "2030-03-04T11:00", "attendees": sam.pk}

    assert "busy then" in fragment(client, **chosen).content.decode()
    assert "busy then" not in fragment(client, event=event.pk, **chosen).content.decode()


def test_someone_elses_private_event_cannot_be_named_to_ignore(client, ann, sam):
    private = meeting(sam, at(MONDAY, 10), at(MONDAY, 11), visibility=Event.Visibility.PRIVATE)

    assert fragment(client, event=private.pk).status_code == 404


# --- The day strip ---------------------------------------------------------------------------


def test_the_strip_shows_busy_blocks_and_working_hours_of_each_person(client, ann, sam):
    new_yorker = person("America/New_York", full_name="Nia York")
    meeting(sam, at(MONDAY, 10), at(MONDAY, 11, 30))

    response = fragment(client, attendees=[sam.pk, new_yorker.pk], day="2030-03-04")

    strip = response.context["strip"]
    assert strip["label"] == "Mon 4 Mar 2030"
    assert [row["person"] for row in strip["rows"]] == [ann, sam, new_yorker]
    assert strip["hours"][0] == 8 and strip["hours"][-1] == 22  # New York works till 23:00 Berlin
    sam_row = strip["rows"][1]
    assert sam_row["busy"] == [{"x": 120, "width": 90}]
    assert sam_row["work"] == [{"x": 60, "width": 480}]
    assert f"busy 10:00{DASH}11:30" in sam_row["summary"]
    assert strip["rows"][2]["hours"] == f"09:00{DASH}17:00 New York"
    assert response.content.decode().count('class="fb-busy"') == 1


def test_the_strip_of_a_day_off_says_so(client, ann):
    response = fragment(client, day="2030-03-09")

    row = response.context["strip"]["rows"][0]
    assert row["off"] and row["work"] == []
    assert "Not working" in response.content.decode()


def test_the_strip_on_the_night_the_clocks_change_skips_the_missing_hour(client, ann):
    ann.work_start, ann.work_end, ann.work_days = time(1), time(5), list(range(7))
    ann.save()

    strip = fragment(client, day="2030-03-31").context["strip"]

    assert strip["hours"][:4] == [1, 3, 4, 5]
    assert strip["rows"][0]["work"] == [{"x": 0, "width": 180}]


def test_the_strip_shows_the_day_of_the_chosen_time_and_marks_it(client, ann):
    response = fragment(client, start="2030-03-06T14:00", end="2030-03-06T15:00")

    strip = response.context["strip"]
    assert strip["label"] == "Wed 6 Mar 2030"
    assert strip["chosen"] == [{"x": 360, "width": 60}]


# --- The page --------------------------------------------------------------------------------


def test_opened_directly_it_is_a_find_a_time_page(client, ann, sam):
    response = client.get(SLOTS, {"attendees": sam.pk, "after": "2030-03-04"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" in page and "Find a time" in page
    assert f'<option value="{sam.pk}" selected>Sam Lee</option>' in page
    assert 'data-slot-start="2030-03-04T09:00+01:00"' in page
    assert 'id="slot-finder"' in page
    assert not re.search(r"\sstyle=|\son[a-z]+=|<script>", page)  # the CSP allows neither


def test_the_page_shows_a_bad_parameter_in_place(client, ann):
    response = client.get(SLOTS, {"duration": "forever"})

    assert response.status_code == 400
    assert "Find a time" in response.content.decode()
    assert "The duration is a number of minutes from 5 to 1440" in response.content.decode()


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get(SLOTS).status_code == 302
    assert client.get(FREEBUSY).status_code == 302


# --- Bad parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"duration": "abc"}, "The duration is a number of minutes from 5 to 1440"),
        ({"duration": "4"}, "The duration is a number of minutes from 5 to 1440"),
        ({"duration": "1441"}, "The duration is a number of minutes from 5 to 1440"),
        ({"attendees": "sam"}, "“sam” is not a person&#x27;s id"),
        ({"attendees": "999999"}, "No colleague has the id 999999"),
        ({"tz": "Mars/Olympus"}, "“Mars/Olympus” is not a known time zone"),
        ({"timezone": "Nowhere"}, "“Nowhere” is not a known time zone"),
        ({"after": "soon"}, "after: “soon” is not a date and time"),
        ({"start": "2030-13-45T10:00"}, "start: “2030-13-45T10:00” is not a date and time"),
        ({"day": "Monday"}, "day: “Monday” is not a date"),
        ({"day": "9999-12-31"}, "day: pick a date within 10 years of today"),
        ({"after": "0001-01-01T00:00+01:00"}, "after: pick a date within 10 years of today"),
    ],
)
def test_bad_parameters_answer_400_with_a_reason(client, ann, params, reason):
    response = fragment(client, **params)

    assert response.status_code == 400
    assert reason in response.content.decode()


def test_someone_who_left_is_named(client, ann):
    gone = person(full_name="Gone Person", is_active=False)

    response = fragment(client, attendees=gone.pk)

    assert response.status_code == 400
    assert "Gone Person no longer works here: take them off the list." in response.content.decode()


def test_too_many_people_is_refused(client, ann):
    response = fragment(client, attendees=",".join(str(pk) for pk in range(1, 60)))

    assert response.status_code == 400
    assert "at most 50 people" in response.content.decode()


def test_an_unencoded_plus_offset_is_understood(client, ann):
    response = client.get(f"{SLOTS}?after=2030-03-04T06:00+01:00", **HTMX)

    assert slot_buttons(response)[0][2] == f"Mon 4 Mar, 09:00{DASH}09:30"


# --- Free/busy JSON ---------------------------------------------------------------------------


def test_freebusy_lists_each_persons_busy_spans_in_utc(client, ann, sam):
    meeting(sam, at(MONDAY, 10), at(MONDAY, 11))
    meeting(sam, at(MONDAY, 10, 30), at(MONDAY, 12), attendees=[ann])

    response = client.get(
        FREEBUSY, {"people": f"{ann.pk},{sam.pk}", "start": "2030-03-04", "end": "2030-03-05"}
    )

    assert response.status_code == 200
    assert response.json() == {
        str(ann.pk): [{"start": "2030-03-04T09:30:00Z", "end": "2030-03-04T11:00:00Z"}],
        str(sam.pk): [{"start": "2030-03-04T09:00:00Z", "end": "2030-03-04T11:00:00Z"}],
    }


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"start": "2030-03-04", "end": "2030-03-05"}, "Name at least one person"),
        ({"people": "x", "start": "2030-03-04", "end": "2030-03-05"}, "is not a person's id"),
        ({"people": "999999", "start": "2030-03-04", "end": "2030-03-05"}, "No colleague has"),
        ({"people": "{me}", "end": "2030-03-05"}, "Give start and end"),
        ({"people": "{me}", "start": "2030-03-05", "end": "2030-03-04"}, "end must be after"),
        ({"people": "{me}", "start": "2030-01-01", "end": "2030-03-05"}, "at most 62 days"),
        ({"people": "{me}", "start": "yesterday", "end": "2030-03-05"}, "start: “yesterday”"),
        ({"people": "{me}", "start": "9999-12-30", "end": "9999-12-31"}, "within 10 years"),
    ],
)
def test_freebusy_bad_parameters_answer_400_with_a_reason(client, ann, params, reason):
    params = {name: value.replace("{me}", str(ann.pk)) for name, value in params.items()}

    response = client.get(FREEBUSY, params)

    assert response.status_code == 400
    assert reason in response.json()["error"]


def test_freebusy_window_of_62_days_is_fine(client, ann):
    response = client.get(
        FREEBUSY, {"people": ann.pk, "start": "2030-01-01", "end": "2030-03-04T00:00"}
    )

    assert response.status_code == 200


# --- Privacy ------------------------------------------------------------------------------------


def test_no_title_place_or_description_ever_leaves(client, ann, sam):
    title, location, description, private_title = SECRETS
    meeting(
        sam, at(MONDAY, 10), at(MONDAY, 11), title=title, location=location, description=description
    )
    meeting(
        sam,
        at(MONDAY, 13),
        at(MONDAY, 14),
        title=private_title,
        location=location,
        description=description,
        visibility=Event.Visibility.PRIVATE,
    )
    chosen = {"attendees": sam.pk, "start": "2030-03-04T10:00", "end": "2030-03-04T13:30"}

    bodies = [
        fragment(client, **chosen).content.decode(),
        client.get(SLOTS, chosen).content.decode(),
        client.get(
            FREEBUSY, {"people": sam.pk, "start": "2030-03-04", "end": "2030-03-05"}
        ).content.decode(),
    ]

    for body in bodies:
        for secret in SECRETS:
            assert secret not in body
    assert "Sam Lee is busy then." in bodies[0]
    assert bodies[0].count('class="fb-busy"') == 2


# --- Queries --------------------------------------------------------------------------------------


def busy_week(organizer, people, series_too=True):
    for day in range(7):
        start = at(MONDAY + timedelta(days=day), 10)
        meeting(organizer, start, start + timedelta(minutes=30), attendees=people)
    if series_too:
        series = meeting(
            organizer, at(MONDAY, 15), at(MONDAY, 16), rrule="FREQ=DAILY", attendees=people
        )
        tuesday = MONDAY + timedelta(days=1)
        services.update_event(
            actor=organizer,
            event=series,
            changes={"start": at(tuesday, 12), "end": at(tuesday, 13)},
            occurrence=at(tuesday, 15).astimezone(UTC),
            scope="this",
            allow_double_booking=True,
        )


def test_the_finder_costs_the_same_queries_for_few_and_many_events_and_people(client, ann, sam):
    meeting(ann, at(MONDAY, 9), at(MONDAY, 10), rrule="FREQ=WEEKLY")
    chosen = "&start=2030-03-04T10:00&end=2030-03-04T11:00&after=2030-03-04T00:00Z"
    few = count_queries(client, f"{SLOTS}?attendees={sam.pk}{chosen}")

    others = [person() for _ in range(8)]
    busy_week(sam, others)
    busy_week(ann, [sam, *others[:4]])
    ids = ",".join(str(p.pk) for p in [sam, *others])
    many = count_queries(client, f"{SLOTS}?attendees={ids}{chosen}")

    assert many == few


def test_freebusy_costs_the_same_queries_for_few_and_many(client, ann, sam):
    meeting(ann, at(MONDAY, 9), at(MONDAY, 10), rrule="FREQ=WEEKLY")
    window = "&start=2030-03-04&end=2030-03-11"
    few = count_queries(client, f"{FREEBUSY}?people={ann.pk}{window}")

    others = [person() for _ in range(8)]
    busy_week(sam, others)
    ids = ",".join(str(p.pk) for p in [ann, sam, *others])
    many = count_queries(client, f"{FREEBUSY}?people={ids}{window}")

    assert many == few


def test_the_day_strip_in_another_week_still_costs_a_fixed_number_of_queries(client, ann):
    meeting(ann, at(MONDAY, 9), at(MONDAY, 10), rrule="FREQ=WEEKLY")
    near = count_queries(client, f"{SLOTS}?after=2030-03-04T00:00Z&day=2030-03-05")
    far = count_queries(client, f"{SLOTS}?after=2030-03-04T00:00Z&day=2030-06-05")

    assert far == near + 3  # one more read of busy time, for the far day
