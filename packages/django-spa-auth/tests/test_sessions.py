"""Refresh rotation and reuse, logout, the sessions list, and what ends a session."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import PASSWORD, bearer, csrf, logged_in, login, me, refresh

pytestmark = pytest.mark.django_db


def test_the_csrf_endpoint_sets_the_csrf_cookie(db):
    client = Client(enforce_csrf_checks=True)
    response = client.get("/api/v1/auth/csrf/")
    assert response.status_code == 204
    assert response.cookies["csrftoken"].value
    assert response.cookies["csrftoken"]["httponly"] == ""  # the SPA must read it


def test_refresh_with_the_cookie_and_the_csrf_header_rotates(user):
    client = Client(enforce_csrf_checks=True)
    client.get("/api/v1/auth/csrf/")
    assert login(client, user).status_code == 200
    first = client.cookies["refresh_token"].value
    response = refresh(client)
    assert response.status_code == 200
    assert set(response.json()) == {"token", "token_type", "expires_in"}
    assert response.cookies["refresh_token"].value not in {"", first}
    assert response.cookies["refresh_token"]["httponly"] is True
    assert me(Client(), response.json()["token"]).json() == {"pk": str(user.pk)}
    assert refresh(client).status_code == 200  # and again, from the rotated cookie


def test_refresh_with_the_cookie_but_without_the_csrf_header_is_refused(user):
    client, _token = logged_in(user)
    response = client.post("/api/v1/auth/refresh_token/", content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


def test_a_rotated_token_replayed_after_the_grace_window_ends_the_session(user, clock):
    client, _token = logged_in(user)
    stolen = client.cookies["refresh_token"].value
    newest = refresh(client)
    assert newest.status_code == 200
    clock.advance(seconds=11)  # past the 10 s grace
    thief = Client()
    replay = thief.post(
        "/api/v1/auth/refresh_token/", {"refresh": stolen}, content_type="application/json"
    )
    assert replay.status_code == 401
    assert replay.json()["code"] == "refresh_reused"
    # The whole session ended: the newest refresh token and access token are dead too.
    assert refresh(client).status_code == 401
    assert me(Client(), newest.json()["token"]).json()["code"] == "session_revoked"


def test_the_same_client_may_present_the_previous_token_within_the_grace_window(user, clock):
    client, _token = logged_in(user)
    previous = client.cookies["refresh_token"].value
    assert refresh(client).status_code == 200
    clock.advance(seconds=5)
    client.cookies["refresh_token"] = previous  # a second tab that had not seen the rotation
    again = refresh(client)
    assert again.status_code == 200
    assert me(Client(), again.json()["token"]).status_code == 200


def test_logout_ends_the_session_at_once(user):
    client, token = logged_in(user)
    response = client.post("/api/v1/auth/logout/", **csrf(client))
    assert response.status_code == 204
    assert response.cookies["refresh_token"].value == ""
    assert me(Client(), token).json()["code"] == "session_revoked"


def test_logout_all_ends_every_session_of_the_user_only(user, user_factory):
    first, first_token = logged_in(user)
    second, second_token = logged_in(user)
    _bob, bob_token = logged_in(user_factory())
    assert first.post("/api/v1/auth/logout_all/", **bearer(first_token)).status_code == 204
    assert me(Client(), first_token).status_code == 401
    assert me(Client(), second_token).status_code == 401
    assert refresh(second).status_code == 401
    assert me(Client(), bob_token).status_code == 200


def test_the_sessions_list_shows_live_sessions_and_marks_the_current_one(user, user_factory):
    client, token = logged_in(user)
    _other, _ = logged_in(user)
    _ended, ended_token = logged_in(user)
    Client().post("/api/v1/auth/logout/", **bearer(ended_token))
    logged_in(user_factory())  # someone else's
    body = client.get("/api/v1/auth/sessions/", **bearer(token)).json()
    assert body["count"] == 2
    assert [s["current"] for s in body["results"]].count(True) == 1
    assert {s["kind"] for s in body["results"]} == {"token"}


def test_revoking_a_session_from_the_list_ends_only_that_one(user):
    client, token = logged_in(user)
    _other, other_token = logged_in(user)
    sessions = client.get("/api/v1/auth/sessions/", **bearer(token)).json()["results"]
    target = next(s["id"] for s in sessions if not s["current"])
    assert client.delete(f"/api/v1/auth/sessions/{target}/", **bearer(token)).status_code == 204
    assert me(Client(), other_token).status_code == 401
    assert me(Client(), token).status_code == 200


def test_deactivating_the_user_ends_their_sessions(user):
    client, token = logged_in(user)
    user.is_active = False
    user.save()
    assert me(Client(), token).status_code == 401
    assert refresh(client).status_code == 401
    user.is_active = True
    user.save()
    assert me(Client(), token).status_code == 401  # reactivation revives nothing
    assert login(Client(), user).status_code == 200


def test_a_password_change_answers_a_new_token_and_ends_the_old_sessions(user):
    client, token = logged_in(user)
    other, other_token = logged_in(user)
    response = client.post(
        "/api/v1/auth/password/change/",
        {"old_password": PASSWORD, "new_password": "a-fresh-long-passphrase"},
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == 200
    new_token = response.json()["token"]
    assert me(Client(), new_token).json() == {"pk": str(user.pk)}
    assert me(Client(), token).status_code == 401
    assert me(Client(), other_token).status_code == 401
    assert refresh(other).status_code == 401
    assert refresh(client).status_code == 200  # this device goes on in its new session
    assert login(Client(), user).status_code == 401
    assert login(Client(), user, "a-fresh-long-passphrase").status_code == 200


def test_a_password_set_outside_the_api_ends_the_sessions(user):
    client, token = logged_in(user)
    user.set_password("set-in-the-shell")
    user.save()
    assert me(Client(), token).status_code == 401
    assert refresh(client).status_code == 401


def test_an_admin_login_is_listed_and_logout_all_ends_it(user_factory):
    admin_user = user_factory(is_staff=True, is_superuser=True)
    browser = Client()
    response = browser.post(
        "/admin/login/?next=/admin/",
        {"username": admin_user.get_username(), "password": PASSWORD},
    )
    assert response.status_code == 302, response.content
    assert browser.get("/admin/").status_code == 200
    _api, token = logged_in(admin_user)
    sessions = Client().get("/api/v1/auth/sessions/", **bearer(token)).json()["results"]
    assert sorted(s["kind"] for s in sessions) == ["browser", "token"]
    assert Client().post("/api/v1/auth/logout_all/", **bearer(token)).status_code == 204
    assert browser.get("/admin/").status_code == 302  # back to the login page


def test_a_browser_asks_whether_it_holds_a_refresh_cookie_without_spending_it(user: Any) -> None:
    """A first visit asks before restoring, so it makes no refresh that can only fail (a
    401 in the browser's console); the answer says nothing of the cookie's validity."""
    anonymous = Client()
    first = anonymous.get("/api/v1/auth/refresh_token/present/")
    assert first.status_code == 200 and first.json() == {"refresh_cookie": False}
    assert "csrftoken" in first.cookies  # the restore's POST needs it next
    client, _ = logged_in(user)
    assert client.get("/api/v1/auth/refresh_token/present/").json() == {"refresh_cookie": True}
    assert refresh(client).status_code == 200  # nothing was spent
