"""POST /api/v1/auth/obtain_token/."""

from __future__ import annotations

import pytest
from spa_auth.models import AuditEvent, Session

from tests.conftest import PASSWORD, bearer, login

pytestmark = pytest.mark.django_db


def test_login_returns_the_original_contract_token_and_the_user(client, user):
    response = login(client)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["user"] == {
        "id": user.pk,
        "username": "alice",
        "email": user.email,
        "first_name": "Alice",
        "last_name": "Liddell",
        "is_staff": False,
        "password_breached": False,
    }
    assert isinstance(body["token"], str) and body["token"].count(".") == 2


def test_the_original_tutorial_flow_works_with_the_jwt_prefix(client, user):
    token = login(client).json()["token"]
    response = client.get("/api/v1/user/", **bearer(token, "JWT"))
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_login_sets_an_httponly_strict_refresh_cookie_scoped_to_auth_routes(client, user):
    response = login(client)
    cookie = response.cookies["refresh_token"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/v1/auth/"
    assert 0 < int(cookie["max-age"]) <= 7 * 24 * 3600
    # Plain HTTP to a loopback-free host name: still Secure.
    assert cookie["secure"] is True


def test_login_over_plain_http_on_loopback_sets_a_non_secure_cookie_for_development(user):
    from django.test import Client

    response = login(Client(HTTP_HOST="127.0.0.1:8000"))
    assert response.cookies["refresh_token"]["secure"] == ""


def test_login_sets_a_fresh_readable_csrf_cookie(client, user):
    response = login(client)
    assert response.cookies["csrftoken"].value
    assert not response.cookies["csrftoken"]["httponly"]


def test_login_responses_are_never_cached(client, user):
    assert "no-store" in login(client)["Cache-Control"]


def test_login_opens_one_session_and_records_an_audit_event(client, user):
    login(client)
    assert Session.objects.filter(user=user, revoked_at__isnull=True).count() == 1
    event = AuditEvent.objects.get(kind="login")
    assert event.user == user and event.ip == "127.0.0.1"


@pytest.mark.parametrize("case", ["unknown_user", "wrong_password", "inactive_user"])
def test_every_login_failure_gets_the_same_generic_401(client, user_factory, case):
    user_factory(username="bob", is_active=case != "inactive_user")
    username = "nobody" if case == "unknown_user" else "bob"
    password = "wrong-password" if case == "wrong_password" else PASSWORD
    response = login(client, username, password)
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Unable to log in with the provided credentials.",
        "code": "invalid_credentials",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "refresh_token" not in response.cookies


def test_a_failed_login_is_audited_with_the_attempted_username(client, user):
    login(client, "alice", "nope")
    event = AuditEvent.objects.get(kind="login_failed")
    assert event.username == "alice" and event.user is None


def test_login_refuses_form_encoded_bodies(client, user):
    response = client.post(
        "/api/v1/auth/obtain_token/", {"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_login_with_missing_fields_lists_them(client, db):
    response = client.post("/api/v1/auth/obtain_token/", {}, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"username", "password"}


def test_login_with_malformed_json_is_a_400(client, db):
    response = client.post(
        "/api/v1/auth/obtain_token/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.real_hasher
def test_argon2_is_the_first_password_hasher(user_factory):
    assert user_factory().password.startswith("argon2$")
