"""Send an email from a snippet and call a webhook: through the mail and webhooks services,
refused clearly when there is nobody to write to or the thing named is gone."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from automation import actions
from automation.errors import BrokenReference
from integrations.mail.models import EmailMessage, Snippet
from integrations.webhooks.models import Delivery, Endpoint
from integrations.webhooks.services import AUTOMATION_KIND
from records import services
from tests.automation.action_helpers import act, context, make_client, make_deal, make_ticket
from tests.automation.helpers import make_rule


@pytest.fixture
def snippet(admin):
    return Snippet.objects.create(
        name="Welcome",
        subject="Welcome aboard, {{ contact.first_name }}",
        body="Hello from {{ me.name }} about {{ deal.title }}.",
        owner=admin,
    )


@pytest.fixture
def deal(admin):
    client = make_client(admin, name="Northwind")
    services.create_contact(actor=admin, client=client, name="No Mail")
    services.create_contact(
        actor=admin, client=client, name="Ann Lee", emails=["ann@north.example"]
    )
    return make_deal(admin, client, title="Renewal")


def email(snippet):
    return {"type": "send_email", "template": snippet.pk, "to": "primary_contact"}


def test_sends_the_snippet_to_the_first_contact_with_an_address(admin, snippet, deal):
    rule = make_rule(owner=admin, trigger="deal.won", name="Welcome mail")

    summary = act(context(rule, "deal", deal), email(snippet))

    message = EmailMessage.objects.get()
    assert message.subject == "Welcome aboard, Ann"
    assert message.to and "ann@north.example" in str(message.to)
    assert f"Hello from {admin.full_name} about Renewal." in message.body_text
    assert (message.sender, message.client) == (admin, deal.client)
    assert summary == "Emailed “Welcome aboard, Ann” to Ann Lee (ann@north.example)"


def test_a_ticket_writes_to_its_own_contact(admin, snippet):
    snippet.body = "About {{ ticket.subject }}"
    snippet.save()
    client = make_client(admin)
    services.create_contact(actor=admin, client=client, name="First", emails=["a@x.example"])
    asker = services.create_contact(actor=admin, client=client, name="Bo", emails=["bo@x.example"])
    ticket = make_ticket(admin, client, contact=asker)
    rule = make_rule(owner=admin, trigger="ticket.created")

    act(context(rule, "ticket", ticket), email(snippet))

    assert "bo@x.example" in str(EmailMessage.objects.get().to)


def test_a_client_without_an_address_is_refused_clearly(admin, snippet):
    deal = make_deal(admin, make_client(admin, name="Quiet Ltd"))
    rule = make_rule(owner=admin, trigger="deal.won")

    with pytest.raises(ValidationError, match="Quiet Ltd has no contact with an email address"):
        act(context(rule, "deal", deal), email(snippet))
    with pytest.raises(ValidationError, match="no contact with an email address"):
        actions.describe(email(snippet), context(rule, "deal", deal, dry_run=True))


def test_describe_an_email_sends_nothing(admin, snippet, deal):
    rule = make_rule(owner=admin, trigger="deal.won")

    text = actions.describe(email(snippet), context(rule, "deal", deal, dry_run=True))

    assert text == "Would email “Welcome aboard, Ann” to Ann Lee (ann@north.example)"
    assert not EmailMessage.objects.exists()


def test_a_snippet_deleted_since_is_a_broken_reference(admin, snippet, deal):
    rule = make_rule(owner=admin, trigger="deal.won")
    action = email(snippet)
    snippet.delete()

    with pytest.raises(BrokenReference, match="snippet"):
        act(context(rule, "deal", deal), action)


def test_a_snippet_the_owner_may_not_use_is_refused(admin, member, snippet, deal):
    rule = make_rule(owner=member, trigger="deal.won")

    with pytest.raises(PermissionDenied, match="snippet"):
        act(context(rule, "deal", deal), email(snippet))
    with pytest.raises(ValidationError, match="not one the rule's owner may use"):
        actions.clean("deal.won", [email(snippet)], owner=member)


@pytest.mark.parametrize(
    ("trigger", "change", "message"),
    [
        ("deal.won", {"subject": ""}, "has no subject"),
        ("ticket.created", {}, "uses deal fields"),  # {{ deal.title }} on a ticket
    ],
)
def test_unusable_snippets_are_refused_when_saved(admin, snippet, trigger, change, message):
    for field, value in change.items():
        setattr(snippet, field, value)
    snippet.save()

    with pytest.raises(ValidationError, match=message):
        actions.clean(trigger, [email(snippet)], owner=admin)


def test_a_missing_snippet_is_refused_when_saved(admin):
    with pytest.raises(ValidationError, match="Choose a mail snippet"):
        actions.clean("deal.won", [{"type": "send_email", "template": 424242}], owner=admin)


# --- Call a webhook -------------------------------------------------------------------


@pytest.fixture
def endpoint(admin):
    """Subscribed to a kind no fixture here produces: only the action queues deliveries."""
    return Endpoint.objects.create(
        url="https://hooks.example.com/in", kinds=["ticket.solved"], created_by=admin
    )


def test_queues_a_signed_delivery_with_the_rule_and_the_record(
    admin, endpoint, deal, django_capture_on_commit_callbacks
):
    rule = make_rule(owner=admin, trigger="deal.won", name="Tell the ERP")
    action = actions.clean(
        "deal.won", [{"type": "call_webhook", "endpoint": endpoint.pk}], owner=admin
    )[0]

    summary = act(context(rule, "deal", deal), action)

    delivery = Delivery.objects.get()
    assert (delivery.endpoint, delivery.kind, delivery.event_id) == (
        endpoint,
        AUTOMATION_KIND,
        None,
    )
    assert delivery.payload["rule"] == {"id": rule.pk, "name": "Tell the ERP"}
    assert delivery.payload["subject"] == {"type": "deal", "id": deal.pk}
    assert delivery.payload["object"]["title"] == "Renewal"
    assert summary == f"Queued delivery {delivery.uid} to the webhook https://hooks.example.com/in"


def test_describe_a_webhook_queues_nothing(admin, endpoint, deal):
    rule = make_rule(owner=admin, trigger="deal.won")
    action = {"type": "call_webhook", "endpoint": endpoint.pk}

    assert actions.describe(action, context(rule, "deal", deal, dry_run=True)) == (
        "Would send the record to the webhook https://hooks.example.com/in"
    )
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("gone", ["deleted", "switched off"])
def test_an_endpoint_gone_since_is_a_broken_reference(admin, endpoint, deal, gone):
    rule = make_rule(owner=admin, trigger="deal.won")
    action = {"type": "call_webhook", "endpoint": endpoint.pk}
    if gone == "deleted":
        endpoint.delete()
    else:
        Endpoint.objects.filter(pk=endpoint.pk).update(active=False)

    with pytest.raises(BrokenReference, match=gone):
        act(context(rule, "deal", deal), action)


def test_a_switched_off_or_missing_endpoint_is_refused_when_saved(admin, endpoint):
    Endpoint.objects.filter(pk=endpoint.pk).update(active=False)

    with pytest.raises(ValidationError, match="switched off"):
        actions.clean("deal.won", [{"type": "call_webhook", "endpoint": endpoint.pk}], owner=admin)
    with pytest.raises(ValidationError, match="Choose a webhook endpoint"):
        actions.clean("deal.won", [{"type": "call_webhook", "endpoint": "x"}], owner=admin)


def test_the_webhooks_service_refuses_a_deactivated_owner(admin, member, endpoint):
    from integrations.webhooks.services import queue_for_automation

    member.is_active = False
    member.save()

    with pytest.raises(PermissionDenied):
        queue_for_automation(actor=member, endpoint=endpoint, payload={})
