"""Calendar services: create, change (this / following / all), move, cancel, RSVP, people,
double-booking, staleness, timeline and email — behaviour and refusals."""

from datetime import UTC, timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import EmailNotifications, Notification
from calendar_app import selectors, services
from calendar_app.models import Attendee, Event
from calendar_app.recurrence import format_utc
from records import services as records_services
from records.models import TimelineEntry
from tests.calendar.conftest import BERLIN, berlin, make_event
from tests.factories import UserFactory
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db

MONDAY = berlin(2027, 3, 1, 9)  # winter time; the clocks change on 28 March


@pytest.fixture
def acme(organizer):
    return records_services.create_client(actor=organizer, name="Acme GmbH")


@pytest.fixture
def jo(organizer, acme):
    return records_services.create_contact(
        actor=organizer, client=acme, name="Jo Acme", emails=["Jo@Acme.example"]
    )


def weekly(organizer, count=6, **fields) -> Event:
    return make_event(
        organizer,
        start=MONDAY,
        end=MONDAY + timedelta(hours=1),
        rrule=f"FREQ=WEEKLY;COUNT={count}",
        **fields,
    )


def week(n: int, hour: int = 9):
    """The series' n-th Monday (1-based) at ``hour`` Berlin time (aware arithmetic keeps the
    wall clock)."""
    return berlin(2027, 3, 1, hour) + timedelta(weeks=n - 1)


def texts(person, kind=None) -> list[str]:
    rows = Notification.objects.filter(recipient=person).order_by("pk")
    return [row.text for row in rows if kind is None or row.kind == kind]


def calendar(person):
    """(title, Berlin start) of every occurrence in ``person``'s calendar in 2027."""
    entries = selectors.calendar_occurrences([person.pk], berlin(2027, 1, 1), berlin(2028, 1, 1))
    return [(entry.event.title, entry.occurrence.start.astimezone(BERLIN)) for entry in entries]


def changed_calendars(events) -> dict[str, str]:
    return {e.topic: e.payload["change"] for e in events if e.kind == "calendar.changed"}


# --- Create ---------------------------------------------------------------------------------------


def test_the_bell_gives_times_in_each_invitees_own_zone(organizer, sales):
    far = UserFactory(full_name="Nia York", departments=[sales], timezone="America/New_York")
    event = make_event(organizer, attendees=[far])
    assert texts(far) == [
        "Olga Organizer invited you to “Planning”, Mon 1 Mar 2027, 04:00 (America/New_York)."
    ]
    services.move_event(
        actor=organizer, event=event, start=berlin(2027, 3, 2, 15), end=berlin(2027, 3, 2, 16)
    )
    assert texts(far, "event-update") == [
        "Olga Organizer moved “Planning” to Tue 2 Mar 2027, 09:00 (America/New_York)."
    ]


def test_a_cancelled_occurrence_is_named_in_each_invitees_own_zone(organizer, sales):
    far = UserFactory(full_name="Nia York", departments=[sales], timezone="America/New_York")
    weekly = make_event(organizer, attendees=[far], rrule="FREQ=WEEKLY;COUNT=3")
    services.cancel_event(
        actor=organizer, event=weekly, occurrence=berlin(2027, 3, 8, 10), scope="this"
    )
    assert texts(far, "event-cancelled") == [
        "Olga Organizer cancelled “Planning” on Mon 8 Mar 2027, 04:00 (America/New_York)."
    ]


def test_create_invites_colleagues_and_guests_and_tells_them(organizer, invitee, acme, jo):
    with capture_events() as published:
        event = make_event(organizer, attendees=[invitee], guests=[jo], client=acme)
    people = {(a.user_id, a.email, a.is_organizer, a.response) for a in event.attendees.all()}
    assert people == {
        (organizer.pk, organizer.email, True, "accepted"),
        (invitee.pk, invitee.email, False, "needs-action"),
        (None, "jo@acme.example", False, "needs-action"),
    }
    assert event.attendees.get(email="jo@acme.example").contact == jo
    assert texts(invitee) == [
        "Olga Organizer invited you to “Planning”, Mon 1 Mar 2027, 10:00 (Europe/Berlin)."
    ]
    assert texts(organizer) == []
    assert changed_calendars(published) == {
        f"calendar.{organizer.pk}": "created",
        f"calendar.{invitee.pk}": "created",
    }
    assert {e.topic for e in published} >= {f"user.{invitee.pk}", f"calevent.{event.pk}"}
    entry = TimelineEntry.objects.get(client=acme, kind=TimelineEntry.Kind.MEETING)
    assert entry.summary == (
        "Olga Organizer scheduled “Planning” for Mon 1 Mar 2027, 10:00 (Europe/Berlin)"
    )
    assert entry.data == {"event": event.pk, "title": event.title}


def test_a_deal_links_its_client_and_a_deal_of_another_client_is_refused(organizer, acme):
    other = records_services.create_client(actor=organizer, name="Other AG")
    deal = records_services.create_deal(actor=organizer, client=other, title="Licences")
    event = make_event(organizer, deal=deal)
    assert (event.client, event.deal) == (other, deal)
    with pytest.raises(ValidationError, match="a deal of another client"):
        make_event(organizer, deal=deal, client=acme, title="Mixed up")
    assert not Event.objects.filter(title="Mixed up").exists()


