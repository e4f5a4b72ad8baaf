"""Calendar over the API: a private meeting's title stays with the invited; RSVP by service."""

import pytest

from calendar_app.models import Attendee, Event
from tests.calendar.conftest import berlin, make_event
from tests.factories import UserFactory
from tests.integrations.api.conftest import Api, token_for
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitee(sales):
    return UserFactory(departments=[sales])


@pytest.fixture
def meeting(member, invitee):
    return make_event(
        member, title="Doctor visit", attendees=[invitee], visibility=Event.Visibility.PRIVATE
    )


def test_someone_elses_private_meeting_is_404_like_its_page(client, meeting, support_member):
    api = Api(token_for(support_member, ["calendar:write"]))
    for response in (
        api.get(f"/api/calendar/events/{meeting.pk}/"),
        api.post(f"/api/calendar/events/{meeting.pk}/rsvp/", {"response": "accepted"}),
        api.get("/api/calendar/events/"),
    ):
        assert "Doctor visit" not in response.content.decode()
    assert api.get(f"/api/calendar/events/{meeting.pk}/").status_code == 404
    client.force_login(support_member)
    assert client.get(f"/calendar/events/{meeting.pk}/").status_code == 404


def test_the_invited_see_it_and_answer(meeting, invitee):
    api = Api(token_for(invitee, ["calendar:write"]))
    listed = api.get("/api/calendar/events/", expand="organizer").json()["results"]
    assert [row["title"] for row in listed] == ["Doctor visit"]
    with capture_events() as events:
        response = api.post(f"/api/calendar/events/{meeting.pk}/rsvp/", {"response": "accepted"})
    assert response.status_code == 200
    answers = {row["user"]: row["response"] for row in response.json()["attendees"]}
    assert answers[invitee.pk] == Attendee.Response.ACCEPTED
    assert events


def test_an_unknown_answer_is_400_and_the_organizer_cannot_rsvp(meeting, member, invitee):
    api = Api(token_for(invitee, ["calendar:write"]))
    assert (
        api.post(f"/api/calendar/events/{meeting.pk}/rsvp/", {"response": "yes"}).status_code == 400
    )
    organizer = Api(token_for(member, ["calendar:write"]))
    response = organizer.post(f"/api/calendar/events/{meeting.pk}/rsvp/", {"response": "declined"})
    assert response.status_code == 403
    assert response.json()["detail"] == "You are not invited to this event."


def test_events_list_in_constant_queries(member, invitee, django_assert_max_num_queries):
    for day in range(5):
        make_event(
            member, title=f"Call {day}", start=berlin(2027, 3, 1 + day, 10), attendees=[invitee]
        )
    api = Api(token_for(invitee, ["calendar:read"]))
    with django_assert_max_num_queries(6):
        rows = api.get("/api/calendar/events/", expand="organizer").json()["results"]
    assert len(rows) == 5 and all(len(row["attendees"]) == 2 for row in rows)
