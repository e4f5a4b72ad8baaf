"""A small client book for the segment tests, and a helper naming who a definition matches.

Live clients: Acme (lead, DE, vip+renewal, Sales, owned by ``member``, contacts Jo —
CEO, consented, opened the campaign — and Kim, no email), Beta (customer, NL, renewal,
Support, owned by ``other``, contact Lee — unsubscribed, received the campaign 60 days
ago —, an open deal and ticket, at risk, a call today) and Gamma (churned, DE, created
in 2020, no contacts). Dormant is archived and Old Gamma merged: neither ever matches.
"""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from marketing import segments
from marketing.models import Campaign, Consent, Recipient, Suppression
from records import services as records
from records.models import Client, CustomField, TimelineEntry
from reports.models import ClientHealth
from tests.factories import UserFactory


def definition(*conditions, match="all", group_match="all") -> dict:
    """One group of ``conditions`` given as (field, op, value) triples, validated."""
    return segments.validate_definition(
        {
            "match": match,
            "groups": [
                {
                    "match": group_match,
                    "conditions": [
                        {"field": field, "op": op, "value": value}
                        for field, op, value in conditions
                    ],
                }
            ],
        }
    )


def members(validated: dict) -> tuple[set[str], set[str]]:
    """The names of the clients and of the contacts a validated definition matches."""
    clients = set(segments.clients_matching(validated).values_list("name", flat=True))
    contacts = set(segments.contacts_matching(validated).values_list("name", flat=True))
    return clients, contacts


@pytest.fixture
def other(support):
    return UserFactory(role=Role.MEMBER, departments=[support], full_name="Olive Other")


@pytest.fixture
def custom_fields(db):
    return [
        CustomField.objects.create(
            key="tier", label="Tier", type=CustomField.Type.CHOICE, choices=["Gold", "Silver"]
        ),
        CustomField.objects.create(key="seats", label="Seats", type=CustomField.Type.NUMBER),
        CustomField.objects.create(key="renewal_on", label="Renewal", type=CustomField.Type.DATE),
        CustomField.objects.create(key="region", label="Region", type=CustomField.Type.TEXT),
    ]


@pytest.fixture
def book(admin, member, other, support, sales, custom_fields):
    acme = records.create_client(
        actor=member,
        name="Acme",
        lifecycle="lead",
        country="DE",
        industry="Software",
        size="11-50",
        source="referral",
        tags=["vip", "renewal"],
        custom_values={
            "tier": "Gold",
            "seats": 25,
            "renewal_on": "2026-06-01",
            "region": "EU West",
        },
    )
    beta = records.create_client(
        actor=admin,
        name="Beta",
        owner=other,
        department=support,
        lifecycle="customer",
        country="NL",
        industry="Retail",
        tags=["renewal"],
        custom_values={"tier": "Silver", "seats": 5},
    )
    gamma = records.create_client(actor=member, name="Gamma", lifecycle="churned", country="DE")
    dormant = records.create_client(actor=member, name="Dormant", lifecycle="lead", country="DE")
    records.create_contact(actor=member, client=dormant, name="Dora", emails=["dora@d.example"])
    records.archive_client(actor=member, client=dormant)
    old = records.create_client(actor=member, name="Old Gamma", lifecycle="lead", country="DE")
    Client.objects.filter(pk=old.pk).update(merged_into=gamma)
    Client.objects.filter(pk=gamma.pk).update(created_at=timezone.make_aware(datetime(2020, 3, 1)))

    jo = records.create_contact(
        actor=member, client=acme, name="Jo", title="CEO", emails=["jo@acme.example"]
    )
    records.create_contact(actor=member, client=acme, name="Kim", title="Engineer")
    lee = records.create_contact(
        actor=admin, client=beta, name="Lee", title="Head of Sales", emails=["lee@beta.example"]
    )
    Consent.objects.create(email="jo@acme.example", source=Consent.Source.MANUAL)
    Suppression.objects.create(email="lee@beta.example", reason=Suppression.Reason.UNSUBSCRIBED)

    records.create_deal(actor=admin, client=beta, title="Expansion", amount=Decimal(500))
    records.create_ticket(actor=admin, client=beta, subject="Broken export")
    records.log_activity(actor=admin, client=beta, kind="call", summary="Renewal call")
    old_call = records.log_activity(actor=member, client=acme, kind="call", summary="Intro")
    TimelineEntry.objects.filter(pk=old_call.pk).update(
        created_at=timezone.now() - timedelta(days=90)
    )

    now = timezone.now()
    campaign = Campaign.objects.create(name="Spring news", status=Campaign.Status.SENT)
    Recipient.objects.create(
        campaign=campaign,
        contact=jo,
        client=acme,
        email="jo@acme.example",
        state=Recipient.State.SENT,
        sent_at=now - timedelta(days=2),
        opened_at=now - timedelta(days=1),
    )
    Recipient.objects.create(
        campaign=campaign,
        contact=lee,
        client=beta,
        email="lee@beta.example",
        state=Recipient.State.SENT,
        sent_at=now - timedelta(days=60),
    )
    ClientHealth.objects.update_or_create(client=beta, defaults={"score": 80, "at_risk": True})
    ClientHealth.objects.update_or_create(client=acme, defaults={"score": 20, "at_risk": False})
    return {"acme": acme, "beta": beta, "gamma": gamma, "campaign": campaign, "other": other}
