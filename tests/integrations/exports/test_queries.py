"""An export runs the same queries for a few rows or many: no query per row."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from records import services
from records.models import CustomField

pytestmark = pytest.mark.django_db


def add_rows(member, support_member, n: int) -> None:
    """``n`` clients, each with a contact, a deal and a ticket."""
    for i in range(n):
        acme = services.create_client(
            actor=member, name=f"Client {i}", custom_values={"tier": "Gold"}, tags=["vip"]
        )
        services.create_contact(
            actor=member, client=acme, name=f"Person {i}", emails=[f"p{i}@acme.example"]
        )
        services.create_deal(actor=member, client=acme, title=f"Deal {i}", amount=Decimal(i))
        services.create_ticket(actor=support_member, client=acme, subject=f"Ticket {i}")


def queries(client, url: str) -> int:
    """The queries of one export, the whole body read (a streamed one runs as it is sent)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
        b"".join(response.streaming_content)
    return len(captured)


@pytest.mark.parametrize(
    ("list_name", "fmt", "query"),
    [
        ("clients", "csv", "sort=-name&lifecycle=lead"),
        ("clients", "xlsx", "q=client"),
        ("contacts", "csv", "email=yes"),
        ("contacts", "vcf", "sort=-name"),
        ("deals", "xlsx", "status=open&sort=amount"),
        ("tickets", "csv", "status=open"),
    ],
)
def test_query_count_does_not_grow_with_the_rows(
    client, member, support_member, defaults, list_name, fmt, query
):
    CustomField.objects.create(key="tier", label="Tier", type="text")
    client.force_login(member)
    url = reverse("exports:list", args=[list_name, fmt]) + f"?{query}"
    add_rows(member, support_member, 2)
    client.get(url)  # warms the session and content-type caches
    few = queries(client, url)
    add_rows(member, support_member, 5)
    assert queries(client, url) == few
    assert few <= 8
