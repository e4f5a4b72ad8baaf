"""Triggers: each one fired by the real service, its field scope, its options, its words.

A rule here is an unsaved ``Rule`` (``hears`` reads only its trigger and options), so
no automation runs; the bus events are those the services really publish.
"""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from automation import triggers
from automation.models import Rule
from integrations.telephony import incoming
from integrations.telephony import services as telephony
from marketing.services import submissions
from records import services
from records.models import CustomField, Handoff, Task, Ticket
from tests.integrations.mail.thread_helpers import add_message, make_thread
from tests.integrations.telephony.conftest import event as call_event
from tests.marketing import conftest as marketing_fixtures
from tests.marketing.forms_helpers import build_form, lead
from tests.records import conftest as records_fixtures
from workspace import live

pytestmark = pytest.mark.django_db

# The records and marketing fixtures (made through their services), used here by name.
acme, deal, defaults, pipeline = (
    records_fixtures.acme,
    records_fixtures.deal,
    records_fixtures.defaults,
    records_fixtures.pipeline,
)
price, stages, ticket = records_fixtures.price, records_fixtures.stages, records_fixtures.ticket
marketing, marketer = marketing_fixtures.marketing, marketing_fixtures.marketer


@pytest.fixture
def bus(monkeypatch):
    """Every change published meanwhile, as the bus tells its listeners: (kind, payload)."""
    told = []
    tell = live.tell_listeners

    def record(kind, payload, topics, events=()):
        told.append((kind, payload))
        tell(kind, payload, topics, events)

    monkeypatch.setattr(live, "tell_listeners", record)
    return told


RECORDS = ("client", "contact", "deal", "ticket", "task", "handoff")


def rule(trigger: str, **options) -> Rule:
    return Rule(trigger=trigger, trigger_options=options)


def heard(bus, trigger: str, **options) -> list[tuple[str, int | None]]:
    """(kind, subject id) of each published change ``trigger`` with ``options`` hears."""
    listening = rule(trigger, **options)
    return [
        (kind, triggers.subject_id(trigger, kind, payload))
        for kind, payload in bus
        if triggers.hears(listening, kind, payload)
    ]


# --- The catalog --------------------------------------------------------------------------


def test_every_trigger_is_either_timed_or_hears_the_bus_and_names_its_record():
    for key, trigger in triggers.CATALOG.items():
        assert trigger.key == key and trigger.label and trigger.group
        assert trigger.timed == (trigger.bus_kinds == ())
        assert trigger.subject_type in (
            "client",
            "contact",
            "deal",
            "ticket",
            "task",
            "handoff",
        ) or (key == "schedule" and trigger.subject_type == "")
    assert triggers.bus_kinds() == {k for t in triggers.CATALOG.values() for k in t.bus_kinds}
    timed = {key for key, trigger in triggers.CATALOG.items() if trigger.timed}
    assert timed == {
        "ticket.sla_due_soon",
        "ticket.sla_breached",
        "handoff.unanswered",
        "task.overdue",
        "schedule",
    }


def test_choices_group_the_triggers_for_the_form_in_catalog_order():
    groups = dict(triggers.choices())
    assert list(groups) == [
        "Clients",
        "Deals",
        "Tickets",
        "Tasks",
        "Handoffs",
        "Inbound",
        "Schedule",
    ]
    assert ("deal.won", "A deal is won") in groups["Deals"]


def test_an_unknown_trigger_hears_nothing_and_has_no_options():
    assert not triggers.hears(rule("deal.exploded"), "deal.updated", {"id": 1})
    assert triggers.option_fields("deal.exploded") == []


# --- Clients and contacts -----------------------------------------------------------------


def test_client_created(bus, member):
    client = services.create_client(actor=member, name="Initech")
    assert heard(bus, "client.created") == [("client.created", client.pk)]


def test_client_field_changed_is_scoped_to_the_chosen_fields(bus, member, acme):
    services.update_field(actor=member, obj=acme, field="industry", value="Retail", seen_value="")
    services.update_field(actor=member, obj=acme, field="phone", value="+4930123456", seen_value="")
    assert heard(bus, "client.field_changed", fields=["industry"]) == [("client.updated", acme.pk)]
    assert len(heard(bus, "client.field_changed")) == 2  # no fields chosen: any field


