"""Logout, logout everywhere, the session list, revoking one, password change."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from spa_auth.models import AuditEvent, Session

from tests.conftest import PASSWORD, bearer, login, refresh_with_cookie

pytestmark = pytest.mark.django_db


def logged_in(username: str = "alice") -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    return client, login(client, username).json()["token"]


def csrf(client: Client) -> dict[str, str]:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def test_logout_with_the_cookie_ends_the_session_and_clears_the_cookie(user):
    client, token = logged_in()
    response = client.post("/api/v1/auth/logout/", **csrf(client))
    assert response.status_code == 204
    assert response.cookies["refresh_token"].value == ""
    assert response.cookies["refresh_token"]["path"] == "/api/v1/auth/"
    assert client.get("/api/v1/user/", **bearer(token)).json()["code"] == "session_revoked"
    assert AuditEvent.objects.get(kind="logout").user == user


def test_logout_with_the_cookie_needs_csrf(user):
    client, token = logged_in()
    assert client.post("/api/v1/auth/logout/").status_code == 403
    assert client.get("/api/v1/user/", **bearer(token)).status_code == 200


def test_logout_with_an_access_token_alone_works_for_api_clients(user):
    client, token = logged_in()
    client.cookies.clear()
    assert client.post("/api/v1/auth/logout/", **bearer(token)).status_code == 204
    assert client.get("/api/v1/user/", **bearer(token)).status_code == 401


def test_logout_is_idempotent(user):
    client, _token = logged_in()
    assert client.post("/api/v1/auth/logout/", **csrf(client)).status_code == 204
    assert client.post("/api/v1/auth/logout/", **csrf(client)).status_code == 204
    assert Client().post("/api/v1/auth/logout/").status_code == 204


def test_logout_all_ends_every_session_of_the_user_only(user, user_factory):
    user_factory(username="bob")
    first, first_token = logged_in()
    second, second_token = logged_in()
    bob, bob_token = logged_in("bob")
    assert first.post("/api/v1/auth/logout_all/", **bearer(first_token)).status_code == 204
    assert first.get("/api/v1/user/", **bearer(first_token)).status_code == 401
    assert second.get("/api/v1/user/", **bearer(second_token)).status_code == 401
    assert bob.get("/api/v1/user/", **bearer(bob_token)).status_code == 200


def test_the_session_list_shows_live_sessions_and_marks_the_current_one(user):
    client, token = logged_in()
    _other, _ = logged_in()
    Client().post(  # a revoked session is not listed
        "/api/v1/auth/logout/", **bearer(login(Client()).json()["token"])
    )
    body = client.get("/api/v1/auth/sessions/", **bearer(token), HTTP_USER_AGENT="x").json()
    assert body["count"] == 2
    current = [s for s in body["results"] if s["current"]]
    assert len(current) == 1
    assert set(current[0]) == {
        "id",
        "kind",
        "provider",
        "created",
        "last_used",
        "expires",
        "user_agent",
        "ip",
        "current",
    }
    assert current[0]["provider"] == ""  # a password login; a provider's id otherwise


def test_revoking_one_session_ends_only_that_one(user):
    client, token = logged_in()
    other, other_token = logged_in()
    sessions = client.get("/api/v1/auth/sessions/", **bearer(token)).json()["results"]
    target = next(s["id"] for s in sessions if not s["current"])
    assert client.delete(f"/api/v1/auth/sessions/{target}/", **bearer(token)).status_code == 204
    assert other.get("/api/v1/user/", **bearer(other_token)).status_code == 401
    assert client.get("/api/v1/user/", **bearer(token)).status_code == 200


def test_revoking_another_users_session_is_a_404(user, user_factory):
    user_factory(username="bob")
    client, token = logged_in()
    bob, bob_token = logged_in("bob")
    bob_session = Session.objects.get(user__username="bob").pk
    response = client.delete(f"/api/v1/auth/sessions/{bob_session}/", **bearer(token))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert bob.get("/api/v1/user/", **bearer(bob_token)).status_code == 200


def change_password(client: Client, token: str, old: str, new: str):
    return client.post(
        "/api/v1/auth/password/change/",
        {"old_password": old, "new_password": new},
        content_type="application/json",
        **bearer(token),
    )


def test_password_change_ends_every_session_and_moves_this_device_to_a_new_one(user):
    client, token = logged_in()
    old_refresh = client.cookies["refresh_token"].value
    other, other_token = logged_in()
    response = change_password(client, token, PASSWORD, "a-fresh-long-passphrase")
    assert response.status_code == 200
    new_token = response.json()["token"]
    assert client.cookies["refresh_token"].value != old_refresh  # a new session's cookie
    assert "refresh" not in response.json()  # a cookie client gets no token in the body
    assert client.get("/api/v1/user/", **bearer(new_token)).status_code == 200
    assert client.get("/api/v1/user/", **bearer(token)).status_code == 401
    assert other.get("/api/v1/user/", **bearer(other_token)).status_code == 401
    # A copy of this device's old refresh token is dead too.
    stale = Client().post(
        "/api/v1/auth/refresh_token/", {"refresh": old_refresh}, content_type="application/json"
    )
    assert stale.status_code == 401
    assert login(Client(), "alice", "a-fresh-long-passphrase").status_code == 200


def test_a_body_client_gets_its_new_refresh_token_in_the_body(user):
    token = login(Client()).json()["token"]
    response = change_password(Client(), token, PASSWORD, "a-fresh-long-passphrase")
    assert response.status_code == 200
    assert set(response.json()) == {"token", "token_type", "expires_in", "refresh"}
    again = Client().post(
        "/api/v1/auth/refresh_token/",
        {"refresh": response.json()["refresh"]},
        content_type="application/json",
    )
    assert again.status_code == 200


def test_password_change_reports_field_errors(user):
    client, token = logged_in()
    response = change_password(client, token, "wrong", "123")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "old_password" in errors
    response = change_password(client, token, PASSWORD, "123")
    assert "new_password" in response.json()["errors"]
    assert any("too short" in m for m in response.json()["errors"]["new_password"])


def test_the_revoke_command_ends_every_session_of_a_user(user):
    client, token = logged_in()
    call_command("revoke_sessions", "alice")
    assert client.get("/api/v1/user/", **bearer(token)).status_code == 401


def test_the_prune_command_deletes_dead_sessions_and_old_events(user, clock):
    client, token = logged_in()
    client.post("/api/v1/auth/logout/", **bearer(token))
    clock.advance(days=91)
    login(Client())
    call_command("prune_auth", batch_size=1)
    assert list(Session.objects.values_list("revoked_at", flat=True)) == [None]
    # The recent login, from a new browser, and its notice (test_devices.py) stay.
    assert sorted(AuditEvent.objects.values_list("kind", flat=True)) == ["login", "new_device"]


def test_the_refresh_cookie_probe_spends_nothing_and_answers_no_foreign_origin(client, user):
    assert client.get("/api/v1/auth/refresh_token/present/").json() == {"refresh_cookie": False}
    assert login(client).status_code == 200
    asked = client.get("/api/v1/auth/refresh_token/present/", HTTP_ORIGIN="https://evil.example")
    assert asked.json() == {"refresh_cookie": True}
    assert "Access-Control-Allow-Origin" not in asked  # another site cannot read it
    assert refresh_with_cookie(client).status_code == 200  # nothing was spent
