"""New clients and contacts: the forms, their services, bad input saving nothing, hints."""

import pytest
from django.urls import reverse

from accounts.models import Role
from records import services
from records.models import Client, Contact, CustomField
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NEW_CLIENT = reverse("records:client_new")


def new_contact_url(client):
    return reverse("records:contact_new", args=[client.pk])


@pytest.fixture
def signed_in(client, member, defaults):
    client.force_login(member)
    return client


def client_data(**changes):
    data = {
        "name": "Globex Corporation",
        "domain": "www.Globex.example",
        "phone": "+1 555 0100",
        "industry": "Energy",
        "size": "51-250",
        "lifecycle": "prospect",
        "source": "referral",
        "tags": "Energy, key account, energy",
        "address": "1 Cypress Creek",
    }
    return {**data, **changes}


# --- New client ------------------------------------------------------------------


def test_new_client_form_asks_for_duplicates_while_typing(signed_in, sales):
    response = signed_in.get(NEW_CLIENT)
    assert response.status_code == 200
    html = response.text
    hints_url = reverse("records:client_duplicates")
    assert html.count(f'hx-get="{hints_url}"') == 3  # name, domain, phone
    assert 'hx-trigger="input changed delay:300ms"' in html
    assert 'id="duplicate-hints"' in html
    assert 'name="owner"' not in html  # a member cannot give a client away


def test_create_client(signed_in, member, sales):
    data = client_data(department=sales.pk)
    response = signed_in.post(NEW_CLIENT, data)
    created = Client.objects.get(name="Globex Corporation")
    assert response.status_code == 302
    assert response["Location"] == reverse("records:client_detail", args=[created.pk])
    assert created.domain == "globex.example"
    assert created.tags == ["energy", "key account"]
    assert (created.owner, created.department, created.lifecycle) == (member, sales, "prospect")
    assert created.timeline.filter(kind="created").exists()


def test_a_manager_may_give_the_new_client_to_someone_else(client, sales_manager, member, sales):
    client.force_login(sales_manager)
    assert 'name="owner"' in client.get(NEW_CLIENT).text
    response = client.post(NEW_CLIENT, client_data(department=sales.pk, owner=member.pk))
    assert response.status_code == 302
    assert Client.objects.get(name="Globex Corporation").owner == member


def test_a_member_cannot_add_clients_to_another_department(signed_in, support):
    response = signed_in.post(NEW_CLIENT, client_data(department=support.pk))
    assert response.status_code == 200
    assert "department" in response.context["form"].errors
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"domain": "https://globex.example/about"}, "domain", "Enter a domain like example.com"),
        ({"phone": "call me"}, "phone", "is not a phone number"),
        ({"lifecycle": "vip"}, "lifecycle", "Select a valid choice"),
    ],
)
def test_bad_client_input_saves_nothing(signed_in, sales, changes, field, message):
    response = signed_in.post(NEW_CLIENT, client_data(department=sales.pk, **changes))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert message in response.text.replace("&#x27;", "'")
    assert not Client.objects.exists()


def test_custom_field_mismatch_saves_nothing(signed_in, sales):
    CustomField.objects.create(key="seats", label="Seats", type="number")
    form = signed_in.get(NEW_CLIENT).text
    assert 'name="custom_seats"' in form
    response = signed_in.post(NEW_CLIENT, client_data(department=sales.pk, custom_seats="many"))
    assert response.status_code == 200
    assert "Seats must be a number" in response.text
    assert not Client.objects.exists()
    CustomField.objects.create(key="tier", label="Tier", type="choice", choices=["Gold"])
    signed_in.post(NEW_CLIENT, client_data(department=sales.pk, custom_seats="25", custom_tier=""))
    assert Client.objects.get().custom_values == {"seats": 25}


def test_a_failed_post_still_shows_duplicates(signed_in, sales, acme):
    response = signed_in.post(NEW_CLIENT, client_data(name="Acme", domain="bad domain"))
    assert "Possible duplicate" in response.text
    assert Client.objects.count() == 1


# --- New contact -------------------------------------------------------------------


def test_create_contact(signed_in, acme):
    url = new_contact_url(acme)
    form = signed_in.get(url).text
    assert reverse("records:contact_duplicates", args=[acme.pk]) in form
    response = signed_in.post(
        url,
        {
            "name": "Rita Ruiz",
            "title": "CFO",
            "emails": "Rita@Acme.example, rr@acme.example",
            "phones": "+49 30 1234567\n+49 170 7654321",
            "preferred_channel": "phone",
            "notes": "Prefers mornings.",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("records:client_detail", args=[acme.pk])
    rita = Contact.objects.get(name="Rita Ruiz")
    assert rita.emails == ["rita@acme.example", "rr@acme.example"]
    assert rita.phones == ["+49301234567", "+491707654321"]  # E.164 (issue 19)
    assert (rita.client, rita.preferred_channel) == (acme, "phone")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "emails": "a@b.example"}, "This field is required."),
        ({"name": "Rita", "emails": "rita-at-acme"}, "is not an email address"),
        ({"name": "Rita", "phones": "ring ring"}, "is not a phone number"),
    ],
)
def test_bad_contact_input_saves_nothing(signed_in, acme, data, message):
    response = signed_in.post(new_contact_url(acme), {"preferred_channel": "email", **data})
    assert response.status_code == 200
    assert message in response.text
    assert not Contact.objects.exists()


def test_contacts_are_added_by_the_clients_department_only(client, acme, support_member):
    client.force_login(support_member)
    assert client.get(new_contact_url(acme)).status_code == 403
    response = client.post(new_contact_url(acme), {"name": "Rita", "preferred_channel": "email"})
    assert response.status_code == 403
    assert not Contact.objects.exists()


def test_new_contact_for_a_missing_client_is_404(signed_in):
    assert signed_in.get(reverse("records:contact_new", args=[999999])).status_code == 404


def test_admin_from_another_department_may_add(client, acme, support):
    admin = UserFactory(role=Role.ADMIN, departments=[support])
    client.force_login(admin)
    response = client.post(new_contact_url(acme), {"name": "Ann", "preferred_channel": "email"})
    assert response.status_code == 302
    assert services  # the contact went through create_contact (see test_services)
    assert acme.contacts.get().name == "Ann"