def test_client_custom_field_changed(bus, admin, acme):
    CustomField.objects.create(key="region", label="Region", type=CustomField.Type.TEXT)
    services.update_field(
        actor=admin, obj=acme, field="custom.region", value="north", seen_value=None
    )
    assert heard(bus, "client.field_changed", fields=["custom.region"]) == [
        ("client.updated", acme.pk)
    ]
    assert heard(bus, "client.field_changed", fields=["industry"]) == []


def test_contact_created(bus, member, acme):
    contact = services.create_contact(actor=member, client=acme, name="Jo")
    assert heard(bus, "contact.created") == [("contact.created", contact.pk)]


# --- Deals --------------------------------------------------------------------------------


def test_deal_created(bus, member, acme):
    made = services.create_deal(actor=member, client=acme, title="Pilot", amount=Decimal(10))
    assert heard(bus, "deal.created") == [("deal.created", made.pk)]


def test_deal_amount_changed_fires_on_amount_only(bus, member, deal):
    services.update_field(actor=member, obj=deal, field="title", value="Big", seen_value="Rollout")
    assert heard(bus, "deal.field_changed", fields=["amount"]) == []
    services.update_field(actor=member, obj=deal, field="amount", value="12000", seen_value="1000")
    assert heard(bus, "deal.field_changed", fields=["amount"]) == [("deal.updated", deal.pk)]
    assert heard(bus, "deal.field_changed", fields=["amount", "title"]) == [
        ("deal.updated", deal.pk),
        ("deal.updated", deal.pk),
    ]


def test_deal_won_lost_and_stage_changed(bus, member, deal, stages, price):
    services.move_deal(actor=member, deal=deal, stage=stages["Proposal"])
    assert heard(bus, "deal.stage_changed") == [("deal.moved", deal.pk)]
    assert heard(bus, "deal.won") == heard(bus, "deal.lost") == []
    services.win_deal(actor=member, deal=deal)
    assert heard(bus, "deal.won") == [("deal.won", deal.pk)]
    services.lose_deal(actor=member, deal=deal, loss_reason=price)
    assert heard(bus, "deal.lost") == [("deal.lost", deal.pk)]
    assert [kind for kind, _ in heard(bus, "deal.stage_changed")] == [
        "deal.moved",
        "deal.won",
        "deal.lost",
    ]


def test_a_won_deal_reordered_in_its_column_is_not_won_again(bus, member, deal, stages):
    services.win_deal(actor=member, deal=deal)
    deal.refresh_from_db()
    services.move_deal(actor=member, deal=deal, stage=stages["Won"], position=deal.position + 5)
    assert [kind for kind, _ in bus if kind == "deal.won"] == ["deal.won", "deal.won"]
    assert heard(bus, "deal.won") == [("deal.won", deal.pk)]
    assert len(heard(bus, "deal.stage_changed")) == 1


# --- Tickets ------------------------------------------------------------------------------


def test_ticket_created(bus, support_member, acme):
    opened = services.create_ticket(actor=support_member, client=acme, subject="Down")
    assert heard(bus, "ticket.created") == [("ticket.created", opened.pk)]


def test_ticket_priority_changed_ignores_other_fields(bus, support_member, ticket):
    services.update_field(
        actor=support_member,
        obj=ticket,
        field="subject",
        value="Login fails",
        seen_value=ticket.subject,
    )
    assert heard(bus, "ticket.priority_changed") == []
    services.update_field(
        actor=support_member, obj=ticket, field="priority", value="urgent", seen_value="normal"
    )
    assert heard(bus, "ticket.priority_changed") == [("ticket.updated", ticket.pk)]


def test_ticket_status_changed_to_the_chosen_statuses(bus, support_member, ticket):
    services.set_ticket_status(actor=support_member, ticket=ticket, status="open")
    services.set_ticket_status(actor=support_member, ticket=ticket, status="solved")
    assert heard(bus, "ticket.status_changed", statuses=["solved"]) == [
        ("ticket.status", ticket.pk)
    ]
    assert len(heard(bus, "ticket.status_changed")) == 2
    assert len(heard(bus, "ticket.field_changed", fields=["status"])) == 2
    assert heard(bus, "ticket.field_changed", fields=["priority"]) == []


