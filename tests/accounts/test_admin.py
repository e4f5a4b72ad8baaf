"""The Django admin site: every registered model's pages load for a superuser."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import Department, Invitation, Role, User
from tests.factories import PASSWORD, UserFactory, invite

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name) for model in admin.site._registry
)


@pytest.fixture
def superuser(sales):
    return UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True, departments=[sales])


@pytest.fixture
def admin_client(client, superuser, member, sales):
    invite(superuser, email="pending@example.com", department=sales)
    client.force_login(superuser)
    return client


def test_every_accounts_model_is_registered():
    assert {
        ("accounts", "user"),
        ("accounts", "department"),
        ("accounts", "invitation"),
    } <= set(REGISTERED)


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_changelist_with_a_search_and_the_add_page_load(admin_client, app_label, model_name):
    changelist = reverse(f"admin:{app_label}_{model_name}_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": "example"}).status_code == 200
    add = admin_client.get(reverse(f"admin:{app_label}_{model_name}_add"))
    assert add.status_code in (200, 403)


@pytest.mark.parametrize("model", [User, Department, Invitation])
def test_change_pages_load(admin_client, model):
    obj = model.objects.first()
    url = reverse(f"admin:accounts_{model._meta.model_name}_change", args=[obj.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert str(obj) in response.text


def test_user_search_and_filters(admin_client, member, support_member):
    url = reverse("admin:accounts_user_changelist")
    found = admin_client.get(url, {"q": member.email})
    assert list(found.context["cl"].result_list) == [member]
    by_role = admin_client.get(url, {"role__exact": Role.MEMBER})
    assert set(by_role.context["cl"].result_list) == {member, support_member}


def test_an_admin_creates_a_person_through_the_admin_site(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Created@Example.com",
            "full_name": "Created Person",
            "role": Role.MEMBER,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = User.objects.get(email="created@example.com")  # stored lower-cased
    assert created.check_password(PASSWORD)


def test_people_without_staff_access_are_sent_to_the_admin_login(client, member):
    client.force_login(member)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
