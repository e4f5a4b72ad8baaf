"""The event page, the event form (new, edit with scopes), RSVP, cancel, live answers."""

import importlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.urls import reverse

from accounts.models import Role
from calendar_app import services
from calendar_app.models import Attendee, Event
from calendar_app.recurrence import expand, format_utc
from records import services as records
from tests.calendar.conftest import form_data
from tests.factories import UserFactory
from tests.live_helpers import capture_events
from tests.records.queries import count_queries
from tests.records.xss import PAYLOADS, live_markup

BERLIN = ZoneInfo("Europe/Berlin")
HTMX = {"HTTP_HX_REQUEST": "true"}
NEW = reverse("calendar:event_new")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2031 (Berlin): far enough ahead for every test."""
    return datetime(2031, 3, day, hour, minute, tzinfo=BERLIN)


def detail_url(event, occurrence=None) -> str:
    url = reverse("calendar:event_detail", args=[event.pk])
    return url + (f"?occurrence={format_utc(occurrence)}" if occurrence else "")


def edit_url(event, occurrence=None) -> str:
    url = reverse("calendar:event_edit", args=[event.pk])
    return url + (f"?occurrence={format_utc(occurrence)}" if occurrence else "")


def rsvp_url(event) -> str:
    return reverse("calendar:event_rsvp", args=[event.pk])


def cancel_url(event, occurrence=None) -> str:
    url = reverse("calendar:event_cancel", args=[event.pk])
    return url + (f"?occurrence={format_utc(occurrence)}" if occurrence else "")


def html(response) -> str:
    return response.content.decode()


def make_event(organizer, attendees=(), **fields) -> Event:
    fields.setdefault("title", "Kick-off")
    fields.setdefault("start", at(4, 10))
    fields.setdefault("end", at(4, 11))
    return services.create_event(actor=organizer, attendees=list(attendees), **fields)


def edit_data(event, **changes) -> dict:
    """The edit form as it opens for ``event`` (a GET), with ``changes`` typed in."""
    return form_data(**{"title": event.title, "sequence": str(event.sequence), **changes})


def field_errors(response, field: str) -> list[str]:
    return response.context["form"].errors.get(field, [])


@pytest.fixture
def sam(sales):
    return UserFactory(role=Role.MEMBER, departments=[sales], full_name="Sam Sales")


@pytest.fixture
def kim(sales):
    return UserFactory(role=Role.MEMBER, departments=[sales], full_name="Kim Keller")


@pytest.fixture
def acme(member):
    importlib.import_module("records.migrations.0002_seed_defaults").seed(apps, None)
    return records.create_client(actor=member, name="Acme GmbH", domain="acme.example")


@pytest.fixture
def jo(member, acme):
    return records.create_contact(
        actor=member, client=acme, name="Jo Acme", emails=["jo@acme.example"]
    )


@pytest.fixture
def rollout(member, acme):
    return records.create_deal(actor=member, client=acme, title="Rollout", amount=Decimal(100))


@pytest.fixture
def weekly(member, sam):
    """Tuesdays at 10:00 (Berlin), four times: 4, 11, 18 and 25 March 2031."""
    return make_event(member, [sam], title="Stand-up", rrule="FREQ=WEEKLY;COUNT=4")


# --- Creating ------------------------------------------------------------------------------


def test_new_event_with_every_field(client, member, sam, acme, jo, rollout):
    client.force_login(member)
    data = form_data(
        title="  Rollout   planning ",
        location="Room 4",
        video_url="https://meet.example.com/rollout",
        description="Agenda:\n1. Scope",
        attendees=[str(sam.pk)],
        client=str(acme.pk),
        deal=str(rollout.pk),
        guests=[str(jo.pk)],
        visibility="private",
        reminder="30",
        timezone="America/New_York",
        repeat="weekly",
        interval="2",
        weekdays=["WE", "MO"],
        ends="until",
        until="2031-06-30",
    )
    response = client.post(NEW, data)
    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(event)
    assert event.title == "Rollout planning"
    # A series starts on its first occurrence: Wednesday (not the Tuesday typed).
    assert event.start == datetime(2031, 3, 5, 10, tzinfo=ZoneInfo("America/New_York"))
    assert event.end - event.start == timedelta(hours=1)
    assert event.timezone == "America/New_York"
    assert event.rrule == "FREQ=WEEKLY;INTERVAL=2;UNTIL=20310701T035959Z;BYDAY=MO,WE"
    assert (event.location, event.video_url) == ("Room 4", "https://meet.example.com/rollout")
    assert event.description == "Agenda:\n1. Scope"
    assert (event.client, event.deal, event.visibility) == (acme, rollout, "private")
    assert event.reminder_minutes == 30
    assert {(a.user_id, a.email) for a in event.attendees.all()} == {
        (member.pk, member.email),
        (sam.pk, sam.email),
        (None, "jo@acme.example"),
    }


def test_all_day_event_takes_the_last_day_inclusive(client, member):
    client.force_login(member)
    data = form_data(all_day="on", start_time="", end_time="", end_date="2031-03-06")
    client.post(NEW, data)
    event = Event.objects.get()
    assert event.all_day
    assert event.start == datetime(2031, 3, 4, tzinfo=BERLIN)
    assert event.end == datetime(2031, 3, 7, tzinfo=BERLIN)


def test_htmx_save_answers_with_hx_redirect(client, member):
    client.force_login(member)
    response = client.post(NEW, form_data(), **HTMX)
    assert response["HX-Redirect"] == detail_url(Event.objects.get())


def test_new_form_is_prefilled_from_the_calendar(client, member, sam, kim, acme, rollout):
    client.force_login(member)
    query = (
        f"?start=2031-03-04T09:30:00%2B00:00&end=2031-03-04T11:00:00%2B00:00"
        f"&attendees={sam.pk},{kim.pk}&deal={rollout.pk}"
    )
    response = client.get(NEW + query)
    form = response.context["form"]
    page = html(response)
    assert str(form["start_date"].value()) == "2031-03-04"
    assert str(form["start_time"].value()) == "10:30:00"  # 09:30 UTC in Berlin
    assert str(form["end_time"].value()) == "12:00:00"
    assert set(form["attendees"].value()) == {sam.pk, kim.pk}
    assert (form["client"].value(), form["deal"].value()) == (acme.pk, rollout.pk)
    assert f'<option value="{sam.pk}" data-initials' in page.replace(" selected", "")
    assert f'value="{rollout.pk}" selected' in page
    assert 'value="10:30"' in page


def test_new_form_prefills_an_all_day_selection(client, member):
    """FullCalendar's all-day selection ends the day after (exclusive): the form shows the
    last day."""
    client.force_login(member)
    response = client.get(NEW + "?start=2031-03-04&end=2031-03-07&all_day=1")
    form = response.context["form"]
    assert form["all_day"].value() is True
    assert (str(form["start_date"].value()), str(form["end_date"].value())) == (
        "2031-03-04",
        "2031-03-06",
    )
    assert "is-all-day" in html(response)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_time": "09:00"}, "end_date", "must end after it starts"),
        ({"end_date": "2031-04-20"}, "end_date", "at most 31 days"),
        ({"repeat": "custom", "rrule": "FREQ=SOMETIMES"}, "rrule", "SOMETIMES"),
        ({"repeat": "custom", "rrule": "FREQ=HOURLY"}, "rrule", "not more often"),
        ({"repeat": "custom", "rrule": "FREQ=DAILY;UNTIL=20300101"}, "rrule", "before"),
        ({"repeat": "daily", "ends": "count", "count": "5000"}, "count", "at most 1000"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "not a known time zone"),
        ({"start_time": ""}, "start_time", "Pick the time it starts"),
        ({"title": ""}, "title", "Give the event a title"),
        ({"video_url": "javascript:alert(1)"}, "video_url", "full link"),
        ({"all_day": "on", "end_date": "2031-03-01"}, "end_date", "before the first"),
    ],
)
def test_bad_input_shows_on_its_field_and_saves_nothing(client, member, changes, field, message):
    client.force_login(member)
    response = client.post(NEW, form_data(**changes))
    assert response.status_code == 200
    assert any(message in error for error in field_errors(response, field)), response.context[
        "form"
    ].errors
    assert "Nothing was saved" in html(response)
    assert not Event.objects.exists()


def test_a_deal_of_another_client_is_refused_on_the_deal(client, member, acme, rollout):
    other = records.create_client(actor=member, name="Globex", domain="globex.example")
    client.force_login(member)
    response = client.post(NEW, form_data(client=str(other.pk), deal=str(rollout.pk)))
    assert "a deal of another client" in field_errors(response, "deal")[0]
    assert not Event.objects.exists()


def test_a_guest_of_another_client_is_refused(client, member, acme, jo):
    other = records.create_client(actor=member, name="Globex", domain="globex.example")
    client.force_login(member)
    response = client.post(NEW, form_data(client=str(other.pk), guests=[str(jo.pk)]))
    assert field_errors(response, "guests")
    assert not Event.objects.exists()


def test_double_booking_warns_then_saves_anyway(client, member, sam):
    make_event(sam, title="Dentist", visibility="private")
    client.force_login(member)
    data = form_data(title="Planning", attendees=[str(sam.pk)])
    warned = client.post(NEW, data)
    page = html(warned)
    assert "Sam Sales is already busy then" in page
    assert "Save anyway (double-book)" in page
    assert "Dentist" not in page
    assert not Event.objects.filter(title="Planning").exists()
    saved = client.post(NEW, {**data, "allow_double_booking": "1"})
    assert saved.status_code == 302
    assert Event.objects.filter(title="Planning").exists()


def test_slot_finder_is_wired_to_the_form(client, member):
    client.force_login(member)
    page = html(client.get(NEW))
    assert 'id="slot-finder"' in page and f'hx-get="{reverse("calendar:slots")}"' in page
    assert 'hx-include="[data-slot-input]"' in page
    for name in ("attendees", "timezone", "start", "end", "duration"):
        assert f'name="{name}"' in page
    assert page.count("data-slot-input") >= 5


def test_client_parts_load_the_clients_deals_and_contacts(client, member, acme, jo, rollout):
    client.force_login(member)
    url = reverse("calendar:event_form_client") + f"?client={acme.pk}"
    page = html(client.get(url, **HTMX))
    assert "Rollout" in page and "Jo Acme · jo@acme.example" in page
    found = html(client.get(reverse("calendar:event_form_clients") + "?q=acm", **HTMX))
    assert f'<option value="{acme.pk}">Acme GmbH</option>' in found


# --- Editing ---------------------------------------------------------------------------------


def test_edit_a_single_event(client, member, sam):
    event = make_event(member, [sam])
    client.force_login(member)
    form = client.get(edit_url(event)).context["form"]
    assert form["title"].value() == "Kick-off" and form["attendees"].value() == [sam.pk]
    response = client.post(
        edit_url(event), edit_data(event, title="Kick-off v2", attendees=[str(sam.pk)])
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.title == "Kick-off v2" and event.start == at(4, 10)


def test_edit_this_occurrence_of_a_series(client, member, weekly):
    second = at(11, 10).astimezone(UTC)
    client.force_login(member)
    form = client.get(edit_url(weekly, second)).context["form"]
    assert str(form["start_date"].value()) == "2031-03-11"
    data = edit_data(
        weekly,
        title="Stand-up (moved)",
        start_date="2031-03-12",
        end_date="2031-03-12",
        scope="this",
        repeat="weekly",
        ends="count",
        count="4",
    )
    response = client.post(edit_url(weekly, second), data)
    override = Event.objects.get(series=weekly)
    assert response["Location"] == detail_url(override)
    assert (override.title, override.start, override.recurrence_id) == (
        "Stand-up (moved)",
        at(12, 10),
        second,
    )
    weekly.refresh_from_db()
    assert weekly.title == "Stand-up" and weekly.rrule == "FREQ=WEEKLY;COUNT=4"


def test_a_single_occurrence_cannot_get_its_own_repeat_rule(client, member, weekly):
    second = at(11, 10).astimezone(UTC)
    client.force_login(member)
    data = edit_data(weekly, start_date="2031-03-11", end_date="2031-03-11", scope="this")
    response = client.post(edit_url(weekly, second), {**data, "repeat": "daily"})
    assert "cannot repeat on its own" in field_errors(response, "repeat")[0]
    assert not Event.objects.filter(series=weekly).exists()


def test_edit_this_and_following(client, member, weekly):
    third = at(18, 10).astimezone(UTC)
    client.force_login(member)
    data = edit_data(
        weekly,
        start_date="2031-03-18",
        end_date="2031-03-18",
        start_time="14:00",
        end_time="15:00",
        scope="following",
        repeat="weekly",
        ends="count",
        count="4",
    )
    client.post(edit_url(weekly, third), data)
    tail = Event.objects.exclude(pk=weekly.pk).get()
    weekly.refresh_from_db()
    starts = [o.start for o in expand([weekly, tail], at(1, 0), at(31, 0))]
    assert starts == [at(4, 10), at(11, 10), at(18, 14), at(25, 14)]


def test_edit_all_occurrences_from_one_of_them(client, member, weekly):
    third = at(18, 10).astimezone(UTC)
    client.force_login(member)
    data = edit_data(
        weekly,
        start_date="2031-03-18",
        end_date="2031-03-18",
        start_time="09:00",
        end_time="09:30",
        scope="all",
        repeat="weekly",
        ends="count",
        count="4",
    )
    client.post(edit_url(weekly, third), data)
    weekly.refresh_from_db()
    starts = [(o.start, o.end) for o in expand([weekly], at(1, 0), at(31, 0))]
    assert starts[0] == (at(4, 9), at(4, 9, 30))
    assert len(starts) == 4 and Event.objects.count() == 1


def test_stale_edit_keeps_the_typed_input(client, member, sam):
    event = make_event(member, [sam])
    client.force_login(member)
    seen = event.sequence
    services.update_event(actor=member, event=event, changes={"location": "Room 9"})
    data = form_data(sequence=str(seen), title="My new title", description="typed text")
    response = client.post(edit_url(event), data)
    page = html(response)
    assert "changed this event after you opened it" in page
    assert "My new title" in page and "typed text" in page
    assert "Save mine over theirs" in page
    event.refresh_from_db()
    assert event.title == "Kick-off"
    forced = client.post(edit_url(event), {**data, "stale_ok": str(event.sequence)})
    assert forced.status_code == 302
    event.refresh_from_db()
    assert event.title == "My new title"


def test_unchanged_form_changes_nothing(client, member, weekly):
    client.force_login(member)
    second = at(11, 10).astimezone(UTC)
    form = client.get(edit_url(weekly, second)).context["form"]
    data = {
        name: form[name].value() for name in form.fields if form[name].value() not in (None, "")
    }
    data = {
        key: [str(v) for v in value] if isinstance(value, list) else str(value)
        for key, value in data.items()
        if value is not False
    }
    data["start_time"], data["end_time"] = "10:00", "11:00"
    response = client.post(edit_url(weekly, second), data)
    assert response.status_code == 302
    assert not Event.objects.filter(series=weekly).exists()
    weekly.refresh_from_db()
    assert weekly.sequence == 0


def test_only_the_organizer_edits(client, member, sam, admin):
    event = make_event(member, [sam])
    client.force_login(sam)
    assert client.get(edit_url(event)).status_code == 403
    refused = client.post(edit_url(event), edit_data(event, title="Mine now"))
    assert refused.status_code == 403
    assert b"Only the organizer" in refused.content
    page = html(client.get(detail_url(event)))
    assert edit_url(event) not in page and "Cancel event" not in page
    client.force_login(admin)
    assert client.get(edit_url(event)).status_code == 200


# --- The page ----------------------------------------------------------------------------------


def test_event_page_shows_the_event(client, member, sam, acme, jo, rollout):
    event = make_event(
        member,
        [sam],
        location="Room 4",
        video_url="https://meet.example.com/x",
        description="Line one\nLine two",
        client=acme,
        deal=rollout,
        guests=[jo],
        reminder_minutes=15,
    )
    client.force_login(member)
    page = html(client.get(detail_url(event)))
    assert '<h1 class="event-title">Kick-off</h1>' in page
    assert f'datetime="{event.start.astimezone(BERLIN).isoformat()}" data-localize' in page
    assert "10:00\N{EN DASH}11:00 in Europe/Berlin" in page
    assert "Room 4" in page and 'href="https://meet.example.com/x"' in page
    assert "Line one<br>Line two" in page
    assert reverse("records:client_detail", args=[acme.pk]) in page
    assert reverse("records:deal_detail", args=[rollout.pk]) in page
    assert "Jo Acme" in page and "Guest · jo@acme.example" in page
    assert "15 minutes before" in page
    assert f'data-person="{sam.pk}" data-response="needs-action"' in page
    assert "Visible to colleagues" in page
    assert f"calevent.{event.pk}" in page  # the page's live topic
    assert edit_url(event) in page and "Cancel event" in page and ".ics" in page


def test_series_page_describes_the_rule_and_the_occurrence(client, member, weekly):
    client.force_login(member)
    page = html(client.get(detail_url(weekly, at(18, 10).astimezone(UTC))))
    assert "Repeats weekly, 4 times" in page
    assert "Tue 18 Mar 2031" in page  # the occurrence asked for
    assert "One occurrence of a repeating event" in page
    assert 'name="scope" value="following"' in page


def test_an_occurrence_changed_on_its_own_has_its_own_page(client, member, weekly):
    second = at(11, 10).astimezone(UTC)
    override = services.update_event(
        actor=member, event=weekly, changes={"title": "Special"}, occurrence=second, scope="this"
    )
    client.force_login(member)
    response = client.get(detail_url(weekly, second))
    assert response.status_code == 302 and response["Location"] == detail_url(override)
    gone = html(client.get(detail_url(weekly, at(12, 10).astimezone(UTC))))
    assert "That occurrence was moved or cancelled" in gone
    assert client.get(detail_url(weekly) + "?occurrence=nonsense").status_code == 404


def test_private_event_is_404_for_the_uninvited(client, member, sam, kim):
    event = make_event(member, [sam], visibility="private", title="Secret")
    client.force_login(kim)
    for response in (
        client.get(detail_url(event)),
        client.get(edit_url(event)),
        client.post(rsvp_url(event), {"response": "accepted"}),
        client.post(cancel_url(event)),
    ):
        assert response.status_code == 404
        assert b"Secret" not in response.content
    client.force_login(sam)
    page = html(client.get(detail_url(event)))
    assert "Secret" in page and "Private" in page


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_text_is_shown_as_text(client, member, sam, payload):
    event = make_event(member, [sam], title=payload, description=payload, location=payload)
    client.force_login(member)
    page = html(client.get(detail_url(event)))
    main = page[page.index('<main id="main"') :]
    assert live_markup(main) == []
    with capture_events() as events:
        services.rsvp(actor=sam, event=event, response="accepted")
    fragment = next(e for e in events if e.topic == f"calevent.{event.pk}").html
    assert live_markup(fragment) == []


def test_page_queries_do_not_grow_with_attendees(client, member):
    few = make_event(member, UserFactory.create_batch(2))
    many = make_event(member, UserFactory.create_batch(20), allow_double_booking=True)
    client.force_login(member)
    assert count_queries(client, detail_url(few)) == count_queries(client, detail_url(many))


# --- RSVP and live answers ------------------------------------------------------------------------


def test_invitee_answers_with_the_buttons(client, member, sam):
    event = make_event(member, [sam])
    client.force_login(sam)
    page = html(client.get(detail_url(event)))
    assert 'data-rsvp="tentative" aria-pressed="false"' in page
    response = client.post(rsvp_url(event), {"response": "tentative"}, **HTMX)
    assert response.status_code == 200 and response["X-Live-Event"]
    assert f'data-person="{sam.pk}" data-response="tentative"' in html(response)
    assert Attendee.objects.get(event=event, user=sam).response == "tentative"
    page = html(client.get(detail_url(event)))
    assert 'data-rsvp="tentative" aria-pressed="true"' in page
    plain = client.post(rsvp_url(event), {"response": "declined"})
    assert plain.status_code == 302 and plain["Location"] == detail_url(event)
    assert Attendee.objects.get(event=event, user=sam).response == "declined"


def test_only_invitees_answer(client, member, sam, kim):
    event = make_event(member, [sam])
    client.force_login(kim)
    assert "Will you come?" not in html(client.get(detail_url(event)))
    assert client.post(rsvp_url(event), {"response": "accepted"}).status_code == 403
    refused = client.post(rsvp_url(event), {"response": "accepted"}, **HTMX)
    assert refused.status_code == 403 and b"not invited" in refused.content
    client.force_login(member)
    assert client.post(rsvp_url(event), {"response": "accepted"}, **HTMX).status_code == 403
    client.force_login(sam)
    bad = client.post(rsvp_url(event), {"response": "whenever"}, **HTMX)
    assert bad.status_code == 422


def test_the_organizers_page_gets_the_answer_live(client, member, sam):
    event = make_event(member, [sam])
    client.force_login(sam)
    with capture_events() as events:
        client.post(rsvp_url(event), {"response": "accepted"}, **HTMX)
    live = [e for e in events if e.topic == f"calevent.{event.pk}"]
    assert [e.kind for e in live] == ["calendar.event"]
    fragment = live[0].html
    assert f'id="event-{event.pk}-people" hx-swap-oob="true"' in fragment
    assert f'id="event-{event.pk}-when" hx-swap-oob="true"' in fragment
    assert f'data-person="{sam.pk}" data-response="accepted"' in fragment
    assert "1 going" not in fragment and "2 going" in fragment  # organizer and Sam


def test_live_fragment_is_the_same_for_everyone(member, sam):
    """Rendered without a request: no viewer's controls, no CSRF token."""
    event = make_event(member, [sam])
    with capture_events() as events:
        services.rsvp(actor=sam, event=event, response="declined")
    fragment = next(e for e in events if e.topic == f"calevent.{event.pk}").html
    assert "csrfmiddlewaretoken" not in fragment and "rsvp-btn" not in fragment
    assert "Cancel event" not in fragment


# --- Cancelling ----------------------------------------------------------------------------------


def test_cancel_a_single_event(client, member, sam):
    event = make_event(member, [sam])
    client.force_login(sam)
    assert client.post(cancel_url(event)).status_code == 403
    client.force_login(member)
    response = client.post(cancel_url(event))
    assert response["Location"] == detail_url(event)
    event.refresh_from_db()
    assert event.is_cancelled
    page = html(client.get(detail_url(event)))
    assert "Cancelled" in page and "Cancel event" not in page


@pytest.mark.parametrize(
    ("scope", "left"),
    [
        ("this", [4, 11, 25]),
        ("following", [4, 11]),
        ("all", []),
    ],
)
def test_cancel_occurrences_of_a_series(client, member, weekly, scope, left):
    client.force_login(member)
    response = client.post(cancel_url(weekly, at(18, 10).astimezone(UTC)), {"scope": scope})
    assert response["Location"] == detail_url(weekly)
    weekly.refresh_from_db()
    assert [o.start.day for o in expand([weekly], at(1, 0), at(31, 0))] == left
