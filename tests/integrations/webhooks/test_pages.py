"""The webhook pages: admins only, the endpoint form, the delivery log and its buttons."""

import pytest
from django.urls import reverse

from integrations.webhooks import services
from integrations.webhooks.models import Delivery, Endpoint


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def pages(endpoint, delivery):
    return [
        ("get", reverse("webhooks:list")),
        ("get", reverse("webhooks:new")),
        ("get", reverse("webhooks:endpoint", args=[endpoint.pk])),
        ("get", reverse("webhooks:edit", args=[endpoint.pk])),
        ("post", reverse("webhooks:rotate", args=[endpoint.pk])),
        ("post", reverse("webhooks:test", args=[endpoint.pk])),
        ("get", reverse("webhooks:delete", args=[endpoint.pk])),
        ("post", reverse("webhooks:delete", args=[endpoint.pk])),
        ("post", reverse("webhooks:redeliver", args=[delivery.pk])),
    ]


@pytest.mark.parametrize("who", ["sales_manager", "member"])
def test_nobody_but_admins_sees_or_changes_anything(request, client, endpoint, admin, who):
    delivery = services.send_test_event(actor=admin, endpoint=endpoint)
    secret = endpoint.secret
    client.force_login(request.getfixturevalue(who))
    for method, url in pages(endpoint, delivery):
        assert getattr(client, method)(url).status_code == 404, url
    endpoint.refresh_from_db()
    assert endpoint.secret == secret and Delivery.objects.count() == 1


def test_signed_out_people_are_sent_to_log_in(client, endpoint):
    response = client.get(reverse("webhooks:list"))
    assert response.status_code in (302, 404)
    assert endpoint.url.encode() not in response.content


def test_an_admin_adds_an_endpoint_and_sees_its_secret(admin_client, receiver):
    response = admin_client.post(
        reverse("webhooks:new"),
        {"url": receiver.url, "description": "Billing", "kinds": ["deal.won", "client.created"]},
    )
    endpoint = Endpoint.objects.get()
    assert response.url == reverse("webhooks:endpoint", args=[endpoint.pk])
    assert endpoint.kinds == ["deal.won", "client.created"]
    page = admin_client.get(response.url).content.decode()
    assert endpoint.secret in page and "Deal won, Client created" in page


def test_bad_input_is_explained_and_nothing_saved(admin_client, settings):
    response = admin_client.post(
        reverse("webhooks:new"), {"url": "http://example.com/hooks", "kinds": []}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose at least one event kind." in page
    response = admin_client.post(
        reverse("webhooks:new"), {"url": "https://localhost/hooks", "kinds": ["deal.won"]}
    )
    assert "public addresses only" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_http_is_refused_with_a_reason(admin_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    response = admin_client.post(
        reverse("webhooks:new"), {"url": "http://127.0.0.1/hooks", "kinds": ["deal.won"]}
    )
    assert "HTTPS only" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_editing_switches_an_endpoint_off_and_on(admin_client, endpoint):
    url = reverse("webhooks:edit", args=[endpoint.pk])
    form = {"url": endpoint.url, "kinds": ["ticket.solved"], "description": "Support desk"}
    admin_client.post(url, form)
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.kinds) == (False, ["ticket.solved"])
    admin_client.post(url, form | {"active": "on"})
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.description == "Support desk"


def test_rotate_test_event_and_redeliver_buttons(admin_client, endpoint):
    old = endpoint.secret
    admin_client.post(reverse("webhooks:rotate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret != old

    admin_client.post(reverse("webhooks:test", args=[endpoint.pk]))
    test = Delivery.objects.get(kind="webhook.test")
    response = admin_client.post(reverse("webhooks:redeliver", args=[test.pk]))
    assert response.url == reverse("webhooks:endpoint", args=[endpoint.pk])
    again = Delivery.objects.exclude(pk=test.pk).get()
    assert (again.uid, again.redelivery_of_id, again.status) == (test.uid, test.pk, "pending")


def test_the_delivery_log_is_paginated_in_a_fixed_number_of_queries(
    admin_client, endpoint, admin, django_assert_max_num_queries
):
    for _ in range(30):
        services.send_test_event(actor=admin, endpoint=endpoint)
    Delivery.objects.update(status="failed", response_code=503, response_ms=87, attempts=2)
    url = reverse("webhooks:endpoint", args=[endpoint.pk])
    with django_assert_max_num_queries(12):
        page = admin_client.get(url).content.decode()
    assert page.count("/redeliver/") == 25 and "Page 1 of 2" in page
    assert "87 ms" in page and "503" in page
    with django_assert_max_num_queries(12):
        second = admin_client.get(url, {"page": 2}).content.decode()
    assert second.count("/redeliver/") == 5


def test_admins_find_webhooks_on_the_team_page(client, admin, member):
    client.force_login(admin)
    assert reverse("webhooks:list") in client.get(reverse("team")).content.decode()
    client.force_login(member)
    assert reverse("webhooks:list") not in client.get(reverse("team")).content.decode()


def test_deleting_asks_first(admin_client, endpoint):
    url = reverse("webhooks:delete", args=[endpoint.pk])
    assert "its delivery log is deleted with it" in admin_client.get(url).content.decode()
    assert Endpoint.objects.exists()
    assert admin_client.post(url).url == reverse("webhooks:list")
    assert not Endpoint.objects.exists()
