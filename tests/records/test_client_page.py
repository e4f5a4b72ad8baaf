"""The client page: full page and htmx parts, timeline, activity log, archive, query
budget, live fragments and the socket."""

from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from records import services
from records.models import CustomField, TimelineEntry
from records.selectors.client_page import TIMELINE_PER_PAGE
from tests.factories import UserFactory
from tests.live_helpers import Socket, capture_events

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def page_url(client):
    return reverse("records:client_detail", args=[client.pk])


@pytest.fixture
def signed_in(client, member):
    client.force_login(member)
    return client


def test_page_shows_everything(signed_in, member, acme, contact, deal, ticket):
    CustomField.objects.create(key="tier", label="Tier", type="choice", choices=["Gold"])
    services.post_comment(actor=member, target=acme, body="Hello **there**")
    response = signed_in.get(page_url(acme))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-live-topics="user.{member.pk} client.{acme.pk}"' in html
    assert f'data-live-presence="client.{acme.pk}"' in html
    for element in (
        f"field-client-{acme.pk}-name-value",
        f"field-client-{acme.pk}-custom-tier",
        f"field-contact-{contact.pk}-emails-value",
        f"field-deal-{deal.pk}-stage-value",
        f"field-ticket-{ticket.pk}-status-value",
        f"comments-client-{acme.pk}-list",
        f"timeline-{acme.pk}-entries",
        f"client-{acme.pk}-log-form",
    ):
        assert f'id="{element}"' in html
    assert "<strong>there</strong>" in html
    assert reverse("records:history", args=["client", acme.pk]) in html


def test_htmx_request_gets_the_page_without_the_shell(signed_in, acme):
    html = signed_in.get(page_url(acme), **HTMX).content.decode()
    assert "<html" not in html and f"field-client-{acme.pk}-name-value" in html


def test_merged_client_redirects_to_survivor(signed_in, acme, member):
    survivor = services.create_client(actor=member, name="Acme AG")
    type(acme).objects.filter(pk=acme.pk).update(merged_into=survivor)
    response = signed_in.get(page_url(acme))
    assert response.status_code == 302 and response["Location"] == page_url(survivor)


def test_missing_client_is_404(signed_in):
    assert signed_in.get(reverse("records:client_detail", args=[999999])).status_code == 404


def test_archive_and_restore(signed_in, acme, member):
    url = reverse("records:client_archive", args=[acme.pk])
    with capture_events() as events:
        signed_in.post(url, {"archived": "1"})
    assert "Archived." in events[0].html and f'id="client-{acme.pk}-state"' in events[0].html
    assert "Archived." in signed_in.get(page_url(acme)).content.decode()
    signed_in.post(url, {"archived": "0"})
    acme.refresh_from_db()
    assert not acme.archived


def test_archive_refused_for_others(client, acme, support_member):
    client.force_login(support_member)
    response = client.post(reverse("records:client_archive", args=[acme.pk]), {"archived": "1"})
    assert response.status_code == 403
    acme.refresh_from_db()
    assert not acme.archived


def test_log_activity_answers_with_the_new_entry(signed_in, acme):
    url = reverse("records:client_log_activity", args=[acme.pk])
    with capture_events() as events:
        response = signed_in.post(
            url, {"kind": "call", "summary": "Called Jo", "body": "Went **well**"}, **HTMX
        )
    entry = TimelineEntry.objects.get(kind="call")
    html = response.content.decode()
    assert response["X-Live-Event"] == str(events[0].id)
    assert f'id="timeline-entry-{entry.pk}"' in html and "<strong>well</strong>" in html
    assert f'id="client-{acme.pk}-log-form"' in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "party", "summary": "x"}, "Log a call, a meeting, an email or a note."),
        ({"kind": "call", "summary": "  "}, "Say in a line what happened."),
        ({"kind": "call", "summary": "x" * 301}, "Keep the summary under 300 characters."),
    ],
)
def test_log_activity_bad_input(signed_in, acme, data, message):
    url = reverse("records:client_log_activity", args=[acme.pk])
    response = signed_in.post(url, data, **HTMX)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not TimelineEntry.objects.filter(kind__in=["call", "party"]).exists()


def test_timeline_filter_and_load_more(signed_in, acme, member):
    for number in range(TIMELINE_PER_PAGE + 3):
        services.log_activity(actor=member, client=acme, kind="note", summary=f"Note {number}")
    services.update_field(actor=member, obj=acme, field="industry", value="Ag", seen_value="")
    url = reverse("records:client_timeline", args=[acme.pk])
    fields = signed_in.get(url, {"kind": "fields"}, **HTMX).content.decode()
    assert "changed Industry" in fields and "Note 0" not in fields
    first = signed_in.get(url, {"kind": "activities"}, **HTMX).content.decode()
    assert f"Note {TIMELINE_PER_PAGE + 2}" in first and "Load older" in first
    oldest_shown = TimelineEntry.objects.filter(kind="note").order_by("-pk")[TIMELINE_PER_PAGE - 1]
    more = signed_in.get(
        url, {"kind": "activities", "before": oldest_shown.pk}, **HTMX
    ).content.decode()
    assert "Note 0" in more and "Note 2<" in more and "Note 3<" not in more
    assert "Load older" not in more