def test_ticket_rated(bus, support_member, ticket):
    services.set_ticket_status(actor=support_member, ticket=ticket, status="solved")
    services.rate_ticket(actor=support_member, ticket=ticket, satisfaction=2)
    assert heard(bus, "ticket.rated") == [("ticket.rated", ticket.pk)]
    payload = next(payload for kind, payload in bus if kind == "ticket.rated")
    assert triggers.describe("ticket.rated", payload) == "Ticket rated 2 of 5"


# --- Tasks --------------------------------------------------------------------------------


def test_task_created(bus, member):
    task = services.create_task(actor=member, title="Call Acme")
    assert heard(bus, "task.created") == [("task.created", task.pk)]


def test_task_field_changed_hears_status_and_assignee_services_too(bus, sales_manager, member):
    task = services.create_task(actor=sales_manager, title="Call Acme", assignee=sales_manager)
    services.set_task_status(actor=sales_manager, task=task, status=Task.Status.IN_PROGRESS)
    services.reassign_task(actor=sales_manager, task=task, assignee=member)
    due = timezone.now() + timedelta(days=2)
    services.update_field(actor=sales_manager, obj=task, field="due_at", value=due, seen_value=None)
    assert heard(bus, "task.field_changed", fields=["status"]) == [("task.status", task.pk)]
    assert heard(bus, "task.field_changed", fields=["assignee"]) == [("task.reassigned", task.pk)]
    assert heard(bus, "task.field_changed", fields=["due_at"]) == [("task.updated", task.pk)]
    assert heard(bus, "task.field_changed", fields=["title"]) == []


# --- Handoffs -----------------------------------------------------------------------------


def test_handoff_sent_accepted_and_declined(bus, member, acme, support, support_member):
    first = services.hand_off(actor=member, client=acme, note="Onboard them", to_department=support)
    services.accept_handoff(actor=support_member, handoff=first)
    second = services.hand_off(actor=member, client=acme, note="Billing", to_department=support)
    services.decline_handoff(actor=support_member, handoff=second, reason="Not ours")
    assert heard(bus, "handoff.sent") == [
        ("handoff.created", first.pk),
        ("handoff.created", second.pk),
    ]
    assert heard(bus, "handoff.accepted") == [("handoff.accepted", first.pk)]
    assert heard(bus, "handoff.declined") == [("handoff.declined", second.pk)]
    assert Handoff.objects.get(pk=second.pk).status == "declined"


# --- Inbound ------------------------------------------------------------------------------


def test_form_submitted_is_about_the_lead_client(bus, marketer, sales, member):
    form = build_form(marketer, sales, member)
    submission = submissions.submit_form(form=form, data=lead(country="DE"))
    assert heard(bus, "form.submitted") == [("web_form.submitted", submission.client_id)]


def test_email_received_is_about_the_client_of_the_message(bus, member, acme):
    thread = make_thread(acme)
    add_message(thread, direction="out", sender=member)
    add_message(thread)
    assert heard(bus, "mail.received") == [("mail.received", acme.pk)]


def test_call_missed_is_about_the_caller_client_and_unknown_callers_are_not_heard(
    bus, settings, member, acme
):
    settings.PHONE_DEFAULT_REGION = "DE"
    member.phone_extension = "201"
    member.save(update_fields=["phone_extension"])
    services.create_contact(actor=member, client=acme, name="Jo", phones=["030 1234567"])
    for call_id, caller in (("c-1", "+49 30 1234567"), ("c-2", "+44 20 7946 0000")):
        body = call_event("missed", call_id=call_id, agent="201", **{"from": caller})
        telephony.handle_event(event=incoming.parse(json.dumps(body).encode()))
    assert [kind for kind, _ in bus if kind == "call.missed"] == ["call.missed", "call.missed"]
    assert heard(bus, "call.missed") == [("call.missed", acme.pk)]


# --- Options ------------------------------------------------------------------------------


def test_options_are_checked_and_defaults_filled():
    assert triggers.clean_options("deal.won", {}) == {}
    assert triggers.clean_options("deal.won", None) == {}
    assert triggers.clean_options("handoff.unanswered", {}) == {"hours": 24}
    assert triggers.clean_options("ticket.sla_due_soon", {"minutes": "30"}) == {"minutes": 30}
    assert triggers.clean_options("schedule", {"weekdays": ["4", 0, 0], "time": "8:30"}) == {
        "weekdays": [0, 4],
        "time": "08:30",
    }
    assert triggers.clean_options("deal.field_changed", {"fields": ["amount", "amount"]}) == {
        "fields": ["amount"]
    }


