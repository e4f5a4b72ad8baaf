"""Deleting a contact: who may, the timeline line it leaves, and the live event."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from records import services
from records.models import Contact, TimelineEntry
from tests.live_helpers import capture_events


def test_the_clients_department_deletes_a_contact_and_open_pages_hear_of_it(member, acme, contact):
    with capture_events() as events:
        services.delete_contact(actor=member, contact=contact)
    assert not Contact.objects.filter(pk=contact.pk).exists()
    entry = TimelineEntry.objects.filter(client=acme, kind=TimelineEntry.Kind.CONTACT).latest("pk")
    assert entry.summary == f"{member} deleted contact Jo Acme"
    assert [(e.topic, e.kind) for e in events] == [
        (f"client.{acme.pk}", "contact.deleted"),
        ("list.contacts", "contact.deleted"),
    ]
    assert events[0].payload == {
        "id": contact.pk,
        "client": acme.pk,
        "actor": member.pk,
        "timeline": entry.pk,
    }
    assert f'id="contact-row-{contact.pk}" hx-swap-oob="delete"' in events[0].html
    assert f"timeline-{acme.pk}-entries" in events[0].html


def test_another_department_cannot_delete_a_contact(support_member, contact):
    with pytest.raises(PermissionDenied), capture_events(0):
        services.delete_contact(actor=support_member, contact=contact)
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_a_contact_deleted_twice_says_so(member, contact):
    services.delete_contact(actor=member, contact=contact)
    with pytest.raises(ValidationError, match="This contact was deleted by someone else"):
        services.delete_contact(actor=member, contact=contact)