def test_a_guest_without_email_cannot_be_invited_and_nothing_is_saved(organizer, acme):
    mute = records_services.create_contact(actor=organizer, client=acme, name="No Mail")
    with pytest.raises(ValidationError) as excinfo:
        make_event(organizer, guests=[mute])
    assert excinfo.value.message_dict == {
        "guests": ["No Mail has no email address, so cannot be invited."]
    }
    assert not Event.objects.exists() and not Attendee.objects.exists()


def test_someone_who_left_cannot_be_invited(organizer, sales):
    gone = UserFactory(full_name="Gone Person", departments=[sales], is_active=False)
    with pytest.raises(ValidationError, match="Gone Person no longer works here"):
        make_event(organizer, attendees=[gone])
    assert not Event.objects.exists()


def test_inviting_someone_twice_or_the_organizer_is_harmless(organizer, invitee):
    event = make_event(organizer, attendees=[invitee, invitee, organizer])
    assert sorted(event.attendees.values_list("user_id", flat=True)) == sorted(
        [organizer.pk, invitee.pk]
    )


def test_no_one_inactive_schedules(organizer):
    organizer.is_active = False
    with pytest.raises(PermissionDenied):
        make_event(organizer)


# --- Change: the whole event ----------------------------------------------------------------------


def test_a_change_bumps_the_sequence_and_tells_the_others(organizer, invitee):
    event = make_event(organizer, attendees=[invitee])
    with capture_events() as published:
        changed = services.update_event(
            actor=organizer,
            event=event,
            changes={"title": "  Planning   2027 ", "location": " HQ "},
        )
    assert (changed.title, changed.location, changed.sequence) == ("Planning 2027", "HQ", 1)
    assert texts(invitee, "event-update") == ["Olga Organizer updated “Planning 2027”."]
    assert texts(organizer) == []
    assert changed_calendars(published) == {
        f"calendar.{organizer.pk}": "updated",
        f"calendar.{invitee.pk}": "updated",
    }


def test_a_change_that_changes_nothing_saves_and_publishes_nothing(organizer, invitee):
    event = weekly(organizer, attendees=[invitee])
    with capture_events(0):
        same = services.update_event(
            actor=organizer,
            event=event,
            changes={"title": "Planning"},
            occurrence=week(2),
            scope="this",
        )
        services.update_event(
            actor=organizer,
            event=event,
            changes={"title": "Planning"},
            occurrence=week(3),
            scope="following",
        )
    assert same == event
    assert Event.objects.count() == 1
    event.refresh_from_db()
    assert event.sequence == 0


def test_moving_tells_attendees_and_the_clients_timeline(organizer, invitee, acme):
    event = make_event(organizer, attendees=[invitee], client=acme)
    with capture_events() as published:
        services.move_event(
            actor=organizer, event=event, start=berlin(2027, 3, 2, 14), end=berlin(2027, 3, 2, 15)
        )
    assert texts(invitee, "event-update") == [
        "Olga Organizer moved “Planning” to Tue 2 Mar 2027, 14:00 (Europe/Berlin)."
    ]
    assert changed_calendars(published)[f"calendar.{invitee.pk}"] == "moved"
    moved = TimelineEntry.objects.filter(client=acme).order_by("pk").last()
    assert (
        moved.summary == "Olga Organizer moved “Planning” to Tue 2 Mar 2027, 14:00 (Europe/Berlin)"
    )


def test_unknown_changes_and_scopes_are_refused(organizer):
    event = make_event(organizer)
    with pytest.raises(ValidationError, match="cannot be changed: organizer, sequence"):
        services.update_event(
            actor=organizer, event=event, changes={"sequence": 9, "organizer": organizer}
        )
    with pytest.raises(ValidationError, match="not one of this, following, all"):
        services.update_event(actor=organizer, event=event, changes={"title": "x"}, scope="some")


# --- Change: this occurrence ----------------------------------------------------------------------


def test_changing_one_occurrence_makes_an_override_and_leaves_the_series(organizer, invitee):
    event = weekly(organizer, attendees=[invitee])
    services.rsvp(actor=invitee, event=event, response="accepted")
    override = services.update_event(
        actor=organizer,
        event=event,
        changes={"title": "Planning (board)"},
        occurrence=week(2),
        scope="this",
    )
    assert (override.series, override.recurrence_id, override.uid) == (event, week(2), event.uid)
    assert override.rrule == "" and override.start == week(2)
    assert override.attendees.get(user=invitee).response == "accepted"
    event.refresh_from_db()
    assert (event.title, event.sequence) == ("Planning", 0)
    titles = [title for title, _ in calendar(invitee)]
    assert titles == ["Planning", "Planning (board)", *["Planning"] * 4]
    assert texts(invitee, "event-update") == ["Olga Organizer updated “Planning (board)”."]


def test_changing_an_overridden_occurrence_again_changes_its_override(organizer):
    """Never an override of an override: by the series and the occurrence, or by the row."""
    event = weekly(organizer)
    first = services.update_event(
        actor=organizer, event=event, changes={"title": "A"}, occurrence=week(2), scope="this"
    )
    again = services.update_event(
        actor=organizer, event=event, changes={"title": "B"}, occurrence=week(2), scope="this"
    )
    by_row = services.update_event(
        actor=organizer, event=first, changes={"location": "HQ"}, scope="this"
    )
    assert first.pk == again.pk == by_row.pk
    assert Event.objects.count() == 2
    first.refresh_from_db()
    assert (first.title, first.location, first.sequence) == ("B", "HQ", 3)


