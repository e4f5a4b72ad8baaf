"""Merging a duplicate client: the service (moves, audit, timelines, live), its refusals,
and the merge page."""

from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from records import services
from records.models import Client, Comment, Contact, Deal, FieldChange, Ticket, TimelineEntry
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def dupe(member, support_member, defaults):
    """A second Acme with a bit of everything: a contact, a deal, a ticket, a comment."""
    dupe = services.create_client(
        actor=member, name="ACME Inc.", domain="acme-inc.example", industry="Robotics"
    )
    services.create_contact(actor=member, client=dupe, name="Max Dupe", emails=["max@acme.example"])
    services.create_deal(actor=member, client=dupe, title="Dupe deal", amount=Decimal(5))
    services.create_ticket(actor=support_member, client=dupe, subject="Dupe ticket")
    services.post_comment(actor=member, target=dupe, body="Same company as Acme GmbH?")
    return dupe


def merge_url(survivor, other=None):
    url = reverse("records:client_merge", args=[survivor.pk])
    return f"{url}?other={other.pk}" if other else url


def audit(client):
    return FieldChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Client), object_id=client.pk
    )


# --- The service ---------------------------------------------------------------------


def test_merge_moves_everything_and_keeps_history(member, acme, contact, dupe):
    entries_before = dupe.timeline.count()
    survivor = services.merge_clients(
        actor=member, survivor=acme, loser=dupe, choices={"industry": "loser", "name": "survivor"}
    )
    dupe.refresh_from_db()
    assert survivor.name == "Acme GmbH" and survivor.industry == "Robotics"
    assert (dupe.archived, dupe.merged_into) == (True, acme)
    assert Client.objects.count() == 2  # nothing deleted
    assert set(Contact.objects.values_list("client", flat=True)) == {acme.pk}
    assert Deal.objects.get(title="Dupe deal").client == acme
    assert Ticket.objects.get(subject="Dupe ticket").client == acme
    assert Comment.objects.get(body__startswith="Same company").client == acme
    moved = acme.timeline.exclude(kind="merge").count()
    assert moved >= entries_before + 1  # the dupe's history plus acme's own "created"
    change = audit(acme).get(field="industry")
    assert (change.old_display, change.new_display, change.actor) == ("", "Robotics", member)
    assert audit(dupe).get(field="archived").new is True
    both = TimelineEntry.objects.filter(kind="merge")
    assert sorted(both.values_list("client", flat=True)) == sorted([acme.pk, dupe.pk])
    summary = both.get(client=acme).summary
    assert "merged ACME Inc. into this client" in summary and "1 contact, 1 deal" in summary


def test_merge_publishes_a_redirect_for_viewers_of_the_loser(member, acme, dupe):
    with capture_events(3) as events:
        services.merge_clients(
            actor=member, survivor=acme, loser=dupe, choices={"industry": "loser"}
        )
    assert [event.topic for event in events] == [
        f"client.{dupe.pk}",
        f"client.{acme.pk}",
        "list.clients",
    ]
    assert {event.kind for event in events} == {"client.merged"}
    assert events[0].payload["survivor"] == acme.pk and events[0].payload["loser"] == dupe.pk
    assert events[0].payload["actor"] == member.pk
    html = events[0].html
    assert f'id="client-{dupe.pk}-redirect"' in html
    assert f'data-live-redirect="{reverse("records:client_detail", args=[acme.pk])}"' in html
    assert "was merged into <strong>Acme GmbH</strong>" in html
    assert f'id="field-client-{acme.pk}-industry-value"' in html and "Robotics" in html
    assert f"#timeline-{acme.pk}-entries" in html  # the merge entry, on the survivor's timeline


def test_refuses_merging_a_client_with_itself(member, acme):
    with pytest.raises(ValidationError, match="cannot be merged with itself"):
        services.merge_clients(actor=member, survivor=acme, loser=acme)


def test_refuses_an_already_merged_client(member, acme, dupe, defaults):
    third = services.create_client(actor=member, name="Acme AG")
    services.merge_clients(actor=member, survivor=acme, loser=dupe)
    with pytest.raises(ValidationError, match=r"ACME Inc\. was already merged"):
        services.merge_clients(actor=member, survivor=third, loser=dupe)
    with pytest.raises(ValidationError, match="already merged"):
        services.merge_clients(actor=member, survivor=dupe, loser=third)


def test_refuses_without_rights_on_both(member, support_member, acme, dupe, defaults):
    with pytest.raises(PermissionDenied):
        services.merge_clients(actor=support_member, survivor=acme, loser=dupe)
    theirs = services.create_client(actor=support_member, name="Acme Support Copy")
    with pytest.raises(PermissionDenied, match="Acme Support Copy"):
        services.merge_clients(actor=member, survivor=acme, loser=theirs)
    assert not Client.objects.filter(merged_into__isnull=False).exists()


