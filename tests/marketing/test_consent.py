"""The client page's marketing panel: sources, consent and unsubscribes recorded by staff."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from marketing.attribution import record_touch
from marketing.models import Campaign, Consent, Suppression, Touch
from marketing.services.consent import record_consent, record_unsubscribe
from records import services
from records.models import TimelineEntry
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(member, acme):
    return services.create_contact(
        actor=member, client=acme, name="Ada Park", emails=["Ada@Acme.example"]
    )


def test_recording_consent_keeps_the_text_tells_the_timeline_and_pushes_the_panel(member, ada):
    with capture_events() as events:
        consent = record_consent(actor=member, contact=ada, text="Product news, by phone")

    assert (consent.email, consent.text, consent.source) == (
        "ada@acme.example",
        "Product news, by phone",
        "manual",
    )
    assert TimelineEntry.objects.filter(client=ada.client, summary__contains="consent").exists()
    [event] = events
    assert (event.topic, event.kind) == (f"client.{ada.client_id}", "marketing.consent")
    assert f'id="client-{ada.client_id}-marketing"' in event.html
    assert "Consented" in event.html


def test_consent_needs_what_was_agreed(member, ada):
    with pytest.raises(ValidationError, match="what they agreed to"):
        record_consent(actor=member, contact=ada, text="   ")
    assert not Consent.objects.exists()


def test_someone_outside_the_clients_department_cannot_record_it(support_member, ada):
    with pytest.raises(PermissionDenied):
        record_consent(actor=support_member, contact=ada, text="By phone")
    with pytest.raises(PermissionDenied):
        record_unsubscribe(actor=support_member, contact=ada)


def test_a_contact_without_email_has_nothing_to_record(member, acme):
    nobody = services.create_contact(actor=member, client=acme, name="No Mail")
    with pytest.raises(ValidationError, match="no email address"):
        record_unsubscribe(actor=member, contact=nobody)


def test_unsubscribing_suppresses_the_address_once(member, ada):
    record_unsubscribe(actor=member, contact=ada)
    record_unsubscribe(actor=member, contact=ada)

    assert Suppression.objects.get().reason == "unsubscribed"
    assert TimelineEntry.objects.filter(summary__contains="unsubscribed").count() == 1


def test_the_client_page_shows_sources_and_standings(client, member, acme, ada):
    launch = Campaign.objects.create(name="Spring launch")
    record_touch(contact=ada, channel=Touch.Channel.CAMPAIGN, campaign=launch, utm_source="news")
    record_unsubscribe(actor=member, contact=ada)
    client.force_login(member)

    page = client.get(reverse("records:client_detail", args=[acme.pk])).content.decode()

    assert "Came in through" in page and "Added by staff" in page
    assert "Spring launch" in page and "(news)" in page
    assert "Unsubscribed" in page


def test_the_consent_button_refuses_a_stranger_with_the_reason(client, support_member, ada):
    client.force_login(support_member)

    response = client.post(
        reverse("marketing:contact_consent", args=[ada.pk]),
        {"text": "By phone"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 403
    assert "consent" in response.content.decode()
    assert not Consent.objects.exists()


def test_the_consent_button_records_it(client, member, ada):
    client.force_login(member)

    response = client.post(
        reverse("marketing:contact_consent", args=[ada.pk]),
        {"text": "At the trade show"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "Consented" in response.content.decode()
    assert Consent.objects.get().text == "At the trade show"