def test_an_occurrence_that_is_not_part_of_the_series_is_refused(organizer):
    event = weekly(organizer)
    services.cancel_event(actor=organizer, event=event, occurrence=week(3), scope="this")
    for missing in (week(3), week(2) + timedelta(hours=1), week(9)):
        with pytest.raises(ValidationError, match="no longer part of this event"):
            services.move_event(
                actor=organizer,
                event=event,
                occurrence=missing,
                start=week(2, 12),
                end=week(2, 13),
            )
    with pytest.raises(ValidationError, match="Say which occurrence"):
        services.update_event(actor=organizer, event=event, changes={"title": "x"}, scope="this")


# --- Change: this and following -------------------------------------------------------------------


def test_this_and_following_splits_the_series_and_shares_out_its_count(organizer, invitee):
    event = weekly(organizer, count=6, attendees=[invitee])
    services.cancel_event(actor=organizer, event=event, occurrence=week(4), scope="this")
    services.cancel_event(actor=organizer, event=event, occurrence=week(2), scope="this")
    kept = services.update_event(
        actor=organizer, event=event, changes={"title": "Late"}, occurrence=week(5), scope="this"
    )
    tail = services.update_event(
        actor=organizer,
        event=event,
        changes={"title": "Planning v2"},
        occurrence=week(3),
        scope="following",
    )
    event.refresh_from_db()
    kept.refresh_from_db()
    assert event.rrule == f"FREQ=WEEKLY;UNTIL={format_utc(week(3) - timedelta(seconds=1))}"
    assert event.exdates == [format_utc(week(2))]
    assert (tail.rrule, tail.start, tail.sequence) == ("FREQ=WEEKLY;COUNT=4", week(3), 1)
    assert tail.uid != event.uid
    assert tail.exdates == [format_utc(week(4))]
    assert (kept.series, kept.uid, kept.title) == (tail, tail.uid, "Late")
    assert calendar(invitee) == [
        ("Planning", week(1)),
        ("Planning v2", week(3)),
        ("Late", week(5)),
        ("Planning v2", week(6)),
    ]
    assert tail.attendees.filter(user=invitee).exists()


def test_this_and_following_from_the_first_occurrence_changes_the_whole_series(organizer):
    event = weekly(organizer)
    changed = services.update_event(
        actor=organizer,
        event=event,
        changes={"title": "All"},
        occurrence=week(1),
        scope="following",
    )
    assert changed == event and Event.objects.count() == 1


def test_this_and_following_with_a_new_rule_starts_where_the_rule_does(organizer):
    event = weekly(organizer, count=6)
    tail = services.update_event(
        actor=organizer,
        event=event,
        changes={"rrule": "FREQ=WEEKLY;BYDAY=WE;COUNT=2"},
        occurrence=week(4),
        scope="following",
    )
    assert tail.start == week(4) + timedelta(days=2)
    assert [start for _, start in calendar(event.organizer)] == [
        week(1),
        week(2),
        week(3),
        week(4) + timedelta(days=2),
        week(5) + timedelta(days=2),
    ]


# --- Change: all, from one occurrence -------------------------------------------------------------


def test_moving_one_occurrence_under_all_moves_the_series_and_its_exceptions(organizer):
    """By wall clock: dragged in summer from 9:00 to 10:00, the winter start moves to 10:00 too."""
    event = weekly(organizer, count=8)
    services.cancel_event(actor=organizer, event=event, occurrence=week(6), scope="this")
    renamed = services.update_event(
        actor=organizer,
        event=event,
        changes={"title": "Renamed"},
        occurrence=week(7),
        scope="this",
    )
    moved = services.move_event(
        actor=organizer,
        event=event,
        occurrence=week(8),
        start=berlin(2027, 4, 21, 16),
        end=berlin(2027, 4, 21, 17),
        scope="this",
    )
    services.move_event(
        actor=organizer,
        event=event,
        occurrence=week(5),
        start=week(5, 10),
        end=week(5, 11),
        scope="all",
    )
    event.refresh_from_db()
    renamed.refresh_from_db()
    moved.refresh_from_db()
    assert (event.start, event.end) == (week(1, 10), week(1, 11))
    assert event.exdates == [format_utc(week(6, 10))]
    assert (renamed.recurrence_id, renamed.start) == (week(7, 10), week(7, 10))
    assert (moved.recurrence_id, moved.start) == (week(8, 10), berlin(2027, 4, 21, 16))
    assert calendar(organizer) == [
        *[("Planning", week(n, 10)) for n in (1, 2, 3, 4, 5)],
        ("Renamed", week(7, 10)),
        ("Planning", berlin(2027, 4, 21, 16)),
    ]


def test_a_series_moved_across_the_clock_change_keeps_its_exceptions(organizer):
    """Two weeks later is 14 days minus an hour in UTC; exceptions move by wall clock."""
    event = make_event(organizer, start=week(3), end=week(3, 10), rrule="FREQ=WEEKLY;COUNT=6")
    services.cancel_event(actor=organizer, event=event, occurrence=week(7), scope="this")
    last = services.update_event(
        actor=organizer, event=event, changes={"title": "Last"}, occurrence=week(8), scope="this"
    )
    services.move_event(
        actor=organizer,
        event=event,
        occurrence=week(3),
        start=week(5),
        end=week(5, 10),
        scope="all",
    )
    event.refresh_from_db()
    last.refresh_from_db()
    assert event.exdates == [format_utc(week(9))]
    assert (last.recurrence_id, last.start) == (week(10), week(10))
    assert calendar(organizer) == [
        *[("Planning", week(n)) for n in (5, 6, 7, 8)],
        ("Last", week(10)),
    ]


