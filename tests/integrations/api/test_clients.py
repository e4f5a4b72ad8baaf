"""Clients and contacts over the API: reads like the pages, writes through the services."""

import pytest

from records import services
from records.models import Client
from tests.integrations.api.conftest import Api, token_for
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db


def etag(api, path):
    return api.get(path)["ETag"]


# --- Reading -------------------------------------------------------------------


def test_the_list_pages_with_a_cursor_and_constant_queries(
    api, member, defaults, django_assert_max_num_queries
):
    for number in range(7):
        services.create_client(actor=member, name=f"Client {number}")
    first = api.get("/api/clients/", page_size=3, ordering="name", expand="owner,department")
    assert first.status_code == 200
    body = first.json()
    assert [row["name"] for row in body["results"]] == ["Client 0", "Client 1", "Client 2"]
    assert body["results"][0]["owner"]["email"] == member.email
    with django_assert_max_num_queries(5):  # token, last use, count-free page, no N+1
        second = api.http.get(body["next"], headers=api.headers)
    assert [row["name"] for row in second.json()["results"]] == ["Client 3", "Client 4", "Client 5"]


def test_list_query_count_does_not_grow_with_rows(api, member, defaults, django_assert_num_queries):
    services.create_client(actor=member, name="One")
    api.get("/api/clients/")  # warm caches (content types)

    def queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/clients/", expand="owner,department").status_code == 200
        return len(captured)

    few = queries()
    for number in range(10):
        services.create_client(actor=member, name=f"More {number}")
    assert queries() == few


def test_the_list_hides_archived_clients_unless_asked(api, member, acme):
    services.archive_client(actor=member, client=acme)
    assert api.get("/api/clients/").json()["results"] == []
    assert [row["id"] for row in api.get("/api/clients/", archived="true").json()["results"]] == [
        acme.pk
    ]


def test_filters_narrow_the_list(api, member, acme, support_member):
    services.create_client(actor=support_member, name="Helpdesk Ltd")
    names = [row["name"] for row in api.get("/api/clients/", owner=member.pk).json()["results"]]
    assert names == ["Acme GmbH"]
    names = [row["name"] for row in api.get("/api/clients/", q="help").json()["results"]]
    assert names == ["Helpdesk Ltd"]


def test_a_missing_client_is_404(api, defaults):
    response = api.get("/api/clients/999999/")
    assert response.status_code == 404
    assert response.json()["detail"] == "No such client."


def test_a_detail_carries_its_version_as_etag(api, acme):
    response = api.get(f"/api/clients/{acme.pk}/")
    assert response["ETag"] == f'"{response.json()["version"]}"'


# --- Bad input: 400 naming what is wrong ---------------------------------------


@pytest.mark.parametrize(
    ("params", "named"),
    [({"colour": "red"}, "colour"), ({"expand": "owner,secrets"}, "expand")],
)
def test_unknown_query_parameters_are_400_naming_them(api, acme, params, named):
    response = api.get("/api/clients/", **params)
    assert response.status_code == 400
    assert named in response.json()


def test_page_size_is_capped(api, member, defaults):
    for number in range(3):
        services.create_client(actor=member, name=f"C{number}")
    from integrations.api.pagination import ApiCursorPagination

    assert ApiCursorPagination.max_page_size == 200
    response = api.get("/api/clients/", page_size=100000)
    assert response.status_code == 200 and len(response.json()["results"]) == 3


def test_malformed_json_is_400(api, defaults):
    response = api.post("/api/clients/", raw="{name: ")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_unknown_and_mistyped_fields_are_400_naming_them(api, defaults):
    response = api.post("/api/clients/", {"name": "Beta", "colour": "red", "archived": True})
    assert response.status_code == 400
    assert set(response.json()) == {"colour", "archived"}
    response = api.post("/api/clients/", {"name": "Beta", "tags": "not-a-list"})
    assert response.status_code == 400 and "tags" in response.json()
    response = api.post("/api/clients/", ["not", "an", "object"])
    assert response.status_code == 400
    assert not Client.objects.exists()


def test_the_services_validation_messages_come_through(api, defaults):
    response = api.post("/api/clients/", {"name": "Beta", "domain": "https://bad domain/"})
    assert response.status_code == 400
    assert "Enter a domain like example.com" in str(response.json()["domain"])


# --- Writing -------------------------------------------------------------------


