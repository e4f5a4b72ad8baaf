"""seed_demo's calendars (calendar_app/demo.py): the promised events, in the services' shapes.

The module seeds once, twice over (tests/demo_seeding.py).
"""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, User
from calendar_app import demo, policies, selectors
from calendar_app.models import Attendee, Event
from calendar_app.recurrence import format_utc, last_end, occurrence_at, zone
from records.models import TimelineEntry
from tests.demo_seeding import seeded_twice
from workspace.live.models import Event as LiveEvent


def counts() -> dict[str, int]:
    return {
        "events": Event.objects.count(),
        "attendees": Attendee.objects.count(),
        "notifications": Notification.objects.count(),
        "meetings": TimelineEntry.objects.filter(kind="meeting").count(),
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with seeded_twice(django_db_blocker, counts) as seeded:
        yield seeded


@pytest.fixture
def login(seeded):
    return seeded.login


@pytest.fixture
def sync(seeded):
    return Event.objects.get(uid=demo.marker_uid(), series=None)


def test_seeding_reports_what_it_made_and_publishes_nothing(seeded, db):
    assert f"Calendar: {Event.objects.filter(series=None).count()} events" in seeded.output
    assert (
        seeded.live_events == 0
        or not LiveEvent.objects.filter(topic__startswith="calendar.").exists()
    )
    assert 20 <= Event.objects.filter(series=None).count() <= 40


def test_seeding_again_adds_nothing(seeded, db):
    assert "Calendar already there." in seeded.again_output
    assert seeded.again == seeded.made


def test_every_event_has_its_organizer_row_and_a_last_end_as_the_services_compute(seeded, db):
    organizer_rows = Count("attendees", filter=Q(attendees__is_organizer=True))
    events = Event.objects.annotate(organizers=organizer_rows).select_related("organizer")
    for event in events:
        assert event.organizers == 1, event
        row = event.attendees.get(is_organizer=True)
        assert (row.user_id, row.response) == (event.organizer_id, Attendee.Response.ACCEPTED)
        assert event.last_end == last_end(event), event
        assert event.timezone == event.organizer.timezone


def test_the_sales_sync_has_a_deleted_and_a_moved_occurrence(sync, db):
    assert sync.is_recurring and sync.rrule.startswith("FREQ=WEEKLY")
    assert len(sync.exdates) == 1
    deleted = datetime.strptime(sync.exdates[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert not occurrence_at(sync, deleted)
    moved = sync.overrides.get()
    assert moved.uid == sync.uid and moved.title != sync.title
    assert occurrence_at(sync, moved.recurrence_id)
    assert moved.start.date() != moved.recurrence_id.date()
    assert set(moved.attendees.values_list("user", "response")) == set(
        sync.attendees.values_list("user", "response")
    )
    assert sync.sequence == 2
    # Every occurrence at the same wall-clock time in the organizer's zone.
    entries = selectors.calendar_occurrences(
        [sync.organizer_id], sync.start, sync.start + timedelta(weeks=6)
    )
    starts = [e.occurrence.start for e in entries if e.event.uid == sync.uid]
    assert format_utc(deleted) not in {format_utc(start) for start in starts}
    assert moved.start in starts
    local = {s.astimezone(zone(sync.timezone)).time() for s in starts if s != moved.start}
    assert len(local) == 1


def test_the_login_has_a_full_fortnight_with_an_open_ended_one_to_one(seeded, login, db):
    now = timezone.now()
    entries = selectors.calendar_occurrences(
        [login.pk], now - timedelta(days=7), now + timedelta(days=7)
    )
    assert len(entries) >= 10  # 11 to 13, by the day of the week
    one_to_one = Event.objects.get(organizer=login, rrule__startswith="FREQ=WEEKLY", series=None)
    assert one_to_one.last_end is None


def test_meeting_times_respect_the_organizers_working_hours_and_avoid_double_booking(seeded, db):
    now = timezone.now()
    people = list(User.objects.filter(is_active=True).values_list("pk", flat=True))
    entries = selectors.calendar_occurrences(
        people, now - timedelta(days=10), now + timedelta(days=10)
    )
    for entry in entries:
        event = entry.event
        if event.all_day:
            continue
        assert demo.working(event.organizer, entry.occurrence.start, event.duration), event
        assert entry.occurrence.start.astimezone(zone(event.timezone)).weekday() < 5
    busy = selectors.busy_blocks(
        [User.objects.get(email=demo.Cast.load("").login.email).pk],
        now - timedelta(days=10),
        now + timedelta(days=10),
    )
    assert busy


def test_client_meetings_invite_contacts_and_show_in_the_timeline(seeded, db):
    meetings = Event.objects.filter(client__isnull=False, visibility="normal").select_related(
        "client"
    )
    assert meetings.count() == demo.CLIENT_MEETINGS
    assert meetings.filter(deal__isnull=False, deal__client=F("client")).exists()
    for event in meetings:
        guests = event.attendees.filter(user=None)
        assert guests.exists()
        for guest in guests:
            assert guest.contact.client_id == event.client_id
            assert guest.email in [email.lower() for email in guest.contact.emails]
        entry = TimelineEntry.objects.get(kind="meeting", data__event=event.pk)
        assert entry.client_id == event.client_id and event.title in entry.summary
        assert entry.actor_id == event.organizer_id


def test_a_private_client_lunch_leaves_no_title_in_the_timeline(seeded, login, db):
    lunch = Event.objects.get(client__isnull=False, visibility="private")
    entry = TimelineEntry.objects.get(
        kind="meeting", client=lunch.client, summary__contains="a private meeting"
    )
    assert entry.data == {"private_event": lunch.pk} and lunch.title not in entry.summary


def test_the_offsite_is_all_day_from_local_midnight(seeded, db):
    offsite = Event.objects.get(all_day=True)
    local = offsite.start.astimezone(zone(offsite.timezone))
    assert (local.hour, local.minute) == (0, 0)
    assert local.weekday() == 3  # Thursday and Friday
    assert abs(offsite.duration - timedelta(days=2)) <= timedelta(hours=1)  # one DST change
    assert offsite.attendees.filter(user__isnull=False).count() >= 8


def test_the_dentist_is_private_to_the_login(seeded, login, db):
    dentist = Event.objects.get(title="Dentist")
    assert dentist.organizer == login and dentist.is_private
    colleague = User.objects.exclude(pk=login.pk).first()
    assert selectors.shown_title(colleague, dentist) == selectors.BUSY_TITLE
    assert not policies.can_see_details(colleague, dentist)


def test_the_login_has_unanswered_invitations_in_the_bell(seeded, login, db):
    pending = Attendee.objects.filter(user=login, response=Attendee.Response.NEEDS_ACTION)
    assert pending.count() == 3
    now = timezone.now()
    for row in pending.select_related("event"):
        assert row.event.start > now and row.event.organizer != login
        assert policies.can_rsvp(login, row.event)
    bell = Notification.objects.filter(recipient=login, kind="event-invite", read_at=None)
    assert bell.count() == 3
    for notification in bell:
        assert notification.link.startswith("/calendar/events/")
        assert "invited you to" in notification.text
        notification.full_clean()


def test_others_answer_in_every_way(seeded, login, db):
    answers = set(Attendee.objects.exclude(user=login).values_list("response", flat=True))
    assert answers == set(Attendee.Response.values)


def test_future_reminders_are_planned(seeded, db):
    planned = Event.objects.filter(reminder_minutes__isnull=False, reminder_at__isnull=False)
    assert planned.exists()
    assert not planned.filter(reminder_at__lt=timezone.now() - timedelta(minutes=1)).exists()


def test_a_sample_of_rows_passes_validation(seeded, db):
    for model in (Event, Attendee):
        pks = list(model.objects.values_list("pk", flat=True))
        for row in model.objects.filter(pk__in=random.Random(7).sample(pks, min(40, len(pks)))):  # noqa: S311
            row.full_clean()


# --- The admin, on the demo's calendars --------------------------------------------------


def test_the_admin_shows_events_view_only_and_never_private_ones(seeded, login, client, db):
    client.force_login(login)  # the demo login is a superuser
    changelist = reverse("admin:calendar_app_event_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    shown = set(page.context["cl"].queryset.values_list("pk", flat=True))
    assert shown == set(Event.objects.filter(visibility="normal").values_list("pk", flat=True))
    assert "Dentist" not in client.get(changelist, {"q": "dentist"}).text
    assert client.get(changelist, {"q": "sync", "status__exact": "confirmed"}).status_code == 200
    sync = Event.objects.get(uid=demo.marker_uid(), series=None)
    detail = client.get(reverse("admin:calendar_app_event_change", args=[sync.pk]))
    assert detail.status_code == 200 and sync.organizer.full_name in detail.text
    assert 'name="_save"' not in detail.text  # view-only
    private = Event.objects.get(title="Dentist")
    hidden = client.get(reverse("admin:calendar_app_event_change", args=[private.pk]))
    assert hidden.status_code == 302  # the admin's "no such object": back to the list
    assert client.get(reverse("admin:calendar_app_event_add")).status_code == 403


def test_the_admin_can_revoke_a_subscription_link(seeded, login, client, db):
    from calendar_app.feeds import create_feed, find_feed

    token = create_feed(actor=login)
    feed = find_feed(token)
    client.force_login(login)
    page = client.get(reverse("admin:calendar_app_calendarfeed_changelist"))
    assert page.status_code == 200 and token not in page.text and feed.token_hash not in page.text
    delete = reverse("admin:calendar_app_calendarfeed_delete", args=[feed.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert find_feed(token) is None