@pytest.mark.parametrize(
    ("trigger", "options", "message"),
    [
        ("deal.exploded", {}, "“deal.exploded” is not a trigger a rule can start from."),
        ("deal.won", {"hours": 3}, "“A deal is won” takes no option “hours”."),
        ("deal.won", ["amount"], "The trigger's options must be a mapping."),
        (
            "deal.field_changed",
            {"fields": ["amount", "colour"]},
            "Fields: “colour” is not among the choices.",
        ),
        (
            "handoff.unanswered",
            {"hours": "soon"},
            "Hours without an answer: “soon” is not a whole number.",
        ),
        (
            "handoff.unanswered",
            {"hours": 0},
            "Hours without an answer: choose from 1 to 720, not 0.",
        ),
        (
            "schedule",
            {"weekdays": [7], "time": "09:00"},
            "On: choose at least one day of the week.",
        ),
        ("schedule", {"weekdays": ["x"], "time": "09:00"}, "On: choose days of the week."),
        ("schedule", {"weekdays": [0], "time": "25:00"}, "At: “25:00” is not a time like 09:00."),
        (
            "ticket.status_changed",
            {"statuses": ["melted"]},
            "New status: “melted” is not among the choices.",
        ),
    ],
)
def test_wrong_options_are_refused_in_words(trigger, options, message):
    with pytest.raises(ValidationError) as refused:
        triggers.clean_options(trigger, options)
    assert refused.value.messages == [message]


def test_the_client_fields_option_offers_active_custom_fields(db):
    CustomField.objects.create(key="region", label="Region")
    CustomField.objects.create(key="old", label="Old", active=False)
    [fields] = triggers.option_fields("client.field_changed")
    offered = dict(fields.choices)
    assert offered["custom.region"] == "Region" and "custom.old" not in offered
    assert offered["industry"] == "Industry"
    assert triggers.clean_options("client.field_changed", {"fields": ["custom.region"]}) == {
        "fields": ["custom.region"]
    }


def test_option_fields_describe_the_inputs_of_each_trigger(db):
    assert triggers.option_fields("deal.won") == []
    [hours] = triggers.option_fields("handoff.unanswered")
    assert (hours.name, hours.kind, hours.default, hours.required) == ("hours", "number", 24, True)
    weekdays, at = triggers.option_fields("schedule")
    assert (weekdays.kind, at.kind, at.default) == ("weekdays", "time", "09:00")
    [fields] = triggers.option_fields("task.field_changed")
    assert {"status", "assignee", "due_at", "title"} <= dict(fields.choices).keys()


# --- Words --------------------------------------------------------------------------------


def test_describe_says_what_happened_in_one_line(stages):
    assert triggers.describe("deal.updated", {"field": "amount", "display": "12,000.00 EUR"}) == (
        "Deal amount changed to 12,000.00 EUR"
    )
    assert triggers.describe("ticket.updated", {"field": "priority", "display": "Urgent"}) == (
        "Ticket priority changed to Urgent"
    )
    assert triggers.describe("client.updated", {"field": "industry", "display": ""}) == (
        "Client industry cleared"
    )
    assert triggers.describe("deal.moved", {"stage": stages["Proposal"].pk}) == (
        "Deal moved to Proposal"
    )
    assert triggers.describe("deal.won", {}) == "Deal won"
    assert (
        triggers.describe("ticket.status", {"status": "solved"})
        == "Ticket status changed to solved"
    )
    assert triggers.describe("call.missed", {"number": "+49301234567"}) == (
        "Missed call from +49301234567"
    )
    assert triggers.describe("handoff.created", {}) == "Handoff sent"
    assert triggers.describe("deal.renamed_by_ghosts", {}) == "deal.renamed_by_ghosts"


def test_describe_names_a_custom_field_by_its_label(db):
    CustomField.objects.create(key="region", label="Region")
    assert triggers.describe("client.updated", {"field": "custom.region", "display": "north"}) == (
        "Client Region changed to north"
    )


def test_ticket_statuses_offered_are_the_ticket_statuses():
    [statuses] = triggers.option_fields("ticket.status_changed")
    assert dict(statuses.choices).keys() == set(Ticket.Status.values)
