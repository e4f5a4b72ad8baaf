"""Importing .ics files: round trip with the feed, re-imports, and broken files (nothing saved)."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from calendar_app import feeds, selectors
from calendar_app.importing import MAX_IMPORT_BYTES, import_calendar
from calendar_app.models import Attendee, Event
from tests.calendar.test_ical import BERLIN, WINDOW, YEAR, at, build_calendar, schedule
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def ics(*events: str, head: str = "") -> bytes:
    """A calendar file of VEVENT bodies (lines of ``NAME:value``), CRLF as RFC 5545 asks."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN", *filter(None, [head])]
    for body in events:
        lines += ["BEGIN:VEVENT", *body.strip().splitlines(), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(line.strip() for line in lines) + "\r\n").encode()


KICKOFF = f"""
UID:kickoff-1@example.com
SUMMARY:Kickoff
DTSTART;TZID=Europe/Berlin:{YEAR}0210T100000
DTEND;TZID=Europe/Berlin:{YEAR}0210T110000
"""


def shown(user) -> Counter:
    return Counter(
        (entry.event.title, entry.occurrence.start, entry.occurrence.end)
        for entry in selectors.calendar_occurrences([user.pk], *WINDOW)
    )


def _line_of(data: bytes, uid: str) -> str:
    """“Line N, VEVENT ” of the VEVENT with ``uid`` in a file."""
    lines = data.decode().splitlines()
    found = lines.index(f"UID:{uid}")
    begin = max(i for i in range(found) if lines[i] == "BEGIN:VEVENT")
    return f"Line {begin + 1}, VEVENT "


def imported(user, data: bytes, name: str = "calendar.ics"):
    return import_calendar(actor=user, data=data, filename=name)


def refusal(user, data: bytes) -> str:
    before = Event.objects.count()
    with pytest.raises(ValidationError) as caught:
        imported(user, data)
    assert Event.objects.count() == before  # all or nothing
    return " ".join(caught.value.messages)


@pytest.fixture
def importer(sales):
    return UserFactory(departments=[sales], timezone="Europe/Berlin")


# --- Round trip --------------------------------------------------------------------------------


def test_feed_round_trips_into_another_calendar(member, importer, sales):
    colleague = UserFactory(departments=[sales], full_name="Casey Colleague")
    build_calendar(member, colleague)

    result = imported(importer, feeds.feed_calendar(member))

    assert (result.created, result.updated, result.skipped) == (8, 0, [])
    assert shown(importer) == shown(member)
    mine = Event.objects.filter(organizer=importer, series__isnull=True)
    assert not Attendee.objects.filter(event__in=mine, is_organizer=False).exists()
    assert mine.get(title="Doctor").is_private
    demo = mine.get(title="Colleague's demo")
    assert "Invited in the original: Casey Colleague (organizer)" in demo.description
    review = mine.get(title="Review")
    assert review.video_url == "https://meet.example.com/review"
    assert review.description == ""
    assert review.uid != Event.objects.get(organizer=member, title="Review").uid  # theirs: kept


def test_reimporting_the_same_file_changes_nothing(member, importer, sales):
    build_calendar(member, UserFactory(departments=[sales]))
    data = feeds.feed_calendar(member)
    imported(importer, data)
    rows = Event.objects.filter(organizer=importer).count()

    result = imported(importer, data)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 8)
    assert Event.objects.filter(organizer=importer).count() == rows


def test_reimporting_ones_own_export_updates_in_place(
    member, sales, mailoutbox, django_capture_on_commit_callbacks
):
    colleague = UserFactory(departments=[sales])
    made = build_calendar(member, colleague)
    schedule(member, "Planning", at(2, 12, 10), at(2, 12, 11), attendees=[colleague])
    data = feeds.feed_calendar(member).replace(b"SUMMARY:Kickoff", b"SUMMARY:Kickoff v2")

    with django_capture_on_commit_callbacks(execute=True):
        result = imported(member, data)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 7)
    assert mailoutbox == []  # the meeting with a colleague is unchanged: nobody told
    demo = _line_of(data, made["invited"].uid)
    assert result.skipped == [f"{demo}“Colleague's demo”: already in your calendar."]
    kickoff = Event.objects.get(pk=made["single"].pk)
    assert (kickoff.title, kickoff.uid, kickoff.sequence) == ("Kickoff v2", made["single"].uid, 1)


