"""Who may do what with calendars and events (calendar_app/policies.py)."""

import pytest
from django.http import Http404

from accounts.models import Role
from calendar_app import policies
from tests.calendar.conftest import make_event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(organizer, invitee):
    return make_event(organizer, attendees=[invitee])


@pytest.mark.parametrize(
    ("who", "edit", "rsvp", "details"),
    [
        ("organizer", True, False, True),
        ("invitee", False, True, True),
        ("colleague", False, False, True),
        ("admin", True, False, True),
        ("manager", False, False, True),
    ],
)
def test_who_may_do_what_with_a_normal_event(
    event, organizer, invitee, colleague, admin, sales_manager, who, edit, rsvp, details
):
    person = {
        "organizer": organizer,
        "invitee": invitee,
        "colleague": colleague,
        "admin": admin,
        "manager": sales_manager,
    }[who]
    assert policies.can_edit_event(person, event) is edit
    assert policies.can_rsvp(person, event) is rsvp
    assert policies.can_see_details(person, event) is details
    assert policies.can_view_calendar(person, organizer)
    assert policies.can_create_event(person)


def test_people_who_left_may_do_nothing(event, organizer, sales):
    gone = UserFactory(departments=[sales], is_active=False, role=Role.ADMIN)
    assert not policies.can_create_event(gone)
    assert not policies.can_edit_event(gone, event)
    assert not policies.can_see_details(gone, event)
    assert not policies.can_view_calendar(gone, organizer)
    organizer.is_active = False
    assert not policies.can_view_calendar(UserFactory(departments=[sales]), organizer)


def test_access_event_is_one_404_for_missing_and_malformed(event, colleague):
    assert policies.access_event(colleague, event.pk) == event
    for key in (0, 999999, "x", None):
        with pytest.raises(Http404):
            policies.access_event(colleague, key)


def test_a_topic_key_that_is_not_a_number_is_refused(event, organizer):
    for key in ("", "x", "1.5", "-1"):
        assert not policies.can_follow_event(organizer, key)
        assert not policies.can_follow_calendar(organizer, key)
