"""The calendar on a client's page: "Schedule meeting", and meetings in the timeline.

A meeting linked to a client is noted in its timeline by the calendar's
services; a normal meeting's entry links to the event, a private one's says
neither its title nor where it is.
"""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from calendar_app import services
from records import services as records
from records.models import TimelineEntry
from tests.records.queries import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(member, sales):
    importlib.import_module("records.migrations.0002_seed_defaults").seed(apps, None)
    return records.create_client(actor=member, name="Acme GmbH", domain="acme.example")


@pytest.fixture
def contact(member, acme):
    return records.create_contact(
        actor=member, client=acme, name="Jo Acme", emails=["jo@acme.example"]
    )


@pytest.fixture
def signed_in(client, member):
    client.force_login(member)
    return client


def page(client, acme) -> str:
    response = client.get(reverse("records:client_detail", args=[acme.pk]))
    assert response.status_code == 200
    return response.content.decode()


def meeting(actor, acme, title, days=1, **fields):
    start = (timezone.now() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    return services.create_event(
        actor=actor,
        title=title,
        start=start,
        end=start + timedelta(hours=1),
        client=acme,
        allow_double_booking=True,
        **fields,
    )


def test_the_page_offers_to_schedule_a_meeting_with_the_client(signed_in, acme):
    link = f'href="{reverse("calendar:event_new")}?client={acme.pk}"'
    assert link in page(signed_in, acme)


def test_a_meeting_shows_in_the_timeline_with_a_link_to_it(signed_in, member, acme, contact):
    event = meeting(member, acme, "Kick-off with Acme", guests=[contact])
    html = page(signed_in, acme)
    assert "Kick-off with Acme" in html
    link = f'<a href="{reverse("calendar:event_detail", args=[event.pk])}">Open meeting</a>'
    assert link in html


def test_the_link_wins_over_the_deal_the_meeting_is_about(signed_in, member, acme):
    deal = records.create_deal(actor=member, client=acme, title="Rollout")
    event = meeting(member, acme, "Rollout terms", deal=deal)
    entry = TimelineEntry.objects.get(kind="meeting", data__event=event.pk)
    assert entry.deal_id == deal.pk
    html = page(signed_in, acme)
    assert f'{reverse("calendar:event_detail", args=[event.pk])}">Open meeting' in html


def test_a_private_meeting_has_neither_title_nor_link_in_the_timeline(
    client, member, support_member, acme
):
    event = meeting(member, acme, "Secret pricing lunch", visibility="private")
    entry = TimelineEntry.objects.get(kind="meeting", client=acme)
    assert "a private meeting" in entry.summary
    client.force_login(support_member)
    html = page(client, acme)
    assert "Secret pricing lunch" not in html
    assert reverse("calendar:event_detail", args=[event.pk]) not in html
    assert "Open meeting" not in html
    client.force_login(member)  # not even for its organizer: the timeline is everyone's
    assert "Secret pricing lunch" not in page(client, acme)


def test_meetings_in_the_timeline_add_no_queries(signed_in, member, acme):
    meeting(member, acme, "First meeting")
    url = reverse("records:client_detail", args=[acme.pk])
    few = count_queries(signed_in, url)
    for number in range(8):
        meeting(member, acme, f"Meeting {number}", days=number + 2)
    assert count_queries(signed_in, url) == few


# --- Upcoming meetings (loaded after the page) ------------------------------------------------


def upcoming(client, acme) -> str:
    response = client.get(reverse("calendar:client_meetings", args=[acme.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_loads_the_upcoming_meetings_card_after_itself(signed_in, acme):
    html = page(signed_in, acme)
    assert f'hx-get="{reverse("calendar:client_meetings", args=[acme.pk])}"' in html


def test_upcoming_meetings_soonest_first_with_links_and_no_past_ones(signed_in, member, acme):
    later = meeting(member, acme, "Contract signing", days=5, location="Acme HQ")
    sooner = meeting(member, acme, "Kick-off", days=2)
    meeting(member, acme, "Last week's review", days=-7)
    html = upcoming(signed_in, acme)
    assert html.index("Kick-off") < html.index("Contract signing")
    assert reverse("calendar:event_detail", args=[sooner.pk]) in html
    assert reverse("calendar:event_detail", args=[later.pk]) in html
    assert "Acme HQ" in html
    assert "Last week's review" not in html


def test_a_repeating_meeting_shows_its_next_occurrences(signed_in, member, acme):
    weekly = meeting(member, acme, "Weekly check-in", days=1, rrule="FREQ=WEEKLY;COUNT=3")
    html = upcoming(signed_in, acme)
    assert html.count("Weekly check-in") == 3
    assert f"{reverse('calendar:event_detail', args=[weekly.pk])}?occurrence=" in html


def test_someone_elses_private_meeting_shows_only_that_there_is_one(
    client, member, support_member, acme
):
    meeting(member, acme, "Secret pricing lunch", visibility="private", location="Chez Nous")
    client.force_login(support_member)
    html = upcoming(client, acme)
    assert "Private meeting" in html
    assert "Secret pricing lunch" not in html and "Chez Nous" not in html
    assert "/calendar/events/" not in html
    client.force_login(member)
    assert "Secret pricing lunch" in upcoming(client, acme)


def test_no_meetings_says_so(signed_in, acme):
    assert "No meetings in the next 90 days." in upcoming(signed_in, acme)


def test_an_unknown_client_is_404(signed_in):
    response = signed_in.get(reverse("calendar:client_meetings", args=[999999]))
    assert response.status_code == 404


def test_upcoming_meetings_cost_the_same_queries_for_1_or_9(signed_in, member, acme):
    meeting(member, acme, "First meeting")
    url = reverse("calendar:client_meetings", args=[acme.pk])
    few = count_queries(signed_in, url)
    for number in range(8):
        meeting(member, acme, f"Meeting {number}", days=number + 2, visibility="private")
    assert count_queries(signed_in, url) == few
