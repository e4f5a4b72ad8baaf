"""The global search's "Events" group (calendar_app/search.py): who finds what, in which order.

A private event's title, place and description never reach anyone but its
organizer and attendees, so the tests look for those strings in the whole
response, not just in the group.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calendar_app import search, services
from calendar_app.models import Event
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.backend]

URL = reverse("search")
MENU = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "topbar-search-results"}


@pytest.fixture
def organizer(member):
    return member


@pytest.fixture
def guest(sales):
    return UserFactory(departments=[sales], full_name="Gus Guest")


@pytest.fixture
def colleague(support):
    return UserFactory(departments=[support], full_name="Cora Colleague")


def soon(days: float = 1, hours: float = 1):
    start = (timezone.now() + timedelta(days=days)).replace(microsecond=0, second=0, minute=0)
    return start, start + timedelta(hours=hours)


def schedule(actor, title, days=1, **fields) -> Event:
    start, end = soon(days)
    return services.create_event(
        actor=actor, title=title, start=start, end=end, allow_double_booking=True, **fields
    )


def events_found(client, person, query) -> list[str]:
    client.force_login(person)
    group = client.get(URL, {"q": query}).context["results"].get("events")
    return [hit.event.title for hit in group.items] if group else []


# --- Who finds what ------------------------------------------------------------------


def test_any_colleague_finds_a_normal_event_by_title_or_place(client, organizer, colleague):
    event = schedule(organizer, "Quarterly planning", location="Room Zephyr", description="Q3")
    assert events_found(client, colleague, "quarterly plan") == ["Quarterly planning"]
    assert events_found(client, colleague, "zephyr") == ["Quarterly planning"]
    response = client.get(URL, {"q": "zephyr"})
    assert 'id="search-events"' in response.text
    assert reverse("calendar:event_detail", args=[event.pk]) in response.text
    assert "Room Zephyr" in response.text and organizer.full_name in response.text


def test_description_words_match_too(client, organizer, colleague):
    schedule(organizer, "Kick-off", description="Agenda: onboarding for Initech")
    assert events_found(client, colleague, "initech") == ["Kick-off"]


def test_a_private_event_is_found_by_its_organizer_and_attendees_only(
    client, organizer, guest, colleague
):
    schedule(
        organizer,
        "Dentist Zanzibar",
        attendees=[guest],
        location="Harley Street clinic",
        description="Root canal xylophone",
        visibility=Event.Visibility.PRIVATE,
    )
    assert events_found(client, organizer, "zanzibar") == ["Dentist Zanzibar"]
    assert events_found(client, guest, "zanzibar") == ["Dentist Zanzibar"]
    client.force_login(colleague)
    for query in ("zanzibar", "dentist", "harley", "xylophone"):
        for headers in ({}, MENU):
            response = client.get(URL, {"q": query}, **headers)
            assert response.status_code == 200
            for secret in ("Dentist Zanzibar", "Harley Street clinic", "Root canal"):
                assert secret not in response.text, (query, secret)  # the query is echoed
    assert events_found(client, colleague, "dentist") == []


def test_a_declined_attendee_still_finds_a_private_event_they_were_invited_to(
    client, organizer, guest
):
    event = schedule(organizer, "Private Zanzibar", attendees=[guest], visibility="private")
    services.rsvp(actor=guest, event=event, response="declined")
    assert events_found(client, guest, "zanzibar") == ["Private Zanzibar"]


def test_cancelled_events_and_occurrences_changed_on_their_own_are_not_results(
    client, organizer, colleague
):
    gone = schedule(organizer, "Zephyr workshop")
    services.cancel_event(actor=organizer, event=gone)
    series = schedule(organizer, "Weekly zephyr sync", rrule="FREQ=WEEKLY;COUNT=5")
    services.update_event(
        actor=organizer,
        event=series,
        changes={"title": "Weekly zephyr sync (moved)"},
        occurrence=series.start + timedelta(weeks=1),
        scope="this",
    )
    assert events_found(client, colleague, "zephyr") == ["Weekly zephyr sync"]
    # The changed occurrence's own words find its series.
    assert events_found(client, colleague, "moved") == ["Weekly zephyr sync"]


def test_a_cancelled_occurrence_hides_its_words(client, organizer, colleague):
    series = schedule(organizer, "Standup", rrule="FREQ=DAILY;COUNT=3")
    moved = services.update_event(
        actor=organizer,
        event=series,
        changes={"location": "Zephyr lounge"},
        occurrence=series.start + timedelta(days=1),
        scope="this",
    )
    assert events_found(client, colleague, "zephyr") == ["Standup"]
    services.cancel_event(actor=organizer, event=moved, scope="this")
    assert events_found(client, colleague, "zephyr") == []


def test_nobody_inactive_finds_anything(organizer):
    schedule(organizer, "Zephyr review")
    organizer.is_active = False
    assert list(search.matching_events(organizer, "zephyr")) == []


@pytest.mark.parametrize("query", ["", "   ", "!!!", "'; drop table--", "<script>"])
def test_bad_input_finds_nothing_and_never_errors(client, organizer, query):
    schedule(organizer, "Zephyr review")
    assert search.first_hits(organizer, query, 8) == ([], False)
    client.force_login(organizer)
    assert client.get(URL, {"q": query}).status_code == 200


# --- Order and what a result shows ---------------------------------------------------


def test_upcoming_first_soonest_first_then_past_latest_first(client, organizer, colleague):
    schedule(organizer, "Zephyr past long ago", days=-20)
    schedule(organizer, "Zephyr next month", days=30)
    schedule(organizer, "Zephyr yesterday", days=-1)
    schedule(organizer, "Zephyr tomorrow", days=1)
    schedule(organizer, "Zephyr weekly", days=-14, rrule="FREQ=WEEKLY")
    found = events_found(client, colleague, "zephyr")
    assert found == [
        "Zephyr weekly",  # its next occurrence is within the week
        "Zephyr tomorrow",
        "Zephyr next month",
        "Zephyr yesterday",
        "Zephyr past long ago",
    ]


def test_a_series_shows_its_next_occurrence_or_its_last(organizer):
    ongoing = schedule(organizer, "Zephyr daily", days=-3, rrule="FREQ=DAILY")
    over = schedule(organizer, "Zephyr over", days=-10, rrule="FREQ=DAILY;COUNT=3")
    hits = {hit.event.pk: hit for hit in search.first_hits(organizer, "zephyr", 8)[0]}
    now = timezone.now()
    assert now - timedelta(hours=1) < hits[ongoing.pk].end
    assert hits[ongoing.pk].start < now + timedelta(days=1)
    assert hits[ongoing.pk].repeats == "Repeats daily"
    assert hits[over.pk].start == over.start + timedelta(days=2)


def test_an_all_day_event_shows_its_day_in_its_own_zone(client, organizer, colleague):
    day = (timezone.now() + timedelta(days=5)).date()
    services.create_event(
        actor=organizer,
        title="Zephyr offsite",
        start=day,
        end=day + timedelta(days=1),
        all_day=True,
        timezone_name="Pacific/Auckland",
    )
    client.force_login(colleague)
    response = client.get(URL, {"q": "offsite"})
    assert f"{day:%a} {day.day} {day:%b %Y}, all day" in response.text


def test_the_group_is_capped_and_the_menu_lists_events(client, organizer, colleague):
    for number in range(10):
        schedule(organizer, f"Zephyr session {number}", days=number + 1)
    client.force_login(colleague)
    response = client.get(URL, {"q": "zephyr"})
    group = response.context["results"]["events"]
    assert len(group.items) == 8 and group.has_more
    menu = client.get(URL, {"q": "zephyr"}, **MENU)
    assert "Events" in menu.text and "Zephyr session 0" in menu.text
    assert "Zephyr session 4" not in menu.text  # four a group in the menu


def test_query_count_is_constant(client, organizer, guest, colleague):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, {"q": "zephyr"}).status_code == 200
        return len(captured)

    schedule(organizer, "Zephyr one", attendees=[guest], rrule="FREQ=DAILY;COUNT=2")
    client.force_login(guest)
    client.get(URL, {"q": "zephyr"})  # warms the session
    few = queries()
    for number in range(6):
        series = schedule(
            organizer, f"Zephyr series {number}", days=number, rrule="FREQ=WEEKLY;COUNT=6"
        )
        services.update_event(
            actor=organizer,
            event=series,
            changes={"location": "Elsewhere"},
            occurrence=series.start + timedelta(weeks=2),
            scope="this",
        )
        schedule(organizer, f"Zephyr private {number}", attendees=[guest], visibility="private")
        schedule(colleague, f"Zephyr single {number}", days=number + 2)
    assert queries() == few
