"""records.models: invariants that hold whatever writes them (clean and the database)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from records import services
from records.models import (
    Client,
    Comment,
    CustomField,
    Deal,
    LossReason,
    Pipeline,
    Stage,
    Ticket,
    TicketSlaPolicy,
    normalize_tags,
    validate_phone,
)


def test_default_pipeline_loss_reasons_and_sla_are_seeded(defaults):
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(pipeline.stages.values_list("name", "probability", "is_won", "is_lost"))
    assert stages[0] == ("Qualification", 10, False, False)
    assert ("Won", 100, True, False) in stages
    assert ("Lost", 0, False, True) in stages
    assert LossReason.objects.filter(active=True).count() >= 5
    assert TicketSlaPolicy.hours_for("urgent") == 4


def test_only_one_default_pipeline(defaults):
    with pytest.raises(IntegrityError), transaction.atomic():
        Pipeline.objects.create(name="Second", is_default=True)


def test_a_stage_is_not_won_and_lost(defaults):
    pipeline = Pipeline.objects.get(is_default=True)
    stage = Stage(pipeline=pipeline, name="Odd", is_won=True, is_lost=True)
    with pytest.raises(ValidationError):
        stage.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        stage.save()


def test_won_and_lost_stages_fix_their_probability(defaults):
    pipeline = Pipeline.objects.get(is_default=True)
    stage = Stage(pipeline=pipeline, name="Closed won 2", probability=40, is_won=True)
    stage.full_clean()
    assert stage.probability == 100


def test_negative_amount_is_refused_by_the_database(deal):
    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.filter(pk=deal.pk).update(amount=Decimal("-1"))


def test_lost_deal_without_reason_is_refused_by_the_database(deal):
    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.filter(pk=deal.pk).update(status=Deal.Status.LOST)


def test_deal_stage_must_belong_to_its_pipeline(deal):
    other = Pipeline.objects.create(name="Partners")
    deal.stage = Stage.objects.create(pipeline=other, name="Intro")
    with pytest.raises(ValidationError, match="is not a stage of Sales"):
        deal.full_clean()


def test_satisfaction_only_on_solved_tickets_in_the_database(ticket):
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(satisfaction=5)


def test_satisfaction_range_in_the_database(support_member, ticket):
    services.set_ticket_status(actor=support_member, ticket=ticket, status="solved")
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(satisfaction=6)


def test_a_comment_has_exactly_one_target(member, acme, deal):
    comment = Comment(author=member, client=acme, deal=deal, body="x", body_html="x")
    with pytest.raises(ValidationError, match="exactly one"):
        comment.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        comment.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.create(author=member, body="x", body_html="x")


def test_comment_knows_its_client(member, acme, deal, ticket):
    on_deal = services.post_comment(actor=member, target=deal, body="d")
    on_ticket = services.post_comment(actor=member, target=ticket, body="t")
    assert on_deal.target == deal
    assert on_deal.target_client_id == acme.pk
    assert on_ticket.target_client_id == acme.pk


@pytest.mark.parametrize(
    "phone", ["+49 30 1234567", "(555) 010-0100", "030/123456", "+1.555.010.0100"]
)
def test_valid_phones(phone):
    validate_phone(phone)


@pytest.mark.parametrize(
    "phone", ["", "1234", "phone", "+49 30 1234567 ext. 5", "++49 30", "1" * 25, "<b>555</b>"]
)
def test_invalid_phones(phone):
    with pytest.raises(ValidationError):
        validate_phone(phone)


def test_tags_are_normalized():
    assert normalize_tags(" VIP, vip ,Berlin  Mitte,,") == ["vip", "berlin mitte"]
    assert normalize_tags(["A", "a", " b "]) == ["a", "b"]


def test_client_normalizes_before_validating(member, sales):
    client = Client(
        name="  Two   Spaces ",
        domain=" WWW.Example.COM ",
        tags="B, a, b",
        owner=member,
        department=sales,
    )
    client.full_clean()
    assert (client.name, client.domain, client.tags) == ("Two Spaces", "example.com", ["b", "a"])


def test_custom_field_definitions_are_checked(db):
    with pytest.raises(ValidationError, match="needs a list of options"):
        CustomField(key="tier", label="Tier", type="choice", choices=[]).full_clean()
    with pytest.raises(ValidationError, match="Only choice fields have options"):
        CustomField(key="size", label="Size", type="number", choices=["1"]).full_clean()


def test_custom_values_are_checked_on_full_clean(member, sales):
    CustomField.objects.create(key="employees", label="Employees", type="number")
    client = Client(name="X", owner=member, department=sales, custom_values={"employees": "a few"})
    with pytest.raises(ValidationError, match="Employees must be a number"):
        client.full_clean()
    client.custom_values = {"employees": "12.5"}
    client.full_clean()
    assert client.custom_values == {"employees": 12.5}


def test_timeline_is_newest_first(member, acme):
    services.log_activity(actor=member, client=acme, kind="note", summary="later")
    assert acme.timeline.first().summary == "later"
    assert acme.timeline.last().kind == "created"
    assert acme.timeline.first().created_at <= timezone.now()