@pytest.mark.parametrize(
    ("choices", "message"),
    [({"password": "loser"}, "cannot be merged: password"), ({"name": "both"}, "Pick which")],
)
def test_bad_choices_write_nothing(member, acme, dupe, choices, message):
    with pytest.raises(ValidationError, match=message):
        services.merge_clients(actor=member, survivor=acme, loser=dupe, choices=choices)
    assert dupe.contacts.count() == 1 and not TimelineEntry.objects.filter(kind="merge").exists()


def test_a_failure_half_way_rolls_everything_back(member, acme, dupe):
    with (
        mock.patch("records.services.merge._merge_entries", side_effect=RuntimeError("boom")),
        capture_events(0),
        pytest.raises(RuntimeError),
    ):
        services.merge_clients(
            actor=member, survivor=acme, loser=dupe, choices={"industry": "loser"}
        )
    acme.refresh_from_db()
    dupe.refresh_from_db()
    assert acme.industry == "" and dupe.merged_into is None and not dupe.archived
    assert dupe.contacts.count() == 1 and dupe.deals.count() == 1 and dupe.tickets.count() == 1
    assert not audit(acme).filter(field="industry").exists()


# --- The page ----------------------------------------------------------------------------


@pytest.fixture
def signed_in(client, member):
    client.force_login(member)
    return client


def test_pick_page_lists_likely_duplicates_and_searches(signed_in, acme, dupe):
    response = signed_in.get(merge_url(acme))
    assert response.status_code == 200
    assert "ACME Inc." in response.text and "similar name" in response.text
    assert f'href="{merge_url(acme, dupe)}"' in response.text
    found = signed_in.get(
        merge_url(acme),
        {"q": "acme-inc"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="merge-search-results",
    )
    assert "<html" not in found.text and "ACME Inc." in found.text
    assert "Acme GmbH" not in found.text  # not itself


def test_compare_page_shows_both_sides_and_what_moves(signed_in, acme, dupe):
    response = signed_in.get(merge_url(acme, dupe))
    html = response.text
    assert response.status_code == 200
    assert 'name="industry" value="loser"' in html and 'name="domain" value="survivor"' in html
    assert 'name="lifecycle"' not in html  # the same in both: nothing to choose
    assert "Robotics" in html and "acme-inc.example" in html
    moved = response.context["moved"]
    assert (moved["contacts"], moved["deals"], moved["tickets"], moved["comments"]) == (1, 1, 1, 1)


def test_merge_from_the_page(signed_in, acme, dupe):
    response = signed_in.post(
        merge_url(acme, dupe), {"industry": "loser", "domain": "survivor", "name": "survivor"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("records:client_detail", args=[acme.pk])
    acme.refresh_from_db()
    assert acme.industry == "Robotics" and acme.contacts.filter(name="Max Dupe").exists()


@pytest.mark.parametrize("case", ["self", "merged"])
def test_refusals_are_readable(signed_in, member, acme, dupe, case):
    if case == "merged":
        services.merge_clients(actor=member, survivor=acme, loser=dupe)
        other, message = dupe, "ACME Inc. was already merged into another client."
    else:
        other, message = acme, "A client cannot be merged with itself."
    response = signed_in.get(merge_url(acme, other))
    assert response.status_code == 409
    assert message in response.text
    assert signed_in.post(merge_url(acme, other), {}).status_code == 409


def test_others_cannot_merge(client, support_member, acme, dupe):
    client.force_login(support_member)
    assert client.get(merge_url(acme, dupe)).status_code == 403
    assert client.post(merge_url(acme, dupe), {"industry": "loser"}).status_code == 403
    assert dupe.contacts.count() == 1


def test_no_rights_on_the_other_client_is_explained(signed_in, support_member, acme, defaults):
    theirs = services.create_client(actor=support_member, name="Acme Support Copy")
    response = signed_in.get(merge_url(acme, theirs))
    assert response.status_code == 403
    assert "Only Acme Support Copy&#x27;s owner" in response.text


def test_missing_other_client_is_404(signed_in, acme):
    assert signed_in.get(f"{merge_url(acme)}?other=999999").status_code == 404


def test_compare_page_query_budget(signed_in, member, acme, dupe):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get(merge_url(acme, dupe)).status_code == 200
        return len(captured)

    few = queries()
    for number in range(10):
        services.create_contact(actor=member, client=dupe, name=f"Extra {number}")
        services.post_comment(actor=member, target=dupe, body=f"Note {number}")
    assert queries() == few
