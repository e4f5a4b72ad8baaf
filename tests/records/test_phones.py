"""Phone numbers in E.164 everywhere (issue 19): read in the client's country, shown
international, matched as one number however they were typed."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse

from integrations.imports import services as imports
from integrations.imports.tasks import run_import
from records import services
from records.models import Client, Contact
from records.models.values import format_phone, normalize_phone, phone_region
from records.selectors.duplicates import client_duplicates, contact_duplicates
from tests.integrations.imports.conftest import mapped

migration = importlib.import_module("records.migrations.0014_c_phones_e164")


@pytest.fixture(autouse=True)
def german_default(settings):
    settings.PHONE_DEFAULT_REGION = "DE"


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("+49 30 1234567", None, "+49301234567"),
        ("030 1234567", None, "+49301234567"),
        ("030/123 45 67", "DE", "+49301234567"),
        ("+49 (30) 123-4567", "FR", "+49301234567"),  # international wins over the region
        ("0049 30 1234567", "FR", "+49301234567"),  # 00: the exit code in Europe
        ("01 42 68 53 00", "FR", "+33142685300"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("020 7946 0000", "gb", "+442079460000"),  # a lowercase country code is fine
        ("030 1234567", "AQ", "+49301234567"),  # a region phonenumbers lacks: the default
        ("  ", None, ""),
    ],
)
def test_normalize_phone(typed, region, e164):
    assert normalize_phone(typed, region) == e164


@pytest.mark.parametrize("typed", ["call me", "12", "+1 55 1234567", "+49 30 1234567 ext. 5"])
def test_impossible_numbers_are_refused_in_words(typed):
    with pytest.raises(ValidationError) as error:
        normalize_phone(typed)
    assert f"“{typed}”" in error.value.messages[0]


def test_the_default_region_comes_from_settings(settings):
    settings.PHONE_DEFAULT_REGION = "GB"
    assert phone_region("") == "GB"
    assert normalize_phone("020 7946 0000") == "+442079460000"


def test_format_phone_is_international_and_leaves_the_rest():
    assert format_phone("+49301234567") == "+49 30 1234567"
    assert format_phone("+14155552671") == "+1 415-555-2671"
    assert format_phone("legacy 123") == "legacy 123"


def test_the_phone_filter():
    rendered = Template("{% load phones %}{{ a|phone }}|{{ b|phone }}").render(
        Context({"a": "+442079460000", "b": None})
    )
    assert rendered == "+44 20 7946 0000|"


@pytest.mark.django_db
def test_a_client_phone_is_read_in_its_country(member, defaults):
    paris = services.create_client(
        actor=member, name="Paris SAS", country="FR", phone="01 42 68 53 00"
    )
    assert paris.phone == "+33142685300"
    berlin = services.create_client(actor=member, name="Berlin GmbH", phone="030 1234567")
    assert berlin.phone == "+49301234567"


@pytest.mark.django_db
def test_a_contact_phone_is_read_in_its_clients_country(member, defaults):
    paris = services.create_client(actor=member, name="Paris SAS", country="FR")
    jo = services.create_contact(
        actor=member, client=paris, name="Jo", phones=["01 42 68 53 00", "+33 1 42 68 53 00"]
    )
    assert jo.phones == ["+33142685300"]  # one number, typed twice


@pytest.mark.django_db
def test_a_bad_phone_is_a_field_error_with_the_others(member, acme):
    contact = Contact(client=acme, name="", phones=["030 1234567", "phone me"])
    with pytest.raises(ValidationError) as error:
        contact.full_clean()
    assert set(error.value.message_dict) == {"name", "phones"}
    assert "“phone me” is not a phone number" in error.value.message_dict["phones"][0]


@pytest.mark.django_db
def test_an_excluded_phone_is_not_reported(member, acme):
    client = Client(name="X", phone="call me", owner=member, department=acme.department)
    client.clean_fields(exclude=["phone"])
    assert client.phone == "call me"


@pytest.mark.django_db
def test_the_field_editor_stores_e164_and_shows_it_international(member, acme, client):
    services.update_field(actor=member, obj=acme, field="phone", value="030 1234567", seen_value="")
    acme.refresh_from_db()
    assert acme.phone == "+49301234567"
    client.force_login(member)
    page = client.get(reverse("records:client_detail", args=[acme.pk])).text
    assert '<a href="tel:+49301234567">+49 30 1234567</a>' in page


@pytest.mark.django_db
def test_the_api_keeps_e164(member, acme, client):
    services.update_field(actor=member, obj=acme, field="phone", value="030 1234567", seen_value="")
    client.force_login(member)
    body = client.get(f"/api/clients/{acme.pk}/").json()
    assert body["phone"] == "+49301234567"


@pytest.mark.django_db
@pytest.mark.backend
def test_duplicates_match_however_the_number_was_typed(member, acme):
    services.update_field(
        actor=member, obj=acme, field="phone", value="+49 30 1234567", seen_value=""
    )
    hints = client_duplicates(phone="030 1234567")
    assert [(hint.record, hint.reasons) for hint in hints] == [(acme, ["same phone"])]
    assert client_duplicates(phone="030 1234567", country="FR") == []  # a French number
    assert client_duplicates(phone="030 12") == []  # still typing


@pytest.mark.django_db
@pytest.mark.backend
def test_contact_duplicates_match_e164(member, acme):
    jo = services.create_contact(actor=member, client=acme, name="Jo", phones=["+49 30 1234567"])
    hints = contact_duplicates(client=acme, phones=["030 123 4567"])
    assert [(hint.record, hint.reasons) for hint in hints] == [(jo, ["same phone"])]


@pytest.mark.django_db
def test_the_new_client_form_takes_a_phone_from_a_call(member, client, defaults):
    client.force_login(member)
    page = client.get(reverse("records:client_new"), {"phone": "+491715550123"}).text
    assert 'value="+491715550123"' in page


@pytest.mark.django_db
def test_the_migration_normalizes_what_it_can(member, acme):
    paris = services.create_client(actor=member, name="Paris SAS", country="FR")
    jo = services.create_contact(actor=member, client=paris, name="Jo")
    Client.objects.filter(pk=acme.pk).update(phone="030 1234567")
    Client.objects.filter(pk=paris.pk).update(phone="call the front desk")
    Contact.objects.filter(pk=jo.pk).update(phones=["01 42 68 53 00", "+33142685300", "n/a"])
    migration.normalize_existing_phones(apps, None)
    acme.refresh_from_db(), paris.refresh_from_db(), jo.refresh_from_db()
    assert acme.phone == "+49301234567"
    assert paris.phone == "call the front desk"  # left for a person to fix
    assert jo.phones == ["+33142685300", "n/a"]


@pytest.mark.django_db
def test_an_import_stores_e164(member, acme):
    run = mapped(member, [["Company", "Country", "Phone"], ["Lyon SA", "FR", "04 72 10 30 30"]])
    imports.start(actor=member, run=run)
    run_import.call(run.pk)
    assert Client.objects.get(name="Lyon SA").phone == "+33472103030"