def test_reimport_updates_changed_occurrences_and_exdates(importer):
    series = f"""
UID:weekly@example.com
SUMMARY:Weekly
DTSTART;TZID=Europe/Berlin:{YEAR}0201T090000
DTEND;TZID=Europe/Berlin:{YEAR}0201T100000
RRULE:FREQ=WEEKLY;COUNT=6
EXDATE;TZID=Europe/Berlin:{YEAR}0208T090000
"""
    moved = f"""
UID:weekly@example.com
SUMMARY:Weekly (moved)
RECURRENCE-ID;TZID=Europe/Berlin:{YEAR}0215T090000
DTSTART;TZID=Europe/Berlin:{YEAR}0216T090000
DTEND;TZID=Europe/Berlin:{YEAR}0216T100000
"""
    imported(importer, ics(series, moved))
    titles = sorted(title for title, *_ in shown(importer).elements())
    assert titles == ["Weekly"] * 4 + ["Weekly (moved)"]

    result = imported(
        importer, ics(series.replace(f"EXDATE;TZID=Europe/Berlin:{YEAR}0208T090000", ""))
    )

    assert result.updated == 1
    assert sorted(title for title, *_ in shown(importer).elements()) == ["Weekly"] * 6
    assert not Event.objects.filter(uid="weekly@example.com", series__isnull=False).exists()


def test_uid_of_someone_elses_event_gets_a_stable_new_one(member, importer):
    theirs = schedule(member, "Kickoff", at(2, 10, 10), at(2, 10, 11))
    data = ics(KICKOFF.replace("kickoff-1@example.com", theirs.uid))

    imported(importer, data)
    again = imported(importer, data)

    mine = Event.objects.get(organizer=importer)
    assert mine.uid != theirs.uid and mine.uid.startswith("import-")
    assert again.unchanged == 1


def test_nobody_is_invited_or_emailed(importer, mailoutbox, django_capture_on_commit_callbacks):
    event = (
        KICKOFF + "ORGANIZER;CN=Ann:mailto:ann@example.com\nATTENDEE;CN=Bob:mailto:bob@example.com"
    )
    with django_capture_on_commit_callbacks(execute=True):
        imported(importer, ics(event))

    row = Event.objects.get(organizer=importer)
    assert [a.user_id for a in row.attendees.all()] == [importer.pk]
    assert row.description == "Invited in the original: Ann (organizer), Bob."
    assert mailoutbox == []


# --- What a file may say ---------------------------------------------------------------------


def test_duration_all_day_floating_and_alarms(importer):
    data = ics(
        f"UID:a\nSUMMARY:Talk\nDTSTART:{YEAR}0301T140000\nDURATION:PT90M\nCLASS:PRIVATE\n"
        "BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT10M\nEND:VALARM",
        f"UID:b\nSUMMARY:Holiday\nDTSTART;VALUE=DATE:{YEAR}0302",
        f"UID:c\nSUMMARY:Instant\nDTSTART:{YEAR}0303T080000Z",
    )

    imported(importer, data)

    talk, holiday, instant = Event.objects.filter(organizer=importer).order_by("start")
    assert talk.start == at(3, 1, 14) and talk.end == at(3, 1, 15, 30)  # floating: my zone
    assert talk.is_private and talk.reminder_minutes == 10
    assert holiday.all_day and holiday.end - holiday.start == timedelta(days=1)
    assert instant.end - instant.start == timedelta(minutes=30)
    assert instant.timezone == "Europe/Berlin"  # a single UTC event shows in my zone


def test_x_wr_timezone_gives_utc_series_their_zone(importer):
    data = ics(
        f"UID:g\nSUMMARY:Google weekly\nDTSTART:{YEAR}0301T080000Z\nDTEND:{YEAR}0301T090000Z\n"
        "RRULE:FREQ=WEEKLY;COUNT=6",
        head="X-WR-TIMEZONE:Europe/Berlin",
    )

    imported(importer, data)

    series = Event.objects.get(organizer=importer)
    assert series.timezone == "Europe/Berlin"
    starts = sorted(start for _, start, _ in shown(importer))
    assert starts[0].astimezone(BERLIN).hour == starts[-1].astimezone(BERLIN).hour == 9


def test_windows_zone_names_are_understood(importer):
    imported(importer, ics(KICKOFF.replace("Europe/Berlin", "W. Europe Standard Time")))

    assert Event.objects.get(organizer=importer).timezone == "Europe/Berlin"


