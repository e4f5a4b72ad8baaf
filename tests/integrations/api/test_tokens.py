"""Personal access tokens: the service, bearer authentication, scopes, the rate limit, the page."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from integrations.api.models import ApiToken
from integrations.api.services import create_token, revoke_token
from tests.factories import UserFactory
from tests.integrations.api.conftest import Api, token_for

pytestmark = pytest.mark.django_db


# --- The service ---------------------------------------------------------------


def test_a_token_is_stored_hashed_and_its_secret_returned_once(member):
    token, secret = create_token(actor=member, name=" CI  sync ", scopes=["clients:read"])
    assert secret.startswith("wsk_") and len(secret) > 40
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert token.name == "CI sync" and token.prefix == secret[:10]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "", "scopes": ["clients:read"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["clients:admin"]}, "scopes"),
        ({"name": "x", "scopes": ["deals:read"], "expires_at": timezone.now()}, "expires_at"),
    ],
)
def test_a_token_needs_a_name_known_scopes_and_a_future_expiry(member, kwargs, field):
    with pytest.raises(ValidationError) as error:
        create_token(actor=member, **kwargs)
    assert field in error.value.message_dict
    assert not ApiToken.objects.exists()


def test_only_the_owner_revokes_a_token(member, sales_manager):
    token, _ = create_token(actor=member, name="x", scopes=["clients:read"])
    with pytest.raises(PermissionDenied):
        revoke_token(actor=sales_manager, token=token)
    assert revoke_token(actor=member, token=token).revoked_at is not None


# --- Authentication: 401 with the reason ---------------------------------------


def test_without_credentials_the_api_answers_401_with_the_scheme(client):
    response = client.get("/api/clients/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Bearer", "Malformed token"),
        ("Bearer not-ours", "Malformed token"),
        ("Bearer wsk_a b", "Malformed token"),
        ("Bearer wsk_unknown", "Unknown token"),
    ],
)
def test_a_malformed_or_unknown_token_is_401(client, header, reason):
    response = client.get("/api/clients/", headers={"Authorization": header})
    assert response.status_code == 401
    assert reason in response.json()["detail"]


def test_a_revoked_token_is_401(member):
    token, secret = create_token(actor=member, name="x", scopes=["clients:read"])
    revoke_token(actor=member, token=token)
    response = Api(secret).get("/api/clients/")
    assert response.status_code == 401
    assert response.json()["detail"] == "This token was revoked."


def test_an_expired_token_is_401(member):
    token, secret = create_token(
        actor=member, name="x", scopes=["clients:read"], expires_at=timezone.now() + timedelta(1)
    )
    assert Api(secret).get("/api/clients/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = Api(secret).get("/api/clients/")
    assert response.status_code == 401
    assert "This token expired on" in response.json()["detail"]


def test_a_deactivated_users_token_is_401(member):
    secret = token_for(member, ["clients:read"])
    member.is_active = False
    member.save()
    assert Api(secret).get("/api/clients/").status_code == 401


def test_using_a_token_notes_when(member):
    token, secret = create_token(actor=member, name="x", scopes=["clients:read"])
    assert token.last_used_at is None
    Api(secret).get("/api/clients/")
    token.refresh_from_db()
    assert token.last_used_at is not None


# --- Scopes: 403 naming the one needed -----------------------------------------


def test_a_read_scope_reads_but_does_not_write(member, acme):
    api = Api(token_for(member, ["clients:read"]))
    assert api.get("/api/clients/").status_code == 200
    response = api.post("/api/clients/", {"name": "Beta"})
    assert response.status_code == 403
    assert response.json()["detail"] == "This token lacks the scope clients:write."


def test_a_token_without_the_area_reads_nothing_of_it(member, deal):
    api = Api(token_for(member, ["clients:write"]))
    response = api.get(f"/api/deals/{deal.pk}/")
    assert response.status_code == 403
    assert response.json()["detail"] == "This token lacks the scope deals:read."


# --- The rate limit ------------------------------------------------------------


def test_past_the_rate_a_token_gets_429_with_retry_after(member, settings):
    settings.API_RATE_LIMIT = "3/minute"
    api = Api(token_for(member, ["clients:read"]))
    codes = [api.get("/api/clients/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = api.get("/api/clients/")
    assert int(response["Retry-After"]) > 0
    other = Api(token_for(member, ["clients:read"]))
    assert other.get("/api/clients/").status_code == 200, "the limit is per token"


# --- Browser sessions ----------------------------------------------------------


def test_a_session_reads_and_its_writes_need_the_csrf_token(member, defaults):
    from django.test import Client as HttpClient

    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(member)
    assert browser.get("/api/clients/").status_code == 200
    response = browser.post("/api/clients/", {"name": "Beta"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


# --- The tokens page -----------------------------------------------------------


def test_the_page_creates_a_token_showing_its_secret_once(client, member):
    client.force_login(member)
    response = client.post(
        "/api/tokens/",
        {"name": "Zapier", "scope_clients": "write", "scope_deals": "read", "expires_at": ""},
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=member)
    assert token.scopes == ["clients:write", "deals:read"]
    html = response.content.decode()
    assert "copy it now" in html and token.prefix in html
    again = client.get("/api/tokens/").content.decode()
    assert "Zapier" in again and "copy it now" not in again and token.prefix in again


def test_the_page_shows_why_a_token_was_not_made(client, member):
    client.force_login(member)
    response = client.post("/api/tokens/", {"name": "No scopes"})
    assert response.status_code == 200
    assert "Pick at least one scope." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_page_revokes_only_ones_own_tokens(client, member):
    token, _ = create_token(actor=member, name="x", scopes=["clients:read"])
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.post(f"/api/tokens/{token.pk}/revoke/").status_code == 404
    client.force_login(member)
    assert client.post(f"/api/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_profile_links_to_the_tokens_page(client, member):
    client.force_login(member)
    assert 'href="/api/tokens/"' in client.get("/profile/").content.decode()


def test_the_docs_page_lists_the_operations(client, member):
    client.force_login(member)
    html = client.get("/api/docs/").content.decode()
    assert "/api/clients/{id}/" in html and "PATCH" in html
    assert "<script" not in html.split("</main>")[0].split("<main")[-1]
