"""An htmx write is answered with the event it published itself (``X-Live-Event``)."""

import pytest
from django.urls import reverse

from records import services
from workspace.live.models import Event

pytestmark = pytest.mark.django_db


def post_status(client, ticket, status):
    url = reverse("records:ticket_status", args=[ticket.pk])
    return client.post(url, {"status": status}, HTTP_HX_REQUEST="true")


def test_the_answer_is_the_writes_own_event(client, support_member, support_manager, ticket):
    client.force_login(support_member)
    response = post_status(client, ticket, "open")
    assert response.status_code == 200
    ours = Event.objects.get(pk=response["X-Live-Event"])
    assert (ours.topic, ours.kind) == (f"ticket.{ticket.pk}", "ticket.status")
    assert response.text == ours.html
    # A colleague's later event on the same topic is not taken for the next answer.
    services.set_ticket_status(actor=support_manager, ticket=ticket, status="pending")
    unchanged = post_status(client, ticket, "pending")
    assert unchanged.status_code == 200
    assert "X-Live-Event" not in unchanged  # nothing changed, nothing published
    assert unchanged.text == ""
