"""Invitation and cancellation emails: one per person, with the event as an iTIP .ics."""

import pytest
from icalendar import Calendar

from accounts.models import EmailNotifications
from calendar_app import services
from calendar_app.mail import send_event_mail
from calendar_app.models import Event
from records import services as records
from tests.calendar.conftest import berlin, make_event
from tests.factories import UserFactory


@pytest.fixture
def guest(organizer):
    client = records.create_client(actor=organizer, name="Acme GmbH")
    return records.create_contact(
        actor=organizer, client=client, name="Jo Acme", emails=["Jo@Acme.example"]
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what services leave for after the commit (the emails) as it happens."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def message_to(outbox, address: str):
    return next(message for message in outbox if message.to == [address])


def invitation(message) -> Calendar:
    (attachment,) = message.attachments
    return Calendar.from_ical(attachment.content)


def test_invitation_goes_to_each_guest_with_a_request(
    organizer, invitee, guest, mailoutbox, committed
):
    event = committed(
        lambda: make_event(
            organizer, attendees=[invitee], guests=[guest], location="Room 4", video_url=""
        )
    )

    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [invitee.email, "jo@acme.example"]
    )
    message = message_to(mailoutbox, invitee.email)
    (attachment,) = message.attachments
    assert attachment.filename == "invite.ics"
    assert attachment.mimetype == "text/calendar; method=REQUEST; charset=utf-8"
    calendar = invitation(message)
    assert calendar["METHOD"] == "REQUEST"
    (component,) = calendar.events
    assert (str(component["UID"]), component["SEQUENCE"]) == (event.uid, 0)
    assert str(component["ORGANIZER"]) == f"mailto:{organizer.email}"
    assert f"mailto:{invitee.email}" in [str(a) for a in component["ATTENDEE"]]
    assert "VALARM" not in calendar.to_ical().decode()
    assert message.subject.startswith("[Workspace] Invitation: Planning")
    assert message.reply_to == [organizer.email]


def test_body_says_when_where_who_and_links_colleagues(
    organizer, invitee, guest, mailoutbox, committed
):
    invitee.timezone = "America/New_York"
    invitee.save(update_fields=["timezone"])
    committed(
        lambda: make_event(
            organizer,
            attendees=[invitee],
            guests=[guest],
            location="Room 4",
            video_url="https://meet.example.com/plan",
            description="Bring numbers.",
        )
    )

    staff = message_to(mailoutbox, invitee.email).body
    outside = message_to(mailoutbox, "jo@acme.example").body
    assert "Olga Organizer invited you to “Planning”." in staff
    assert "When:       Mon 1 Mar 2027, 04:00-05:00 (America/New_York)" in staff
    assert "When:       Mon 1 Mar 2027, 10:00-11:00 (Europe/Berlin)" in outside
    assert "Where:      Room 4" in staff
    assert "Video call: https://meet.example.com/plan" in staff
    assert f"Organizer:  Olga Organizer <{organizer.email}>" in staff
    assert "Guests:     Ivan Invitee, Jo Acme" in staff
    assert "Bring numbers." in staff
    assert "/calendar/events/" in staff
    assert "/calendar/events/" not in outside  # guests have no account to open it with


def test_change_of_time_sends_an_update_with_the_next_sequence(
    organizer, invitee, mailoutbox, committed
):
    event = committed(lambda: make_event(organizer, attendees=[invitee]))
    mailoutbox.clear()

    committed(
        lambda: services.update_event(
            actor=organizer,
            event=event,
            changes={"start": berlin(2027, 3, 1, 14), "end": berlin(2027, 3, 1, 15)},
        )
    )

    (message,) = mailoutbox
    (component,) = invitation(message).events
    assert (str(component["UID"]), component["SEQUENCE"]) == (event.uid, 1)
    assert component.start == berlin(2027, 3, 1, 14)
    assert message.subject.startswith("[Workspace] Updated invitation: Planning")