def test_a_weekly_series_dragged_to_another_weekday_repeats_on_that_day(organizer):
    event = make_event(
        organizer,
        start=MONDAY,
        end=MONDAY + timedelta(hours=1),
        rrule="FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4",
    )
    wednesday = week(1) + timedelta(days=2)
    services.move_event(
        actor=organizer,
        event=event,
        occurrence=wednesday,
        start=wednesday + timedelta(days=1),
        end=wednesday + timedelta(days=1, hours=1),
        scope="all",
    )
    event.refresh_from_db()
    assert event.rrule == "FREQ=WEEKLY;COUNT=4;BYDAY=TU,TH"
    assert [f"{start:%a %d}" for _, start in calendar(organizer)] == [
        "Tue 02",
        "Thu 04",
        "Tue 09",
        "Thu 11",
    ]


def test_a_monthly_series_cannot_leave_its_day_without_a_new_rule(organizer):
    event = make_event(
        organizer,
        start=MONDAY,
        end=MONDAY + timedelta(hours=1),
        rrule="FREQ=MONTHLY;BYMONTHDAY=1;COUNT=3",
    )
    with pytest.raises(ValidationError) as excinfo:
        services.move_event(
            actor=organizer,
            event=event,
            start=berlin(2027, 3, 2, 9),
            end=berlin(2027, 3, 2, 10),
            occurrence=MONDAY,
            scope="all",
        )
    assert excinfo.value.message_dict["start"] == [
        "This event does not repeat on Tue 2 Mar 2027, 09:00 (Europe/Berlin) (repeats monthly "
        "on day 1, 3 times). Change the repeat rule too, or change only this occurrence."
    ]
    event.refresh_from_db()
    assert (event.start, event.sequence) == (MONDAY, 0)


def test_a_new_rule_drops_the_exceptions_it_no_longer_produces(organizer):
    event = weekly(organizer, count=6)
    services.cancel_event(actor=organizer, event=event, occurrence=week(2), scope="this")
    services.update_event(
        actor=organizer, event=event, changes={"title": "Late"}, occurrence=week(5), scope="this"
    )
    services.update_event(actor=organizer, event=event, changes={"rrule": "FREQ=WEEKLY;COUNT=3"})
    event.refresh_from_db()
    assert event.exdates == [format_utc(week(2))]
    assert not event.overrides.exists()
    services.update_event(
        actor=organizer, event=event, changes={"title": "Late"}, occurrence=week(3), scope="this"
    )
    services.update_event(actor=organizer, event=event, changes={"rrule": ""})
    event.refresh_from_db()
    assert (event.exdates, event.overrides.count(), event.last_end) == ([], 0, week(1, 10))
    assert calendar(organizer) == [("Planning", week(1))]


def test_details_changed_on_the_series_reach_overrides_that_kept_them(organizer):
    event = weekly(organizer)
    same = services.update_event(
        actor=organizer,
        event=event,
        changes={"location": "Room 1"},
        occurrence=week(2),
        scope="this",
    )
    own = services.update_event(
        actor=organizer, event=event, changes={"title": "Board"}, occurrence=week(3), scope="this"
    )
    services.update_event(
        actor=organizer, event=event, changes={"title": "Weekly", "visibility": "private"}
    )
    same.refresh_from_db()
    own.refresh_from_db()
    assert (same.title, same.location, same.visibility) == ("Weekly", "Room 1", "private")
    assert (own.title, own.visibility) == ("Board", "private")


# --- People ---------------------------------------------------------------------------------------


def test_changing_who_is_invited_tells_those_added_and_taken_off(organizer, invitee, colleague):
    event = make_event(organizer, attendees=[invitee])
    with capture_events() as published:
        services.update_event(actor=organizer, event=event, changes={"attendees": [colleague]})
    event.refresh_from_db()
    assert event.sequence == 1
    assert texts(invitee)[-1] == "Olga Organizer took you off “Planning”."
    assert texts(colleague) == [
        "Olga Organizer invited you to “Planning”, Mon 1 Mar 2027, 10:00 (Europe/Berlin)."
    ]
    assert set(changed_calendars(published)) == {
        f"calendar.{person.pk}" for person in (organizer, invitee, colleague)
    }
    assert calendar(invitee) == []


def test_someone_invited_who_left_since_does_not_block_other_changes(organizer, invitee, colleague):
    event = make_event(organizer, attendees=[invitee])
    invitee.is_active = False
    invitee.save()
    services.update_event(actor=organizer, event=event, changes={"attendees": [invitee, colleague]})
    assert event.attendees.filter(user__in=[invitee, colleague]).count() == 2


def test_people_changed_on_the_series_change_in_its_overrides(organizer, invitee, colleague):
    event = weekly(organizer, attendees=[invitee])
    services.update_event(
        actor=organizer, event=event, changes={"title": "Board"}, occurrence=week(2), scope="this"
    )
    services.update_event(actor=organizer, event=event, changes={"attendees": [colleague]})
    assert len(calendar(colleague)) == 6
    assert calendar(invitee) == []


