"""Event reminders: django-tasks jobs queued at write time with ``run_after``, re-checked
when they run (moved, cancelled, declined), and for a series planned one occurrence at a time.

Jobs are inspected as the rows django-tasks-db queues and run the way the
worker runs them once their ``run_after`` has come.
"""

from datetime import date, timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from accounts.models import Notification
from calendar_app import services
from calendar_app.models import Event
from calendar_app.tasks import send_event_reminder
from tests.calendar.conftest import berlin, make_event
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db

START = berlin(2027, 3, 1, 10)


def jobs(event: Event | None = None) -> list[DBTaskResult]:
    """The reminder jobs queued (for ``event``), oldest first."""
    rows = DBTaskResult.objects.filter(task_path=send_event_reminder.module_path)
    rows = list(rows.order_by("enqueued_at", "pk"))
    return [row for row in rows if event is None or row.args_kwargs["args"][0] == event.pk]


def run(row: DBTaskResult) -> int:
    return row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])


def reminded(person) -> list[str]:
    rows = Notification.objects.filter(recipient=person, kind="event-reminder").order_by("pk")
    return [row.text for row in rows]


def test_a_reminder_is_queued_at_create_for_its_moment(organizer, invitee):
    event = make_event(organizer, attendees=[invitee], reminder_minutes=15)
    assert event.reminder_at == START - timedelta(minutes=15)
    [job] = jobs(event)
    assert job.run_after == START - timedelta(minutes=15)
    assert job.args_kwargs["args"] == [event.pk, event.reminder_at.isoformat()]


def test_no_reminder_no_job(organizer):
    event = make_event(organizer)
    assert event.reminder_at is None and not jobs()


def test_the_job_reminds_everyone_in_the_event_in_their_own_time(organizer, invitee, colleague):
    invitee.timezone = "America/New_York"
    invitee.save()
    event = make_event(organizer, attendees=[invitee, colleague], reminder_minutes=10)
    services.rsvp(actor=colleague, event=event, response="declined")
    with capture_events(2) as published:
        assert run(jobs(event)[0]) == 2
    assert reminded(organizer) == [
        "Reminder: “Planning” starts Mon 1 Mar 2027, 10:00 (Europe/Berlin)."
    ]
    assert reminded(invitee) == [
        "Reminder: “Planning” starts Mon 1 Mar 2027, 04:00 (America/New_York)."
    ]
    assert reminded(colleague) == []  # declined
    assert {event.topic for event in published} == {f"user.{organizer.pk}", f"user.{invitee.pk}"}
    event.refresh_from_db()
    assert event.reminder_at is None


def test_running_a_job_twice_reminds_once(organizer):
    event = make_event(organizer, reminder_minutes=10)
    job = jobs(event)[0]
    assert run(job) == 1
    with capture_events(0):
        assert run(job) == 0
    assert len(reminded(organizer)) == 1


def test_a_moved_event_gets_a_new_job_and_the_old_one_does_nothing(organizer, invitee):
    event = make_event(organizer, attendees=[invitee], reminder_minutes=30)
    services.move_event(
        actor=organizer, event=event, start=berlin(2027, 3, 2, 14), end=berlin(2027, 3, 2, 15)
    )
    old, new = jobs(event)
    assert new.run_after == berlin(2027, 3, 2, 13, 30)
    with capture_events(0):
        assert run(old) == 0
    assert run(new) == 2
    assert reminded(invitee) == [
        "Reminder: “Planning” starts Tue 2 Mar 2027, 14:00 (Europe/Berlin)."
    ]


def test_changing_the_lead_time_replans_and_removing_it_stops(organizer):
    event = make_event(organizer, reminder_minutes=30)
    services.update_event(actor=organizer, event=event, changes={"reminder_minutes": 60})
    first, second = jobs(event)
    assert second.run_after == START - timedelta(hours=1)
    services.update_event(actor=organizer, event=event, changes={"reminder_minutes": None})
    event.refresh_from_db()
    assert event.reminder_at is None
    assert len(jobs(event)) == 2
    assert run(first) == 0 and run(second) == 0


def test_a_cancelled_events_job_does_nothing(organizer, invitee):
    event = make_event(organizer, attendees=[invitee], reminder_minutes=10)
    services.cancel_event(actor=organizer, event=event)
    with capture_events(0):
        assert run(jobs(event)[0]) == 0
    assert not Notification.objects.filter(kind="event-reminder").exists()


def test_a_job_for_an_event_deleted_meanwhile_does_nothing(organizer):
    event = make_event(organizer, reminder_minutes=10)
    job = jobs(event)[0]
    Event.objects.filter(pk=event.pk).delete()
    assert run(job) == 0


def test_a_series_plans_the_next_occurrence_after_each_reminder(organizer, invitee):
    event = make_event(
        organizer, attendees=[invitee], reminder_minutes=15, rrule="FREQ=WEEKLY;COUNT=3"
    )
    first = jobs(event)[0]
    assert run(first) == 2
    [_, second] = jobs(event)
    assert second.run_after == START + timedelta(weeks=1) - timedelta(minutes=15)
    assert run(first) == 0  # the same job again: no duplicate
    assert run(second) == 2
    third = jobs(event)[-1]
    assert third.run_after == START + timedelta(weeks=2) - timedelta(minutes=15)
    assert run(third) == 2
    assert len(jobs(event)) == 3  # no fourth occurrence, no fourth job
    event.refresh_from_db()
    assert event.reminder_at is None
    assert len(reminded(invitee)) == 3


def test_a_series_skips_a_cancelled_occurrence_and_a_changed_one_reminds_itself(organizer):
    event = make_event(organizer, reminder_minutes=15, rrule="FREQ=WEEKLY;COUNT=3")
    services.cancel_event(actor=organizer, event=event, occurrence=START, scope="this")
    event.refresh_from_db()
    assert event.reminder_at == START + timedelta(weeks=1) - timedelta(minutes=15)
    moved = services.move_event(
        actor=organizer,
        event=event,
        occurrence=START + timedelta(weeks=1),
        start=START + timedelta(weeks=1, hours=2),
        end=START + timedelta(weeks=1, hours=3),
    )
    event.refresh_from_db()
    assert event.reminder_at == START + timedelta(weeks=2) - timedelta(minutes=15)
    assert moved.reminder_at == START + timedelta(weeks=1, hours=2) - timedelta(minutes=15)
    assert run(jobs(moved)[-1]) == 1
    assert reminded(organizer) == [
        "Reminder: “Planning” starts Mon 8 Mar 2027, 12:00 (Europe/Berlin)."
    ]


def test_an_all_day_reminder_names_the_events_own_day(organizer, invitee):
    invitee.timezone = "America/New_York"
    invitee.save()
    event = make_event(
        organizer,
        attendees=[invitee],
        all_day=True,
        start=date(2027, 3, 1),
        end=date(2027, 3, 2),
        reminder_minutes=60,
    )
    assert run(jobs(event)[0]) == 2
    assert reminded(invitee) == ["Reminder: “Planning” starts Mon 1 Mar 2027 (all day)."]


def test_a_reminder_whose_moment_has_passed_is_not_planned(organizer):
    from django.utils import timezone

    soon = timezone.now().replace(microsecond=0) + timedelta(minutes=5)
    event = make_event(organizer, start=soon, end=soon + timedelta(hours=1), reminder_minutes=60)
    assert event.reminder_at is None and not jobs(event)
