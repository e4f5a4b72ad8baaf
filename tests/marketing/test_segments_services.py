"""Segments' writes: who may make them, what they refuse, and freezing a snapshot."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marketing import segments
from marketing.models import Campaign, Segment, SegmentMember
from marketing.services import segments as services
from records import services as records
from tests.live_helpers import capture_events
from tests.marketing import segmenting

book, custom_fields, other = segmenting.book, segmenting.custom_fields, segmenting.other

LEADS = {"groups": [{"conditions": [{"field": "lifecycle", "op": "is", "value": "lead"}]}]}


def names(queryset) -> set[str]:
    return set(queryset.values_list("name", flat=True))


def test_a_marketer_creates_updates_and_deletes_a_segment(marketer, db):
    with capture_events() as events:
        segment = services.create_segment(
            actor=marketer, name="  Fresh   leads ", definition=LEADS, description="For Q1"
        )
    assert (segment.name, segment.kind, segment.created_by) == ("Fresh leads", "dynamic", marketer)
    assert segment.definition == {
        "match": "all",
        "groups": [
            {"match": "all", "conditions": [{"field": "lifecycle", "op": "is", "value": "lead"}]}
        ],
    }
    assert [(event.topic, event.kind) for event in events] == [(segments.TOPIC, "segment.created")]

    updated = services.update_segment(actor=marketer, segment=segment, name="Leads")
    assert (updated.name, updated.definition) == ("Leads", segment.definition)

    services.delete_segment(actor=marketer, segment=segment)
    assert not Segment.objects.exists()


def test_a_sales_member_cannot_change_segments(member, marketer, db):
    with pytest.raises(PermissionDenied):
        services.create_segment(actor=member, name="Mine", definition=LEADS)
    segment = services.create_segment(actor=marketer, name="Leads", definition=LEADS)
    for attempt in (
        lambda: services.update_segment(actor=member, segment=segment, name="Hijacked"),
        lambda: services.delete_segment(actor=member, segment=segment),
        lambda: services.freeze_segment(actor=member, segment=segment),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    segment.refresh_from_db()
    assert segment.name == "Leads"
    assert Segment.objects.count() == 1


def test_an_admin_may_change_segments(admin, db):
    assert services.create_segment(actor=admin, name="Leads", definition=LEADS).pk


def test_bad_input_is_refused_and_nothing_saved_is_lost(marketer, db):
    segment = services.create_segment(actor=marketer, name="Leads", definition=LEADS)
    with pytest.raises(ValidationError) as refused:
        services.update_segment(
            actor=marketer,
            segment=segment,
            name="Renamed",
            definition={"groups": [{"conditions": [{"field": "lifecycle", "op": "is"}]}]},
        )
    assert refused.value.message_dict == {
        "definition": ["Group 1, condition 1: “Lifecycle is” needs one of its choices."]
    }
    segment.refresh_from_db()
    assert (segment.name, segment.definition["groups"][0]["conditions"][0]["value"]) == (
        "Leads",
        "lead",
    )
    with pytest.raises(ValidationError) as refused:
        services.create_segment(actor=marketer, name="   ", definition=LEADS)
    assert refused.value.message_dict == {"name": ["Give the segment a name."]}


def test_delete_is_refused_while_a_scheduled_or_sending_campaign_uses_it(marketer, db):
    segment = services.create_segment(actor=marketer, name="Leads", definition=LEADS)
    sending = Campaign.objects.create(name="Big send", segment=segment, status="sending")
    draft = Campaign.objects.create(name="Someday", segment=segment, status="draft")
    with pytest.raises(ValidationError) as refused:
        services.delete_segment(actor=marketer, segment=segment)
    assert refused.value.messages == [
        "This segment is the audience of “Big send”, scheduled or sending; "
        "cancel or finish that first."
    ]
    assert Segment.objects.filter(pk=segment.pk).exists()

    Campaign.objects.filter(pk=sending.pk).update(status="sent")
    services.delete_segment(actor=marketer, segment=segment)
    draft.refresh_from_db()
    sending.refresh_from_db()
    assert (draft.segment, sending.segment) == (None, None)


def test_freeze_keeps_the_snapshot_after_the_data_changes(marketer, member, book):
    dynamic = services.create_segment(actor=marketer, name="Leads", definition=LEADS)
    frozen = services.freeze_segment(actor=marketer, segment=dynamic, name="Leads in March")

    assert (frozen.kind, frozen.frozen_from, frozen.name) == ("static", dynamic, "Leads in March")
    assert frozen.frozen_at is not None
    assert names(segments.clients_of(frozen)) == {"Acme"}
    assert names(segments.contacts_of(frozen)) == {"Jo", "Kim"}
    # One row per contact, and one per client (kept even without contacts).
    assert SegmentMember.objects.filter(segment=frozen).count() == 3

    gamma = book["gamma"]
    records.create_contact(actor=member, client=gamma, name="Gus")
    gamma.lifecycle = "lead"
    gamma.save()
    records.create_contact(actor=member, client=book["acme"], name="Newcomer")

    assert names(segments.clients_of(dynamic)) == {"Acme", "Gamma"}
    assert names(segments.contacts_of(dynamic)) == {"Jo", "Kim", "Newcomer", "Gus"}
    assert names(segments.clients_of(frozen)) == {"Acme"}
    assert names(segments.contacts_of(frozen)) == {"Jo", "Kim"}
    assert segments.count_of(frozen) == segments.SegmentCount(clients=1, contacts=2)

    # Archived clients leave even a static list.
    records.archive_client(actor=member, client=book["acme"])
    assert segments.count_of(frozen) == segments.SegmentCount(clients=0, contacts=0)


def test_a_frozen_list_keeps_its_members_and_takes_only_a_new_name(marketer, book):
    dynamic = services.create_segment(actor=marketer, name="Leads", definition=LEADS)
    frozen = services.freeze_segment(actor=marketer, segment=dynamic)
    assert frozen.name.startswith("Leads (")
    with pytest.raises(ValidationError):
        services.update_segment(actor=marketer, segment=frozen, definition={})
    renamed = services.update_segment(actor=marketer, segment=frozen, name="Snapshot")
    assert renamed.name == "Snapshot"
    refrozen = services.freeze_segment(actor=marketer, segment=frozen, name="Copy")
    assert refrozen.frozen_from == dynamic
    assert names(segments.contacts_of(refrozen)) == {"Jo", "Kim"}


def test_count_of_dynamic_static_and_everyone(marketer, book, django_assert_max_num_queries):
    dynamic = services.create_segment(actor=marketer, name="Leads", definition=LEADS)
    frozen = services.freeze_segment(actor=marketer, segment=dynamic)
    everyone = services.create_segment(actor=marketer, name="All", definition={})
    # The catalog, one per list (and on PostgreSQL a savepoint, SET jit, its release).
    with django_assert_max_num_queries(6):
        assert segments.count_of(dynamic) == segments.SegmentCount(1, 2)
    assert segments.count_of(frozen) == segments.SegmentCount(1, 2)
    assert segments.count_of(everyone) == segments.SegmentCount(3, 3)