def test_guests_who_came_without_a_contact_stay_when_the_guest_list_changes(organizer, jo):
    event = make_event(organizer, guests=[jo])
    Attendee.objects.create(event=event, email="imported@example.com", name="Imported")
    services.update_event(actor=organizer, event=event, changes={"guests": []})
    assert list(event.attendees.filter(user=None).values_list("email", flat=True)) == [
        "imported@example.com"
    ]


# --- Double booking -------------------------------------------------------------------------------


@pytest.fixture
def busy_invitee(invitee, colleague):
    """Ivan is in Cora's private interview on 1 March, 10:30 to 11:30."""
    make_event(
        colleague,
        title="Secret interview",
        attendees=[invitee],
        visibility="private",
        start=berlin(2027, 3, 1, 10, 30),
        end=berlin(2027, 3, 1, 11, 30),
    )
    return invitee


def test_inviting_someone_busy_then_is_refused_naming_them_only(organizer, busy_invitee):
    with pytest.raises(services.DoubleBooked) as excinfo:
        make_event(organizer, attendees=[busy_invitee], title="Clash")
    assert excinfo.value.messages == [
        "Ivan Invitee is already busy then. Pick another time, or save anyway to double-book."
    ]
    assert excinfo.value.clashes == [
        (busy_invitee, berlin(2027, 3, 1, 10, 30), berlin(2027, 3, 1, 11, 30))
    ]
    assert not Event.objects.filter(title="Clash").exists()
    assert texts(busy_invitee, "event-invite") == [
        "Cora Colleague invited you to “Secret interview”, Mon 1 Mar 2027, 10:30 (Europe/Berlin)."
    ]


def test_double_booking_can_be_allowed(organizer, busy_invitee):
    event = make_event(organizer, attendees=[busy_invitee], allow_double_booking=True)
    assert event.attendees.filter(user=busy_invitee).exists()


def test_only_invited_colleagues_who_have_not_declined_count(organizer, busy_invitee, colleague):
    make_event(colleague)  # the organizer of the interview is busy, but not invited
    make_event(busy_invitee, title="Own", start=berlin(2027, 3, 1, 10), end=berlin(2027, 3, 1, 11))
    make_event(organizer, title="Mine", start=berlin(2027, 3, 1, 9), end=berlin(2027, 3, 1, 12))
    interview = Event.objects.get(title="Secret interview")
    services.rsvp(actor=busy_invitee, event=interview, response="declined")
    Event.objects.filter(title="Own").update(status=Event.Status.CANCELLED)
    event = make_event(organizer, attendees=[busy_invitee])  # neither declined nor cancelled count
    assert event.pk


def test_an_invitee_who_declined_is_not_checked_when_the_event_moves(organizer, invitee, colleague):
    event = make_event(organizer, attendees=[invitee])
    services.rsvp(actor=invitee, event=event, response="declined")
    make_event(
        colleague, attendees=[invitee], start=berlin(2027, 3, 2, 10), end=berlin(2027, 3, 2, 11)
    )
    moved = services.move_event(
        actor=organizer, event=event, start=berlin(2027, 3, 2, 10), end=berlin(2027, 3, 2, 11)
    )
    assert moved.start == berlin(2027, 3, 2, 10)


def test_moving_into_someones_busy_time_is_refused_and_changes_nothing(organizer, busy_invitee):
    event = make_event(
        organizer, attendees=[busy_invitee], start=berlin(2027, 3, 1, 8), end=berlin(2027, 3, 1, 9)
    )
    with capture_events(0), pytest.raises(services.DoubleBooked):
        services.move_event(
            actor=organizer, event=event, start=berlin(2027, 3, 1, 11), end=berlin(2027, 3, 1, 12)
        )
    event.refresh_from_db()
    assert (event.start, event.sequence) == (berlin(2027, 3, 1, 8), 0)


def test_an_event_never_clashes_with_itself(organizer, invitee):
    event = weekly(organizer, attendees=[invitee])
    services.move_event(
        actor=organizer,
        event=event,
        start=week(1, 9) + timedelta(minutes=30),
        end=week(1, 10) + timedelta(minutes=30),
        occurrence=week(1),
        scope="all",
    )
    services.move_event(
        actor=organizer,
        event=event,
        occurrence=week(2) + timedelta(minutes=30),
        start=week(3, 9),
        end=week(3, 10),
        scope="this",
    )
    assert len(calendar(invitee)) == 6  # two on 15 March, overlapping


def test_a_series_is_checked_over_its_first_occurrences(organizer, invitee, colleague):
    make_event(colleague, attendees=[invitee], start=week(4, 9), end=week(4, 10))
    with pytest.raises(services.DoubleBooked) as excinfo:
        weekly(organizer, attendees=[invitee])
    assert [(person, start) for person, start, _ in excinfo.value.clashes] == [(invitee, week(4))]


# --- Staleness ------------------------------------------------------------------------------------


def test_a_move_based_on_an_old_version_is_refused(organizer, invitee):
    event = make_event(organizer, attendees=[invitee])
    services.update_event(actor=organizer, event=event, changes={"title": "New"}, seen_sequence=0)
    for seen in (0, "garbage"):
        with pytest.raises(services.StaleEvent, match="Someone changed this event"):
            services.move_event(
                actor=organizer,
                event=event,
                start=berlin(2027, 3, 2, 9),
                end=berlin(2027, 3, 2, 10),
                seen_sequence=seen,
            )
    moved = services.move_event(
        actor=organizer,
        event=event,
        start=berlin(2027, 3, 2, 9),
        end=berlin(2027, 3, 2, 10),
        seen_sequence="1",
    )
    assert moved.sequence == 2