def test_plain_filter_link_filters_the_page(signed_in, acme, member):
    services.log_activity(actor=member, client=acme, kind="note", summary="A note")
    html = signed_in.get(page_url(acme), {"kind": "deals"}).content.decode()
    assert "A note" not in html and 'data-filter="deals"' in html
    assert "A note" in signed_in.get(page_url(acme), {"kind": "bogus"}).content.decode()


def test_timeline_fragment_carries_the_entry(acme, member):
    with capture_events() as events:
        entry = services.log_activity(actor=member, client=acme, kind="email", summary="Sent")
    assert f'hx-swap-oob="afterbegin:#timeline-{acme.pk}-entries"' in events[0].html
    assert f'id="timeline-entry-{entry.pk}"' in events[0].html
    assert 'data-group="activities"' in events[0].html


def test_new_deal_appears_in_the_client_lists(acme, member):
    with capture_events() as events:
        deal = services.create_deal(actor=member, client=acme, title="Big", amount=Decimal(5))
    assert f"afterbegin:#client-{acme.pk}-deals" in events[0].html
    assert f'id="client-deal-{deal.pk}"' in events[0].html


def _grow(client, member, people, rows: int) -> None:
    for number in range(rows):
        contact = services.create_contact(actor=member, client=client, name=f"Person {number}")
        services.update_field(
            actor=member, obj=contact, field="title", value="Buyer", seen_value=""
        )
        services.create_deal(actor=member, client=client, title=f"D{number}", amount=Decimal(9))
        services.create_ticket(actor=member, client=client, subject=f"T{number}")
        comment = services.post_comment(
            actor=member, target=client, body=f"@{people[number % 3].full_name} look"
        )
        services.post_comment(actor=member, target=client, body="Reply", parent=comment)
        services.log_activity(actor=member, client=client, kind="call", summary=f"C{number}")


def test_query_count_is_constant(signed_in, acme, member):
    people = [UserFactory(full_name=name) for name in ("Ana Lopez", "Bo Li", "Cy Dee")]
    CustomField.objects.create(key="tier", label="Tier", type="text")
    _grow(acme, member, people, 1)
    with CaptureQueriesContext(connection) as few:
        assert signed_in.get(page_url(acme)).status_code == 200
    _grow(acme, member, people, 12)
    with CaptureQueriesContext(connection) as many:
        assert signed_in.get(page_url(acme)).status_code == 200
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]
    # The page's own 15, and the panels of other apps: health 1, marketing 2.
    assert len(few) <= 18, len(few)


@pytest.mark.django_db(transaction=True)
async def test_editing_a_field_pushes_the_value_to_a_subscriber(hub, defaults, member):
    client = await database_sync_to_async(services.create_client)(actor=member, name="Initech")
    socket = await Socket.open(member)
    await socket.subscribe({f"client.{client.pk}": None})
    await database_sync_to_async(services.update_field)(
        actor=member, obj=client, field="industry", value="Software", seen_value=""
    )
    frame = await socket.receive()
    assert frame["kind"] == "client.updated"
    assert f'id="field-client-{client.pk}-industry-value" hx-swap-oob="true"' in frame["html"]
    assert "Software" in frame["html"]
    await socket.close()


@pytest.mark.django_db(transaction=True)
async def test_a_topic_one_may_not_follow_gets_nothing(hub, defaults, member):
    client = await database_sync_to_async(services.create_client)(actor=member, name="Initech")
    member.is_active = False
    await database_sync_to_async(member.save)()
    socket = await Socket.open(member)
    # A deactivated person's socket is closed before it can follow anything.
    assert await socket.communicator.receive_output(1) == {"type": "websocket.close", "code": 4401}
    stranger = await Socket.open(await database_sync_to_async(UserFactory)())
    frames = await stranger.subscribe({f"client.{client.pk + 1000}": None})
    assert frames[-1]["code"] == "forbidden"
    await stranger.close()


def test_new_contact_makes_open_pages_refetch_their_contacts_card(acme, member):
    with capture_events() as events:
        services.create_contact(actor=member, client=acme, name="Kim")
    html = events[0].html
    assert f'hx-swap-oob="beforeend:#client-{acme.pk}-contacts"' in html
    assert f'hx-get="{page_url(acme)}" hx-trigger="load"' in html
    assert f'hx-select="#client-{acme.pk}-contacts-card"' in html


def test_presence_takes_a_topic_or_a_record(deal):
    template = Template('{% load records_ui %}{% presence deal %}{% presence "ticket.9" %}')
    html = template.render(Context({"deal": deal}))
    assert f'data-live-presence="deal.{deal.pk}"' in html
    assert 'data-live-presence="ticket.9"' in html
