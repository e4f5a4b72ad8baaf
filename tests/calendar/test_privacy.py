"""Private events never leak their titles: not through live events, free/busy, masked
titles, the timeline or the event page's topic.

The live events are captured as published (``capture_events``): anything that
goes to a topic someone uninvited may follow must not carry the title.
"""

import json
from datetime import timedelta

import pytest
from django.http import Http404

from calendar_app import policies, selectors, services
from calendar_app.selectors import BUSY_TITLE
from tests.calendar.conftest import berlin, make_event
from tests.factories import UserFactory
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db

SECRET = "Merger talks with Initech"
WHERE = "Back room 7"


@pytest.fixture
def private(organizer, invitee):
    return make_event(
        organizer, title=SECRET, location=WHERE, attendees=[invitee], visibility="private"
    )


def words(event) -> str:
    return json.dumps(event.payload) + (event.html or "")


def test_calendar_events_never_carry_titles_whatever_happens(organizer, invitee, colleague):
    """Every write publishes ``calendar.changed`` with an id and a change, nothing else."""
    with capture_events() as published:
        event = make_event(
            organizer, title=SECRET, attendees=[invitee], visibility="private", location=WHERE
        )
        services.update_event(actor=organizer, event=event, changes={"attendees": [colleague]})
        services.rsvp(actor=colleague, event=event, response="accepted")
        services.move_event(
            actor=organizer, event=event, start=berlin(2027, 3, 2, 9), end=berlin(2027, 3, 2, 10)
        )
        services.cancel_event(actor=organizer, event=event)
    changes = [e for e in published if e.kind == "calendar.changed"]
    assert {e.topic for e in changes} == {
        f"calendar.{person.pk}" for person in (organizer, invitee, colleague)
    }
    assert {tuple(sorted(e.payload)) for e in changes} == {("change", "event")}
    assert [e.payload["change"] for e in changes if e.topic == f"calendar.{colleague.pk}"] == [
        "updated",
        "rsvp",
        "moved",
        "cancelled",
    ]
    for e in changes:
        assert SECRET not in words(e) and WHERE not in words(e)


def test_only_the_people_in_a_private_event_are_told_its_title(private, invitee, colleague):
    with capture_events() as published:
        services.update_event(
            actor=private.organizer, event=private, changes={"description": "Bring the numbers"}
        )
    for event in published:
        if SECRET in words(event):
            assert event.topic in (f"user.{invitee.pk}", f"calevent.{private.pk}")
            assert policies.can_follow_event(invitee, str(private.pk))
            assert not policies.can_follow_event(colleague, str(private.pk))


def test_free_busy_has_times_only(private, organizer, invitee, colleague):
    blocks = selectors.busy_blocks(
        (pk for pk in (invitee.pk, colleague.pk)), berlin(2027, 3, 1), berlin(2027, 3, 2)
    )
    assert blocks == {
        invitee.pk: [(private.start, private.end)],
        colleague.pk: [],
    }


def test_busy_blocks_merge_and_ignore_the_event_being_moved(organizer, invitee):
    first = make_event(organizer, attendees=[invitee], title="One")
    make_event(
        organizer,
        attendees=[invitee],
        title="Two",
        start=first.end - timedelta(minutes=30),
        end=first.end + timedelta(hours=1),
        allow_double_booking=True,
    )
    day = (berlin(2027, 3, 1), berlin(2027, 3, 2))
    assert selectors.busy_blocks([invitee.pk], *day) == {
        invitee.pk: [(first.start, first.end + timedelta(hours=1))]
    }
    without_first = selectors.busy_blocks([invitee.pk], *day, ignore_uid=first.uid)
    assert without_first == {
        invitee.pk: [(first.end - timedelta(minutes=30), first.end + timedelta(hours=1))]
    }


def test_a_private_title_is_busy_to_everyone_but_the_people_in_it(
    private, organizer, invitee, colleague, admin
):
    assert selectors.shown_title(organizer, private) == SECRET
    assert selectors.shown_title(invitee, private) == SECRET
    assert selectors.shown_title(colleague, private) == BUSY_TITLE
    assert selectors.shown_title(admin, private) == BUSY_TITLE
    normal = make_event(organizer, title="Standup", start=berlin(2027, 3, 5, 9))
    assert selectors.shown_title(colleague, normal) == "Standup"


def test_a_colleagues_calendar_shows_the_private_event_as_busy(private, invitee, colleague):
    [entry] = selectors.calendar_occurrences([invitee.pk], berlin(2027, 3, 1), berlin(2027, 3, 2))
    assert entry.people == [invitee.pk]
    assert selectors.shown_title(colleague, entry.event) == BUSY_TITLE
    assert selectors.response_of(invitee.pk, entry.event) == "needs-action"
    assert selectors.response_of(colleague.pk, entry.event) is None


def test_the_event_page_and_its_topic_are_for_the_people_in_it(private, invitee, colleague):
    assert policies.access_event(invitee, private.pk) == private
    for key in (private.pk, str(private.pk)):
        with pytest.raises(Http404):
            policies.access_event(colleague, key)
    assert policies.can_follow_event(invitee, str(private.pk))
    assert policies.can_follow_event(private.organizer, str(private.pk))
    assert not policies.can_follow_event(colleague, str(private.pk))


def test_an_override_of_a_private_series_is_private_to_the_same_people(
    organizer, invitee, colleague
):
    series = make_event(
        organizer,
        title=SECRET,
        attendees=[invitee],
        visibility="private",
        rrule="FREQ=DAILY;COUNT=3",
    )
    override = services.update_event(
        actor=organizer,
        event=series,
        changes={"location": WHERE},
        occurrence=series.start + timedelta(days=1),
        scope="this",
    )
    assert policies.can_follow_event(invitee, str(override.pk))
    assert not policies.can_follow_event(colleague, str(override.pk))
    assert selectors.shown_title(colleague, override) == BUSY_TITLE


def test_everyone_may_follow_a_colleagues_calendar_topic(organizer, colleague, sales):
    assert policies.can_follow_calendar(colleague, str(organizer.pk))
    gone = UserFactory(departments=[sales], is_active=False)
    for key in (str(gone.pk), "999999", "me", ""):
        assert not policies.can_follow_calendar(colleague, key)
    colleague.is_active = False
    assert not policies.can_follow_calendar(colleague, str(organizer.pk))
