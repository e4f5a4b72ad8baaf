"""records in the Django admin: definitions are editable, records and history view-only."""

import pytest
from django.urls import reverse

from accounts.models import Role
from records import services
from records.models import (
    Client,
    Comment,
    Contact,
    CustomField,
    Deal,
    FieldChange,
    Handoff,
    LossReason,
    Pipeline,
    Stage,
    Task,
    Ticket,
    TicketSlaPolicy,
    TimelineEntry,
)
from tests.factories import UserFactory

DEFINITIONS = [CustomField, Pipeline, Stage, LossReason, TicketSlaPolicy]
RECORDS = [Client, Contact, Deal, Ticket, Task, Handoff, Comment, TimelineEntry, FieldChange]


@pytest.fixture
def admin_client(client, sales, support, member, acme, contact, deal, ticket):
    CustomField.objects.create(key="tier", label="Tier", type="choice", choices=["Gold"])
    services.create_task(actor=member, title="Call back", target=acme, checklist=["Dial"])
    services.hand_off(actor=member, client=acme, note="Needs support", to_department=support)
    services.post_comment(actor=member, target=deal, body="hello")
    services.update_field(actor=member, obj=acme, field="industry", value="Tea", seen_value="")
    superuser = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True, departments=[sales])
    client.force_login(superuser)
    return client


def url(model, view, *args):
    return reverse(f"admin:records_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", DEFINITIONS + RECORDS)
def test_changelist_search_filters_and_change_page_load(admin_client, model):
    page = admin_client.get(url(model, "changelist"))
    assert page.status_code == 200
    assert len(page.context["cl"].result_list) >= 1
    assert admin_client.get(url(model, "changelist"), {"q": "a"}).status_code == 200
    for spec in page.context["cl"].filter_specs:
        for choice in list(spec.choices(page.context["cl"]))[1:2]:
            assert (
                admin_client.get(url(model, "changelist") + choice["query_string"]).status_code
                == 200
            )
    obj = model.objects.first()
    assert admin_client.get(url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", DEFINITIONS)
def test_definitions_can_be_added(admin_client, model):
    assert admin_client.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", RECORDS)
def test_records_and_history_are_view_only(admin_client, model):
    obj = model.objects.first()
    assert admin_client.get(url(model, "add")).status_code == 403
    assert admin_client.get(url(model, "delete", obj.pk)).status_code == 403
    response = admin_client.post(url(model, "change", obj.pk), {})
    assert response.status_code == 403