def test_a_stale_move_of_an_occurrence_someone_moved_is_refused(organizer):
    """Both loaded sequence 0; the first move made an override (sequence 1)."""
    event = weekly(organizer)
    services.move_event(
        actor=organizer,
        event=event,
        occurrence=week(2),
        start=week(2, 11),
        end=week(2, 12),
        seen_sequence=0,
    )
    with pytest.raises(services.StaleEvent):
        services.move_event(
            actor=organizer,
            event=event,
            occurrence=week(2),
            start=week(2, 14),
            end=week(2, 15),
            seen_sequence=0,
        )


# --- Permissions ----------------------------------------------------------------------------------


def test_only_the_organizer_or_an_admin_changes_moves_or_cancels(organizer, invitee, admin):
    event = make_event(organizer, attendees=[invitee])
    when = {"start": berlin(2027, 3, 2, 9), "end": berlin(2027, 3, 2, 10)}
    for intruder in (invitee, UserFactory()):
        with pytest.raises(PermissionDenied, match="Only the organizer"):
            services.update_event(actor=intruder, event=event, changes={"title": "Mine"})
        with pytest.raises(PermissionDenied):
            services.move_event(actor=intruder, event=event, **when)
        with pytest.raises(PermissionDenied):
            services.cancel_event(actor=intruder, event=event)
    services.move_event(actor=admin, event=event, **when)
    assert texts(organizer, "event-update")[0].startswith(f"{admin} moved “Planning”")
    assert texts(admin) == []
    services.cancel_event(actor=admin, event=event)
    event.refresh_from_db()
    assert event.is_cancelled


# --- RSVP -----------------------------------------------------------------------------------------


def test_an_invitee_answers_and_the_organizer_sees_it(organizer, invitee):
    event = make_event(organizer, attendees=[invitee])
    with capture_events() as published:
        attendee = services.rsvp(actor=invitee, event=event, response="tentative")
    assert (attendee.response, attendee.responded_at is not None) == ("tentative", True)
    assert texts(organizer) == ["Ivan Invitee answered “maybe” to “Planning”."]
    assert changed_calendars(published) == {
        f"calendar.{organizer.pk}": "rsvp",
        f"calendar.{invitee.pk}": "rsvp",
    }
    with capture_events(0):
        services.rsvp(actor=invitee, event=event, response="tentative")


def test_only_invitees_answer_and_only_with_a_real_answer(organizer, invitee, colleague):
    event = make_event(organizer, attendees=[invitee])
    for outsider in (colleague, organizer):
        with pytest.raises(PermissionDenied, match="not invited"):
            services.rsvp(actor=outsider, event=event, response="accepted")
    with pytest.raises(ValidationError, match="Answer going, maybe or not going"):
        services.rsvp(actor=invitee, event=event, response="needs-action")
    services.update_event(actor=organizer, event=event, changes={"attendees": []})
    with pytest.raises(PermissionDenied):
        services.rsvp(actor=invitee, event=event, response="accepted")  # a stale page


def test_declining_takes_the_event_off_ones_calendar(organizer, invitee):
    event = make_event(organizer, attendees=[invitee])
    services.rsvp(actor=invitee, event=event, response="declined")
    assert calendar(invitee) == []
    assert len(calendar(organizer)) == 1


def test_answering_a_series_answers_its_overrides_but_not_separate_answers(organizer, invitee):
    event = weekly(organizer, attendees=[invitee])
    services.update_event(
        actor=organizer, event=event, changes={"title": "A"}, occurrence=week(2), scope="this"
    )
    own = services.update_event(
        actor=organizer, event=event, changes={"title": "B"}, occurrence=week(3), scope="this"
    )
    services.rsvp(actor=invitee, event=own, response="declined")
    services.rsvp(actor=invitee, event=event, response="accepted")
    answers = dict(Attendee.objects.filter(user=invitee).values_list("event__title", "response"))
    assert answers == {"Planning": "accepted", "A": "accepted", "B": "declined"}
    assert [title for title, _ in calendar(invitee)] == ["Planning", "A", *["Planning"] * 3]


def test_nobody_answers_a_cancelled_event(organizer, invitee):
    event = make_event(organizer, attendees=[invitee])
    services.cancel_event(actor=organizer, event=event)
    with pytest.raises(ValidationError, match="was cancelled"):
        services.rsvp(actor=invitee, event=event, response="accepted")


# --- Cancel ---------------------------------------------------------------------------------------


def test_cancelling_an_event_keeps_the_row_and_tells_the_attendees(organizer, invitee, acme):
    event = weekly(organizer, attendees=[invitee], client=acme, visibility="private")
    override = services.update_event(
        actor=organizer, event=event, changes={"location": "HQ"}, occurrence=week(2), scope="this"
    )
    with capture_events() as published:
        cancelled = services.cancel_event(actor=organizer, event=event)
    override.refresh_from_db()
    assert (cancelled.status, cancelled.sequence, cancelled.reminder_at) == ("cancelled", 1, None)
    assert override.is_cancelled
    assert texts(invitee, "event-cancelled") == ["Olga Organizer cancelled “Planning”."]
    assert texts(organizer) == []
    assert calendar(invitee) == [] and calendar(organizer) == []
    assert changed_calendars(published)[f"calendar.{invitee.pk}"] == "cancelled"
    entry = TimelineEntry.objects.filter(client=acme).order_by("pk").last()
    assert (entry.summary, entry.data) == (
        "Olga Organizer cancelled a private meeting",
        {"private_event": event.pk},
    )
    with pytest.raises(ValidationError, match="This event was cancelled"):
        services.cancel_event(actor=organizer, event=event)
    with pytest.raises(ValidationError, match="This event was cancelled"):
        services.update_event(actor=organizer, event=event, changes={"title": "Back"})