def test_cancelled_events_and_other_components_are_skipped(importer):
    data = ics(KICKOFF, KICKOFF.replace("kickoff-1", "gone") + "STATUS:CANCELLED")
    data = data.replace(
        b"END:VCALENDAR", b"BEGIN:VTODO\r\nSUMMARY:Buy milk\r\nEND:VTODO\r\nEND:VCALENDAR"
    )

    result = imported(importer, data)

    assert result.created == 1
    assert result.skipped == [
        "Line 10, VEVENT “Kickoff”: cancelled.",
        "Line 17, VTODO “Buy milk”: only events are imported.",
    ]
    assert result.summary == "1 event added, 2 skipped."


def test_cancelled_occurrence_becomes_an_exdate(importer):
    data = ics(
        f"UID:s\nSUMMARY:Daily\nDTSTART;TZID=Europe/Berlin:{YEAR}0301T090000\n"
        f"DTEND;TZID=Europe/Berlin:{YEAR}0301T093000\nRRULE:FREQ=DAILY;COUNT=3",
        f"UID:s\nSUMMARY:Daily\nRECURRENCE-ID;TZID=Europe/Berlin:{YEAR}0302T090000\n"
        f"DTSTART;TZID=Europe/Berlin:{YEAR}0302T090000\nDTEND;TZID=Europe/Berlin:{YEAR}0302T093000\n"
        "STATUS:CANCELLED",
    )

    imported(importer, data)

    series = Event.objects.get(organizer=importer)
    assert series.exdates == [at(3, 2, 9).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")]
    assert len(shown(importer)) == 2


def test_occurrence_without_its_series_is_skipped(importer):
    data = ics(
        f"UID:lone\nSUMMARY:Lone\nRECURRENCE-ID:{YEAR}0302T090000Z\n"
        f"DTSTART:{YEAR}0302T100000Z\nDTEND:{YEAR}0302T110000Z"
    )

    result = imported(importer, data)

    assert result.created == 0
    assert "not in this file" in result.skipped[0]


def test_folded_lines_and_a_bom_are_read(importer):
    folded = ics(KICKOFF).replace(b"SUMMARY:Kickoff", b"SUMMARY:Kick\r\n  off meeting")
    data = b"\xef\xbb\xbf" + folded

    imported(importer, data)

    assert Event.objects.get(organizer=importer).title == "Kick off meeting"


# --- Broken files: which line, which component, nothing saved ------------------------------


def test_bad_date_names_line_and_component(importer):
    data = ics(
        KICKOFF, KICKOFF.replace(f"{YEAR}0210T100000", f"{YEAR}1301").replace("kickoff-1", "k2")
    )

    message = refusal(importer, data)

    assert message == (
        f"Line 13, VEVENT “Kickoff”: DTSTART “{YEAR}1301” is not a date or time. "
        "Nothing was imported."
    )


LONG = (date(YEAR, 4, 10) - date(YEAR, 2, 10)).days


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            KICKOFF.replace("SUMMARY:Kickoff\n", "SUMMARY:Kickoff\nBEGIN:VALARM\nEND:VTODO\n"),
            "Line 8: END:VTODO, but the open component is VALARM (BEGIN on line 7).",
        ),
        (
            KICKOFF.replace(f"DTSTART;TZID=Europe/Berlin:{YEAR}0210T100000\n", ""),
            "Line 4, VEVENT “Kickoff”: DTSTART is missing (every event needs a start).",
        ),
        (
            KICKOFF + "RRULE:FREQ=SOMETIMES",
            "Line 9, VEVENT “Kickoff”: RRULE “FREQ=SOMETIMES” is not a repeat rule",
        ),
        (
            KICKOFF + "RRULE:FREQ=HOURLY",
            "Line 9, VEVENT “Kickoff”: Events can repeat daily, weekly, monthly or yearly",
        ),
        (
            KICKOFF + "RRULE:FREQ=DAILY\nRRULE:FREQ=WEEKLY",
            "Line 10, VEVENT “Kickoff”: has more than one RRULE",
        ),
        (
            KICKOFF.replace("Europe/Berlin:", "Mars/Olympus:"),
            "Line 7, VEVENT “Kickoff”: time zone “Mars/Olympus” (TZID of DTSTART) is not one",
        ),
        (
            KICKOFF.replace("0210T110000", "0210T090000"),
            f"Line 8, VEVENT “Kickoff”: the event ends before it starts (DTEND {YEAR}-02-10 09:00,"
            f" DTSTART {YEAR}-02-10 10:00).",
        ),
        (
            KICKOFF.replace("0210T110000", "0410T110000"),
            f"Line 8, VEVENT “Kickoff”: lasts {LONG} days; an event can last at most 31 days.",
        ),
        (KICKOFF + "DURATION:PT1H", "Line 9, VEVENT “Kickoff”: has both DTEND and DURATION"),
        (
            KICKOFF.replace(
                f"DTEND;TZID=Europe/Berlin:{YEAR}0210T110000", f"DTEND;VALUE=DATE:{YEAR}0211"
            ),
            f"Line 8, VEVENT “Kickoff”: DTSTART is a time but DTEND “{YEAR}0211” is a date.",
        ),
    ],
    ids=[
        "end-mismatch",
        "no-dtstart",
        "rrule-syntax",
        "rrule-hourly",
        "two-rrules",
        "unknown-tzid",
        "end-before-start",
        "too-long",
        "dtend-and-duration",
        "mixed-types",
    ],
)
def test_broken_event_is_reported_and_nothing_saved(importer, body, expected):
    message = refusal(importer, ics(body))

    assert message.startswith(expected)
    assert message.endswith("Nothing was imported.")


