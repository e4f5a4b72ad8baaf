"""The live event log in the Django admin: metadata only, and read-only."""

import pytest
from django.urls import reverse

from accounts.models import Role
from chat import services as chat
from tests.factories import UserFactory
from workspace.live.models import Event

pytestmark = pytest.mark.django_db

SECRET = "The merger closes on Friday, keep it quiet"


@pytest.fixture
def superuser(sales):
    return UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True, departments=[sales])


@pytest.fixture
def direct_message_event(member, sales_manager):
    """The events of a direct message between two others, which carry its text."""
    room = chat.open_direct(actor=member, people=[sales_manager])
    chat.post_message(actor=member, room=room, body=SECRET)
    events = Event.objects.filter(topic=f"room.{room.pk}")
    assert any(SECRET in event.html for event in events)  # what the admin must not show
    return events.last()


def test_the_list_and_the_event_show_metadata_never_the_message(
    client, superuser, direct_message_event
):
    client.force_login(superuser)
    listing = client.get(reverse("admin:live_event_changelist")).content.decode()
    detail = client.get(reverse("admin:live_event_change", args=[direct_message_event.pk]))
    page = detail.content.decode()
    assert detail.status_code == 200
    assert direct_message_event.topic in listing and direct_message_event.kind in page
    assert "merger" not in listing and "merger" not in page
    assert f"message={direct_message_event.payload['message']}" in page


def test_nobody_adds_edits_or_deletes_events(client, superuser, direct_message_event):
    client.force_login(superuser)
    pk = direct_message_event.pk
    assert client.get(reverse("admin:live_event_add")).status_code == 403
    client.post(reverse("admin:live_event_change", args=[pk]), {"topic": "room.1"})
    deleting = client.post(reverse("admin:live_event_delete", args=[pk]), {"post": "yes"})
    assert deleting.status_code == 403
    event = Event.objects.get(pk=pk)
    assert event.topic == direct_message_event.topic and SECRET in event.html