def test_cancelling_one_occurrence(organizer, invitee):
    event = weekly(organizer, attendees=[invitee])
    services.cancel_event(actor=organizer, event=event, occurrence=week(2), scope="this")
    event.refresh_from_db()
    assert (event.exdates, event.sequence, event.status) == ([format_utc(week(2))], 1, "confirmed")
    assert texts(invitee, "event-cancelled") == [
        "Olga Organizer cancelled “Planning” on Mon 8 Mar 2027, 09:00 (Europe/Berlin)."
    ]
    assert week(2) not in [start for _, start in calendar(invitee)]


def test_cancelling_a_moved_occurrence_by_its_row(organizer):
    event = weekly(organizer)
    moved = services.move_event(
        actor=organizer, event=event, occurrence=week(2), start=week(2, 15), end=week(2, 16)
    )
    services.cancel_event(actor=organizer, event=moved, scope="this")
    event.refresh_from_db()
    assert event.exdates == [format_utc(week(2))]
    assert not Event.objects.filter(pk=moved.pk).exists()
    assert texts(organizer) == []


def test_cancelling_this_and_following(organizer, invitee):
    event = weekly(organizer, attendees=[invitee])
    later = services.update_event(
        actor=organizer, event=event, changes={"title": "Late"}, occurrence=week(5), scope="this"
    )
    services.cancel_event(actor=organizer, event=event, occurrence=week(3), scope="following")
    event.refresh_from_db()
    assert event.rrule == f"FREQ=WEEKLY;UNTIL={format_utc(week(3) - timedelta(seconds=1))}"
    assert not Event.objects.filter(pk=later.pk).exists()
    assert calendar(invitee) == [("Planning", week(1)), ("Planning", week(2))]
    assert texts(invitee, "event-cancelled") == [
        "Olga Organizer cancelled “Planning” from Mon 15 Mar 2027, 09:00 (Europe/Berlin) on."
    ]


def test_cancelling_following_from_the_first_or_the_last_one_left_cancels_all(organizer):
    first = weekly(organizer, count=3)
    services.cancel_event(actor=organizer, event=first, occurrence=week(1), scope="following")
    first.refresh_from_db()
    assert first.is_cancelled
    last = weekly(organizer, count=2, title="Two")
    services.cancel_event(actor=organizer, event=last, occurrence=week(1), scope="this")
    services.cancel_event(actor=organizer, event=last, occurrence=week(2), scope="this")
    last.refresh_from_db()
    assert last.is_cancelled


def test_a_single_event_cancelled_with_scope_this_is_cancelled(organizer):
    event = make_event(organizer)
    services.cancel_event(actor=organizer, event=event, scope="this")
    event.refresh_from_db()
    assert event.is_cancelled


# --- Timeline and email ---------------------------------------------------------------------------


def test_a_private_meetings_timeline_entries_carry_no_title(organizer, acme):
    event = make_event(organizer, client=acme, visibility="private", title="Layoffs")
    services.move_event(
        actor=organizer, event=event, start=berlin(2027, 3, 2, 9), end=berlin(2027, 3, 2, 10)
    )
    entries = TimelineEntry.objects.filter(client=acme, kind="meeting").order_by("pk")
    assert [(entry.summary, entry.data) for entry in entries] == [
        (
            "Olga Organizer scheduled a private meeting for Mon 1 Mar 2027, 10:00 (Europe/Berlin)",
            {"private_event": event.pk},
        ),
        (
            "Olga Organizer moved a private meeting to Tue 2 Mar 2027, 09:00 (Europe/Berlin)",
            {"private_event": event.pk},
        ),
    ]


def test_a_meeting_made_private_takes_its_title_out_of_the_timeline_live(organizer, acme):
    event = make_event(organizer, client=acme, title="Layoffs")
    services.move_event(
        actor=organizer, event=event, start=berlin(2027, 3, 2, 9), end=berlin(2027, 3, 2, 10)
    )
    with capture_events() as published:
        services.update_event(actor=organizer, event=event, changes={"visibility": "private"})
    entries = TimelineEntry.objects.filter(client=acme, kind="meeting").order_by("pk")
    assert [entry.summary for entry in entries] == [
        "Olga Organizer scheduled a private meeting for Mon 1 Mar 2027, 10:00 (Europe/Berlin)",
        "Olga Organizer moved a private meeting to Tue 2 Mar 2027, 09:00 (Europe/Berlin)",
    ]
    assert all(entry.data == {"private_event": event.pk} for entry in entries)
    redrawn = [e for e in published if e.topic == f"client.{acme.pk}"]
    assert {e.payload["timeline"] for e in redrawn} == {entry.pk for entry in entries}
    assert all("Layoffs" not in e.html for e in redrawn)


def test_linking_a_client_later_puts_the_meeting_in_its_timeline(organizer, acme):
    event = make_event(organizer)
    services.update_event(actor=organizer, event=event, changes={"client": acme})
    entry = TimelineEntry.objects.get(client=acme, kind="meeting")
    assert entry.data == {"event": event.pk, "title": event.title}


