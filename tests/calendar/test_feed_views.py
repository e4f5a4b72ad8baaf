"""The subscription feed URL, .ics downloads and the subscribe page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from calendar_app import feeds
from calendar_app.models import CalendarFeed, Event
from tests.calendar.test_ical import at, schedule
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
PAGE = reverse("calendar:subscribe")


def feed_url(token: str) -> str:
    return reverse("calendar:feed", args=[token])


@pytest.fixture
def token(member):
    return feeds.create_feed(actor=member)


def read_feed(client, token: str, **headers):
    """A calendar app's request: no session (a client of its own, not the signed-in one)."""
    return Client().get(feed_url(token), **headers)


# --- The feed ------------------------------------------------------------------------------


def test_feed_is_served_without_a_session(client, member, token):
    schedule(member, "Kickoff", at(2, 10, 10), at(2, 10, 11))

    response = read_feed(client, token)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    assert response["X-Robots-Tag"].startswith("noindex")
    calendar = Calendar.from_ical(response.content)
    assert [str(event["SUMMARY"]) for event in calendar.events] == ["Kickoff"]


@pytest.mark.parametrize("token_text", ["nope", "x" * 43, "a" * 500])
def test_unknown_token_is_404(client, token, token_text):
    assert read_feed(client, token_text).status_code == 404


def test_revoked_token_is_404(client, member, token):
    feeds.revoke_feed(actor=member)

    assert read_feed(client, token).status_code == 404


def test_new_link_replaces_the_old(client, member, token):
    new = feeds.create_feed(actor=member)

    assert new != token
    assert read_feed(client, token).status_code == 404
    assert read_feed(client, new).status_code == 200
    assert CalendarFeed.objects.filter(user=member).count() == 1


def test_only_the_hash_is_stored(member, token):
    assert token not in CalendarFeed.objects.get(user=member).token_hash


def test_deactivated_owner_has_no_feed(client, member, token):
    member.is_active = False
    member.save(update_fields=["is_active"])

    assert read_feed(client, token).status_code == 404


def test_last_used_is_written_at_most_once_an_hour(client, member, token):
    read_feed(client, token)
    first = CalendarFeed.objects.get(user=member).last_used_at
    assert first is not None

    with CaptureQueriesContext(connection) as queries:
        read_feed(client, token)
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]
    assert CalendarFeed.objects.get(user=member).last_used_at == first

    CalendarFeed.objects.filter(user=member).update(last_used_at=first - timedelta(hours=2))
    read_feed(client, token)
    assert CalendarFeed.objects.get(user=member).last_used_at > first


def test_unchanged_feed_answers_304(client, member, token):
    schedule(member, "Kickoff", at(2, 10, 10), at(2, 10, 11))
    etag = read_feed(client, token)["ETag"]

    assert read_feed(client, token, HTTP_IF_NONE_MATCH=etag).status_code == 304
    schedule(member, "Another", at(2, 11, 10), at(2, 11, 11))
    assert read_feed(client, token, HTTP_IF_NONE_MATCH=etag).status_code == 200


def _feed_queries(client, token: str) -> int:
    read_feed(client, token)  # last_used_at written: not counted below
    with CaptureQueriesContext(connection) as queries:
        assert read_feed(client, token).status_code == 200
    return len(queries)


def _add_events(owner, colleague, count: int) -> None:
    for index in range(count):
        start = at(2, 1 + index % 27, 8 + index % 9)
        schedule(owner, f"Single {index}", start, start + timedelta(hours=1), attendees=[colleague])
        series = schedule(
            owner, f"Series {index}", start, start + timedelta(hours=1), rrule="FREQ=WEEKLY"
        )
        from calendar_app import services

        services.update_event(
            actor=owner,
            event=series,
            changes={"title": f"Moved {index}"},
            occurrence=start + timedelta(weeks=1),
            scope="this",
        )


