"""Duplicate hints: same domain, phone (digits only), contact email, or a close name."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from records import services
from records.selectors.duplicates import (
    client_duplicates,
    contact_duplicates,
    normalize_domain,
    normalize_name,
)

pytestmark = [pytest.mark.django_db, pytest.mark.backend]

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def phoned(acme, member):
    services.update_field(
        actor=member, obj=acme, field="phone", value="+49 (30) 123-4567", seen_value=""
    )
    return acme


@pytest.fixture
def unrelated(member, defaults):
    return services.create_client(
        actor=member, name="Initech LLC", domain="initech.example", phone="+1 555 0199"
    )


def found(hints):
    return {(type(hint.record).__name__, hint.record.name): hint.reasons for hint in hints}


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("ACME, Inc.", "acme"),
        ("Bluefin Health B.V.", "bluefin health"),
        ("Acme GmbH", "acme"),
        ("The Acme Company Ltd", "the acme"),
        ("Müller & Söhne KG", "müller söhne"),
        ("GmbH", "gmbh"),  # nothing but a suffix: kept
    ],
)
def test_normalize_name(name, normalized):
    assert normalize_name(name) == normalized


def test_normalize_domain():
    assert normalize_domain("https://www.Acme.example/about") == "acme.example"
    assert normalize_domain("jo@acme.example") == "acme.example"


def test_same_domain(acme, unrelated):
    hints = client_duplicates(domain="https://WWW.acme.example/contact")
    assert found(hints) == {("Client", "Acme GmbH"): ["same domain acme.example"]}


def test_same_phone_in_any_format(phoned, unrelated):
    hints = client_duplicates(phone="+49 30 1234567")
    assert found(hints) == {("Client", "Acme GmbH"): ["same phone"]}


@pytest.mark.parametrize("typed", ["ACME Inc.", "acme", "Acme Gmbh.", "Acmee GmbH", "Acm"])
def test_close_name(acme, unrelated, typed):
    assert found(client_duplicates(name=typed)) == {("Client", "Acme GmbH"): ["similar name"]}


def test_all_reasons_of_one_client_together(phoned):
    hints = client_duplicates(name="Acme", domain="acme.example", phone="+4930 1234567")
    assert hints[0].reasons == ["same domain acme.example", "same phone", "similar name"]


@pytest.mark.parametrize(
    "typed",
    [
        {"name": "Umbrella Corp"},
        {"name": "Acne Health"},
        {"name": "Ac"},  # too short to judge
        {"domain": "acme.example.org"},
        {"phone": "+49 30 1234"},
        {"name": "", "domain": "", "phone": ""},
    ],
)
def test_nothing_for_unrelated_input(phoned, unrelated, typed):
    assert client_duplicates(**typed) == []


def test_merged_and_excluded_clients_are_not_hints(acme, member, defaults):
    other = services.create_client(actor=member, name="Acme Inc.", domain="acme-inc.example")
    assert found(client_duplicates(name="Acme", exclude_pk=acme.pk)) == {
        ("Client", "Acme Inc."): ["similar name"]
    }
    services.merge_clients(actor=member, survivor=acme, loser=other)
    assert found(client_duplicates(name="Acme")) == {("Client", "Acme GmbH"): ["similar name"]}


def test_contact_by_email_phone_and_name(acme, contact, member, unrelated):
    services.create_contact(
        actor=member, client=unrelated, name="Pat", phones=["+1 (555) 010-2030"]
    )
    by_email = contact_duplicates(client=unrelated, emails=["JO@acme.example"])
    assert found(by_email) == {("Contact", "Jo Acme"): ["same email jo@acme.example"]}
    by_phone = contact_duplicates(client=acme, phones=["+1 555 010 2030"])
    assert found(by_phone) == {("Contact", "Pat"): ["same phone"]}
    by_name = contact_duplicates(client=acme, name="jo acme")
    assert found(by_name) == {("Contact", "Jo Acme"): ["similar name"]}
    assert contact_duplicates(client=unrelated, name="Jo Acme") == []  # names: same client only
    assert contact_duplicates(client=acme, emails=["jo@acme.example.org", "not-an-email"]) == []


def test_hints_endpoint_while_typing(client, member, acme, unrelated):
    client.force_login(member)
    url = reverse("records:client_duplicates")
    response = client.get(url, {"name": "acme gmb", "domain": "", "phone": ""}, **HTMX)
    html = response.text
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="duplicate-hints"' in html
    assert "Possible duplicate" in html
    assert "Acme GmbH" in html and "(acme.example)" in html
    assert reverse("records:client_detail", args=[acme.pk]) in html
    assert "Initech" not in html
    nothing = client.get(url, {"name": "Umbrella"}, **HTMX).text
    assert "Possible duplicate" not in nothing
    assert 'id="duplicate-hints"' in nothing


def test_contact_hints_endpoint(client, member, acme, contact):
    client.force_login(member)
    url = reverse("records:contact_duplicates", args=[acme.pk])
    html = client.get(url, {"emails": "x@y.example, jo@acme.example"}, **HTMX).text
    assert "Jo Acme" in html and "at Acme GmbH" in html and "same email" in html
    assert f"#contact-{contact.pk}" in html


def test_hints_endpoint_query_budget(client, member, acme, defaults):
    client.force_login(member)
    url = reverse("records:client_duplicates")
    typed = {"name": "Acme", "domain": "acme.example", "phone": "+49 30 1234567"}

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, typed, **HTMX).status_code == 200
        return len(captured)

    few = queries()
    for number in range(20):
        services.create_client(actor=member, name=f"Acme Branch {number}", phone="+49 30 1234567")
    assert queries() == few