def test_creating_a_client_publishes_like_the_page(api, member, defaults):
    with capture_events() as events:
        response = api.post("/api/clients/", {"name": "Beta AG", "tags": ["Vip"]})
    assert response.status_code == 201
    client = Client.objects.get(pk=response.json()["id"])
    assert client.owner == member and client.tags == ["vip"]
    assert "client.created" in {event.kind for event in events}


def test_patch_updates_fields_with_if_match_and_publishes_like_the_field_editor(
    api, client, member, acme
):
    client.force_login(member)
    with capture_events() as page_events:
        client.post(
            f"/fields/client/{acme.pk}/industry/",
            {"value": "Robotics", "seen_value": ""},
            HTTP_HX_REQUEST="true",
        )
    path = f"/api/clients/{acme.pk}/"
    with capture_events() as api_events:
        response = api.patch(path, {"industry": "Steel"}, headers={"If-Match": etag(api, path)})
    assert response.status_code == 200
    assert response.json()["industry"] == "Steel"
    assert [(e.topic, e.kind) for e in api_events] == [(e.topic, e.kind) for e in page_events]


def test_patch_without_if_match_is_428(api, acme):
    response = api.patch(f"/api/clients/{acme.pk}/", {"industry": "Steel"})
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]


def test_a_stale_if_match_is_409_with_the_value_now_and_who_set_it(api, acme, sales_manager):
    path = f"/api/clients/{acme.pk}/"
    seen = etag(api, path)
    services.update_field(
        actor=sales_manager, obj=acme, field="industry", value="Mining", seen_value=""
    )
    with capture_events(0):
        response = api.patch(
            path, {"industry": "Steel", "phone": "+49 30 1234567"}, headers={"If-Match": seen}
        )
    assert response.status_code == 409
    body = response.json()
    assert body["fields"]["industry"]["current"] == "Mining"
    assert body["fields"]["industry"]["changed_by"]["name"] == str(sales_manager)
    assert body["etag"] == etag(api, path)
    acme.refresh_from_db()
    assert acme.industry == "Mining" and acme.phone == ""


def test_if_match_star_overwrites(api, acme):
    response = api.patch(
        f"/api/clients/{acme.pk}/", {"industry": "Steel"}, headers={"If-Match": "*"}
    )
    assert response.status_code == 200


def test_a_patch_is_all_or_nothing(api, acme):
    path = f"/api/clients/{acme.pk}/"
    response = api.patch(
        path, {"industry": "Steel", "domain": "https://bad domain/"}, headers={"If-Match": "*"}
    )
    assert response.status_code == 400
    acme.refresh_from_db()
    assert acme.industry == ""


def test_editing_a_client_outside_ones_department_is_403_with_the_reason(
    member, support_member, defaults
):
    theirs = services.create_client(actor=support_member, name="Helpdesk Ltd")
    api = Api(token_for(member))
    response = api.patch(f"/api/clients/{theirs.pk}/", {"industry": "X"}, headers={"If-Match": "*"})
    assert response.status_code == 403
    assert response.json()["detail"] == "You cannot change industry of this client."


def test_archiving_goes_through_the_service(api, member, acme):
    response = api.post(f"/api/clients/{acme.pk}/archive/", {"archived": True})
    assert response.status_code == 200 and response.json()["archived"] is True


# --- Contacts ------------------------------------------------------------------


def test_contacts_are_listed_created_updated_and_deleted(api, acme, contact):
    listed = api.get("/api/contacts/", client=acme.pk, expand="client").json()["results"]
    assert listed[0]["client"] == {"id": acme.pk, "name": acme.name}
    created = api.post(
        "/api/contacts/", {"client": acme.pk, "name": "Max", "emails": ["MAX@acme.example"]}
    )
    assert created.status_code == 201 and created.json()["emails"] == ["max@acme.example"]
    path = f"/api/contacts/{created.json()['id']}/"
    updated = api.patch(path, {"title": "CTO"}, headers={"If-Match": created["ETag"]})
    assert updated.status_code == 200 and updated.json()["title"] == "CTO"
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404


@pytest.mark.parametrize("value", ["-5", "abc", "99999999999999999999999", "1.5"])
def test_id_filters_take_ids(api, acme, value):
    """Found by schemathesis: a huge id overflowed SQLite (500)."""
    response = api.get("/api/clients/", owner=value)
    assert response.status_code == 400
    assert response.json() == {"owner": ["Give an id (a whole number)."]}
    assert api.get("/api/people/", departments=value).status_code == 400