def test_feed_query_count_does_not_grow_with_events(client, member, sales, token):
    colleague = UserFactory(departments=[sales])
    _add_events(member, colleague, 1)
    few = _feed_queries(client, token)
    _add_events(member, colleague, 12)

    assert _feed_queries(client, token) == few
    assert few == 4  # feed and owner, rows, attendees, replaced occurrences


# --- Downloads ---------------------------------------------------------------------------------


def test_event_ics_is_an_attachment_with_the_series_and_overrides(client, member):
    series = schedule(member, "Weekly review", at(2, 3, 9), at(2, 3, 10), rrule="FREQ=WEEKLY")
    from calendar_app import services

    services.update_event(
        actor=member,
        event=series,
        changes={"title": "Special review"},
        occurrence=at(2, 10, 9),
        scope="this",
    )
    client.force_login(member)

    response = client.get(reverse("calendar:event_ics", args=[series.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="weekly-review.ics"'
    calendar = Calendar.from_ical(response.content)
    assert {str(e["SUMMARY"]) for e in calendar.events} == {"Weekly review", "Special review"}
    assert {str(e["UID"]) for e in calendar.events} == {series.uid}


def test_event_ics_of_someone_elses_private_event_is_404(client, member, sales):
    colleague = UserFactory(departments=[sales])
    private = schedule(
        colleague, "Doctor", at(2, 3, 9), at(2, 3, 10), visibility=Event.Visibility.PRIVATE
    )
    client.force_login(member)

    assert client.get(reverse("calendar:event_ics", args=[private.pk])).status_code == 404
    assert client.get(reverse("calendar:event_ics", args=[999999])).status_code == 404


def test_event_ics_needs_a_login(client, member):
    event = schedule(member, "Kickoff", at(2, 3, 9), at(2, 3, 10))

    response = client.get(reverse("calendar:event_ics", args=[event.pk]))

    assert response.status_code == 302


def test_export_downloads_my_calendar(client, member):
    schedule(member, "Kickoff", at(2, 3, 9), at(2, 3, 10))
    client.force_login(member)

    response = client.get(reverse("calendar:export"))

    assert response["Content-Disposition"] == 'attachment; filename="my-calendar.ics"'
    assert b"SUMMARY:Kickoff" in response.content


# --- The page ------------------------------------------------------------------------------------


def test_page_offers_to_make_a_link(client, member):
    client.force_login(member)

    html = client.get(PAGE).content.decode()

    assert "Make my subscription link" in html
    assert 'name="file"' in html


def test_making_a_link_shows_it_once(client, member):
    client.force_login(member)

    html = client.post(reverse("calendar:feed_create")).content.decode()

    feed = CalendarFeed.objects.get(user=member)
    link = html.split('id="feed-link" type="text" readonly value="', 1)[1].split('"', 1)[0]
    token = link.rsplit("/", 1)[1].removesuffix(".ics")
    assert feeds.find_feed(token) == feed
    assert "webcal://" in html
    later = client.get(PAGE).content.decode()
    assert token not in later
    assert "Make a new link" in later and "Turn off" in later


def test_htmx_link_answers_with_the_card(client, member):
    client.force_login(member)

    html = client.post(reverse("calendar:feed_create"), **HTMX).content.decode()

    assert html.lstrip().startswith('<section class="card" id="feed-card"')
    assert "<html" not in html


def test_turning_off_revokes(client, member, token):
    client.force_login(member)

    response = client.post(reverse("calendar:feed_revoke"))

    assert response.status_code == 302
    assert not CalendarFeed.objects.filter(user=member).exists()
    assert read_feed(client, token).status_code == 404


def test_link_views_refuse_get(client, member):
    client.force_login(member)

    assert client.get(reverse("calendar:feed_create")).status_code == 405
    assert client.get(reverse("calendar:feed_revoke")).status_code == 405


def test_page_shows_when_the_link_was_last_read(client, member, token):
    CalendarFeed.objects.filter(user=member).update(last_used_at=timezone.now())
    client.force_login(member)

    html = client.get(PAGE).content.decode()

    assert "Last read by an app" in html and "Not yet" not in html