def test_duplicate_uid_is_an_error(importer):
    message = refusal(importer, ics(KICKOFF, KICKOFF))

    assert message.startswith("Line 10, VEVENT “Kickoff”: UID “kickoff-1@example.com” is also")


def test_missing_end_lines(importer):
    unclosed = ics(KICKOFF).replace(b"END:VEVENT\r\n", b"")
    truncated = ics(KICKOFF).removesuffix(b"END:VEVENT\r\nEND:VCALENDAR\r\n")

    assert refusal(importer, unclosed).startswith(
        "Line 9: END:VCALENDAR, but the open component is VEVENT (BEGIN on line 4)."
    )
    assert refusal(importer, truncated).startswith(
        "Line 4: VEVENT is never closed (END:VEVENT is missing)."
    )


@pytest.mark.parametrize(
    "data",
    [b"Hello, this is a letter.\r\n", b"", b"\x89PNG\r\n\x1a\n\x00\x00"],
    ids=["text", "empty", "binary"],
)
def test_not_an_ics_file(importer, data):
    message = refusal(importer, data)

    assert "not an iCalendar file" in message or "not UTF-8" in message


def test_too_large_file(importer):
    message = refusal(importer, b"X" * (MAX_IMPORT_BYTES + 1))

    assert "2 MB" in message


def test_inactive_person_cannot_import(importer):
    importer.is_active = False

    with pytest.raises(PermissionDenied):
        imported(importer, ics(KICKOFF))


# --- The form -----------------------------------------------------------------------------------


def upload(client, data: bytes, name="cal.ics", **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("calendar:import"),
        {"file": SimpleUploadedFile(name, data, content_type="text/calendar")},
        **extra,
    )


def test_import_form_reports_counts(client, importer):
    client.force_login(importer)

    response = upload(client, ics(KICKOFF), **HTMX)

    assert response.status_code == 200
    assert "1 event added." in response.content.decode()


def test_import_form_shows_the_broken_line(client, importer):
    client.force_login(importer)

    response = upload(client, ics(KICKOFF + "RRULE:FREQ=SOMETIMES"), **HTMX)

    assert response.status_code == 422
    assert "Line 9, VEVENT “Kickoff”: RRULE" in response.content.decode()
    assert not Event.objects.exists()


def test_import_form_refuses_a_large_file_before_reading_it(client, importer):
    client.force_login(importer)

    response = upload(client, b"X" * (MAX_IMPORT_BYTES + 10), name="big.ics")

    assert response.status_code == 422
    assert "“big.ics” is 2.0 MB; import files of up to 2 MB" in response.content.decode()


def test_import_page_get_goes_to_the_page(client, importer):
    client.force_login(importer)

    assert client.get(reverse("calendar:import")).url == reverse("calendar:subscribe")


def test_date_helpers_agree():
    assert at(2, 1).date() == date(YEAR, 2, 1) and isinstance(at(2, 1), datetime)