def test_emails_are_sent_on_commit_to_those_who_want_them(organizer, invitee, sales, jo):
    quiet = UserFactory(departments=[sales], email_notifications=EmailNotifications.NONE)
    with mock.patch("calendar_app.mail.send_event_mail") as send:
        with capture_events():
            event = make_event(organizer, attendees=[invitee, quiet], guests=[jo])
            assert not send.called  # not before the commit
        send.assert_called_once_with(
            event.pk, "REQUEST", sorted([invitee.email, "jo@acme.example"])
        )
        send.reset_mock()
        with capture_events():
            services.update_event(
                actor=organizer, event=event, changes={"attendees": [quiet], "guests": []}
            )
        send.assert_called_once_with(event.pk, "CANCEL", sorted([invitee.email, "jo@acme.example"]))
        send.reset_mock()
        with capture_events():
            services.update_event(actor=organizer, event=event, changes={"attendees": [invitee]})
        send.assert_called_once_with(event.pk, "REQUEST", [invitee.email])
        send.reset_mock()
        with capture_events():
            services.cancel_event(actor=organizer, event=event)
        send.assert_called_once_with(event.pk, "CANCEL", [invitee.email])


def test_a_failed_write_sends_no_email(organizer, invitee):
    with (
        mock.patch("calendar_app.mail.send_event_mail") as send,
        capture_events(0),
        pytest.raises(ValidationError),
    ):
        make_event(organizer, attendees=[invitee], rrule="FREQ=HOURLY")
    assert not send.called


def test_local_when_and_event_link(organizer):
    event = make_event(organizer)
    assert services.local_when(event.start, "America/New_York") == (
        "Mon 1 Mar 2027, 04:00 (America/New_York)"
    )
    assert services.local_when(event.start, "Europe/Berlin", all_day=True) == (
        "Mon 1 Mar 2027 (all day)"
    )
    assert services.event_link(event) == f"/calendar/events/{event.pk}/"
    assert event.start.tzinfo == UTC or event.start.utcoffset() == timedelta(0)


# --- Reading calendars --------------------------------------------------------------------------


def make_many(organizer, invitee, count: int) -> None:
    """``count`` single events and ``count`` series with an override each, in March 2027."""
    for n in range(count):
        start = berlin(2027, 3, 1, 8) + timedelta(days=n % 28, minutes=15 * (n // 28))
        make_event(organizer, start=start, title=f"Single {n}", allow_double_booking=True)
        make_event(
            organizer,
            attendees=[invitee],
            start=start + timedelta(hours=4),
            rrule="FREQ=DAILY;COUNT=5",
            title=f"Series {n}",
            allow_double_booking=True,
        )


@pytest.mark.parametrize("count", [1, 30])
def test_calendar_occurrences_is_three_queries_however_many_events(
    organizer, invitee, count, django_assert_num_queries
):
    make_many(organizer, invitee, count)
    for series in Event.objects.filter(title__startswith="Series"):
        services.update_event(
            actor=organizer,
            event=series,
            changes={"title": "Moved"},
            occurrence=series.start.astimezone(BERLIN) + timedelta(days=1),
            scope="this",
        )
    with django_assert_num_queries(3):
        entries = selectors.calendar_occurrences(
            [organizer.pk, invitee.pk], berlin(2027, 3, 1), berlin(2027, 4, 5)
        )
        for entry in entries:
            assert entry.event.organizer_id == organizer.pk
            assert selectors.response_of(invitee.pk, entry.event) in (None, "needs-action")
            selectors.shown_title(invitee, entry.event)
    assert len(entries) == 6 * count
    people = {entry.event.title.split()[0]: entry.people for entry in entries}
    both = [organizer.pk, invitee.pk]
    assert people == {"Single": [organizer.pk], "Series": both, "Moved": both}


# --- Exceptions set wholesale (imports) -----------------------------------------------------------


def test_set_exceptions_restores_deletes_and_drops_stale_overrides(organizer, invitee):
    weekly = make_event(organizer, attendees=[invitee], rrule="FREQ=WEEKLY;COUNT=4")
    second, third = berlin(2027, 3, 8, 10), berlin(2027, 3, 15, 10)
    services.cancel_event(actor=organizer, event=weekly, occurrence=second, scope="this")
    services.update_event(
        actor=organizer, event=weekly, changes={"title": "Moved"}, occurrence=third, scope="this"
    )
    with capture_events() as published:
        changed = services.set_exceptions(
            actor=organizer, event=weekly, exdates={third}, changed=set()
        )
    assert changed is True
    weekly.refresh_from_db()
    assert weekly.exdates == [format_utc(third)]
    assert not weekly.overrides.exists()
    assert [title for title, _ in calendar(invitee)] == ["Planning"] * 3
    assert changed_calendars(published)[f"calendar.{invitee.pk}"] == "updated"
    assert (
        services.set_exceptions(actor=organizer, event=weekly, exdates={third}, changed=set())
        is False
    )


def test_only_the_organizer_sets_exceptions(organizer, invitee):
    weekly = make_event(organizer, attendees=[invitee], rrule="FREQ=WEEKLY;COUNT=4")
    with pytest.raises(PermissionDenied):
        services.set_exceptions(actor=invitee, event=weekly, exdates=set(), changed=set())