def test_cancelling_sends_cancel(organizer, invitee, mailoutbox, committed):
    event = committed(lambda: make_event(organizer, attendees=[invitee]))
    mailoutbox.clear()

    committed(lambda: services.cancel_event(actor=organizer, event=event))

    (message,) = mailoutbox
    (attachment,) = message.attachments
    assert attachment.filename == "cancel.ics"
    assert attachment.mimetype == "text/calendar; method=CANCEL; charset=utf-8"
    calendar = invitation(message)
    assert calendar["METHOD"] == "CANCEL"
    (component,) = calendar.events
    assert (str(component["UID"]), component["SEQUENCE"]) == (event.uid, 1)
    assert component["STATUS"] == "CANCELLED"
    assert message.subject.startswith("[Workspace] Cancelled: Planning")
    assert "Olga Organizer cancelled “Planning”." in message.body


def test_person_taken_off_gets_a_cancel_and_the_rest_nothing(
    organizer, invitee, sales, mailoutbox, committed
):
    other = UserFactory(departments=[sales])
    event = committed(lambda: make_event(organizer, attendees=[invitee, other]))
    mailoutbox.clear()

    committed(
        lambda: services.update_event(actor=organizer, event=event, changes={"attendees": [other]})
    )

    (message,) = mailoutbox
    assert message.to == [invitee.email]
    assert invitation(message)["METHOD"] == "CANCEL"
    assert "Olga Organizer took you off “Planning”." in message.body


def test_changed_occurrence_sends_that_occurrence(organizer, invitee, mailoutbox, committed):
    series = committed(
        lambda: make_event(organizer, attendees=[invitee], rrule="FREQ=WEEKLY;COUNT=4")
    )
    mailoutbox.clear()

    committed(
        lambda: services.update_event(
            actor=organizer,
            event=series,
            changes={"start": berlin(2027, 3, 9, 10), "end": berlin(2027, 3, 9, 11)},
            occurrence=berlin(2027, 3, 8, 10),
            scope="this",
        )
    )

    (message,) = mailoutbox
    (component,) = invitation(message).events
    assert str(component["UID"]) == series.uid
    assert component["RECURRENCE-ID"].dt == berlin(2027, 3, 8, 10)
    assert component.start == berlin(2027, 3, 9, 10)
    assert "(one occurrence of a repeating event)" in message.body


def test_series_invitation_carries_rule_and_changed_occurrences(
    organizer, invitee, mailoutbox, committed
):
    series = make_event(organizer, rrule="FREQ=WEEKLY;COUNT=4")
    services.update_event(
        actor=organizer,
        event=series,
        changes={"title": "Planning (long)"},
        occurrence=berlin(2027, 3, 8, 10),
        scope="this",
    )

    committed(lambda: send_event_mail(series.pk, "REQUEST", [invitee.email]))

    (message,) = mailoutbox
    components = invitation(message).events
    assert [str(c["SUMMARY"]) for c in components] == ["Planning", "Planning (long)"]
    assert components[0]["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=4"
    assert "Repeats weekly, 4 times" in message.body


def test_colleague_who_wants_no_email_gets_none(organizer, invitee, mailoutbox, committed):
    invitee.email_notifications = EmailNotifications.NONE
    invitee.save(update_fields=["email_notifications"])

    committed(lambda: make_event(organizer, attendees=[invitee]))

    assert mailoutbox == []


def test_gone_event_or_no_recipients_send_nothing(organizer, mailoutbox):
    event = make_event(organizer)

    send_event_mail(event.pk + 1000, "REQUEST", ["a@example.com"])
    send_event_mail(event.pk, "REQUEST", [])

    assert mailoutbox == []


def test_unknown_method_is_a_programming_error(organizer):
    with pytest.raises(ValueError, match="PUBLISH"):
        send_event_mail(make_event(organizer).pk, "PUBLISH", ["a@example.com"])


def test_private_event_mail_has_class_private(organizer, invitee, mailoutbox, committed):
    committed(
        lambda: make_event(organizer, attendees=[invitee], visibility=Event.Visibility.PRIVATE)
    )

    (component,) = invitation(mailoutbox[0]).events
    assert component["CLASS"] == "PRIVATE"
