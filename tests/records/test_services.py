"""records.services: every write checks, validates, records history and publishes once."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction

from accounts.models import Notification
from records import services
from records.models import (
    COMMENT_MAX_LENGTH,
    Client,
    Comment,
    Contact,
    CustomField,
    Deal,
    FieldChange,
    Stage,
    Ticket,
    TicketSlaPolicy,
    TimelineEntry,
)
from records.services import FieldConflict
from tests.factories import UserFactory
from tests.live_helpers import capture_events


def text(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def topics(events) -> list[str]:
    return [event.topic for event in events]


# --- create_client -------------------------------------------------------------


def test_create_client_records_timeline_and_publishes(member, sales):
    with capture_events(2) as events:
        client = services.create_client(
            actor=member,
            name="  Umbrella   Corp ",
            domain="WWW.Umbrella.example",
            tags=["VIP", "vip", " Berlin "],
            phone="+49 30 1234567",
        )
    assert client.name == "Umbrella Corp"
    assert client.domain == "umbrella.example"
    assert client.tags == ["vip", "berlin"]
    assert client.owner == member
    assert client.department == sales
    assert client.created_by == member
    entry = TimelineEntry.objects.get(client=client)
    assert entry.kind == TimelineEntry.Kind.CREATED
    assert entry.actor == member
    assert topics(events) == [f"client.{client.pk}", "list.clients"]
    assert events[0].kind == "client.created"
    assert events[0].payload["timeline"] == entry.pk


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"phone": "call me maybe"}, "is not a phone number"),
        ({"phone": "12"}, "is not a phone number"),
        ({"domain": "https://acme.example/path"}, "Enter a domain"),
        ({"lifecycle": "zombie"}, "is not a valid choice"),
        ({"tags": ["x" * 41]}, "A tag is 1 to 40 characters long"),
    ],
)
def test_create_client_refuses_bad_input_and_writes_nothing(member, fields, message):
    with capture_events(0), pytest.raises(ValidationError) as excinfo:
        services.create_client(actor=member, name="Bad Input Ltd", **fields)
    assert message in text(excinfo)
    assert not Client.objects.exists()
    assert not TimelineEntry.objects.exists()


def test_create_client_requires_a_name(member):
    with pytest.raises(ValidationError, match="cannot be blank"):
        services.create_client(actor=member, name="   ")


def test_clearing_fields_through_update_field(member, acme):
    services.update_field(actor=member, obj=acme, field="industry", value="Tea", seen_value="")
    client = services.update_field(
        actor=member, obj=acme, field="industry", value=None, seen_value="Tea"
    )
    assert client.industry == ""
    with pytest.raises(ValidationError, match="Name cannot be empty"):
        services.update_field(
            actor=member, obj=acme, field="name", value=None, seen_value="Acme GmbH"
        )
    with pytest.raises(ValidationError, match="cannot be blank"):
        services.update_field(
            actor=member, obj=acme, field="name", value=" ", seen_value="Acme GmbH"
        )


def test_member_cannot_give_a_new_client_to_someone_else(member, sales_manager):
    with pytest.raises(PermissionDenied):
        services.create_client(actor=member, name="Gift", owner=sales_manager)
    client = services.create_client(actor=sales_manager, name="Gift", owner=member)
    assert client.owner == member


def test_member_cannot_add_clients_to_another_department(member, support):
    with pytest.raises(PermissionDenied):
        services.create_client(actor=member, name="Elsewhere", department=support)


def test_create_client_refuses_unknown_fields(member):
    with pytest.raises(ValidationError, match="Unknown client fields: archived"):
        services.create_client(actor=member, name="X", archived=True)


# --- custom fields -------------------------------------------------------------


@pytest.fixture
def custom_fields(db):
    return {
        "employees": CustomField.objects.create(key="employees", label="Employees", type="number"),
        "renewal": CustomField.objects.create(key="renewal", label="Renewal", type="date"),
        "tier": CustomField.objects.create(
            key="tier", label="Tier", type="choice", choices=["Gold", "Silver"]
        ),
        "motto": CustomField.objects.create(key="motto", label="Motto", type="text"),
    }


def test_custom_values_are_validated_and_normalized(member, custom_fields):
    client = services.create_client(
        actor=member,
        name="Custom Co",
        custom_values={
            "employees": "250",
            "renewal": "2027-01-31",
            "tier": "Gold",
            "motto": " Hi ",
        },
    )
    client.refresh_from_db()
    assert client.custom_values == {
        "employees": 250,
        "renewal": "2027-01-31",
        "tier": "Gold",
        "motto": "Hi",
    }


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"employees": "many"}, "Employees must be a number"),
        ({"employees": True}, "Employees must be a number"),
        ({"renewal": "31/01/2027"}, "Renewal must be a date"),
        ({"renewal": "2027-02-30"}, "Renewal must be a date"),
        ({"tier": "Bronze"}, "Tier must be one of: Gold, Silver"),
        ({"nope": "x"}, "There is no custom field “nope”"),
    ],
)
def test_custom_field_type_mismatch_is_refused(member, custom_fields, values, message):
    with pytest.raises(ValidationError) as excinfo:
        services.create_client(actor=member, name="Custom Co", custom_values=values)
    assert message in text(excinfo)
    assert not Client.objects.exists()


def test_update_custom_field_conflicts_per_key(member, sales_manager, custom_fields):
    client = services.create_client(actor=member, name="Custom Co")
    client = services.update_field(
        actor=member, obj=client, field="custom.tier", value="Gold", seen_value=None
    )
    assert client.custom_values == {"tier": "Gold"}
    services.update_field(
        actor=sales_manager, obj=client, field="custom.employees", value=12, seen_value=""
    )
    with pytest.raises(FieldConflict) as excinfo:
        services.update_field(
            actor=sales_manager, obj=client, field="custom.tier", value="Silver", seen_value=None
        )
    assert excinfo.value.current == "Gold"
    assert excinfo.value.changed_by == member
    with pytest.raises(ValidationError, match="Tier must be one of"):
        services.update_field(
            actor=member, obj=client, field="custom.tier", value="Bronze", seen_value="Gold"
        )


# --- update_field --------------------------------------------------------------


def test_update_field_saves_audits_and_publishes(member, acme):
    with capture_events(2) as events:
        client = services.update_field(
            actor=member, obj=acme, field="phone", value=" +1 555 0100 ", seen_value=""
        )
    assert client.phone == "+15550100"  # stored in E.164 (issue 19)
    acme.refresh_from_db()
    assert acme.phone == "+15550100"
    change = FieldChange.objects.get(field="phone")
    assert (change.actor, change.object_id, change.old, change.new) == (
        member,
        acme.pk,
        "",
        "+15550100",
    )
    entry = TimelineEntry.objects.get(kind=TimelineEntry.Kind.FIELD)
    assert "changed Phone from empty to “+15550100”" in entry.summary
    event = events[0]
    assert (event.topic, event.kind) == (f"client.{acme.pk}", "client.updated")
    assert topics(events) == [f"client.{acme.pk}", "list.clients"]
    assert event.payload["field"] == "phone"
    assert event.payload["value"] == "+15550100"
    assert event.payload["change"] == change.pk


def test_update_field_conflict_names_the_other_person_and_their_value(member, sales_manager, acme):
    services.update_field(
        actor=sales_manager, obj=acme, field="industry", value="Robotics", seen_value=""
    )
    with capture_events(0), pytest.raises(FieldConflict) as excinfo:
        services.update_field(
            actor=member, obj=acme, field="industry", value="Logistics", seen_value=""
        )
    conflict = excinfo.value
    assert isinstance(conflict, ValidationError)
    assert conflict.field == "industry"
    assert conflict.current == "Robotics"
    assert conflict.changed_by == sales_manager
    assert conflict.changed_at is not None
    assert sales_manager.full_name in conflict.messages[0]
    assert "“Robotics”" in conflict.messages[0]
    acme.refresh_from_db()
    assert acme.industry == "Robotics"
    assert FieldChange.objects.filter(field="industry").count() == 1
    # Re-applying from the value now shown succeeds.
    services.update_field(
        actor=member, obj=acme, field="industry", value="Logistics", seen_value="Robotics"
    )
    acme.refresh_from_db()
    assert acme.industry == "Logistics"


def test_different_fields_never_conflict(member, sales_manager, acme):
    services.update_field(
        actor=sales_manager, obj=acme, field="industry", value="Robotics", seen_value=""
    )
    # member's stale copy of acme still says industry "" — editing another field is fine.
    services.update_field(actor=member, obj=acme, field="address", value="Main St 1", seen_value="")
    acme.refresh_from_db()
    assert (acme.industry, acme.address) == ("Robotics", "Main St 1")


def test_same_value_is_a_no_op(member, acme):
    with capture_events(0):
        services.update_field(
            actor=member, obj=acme, field="name", value="Acme GmbH", seen_value="Acme GmbH"
        )
        # Someone already set what I wanted: no conflict, nothing written.
        services.update_field(
            actor=member, obj=acme, field="name", value="Acme GmbH", seen_value="Old name"
        )
    assert not FieldChange.objects.exists()


def test_update_field_refuses_fields_with_their_own_service(member, acme, deal, ticket):
    for obj, field in [(acme, "archived"), (deal, "stage"), (ticket, "status"), (acme, "pk")]:
        with pytest.raises(ValidationError, match="cannot be edited here"):
            services.update_field(actor=member, obj=obj, field=field, value=1, seen_value=0)


def test_update_field_on_a_deleted_record_is_a_readable_error(member, acme):
    Client.objects.filter(pk=acme.pk).delete()
    with pytest.raises(ValidationError, match="was deleted by someone else"):
        services.update_field(
            actor=member, obj=acme, field="name", value="X", seen_value="Acme GmbH"
        )


def test_owner_change_needs_ownership_rights(member, sales_manager, acme, sales):
    colleague = UserFactory(departments=[sales])
    with pytest.raises(PermissionDenied):
        services.update_field(
            actor=colleague, obj=acme, field="owner", value=colleague.pk, seen_value=member.pk
        )
    # The colleague may edit general fields of a client of their department.
    services.update_field(actor=colleague, obj=acme, field="industry", value="Food", seen_value="")
    client = services.update_field(
        actor=sales_manager, obj=acme, field="owner", value=colleague, seen_value=member
    )
    assert client.owner_id == colleague.pk
    change = FieldChange.objects.get(field="owner")
    assert change.old_display == member.full_name
    assert change.new_display == colleague.full_name


def test_owner_must_be_an_active_person(sales_manager, acme, sales):
    gone = UserFactory(departments=[sales], is_active=False)
    with pytest.raises(ValidationError, match="active member of staff"):
        services.update_field(
            actor=sales_manager, obj=acme, field="owner", value=gone.pk, seen_value=acme.owner_id
        )
    with pytest.raises(ValidationError):
        services.update_field(
            actor=sales_manager, obj=acme, field="owner", value=999999, seen_value=acme.owner_id
        )


def test_update_contact_field_publishes_on_the_client_topic(member, acme, contact):
    with capture_events(2) as events:
        services.update_field(
            actor=member,
            obj=contact,
            field="emails",
            value="jo@acme.example, JO2@acme.example",
            seen_value=["jo@acme.example"],
        )
    contact.refresh_from_db()
    assert contact.emails == ["jo@acme.example", "jo2@acme.example"]
    assert (events[0].topic, events[0].kind) == (f"client.{acme.pk}", "contact.updated")


def test_invalid_contact_email_or_phone_is_refused(member, acme, contact):
    with pytest.raises(ValidationError, match="is not an email address"):
        services.update_field(
            actor=member, obj=contact, field="emails", value=["nope"], seen_value=contact.emails
        )
    with pytest.raises(ValidationError, match="is not a phone number"):
        services.update_field(
            actor=member, obj=contact, field="phones", value=["abc"], seen_value=[]
        )


# --- contacts ------------------------------------------------------------------


def test_create_contact(member, acme):
    with capture_events(2) as events:
        contact = services.create_contact(
            actor=member,
            client=acme,
            name="Kim  Lee",
            emails=["Kim@Acme.example"],
            phones=["+44 20 7946 0000"],
        )
    assert contact.name == "Kim Lee"
    assert contact.emails == ["kim@acme.example"]
    assert TimelineEntry.objects.filter(client=acme, kind="contact").count() == 1
    assert (events[0].topic, events[0].kind) == (f"client.{acme.pk}", "contact.created")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"emails": ["not-an-email"]}, "“not-an-email” is not an email address"),
        ({"phones": ["phone me"]}, "is not a phone number"),
        ({"preferred_channel": "pigeon"}, "is not a valid choice"),
    ],
)
def test_create_contact_refuses_bad_input(member, acme, fields, message):
    with capture_events(0), pytest.raises(ValidationError) as excinfo:
        services.create_contact(actor=member, client=acme, name="Kim", **fields)
    assert message in text(excinfo)
    assert not Contact.objects.exists()


def test_create_contact_needs_edit_rights(support_member, acme):
    with pytest.raises(PermissionDenied):
        services.create_contact(actor=support_member, client=acme, name="Kim")


# --- archive_client ------------------------------------------------------------


def test_archive_and_restore(member, acme):
    with capture_events(2) as events:
        services.archive_client(actor=member, client=acme)
    acme.refresh_from_db()
    assert acme.archived
    assert events[0].kind == "client.archived"
    with capture_events(0):
        services.archive_client(actor=member, client=acme)  # already archived: no-op
    with capture_events(2) as events:
        services.archive_client(actor=member, client=acme, archived=False)
    assert events[0].kind == "client.restored"
    assert FieldChange.objects.filter(field="archived").count() == 2


def test_archive_needs_ownership(acme, sales):
    colleague = UserFactory(departments=[sales])
    with pytest.raises(PermissionDenied):
        services.archive_client(actor=colleague, client=acme)


# --- deals ---------------------------------------------------------------------


def test_create_deal_starts_in_the_first_open_stage(member, acme, pipeline, stages):
    with capture_events(4) as events:
        deal = services.create_deal(
            actor=member, client=acme, title="Big one", amount="1234.50", currency="usd"
        )
    assert deal.stage == stages["Qualification"]
    assert deal.pipeline == pipeline
    assert deal.amount == Decimal("1234.50")
    assert deal.currency == "USD"
    assert deal.status == Deal.Status.OPEN
    assert set(topics(events)) == {
        f"deal.{deal.pk}",
        f"pipeline.{pipeline.pk}",
        f"client.{acme.pk}",
        "list.deals",
    }
    assert {event.kind for event in events} == {"deal.created"}
    assert TimelineEntry.objects.filter(deal=deal, kind="deal").exists()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("-1"), "An amount cannot be negative."),
        ("-0.01", "An amount cannot be negative."),
        ("lots", "must be a decimal number"),
        ("1e400", "Ensure that there are no more than"),
        ("NaN", "must be a decimal number"),
        ("-Infinity", "must be a decimal number"),
        (None, "Amount cannot be empty."),
    ],
)
def test_create_deal_refuses_bad_amounts(member, acme, amount, message):
    with capture_events(0), pytest.raises(ValidationError) as excinfo:
        services.create_deal(actor=member, client=acme, title="Bad", amount=amount)
    assert message in text(excinfo)
    assert not Deal.objects.exists()


def test_create_deal_refuses_bad_currency_and_closed_or_unknown_stage(member, acme, stages):
    with pytest.raises(ValidationError, match="three-letter ISO code"):
        services.create_deal(actor=member, client=acme, title="X", currency="EURO")
    with pytest.raises(ValidationError, match="open stage"):
        services.create_deal(actor=member, client=acme, title="X", stage=stages["Won"])
    with pytest.raises(ValidationError, match="does not exist in the Sales pipeline"):
        services.create_deal(actor=member, client=acme, title="X", stage=999999)
    assert not Deal.objects.exists()


def test_update_deal_amount_conflict_and_rights(member, sales_manager, deal, sales):
    colleague = UserFactory(departments=[sales])
    with pytest.raises(PermissionDenied):
        services.update_field(
            actor=colleague, obj=deal, field="amount", value="5", seen_value="1000"
        )
    with capture_events(4) as events:
        services.update_field(
            actor=sales_manager, obj=deal, field="amount", value="2500", seen_value="1000.00"
        )
    assert {event.kind for event in events} == {"deal.updated"}
    with pytest.raises(FieldConflict) as excinfo:
        services.update_field(
            actor=member, obj=deal, field="amount", value="1500", seen_value="1000"
        )
    assert excinfo.value.current == "2500.00"
    assert excinfo.value.current_display == "2500.00"
    with pytest.raises(ValidationError, match="must be a decimal number"):
        services.update_field(actor=member, obj=deal, field="amount", value="x", seen_value="2500")
    with pytest.raises(ValidationError, match="cannot be negative"):
        services.update_field(actor=member, obj=deal, field="amount", value="-3", seen_value="2500")
    # The colleague may still rename it (general field).
    services.update_field(
        actor=colleague, obj=deal, field="title", value="Renamed", seen_value="Rollout"
    )


def test_move_deal_between_stages(member, deal, stages, pipeline):
    with capture_events(4) as events:
        moved = services.move_deal(actor=member, deal=deal, stage=stages["Proposal"].pk)
    assert moved.stage == stages["Proposal"]
    assert moved.status == Deal.Status.OPEN
    assert moved.closed_at is None
    assert {event.kind for event in events} == {"deal.moved"}
    assert events[0].payload["from_stage"] == stages["Qualification"].pk
    change = FieldChange.objects.get(field="stage")
    assert (change.old_display, change.new_display) == ("Qualification", "Proposal")
    entry = TimelineEntry.objects.filter(deal=deal).first()
    assert "from Qualification to Proposal" in entry.summary


def test_move_deal_to_an_unknown_or_foreign_stage_is_refused(member, deal):
    from records.models import Pipeline

    other = Pipeline.objects.create(name="Renewals")
    foreign = Stage.objects.create(pipeline=other, name="Due", order=0)
    for stage in (999999, "nonsense", foreign):
        with capture_events(0), pytest.raises(ValidationError, match="does not exist"):
            services.move_deal(actor=member, deal=deal, stage=stage)
    deal.refresh_from_db()
    assert deal.stage.name == "Qualification"


def test_move_a_deal_someone_just_deleted(member, deal, stages):
    Deal.objects.filter(pk=deal.pk).delete()
    with pytest.raises(ValidationError, match="deal was deleted by someone else"):
        services.move_deal(actor=member, deal=deal, stage=stages["Proposal"])


def test_losing_a_deal_requires_a_reason(member, deal, stages, price):
    with capture_events(0), pytest.raises(ValidationError, match="Say why the deal was lost"):
        services.move_deal(actor=member, deal=deal, stage=stages["Lost"])
    with pytest.raises(ValidationError, match="Say why the deal was lost"):
        services.lose_deal(actor=member, deal=deal, loss_reason=None)
    with pytest.raises(ValidationError, match="Pick one of the listed loss reasons"):
        services.lose_deal(actor=member, deal=deal, loss_reason=999999)
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN
    with capture_events(4) as events:
        lost = services.lose_deal(
            actor=member, deal=deal, loss_reason=price, loss_note="  Too dear  "
        )
    assert lost.status == Deal.Status.LOST
    assert lost.loss_reason == price
    assert lost.loss_note == "Too dear"
    assert lost.closed_at is not None
    assert {event.kind for event in events} == {"deal.lost"}
    assert "lost deal Rollout: Price" in TimelineEntry.objects.filter(deal=deal).first().summary


def test_win_then_reopen_a_deal(member, deal, stages):
    with capture_events(5) as events:  # 4 deal topics + the line in the client's chat room
        won = services.win_deal(actor=member, deal=deal)
    assert won.status == Deal.Status.WON
    assert won.closed_at is not None
    assert {event.kind for event in events[:4]} == {"deal.won"}
    assert events[4].kind == "chat.message.posted"
    reopened = services.move_deal(actor=member, deal=deal, stage=stages["Negotiation"])
    assert reopened.status == Deal.Status.OPEN
    assert reopened.closed_at is None
    assert reopened.loss_reason is None


def test_move_within_a_stage_changes_position_only(member, deal, stages):
    with capture_events(4) as events:
        moved = services.move_deal(actor=member, deal=deal, stage=deal.stage, position=7)
    assert moved.position == 7
    assert events[0].payload["position"] == 7
    assert not FieldChange.objects.filter(field="stage").exists()
    with capture_events(0):
        services.move_deal(actor=member, deal=deal, stage=deal.stage, position=7)


def test_moving_needs_rights(support_member, deal, stages):
    with pytest.raises(PermissionDenied):
        services.move_deal(actor=support_member, deal=deal, stage=stages["Proposal"])


# --- tickets -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "hours"), [("urgent", 4), ("high", 8), ("normal", 24), ("low", 72)]
)
def test_ticket_sla_is_computed_from_priority(support_member, acme, priority, hours):
    ticket = services.create_ticket(
        actor=support_member, client=acme, subject="Help", priority=priority
    )
    assert ticket.sla_due - ticket.created_at == timedelta(hours=hours)


def test_sla_hours_are_admin_set(support_member, acme):
    TicketSlaPolicy.objects.filter(priority="high").update(hours=2)
    ticket = services.create_ticket(actor=support_member, client=acme, subject="X", priority="high")
    assert ticket.sla_due - ticket.created_at == timedelta(hours=2)
    TicketSlaPolicy.objects.filter(priority="high").delete()  # falls back to the default
    assert TicketSlaPolicy.hours_for("high") == 8


def test_changing_priority_recomputes_the_sla(support_member, ticket):
    updated = services.update_field(
        actor=support_member, obj=ticket, field="priority", value="urgent", seen_value="normal"
    )
    assert updated.sla_due - updated.created_at == timedelta(hours=4)


def test_create_ticket_publishes_and_logs(support_member, acme, contact):
    with capture_events(3) as events:
        ticket = services.create_ticket(
            actor=support_member, client=acme, subject=" Broken ", contact=contact, channel="chat"
        )
    assert ticket.subject == "Broken"
    assert ticket.status == Ticket.Status.NEW
    assert set(topics(events)) == {f"ticket.{ticket.pk}", "list.tickets", f"client.{acme.pk}"}
    assert {event.kind for event in events} == {"ticket.created"}
    assert TimelineEntry.objects.filter(ticket=ticket, kind="ticket").exists()


def test_create_ticket_refuses_bad_input(support_member, acme, member):
    other = services.create_client(actor=member, name="Other")
    stranger = services.create_contact(actor=member, client=other, name="Stranger")
    with pytest.raises(ValidationError, match="is not a contact of Acme"):
        services.create_ticket(actor=support_member, client=acme, subject="X", contact=stranger)
    with pytest.raises(ValidationError, match="is not a priority"):
        services.create_ticket(actor=support_member, client=acme, subject="X", priority="asap")
    with pytest.raises(ValidationError, match="is not a valid choice"):
        services.create_ticket(actor=support_member, client=acme, subject="X", channel="fax")
    assert not Ticket.objects.exists()


def test_ticket_status_timestamps(support_member, ticket):
    with capture_events(3) as events:
        ticket = services.set_ticket_status(actor=support_member, ticket=ticket, status="open")
    assert {event.kind for event in events} == {"ticket.status"}
    first_response = ticket.first_response_at
    assert first_response is not None
    assert ticket.resolved_at is None
    ticket = services.set_ticket_status(actor=support_member, ticket=ticket, status="pending")
    assert ticket.first_response_at == first_response
    ticket = services.set_ticket_status(actor=support_member, ticket=ticket, status="solved")
    solved_at = ticket.resolved_at
    assert solved_at is not None
    ticket = services.set_ticket_status(actor=support_member, ticket=ticket, status="closed")
    assert ticket.resolved_at == solved_at
    ticket = services.set_ticket_status(actor=support_member, ticket=ticket, status="open")
    assert ticket.resolved_at is None
    assert FieldChange.objects.filter(field="status").count() == 5


def test_ticket_status_refuses_unknown_status_and_outsiders(support_member, member, ticket):
    with pytest.raises(ValidationError, match="is not a ticket status"):
        services.set_ticket_status(actor=support_member, ticket=ticket, status="done")
    with pytest.raises(PermissionDenied):
        services.set_ticket_status(actor=member, ticket=ticket, status="open")


def test_rating_only_when_solved(support_member, ticket):
    with pytest.raises(ValidationError, match="rated once it is solved"):
        services.rate_ticket(actor=support_member, ticket=ticket, satisfaction=5)
    services.set_ticket_status(actor=support_member, ticket=ticket, status="solved")
    for bad in (0, 6, "great", None, True):
        with pytest.raises(ValidationError, match="whole number from 1 to 5"):
            services.rate_ticket(actor=support_member, ticket=ticket, satisfaction=bad)
    with capture_events(3) as events:
        ticket = services.rate_ticket(actor=support_member, ticket=ticket, satisfaction="4")
    assert ticket.satisfaction == 4
    assert {event.kind for event in events} == {"ticket.rated"}
    ticket = services.set_ticket_status(actor=support_member, ticket=ticket, status="open")
    assert ticket.satisfaction is None  # reopening clears the rating


def test_assignee_may_edit_their_ticket(member, support_member, acme):
    ticket = services.create_ticket(actor=member, client=acme, subject="X", assignee=member)
    services.set_ticket_status(actor=member, ticket=ticket, status="open")


# --- comments ------------------------------------------------------------------


def test_post_comment_renders_sanitized_markdown_and_publishes(member, acme):
    with capture_events(1) as events:
        comment = services.post_comment(
            actor=member, target=acme, body="**Hi** <script>alert(1)</script>"
        )
    assert comment.body_html == "<p><strong>Hi</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    assert comment.client == acme
    assert (events[0].topic, events[0].kind) == (f"client.{acme.pk}", "comment.posted")
    entry = TimelineEntry.objects.get(kind="comment")
    assert entry.comment == comment


def test_comment_on_a_deal_reaches_the_deal_and_its_client(member, acme, deal):
    with capture_events(2) as events:
        comment = services.post_comment(actor=member, target=deal, body="Nice")
    assert set(topics(events)) == {f"deal.{deal.pk}", f"client.{acme.pk}"}
    entry = TimelineEntry.objects.get(kind="comment")
    assert (entry.client, entry.deal, entry.comment) == (acme, deal, comment)


def test_comment_on_a_ticket_and_a_reply(member, support_member, acme, ticket):
    parent = services.post_comment(actor=member, target=ticket, body="Any news?")
    with capture_events(2) as events:
        reply = services.post_comment(
            actor=support_member, target=ticket, body="Working on it", parent=parent
        )
    assert reply.parent == parent
    assert set(topics(events)) == {f"ticket.{ticket.pk}", f"client.{acme.pk}"}
    assert events[0].payload["parent"] == parent.pk


def test_reply_must_be_on_the_same_record(member, acme, deal):
    parent = services.post_comment(actor=member, target=acme, body="On the client")
    with pytest.raises(ValidationError, match="same record"):
        services.post_comment(actor=member, target=deal, body="On the deal", parent=parent)


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_empty_comment_is_refused(member, acme, body):
    with pytest.raises(ValidationError, match="Write something first"):
        services.post_comment(actor=member, target=acme, body=body)


def test_oversized_comment_is_refused(member, acme):
    with capture_events(0), pytest.raises(ValidationError) as excinfo:
        services.post_comment(actor=member, target=acme, body="x" * (COMMENT_MAX_LENGTH + 1))
    assert "limited to 10,000 characters; this one has 10,001" in text(excinfo)
    assert not Comment.objects.exists()
    services.post_comment(actor=member, target=acme, body="x" * COMMENT_MAX_LENGTH)


def test_mentions_notify_people_live(member, acme, sales):
    ana = UserFactory(full_name="Ana Lopez", email="ana.lopez@example.com", departments=[sales])
    bo = UserFactory(full_name="Bo Chen", email="bchen@example.com", departments=[sales])
    UserFactory(full_name="Ana", email="ana@example.com", is_active=False)
    with capture_events(3) as events:
        comment = services.post_comment(
            actor=member, target=acme, body="@Ana Lopez and @bchen, see this. @nobody @"
        )
    assert set(comment.mentions.all()) == {ana, bo}
    assert set(topics(events)) == {f"client.{acme.pk}", f"user.{ana.pk}", f"user.{bo.pk}"}
    notification = Notification.objects.get(recipient=ana)
    assert notification.kind == "mention"
    assert notification.link == f"/clients/{acme.pk}/#comment-{comment.pk}"


def test_mentioning_yourself_notifies_nobody(member, acme):
    with capture_events(1):
        services.post_comment(actor=member, target=acme, body=f"note to @{member.full_name}")


def test_longest_name_wins(sales):
    ana = UserFactory(full_name="Ana", email="a1@example.com", departments=[sales])
    ana_lopez = UserFactory(full_name="Ana Lopez", email="a2@example.com", departments=[sales])
    assert services.resolve_mentions("hi @Ana Lopez!") == [ana_lopez]
    assert services.resolve_mentions("hi @Ana, hello") == [ana]


def test_edit_comment_marks_edited_and_notifies_new_mentions_only(member, acme, sales):
    ana = UserFactory(full_name="Ana Lopez", departments=[sales])
    bo = UserFactory(full_name="Bo Chen", departments=[sales])
    comment = services.post_comment(actor=member, target=acme, body="cc @Ana Lopez")
    with capture_events(2) as events:
        edited = services.edit_comment(
            actor=member, comment=comment, body="cc @Ana Lopez @Bo Chen _now_"
        )
    assert edited.edited_at is not None
    assert edited.body_html == "<p>cc @Ana Lopez @Bo Chen <em>now</em></p>"
    assert set(topics(events)) == {f"client.{acme.pk}", f"user.{bo.pk}"}
    assert events[0].kind == "comment.edited"
    assert Notification.objects.filter(recipient=ana).count() == 1
    audit = FieldChange.objects.get(field="body")
    assert (audit.old, audit.new) == ("cc @Ana Lopez", "cc @Ana Lopez @Bo Chen _now_")


def test_only_the_author_edits(member, sales_manager, admin, acme):
    comment = services.post_comment(actor=member, target=acme, body="mine")
    for other in (sales_manager, admin):
        with pytest.raises(PermissionDenied):
            services.edit_comment(actor=other, comment=comment, body="theirs")


def test_delete_comment_by_author_or_admin(member, sales_manager, admin, acme):
    comment = services.post_comment(actor=member, target=acme, body="mine")
    with pytest.raises(PermissionDenied):
        services.delete_comment(actor=sales_manager, comment=comment)
    with capture_events(1) as events:
        deleted = services.delete_comment(actor=admin, comment=comment)
    assert deleted.deleted_at is not None
    assert events[0].kind == "comment.deleted"
    assert Comment.objects.filter(pk=comment.pk).exists()  # soft delete: history kept
    with capture_events(0):
        services.delete_comment(actor=member, comment=comment)
    with pytest.raises(PermissionDenied):
        services.edit_comment(actor=member, comment=comment, body="back")
    with pytest.raises(ValidationError, match="was deleted"):
        services.post_comment(actor=member, target=acme, body="reply", parent=comment)


def test_author_deletes_own_comment(member, acme):
    comment = services.post_comment(actor=member, target=acme, body="mine")
    assert services.delete_comment(actor=member, comment=comment).is_deleted


# --- activities ----------------------------------------------------------------


def test_log_activity(member, acme):
    with capture_events(1) as events:
        entry = services.log_activity(
            actor=member, client=acme, kind="call", summary="Called Jo", body="Wants a *demo*"
        )
    assert entry.kind == TimelineEntry.Kind.CALL
    assert entry.body_html == "<p>Wants a <em>demo</em></p>"
    assert (events[0].topic, events[0].kind) == (f"client.{acme.pk}", "activity.logged")


@pytest.mark.parametrize(
    ("kind", "summary", "message"),
    [
        ("field", "x", "Log a call, a meeting, an email or a note"),
        ("call", "  ", "Say in a line what happened"),
        ("note", "x" * 301, "under 300 characters"),
    ],
)
def test_log_activity_refuses_bad_input(member, acme, kind, summary, message):
    with capture_events(0), pytest.raises(ValidationError, match=message):
        services.log_activity(actor=member, client=acme, kind=kind, summary=summary)


# --- the timeline as a whole ---------------------------------------------------


def test_the_timeline_tells_the_story_newest_first(member, support_member, acme, stages):
    deal = services.create_deal(actor=member, client=acme, title="D")
    services.move_deal(actor=member, deal=deal, stage=stages["Proposal"])
    ticket = services.create_ticket(actor=support_member, client=acme, subject="T")
    services.post_comment(actor=member, target=ticket, body="hello")
    services.log_activity(actor=member, client=acme, kind="meeting", summary="Met")
    kinds = list(acme.timeline.values_list("kind", flat=True))
    assert kinds == ["meeting", "comment", "ticket", "deal", "deal", "created"]


def test_inactive_people_cannot_write(member, acme):
    member.is_active = False
    member.save()
    with pytest.raises(PermissionDenied):
        services.post_comment(actor=member, target=acme, body="ghost")
    with pytest.raises(PermissionDenied):
        services.create_client(actor=member, name="Ghost Co")


def test_admin_can_do_ownership_changes_anywhere(admin, acme, support):
    services.update_field(
        actor=admin, obj=acme, field="department", value=support.pk, seen_value=acme.department_id
    )
    acme.refresh_from_db()
    assert acme.department == support
    change = FieldChange.objects.get(field="department")
    assert (change.old_display, change.new_display) == ("Sales", "Support")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs a server database: SQLite's in-memory test database is one connection",
)
@pytest.mark.django_db(transaction=True)
def test_two_people_saving_the_same_field_at_once_one_gets_the_conflict(member, sales_manager):
    """Both started from the same value and save at the same moment: the row lock
    makes the second wait for the first, then see its value and be refused."""
    client = services.create_client(actor=member, name="Race Ltd")
    first_saved, release = threading.Event(), threading.Event()
    outcomes = {}

    def first():
        try:
            with transaction.atomic():
                services.update_field(
                    actor=member, obj=client, field="industry", value="Tea", seen_value=""
                )
                first_saved.set()
                release.wait(timeout=10)  # hold the row lock
            outcomes["first"] = "saved"
        finally:
            first_saved.set()
            connections.close_all()

    def second():
        try:
            services.update_field(
                actor=sales_manager, obj=client, field="industry", value="Coffee", seen_value=""
            )
            outcomes["second"] = "saved"
        except FieldConflict as conflict:
            outcomes["second"] = f"conflict with {conflict.changed_by}: {conflict.current}"
        finally:
            connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    assert first_saved.wait(timeout=10)
    two = threading.Thread(target=second)
    two.start()
    two.join(timeout=0.5)
    assert two.is_alive()  # waiting for the first transaction's lock
    release.set()
    one.join(timeout=10)
    two.join(timeout=10)
    assert outcomes == {"first": "saved", "second": f"conflict with {member}: Tea"}
    client.refresh_from_db()
    assert client.industry == "Tea"
