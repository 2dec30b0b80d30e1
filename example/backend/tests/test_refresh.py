"""POST /api/v1/auth/refresh_token/: rotation, grace, reuse detection, lifetimes."""

from __future__ import annotations

import pytest
from django.test import Client
from spa_auth.models import AuditEvent, Session

from tests.conftest import bearer, login, refresh_with_cookie

pytestmark = pytest.mark.django_db


def refresh_body(client: Client, token: str):
    return client.post(
        "/api/v1/auth/refresh_token/", {"refresh": token}, content_type="application/json"
    )


def body_login(client: Client) -> str:
    return login(client).cookies["refresh_token"].value


def another_mac(token: str, first: str) -> str:
    """The token with a MAC that is surely wrong: its first character changed (a fixed
    replacement would be the real MAC for some secrets)."""
    sid, generation, mac = token.split(".")
    return f"{sid}.{generation}.{first if mac[0] != first else 'Q'}{mac[1:]}"


def test_refresh_with_cookie_and_csrf_header_rotates_the_cookie(browser_client, user):
    first = login(browser_client).cookies["refresh_token"].value
    response = refresh_with_cookie(browser_client)
    assert response.status_code == 200
    assert response.json()["expires_in"] == 300
    assert "refresh" not in response.json()
    second = response.cookies["refresh_token"].value
    assert second != first
    assert response.cookies["refresh_token"]["httponly"] is True
    assert "no-store" in response["Cache-Control"]
    assert (
        browser_client.get("/api/v1/user/", **bearer(response.json()["token"])).status_code == 200
    )


def test_refresh_with_cookie_but_without_csrf_header_is_refused(browser_client, user):
    login(browser_client)
    response = browser_client.post("/api/v1/auth/refresh_token/", content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


def test_refresh_with_a_wrong_csrf_header_is_refused(browser_client, user):
    login(browser_client)
    response = browser_client.post(
        "/api/v1/auth/refresh_token/", content_type="application/json", HTTP_X_CSRFTOKEN="x" * 64
    )
    assert response.status_code == 403


def test_refresh_from_a_cross_site_context_is_refused(browser_client, user):
    login(browser_client)
    response = refresh_with_cookie(browser_client, HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403


def test_refresh_from_a_foreign_origin_is_refused(browser_client, user):
    login(browser_client)
    response = refresh_with_cookie(
        browser_client,
        HTTP_ORIGIN="https://evil.example",
        **{"wsgi.url_scheme": "https"},
        HTTP_HOST="testserver",
    )
    assert response.status_code == 403


def test_body_clients_refresh_without_csrf_and_get_the_new_token_in_the_body(client, user):
    token = body_login(client)
    client.cookies.clear()
    response = refresh_body(client, token)
    assert response.status_code == 200
    assert response.json()["refresh"] != token
    assert "refresh_token" not in response.cookies


def test_without_any_refresh_token_the_answer_is_401_refresh_missing(client, db):
    response = client.post("/api/v1/auth/refresh_token/", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "refresh_missing"


@pytest.mark.parametrize(
    "token",
    ["garbage", "0" * 32 + ".0." + "A" * 43, "", "x" * 600],
)
def test_a_forged_refresh_token_is_a_401_and_changes_nothing(client, user, token):
    real = body_login(client)
    response = refresh_body(client, token)
    assert response.status_code in (400, 401)
    assert refresh_body(client, real).status_code == 200


def test_a_tampered_mac_cannot_revoke_someone_elses_session(client, user):
    real = body_login(client)
    sid, generation, _mac = real.split(".")
    forged = f"{sid}.{generation}.{'B' * 43}"
    assert refresh_body(client, forged).json()["code"] == "refresh_invalid"
    assert Session.objects.get().revoked_at is None


def test_a_failed_cookie_refresh_clears_the_cookie(browser_client, user):
    login(browser_client)
    browser_client.cookies["refresh_token"] = "garbage"
    response = refresh_with_cookie(browser_client)
    assert response.status_code == 401
    assert response.cookies["refresh_token"].value == ""
    assert response.cookies["refresh_token"]["max-age"] == 0


def test_the_same_token_twice_within_the_grace_window_gives_the_same_newest_token(
    client, user, clock
):
    token = body_login(client)
    first = refresh_body(client, token).json()["refresh"]
    clock.advance(seconds=9)
    second = refresh_body(client, token).json()["refresh"]
    assert first == second
    assert refresh_body(client, second).status_code == 200


def test_a_reused_refresh_token_revokes_the_whole_session(client, user, clock):
    token = body_login(client)
    newest = refresh_body(client, token).json()
    clock.advance(seconds=11)
    response = refresh_body(client, token)
    assert response.status_code == 401
    assert response.json()["code"] == "refresh_reused"
    assert Session.objects.get().revoke_reason == "refresh_reused"
    assert refresh_body(client, newest["refresh"]).json()["code"] == "session_revoked"
    assert client.get("/api/v1/user/", **bearer(newest["token"])).status_code == 401
    assert AuditEvent.objects.filter(kind="refresh_reused").count() == 1


def test_an_older_generation_is_reuse_even_within_the_grace_window(client, user, clock):
    zero = body_login(client)
    one = refresh_body(client, zero).json()["refresh"]
    clock.advance(seconds=11)
    refresh_body(client, one)
    assert refresh_body(client, zero).json()["code"] == "refresh_reused"


def test_an_idle_session_expires_after_the_idle_lifetime(client, user, clock):
    token = body_login(client)
    clock.advance(days=7, seconds=1)
    assert refresh_body(client, token).json()["code"] == "session_expired"


def test_rotation_never_extends_the_absolute_lifetime(client, user, clock):
    token = body_login(client)
    for _ in range(5):
        clock.advance(days=5)
        response = refresh_body(client, token)
        assert response.status_code == 200
        token = response.json()["refresh"]
    clock.advance(days=5)
    assert refresh_body(client, token).json()["code"] == "session_expired"


def test_the_cookie_max_age_never_outlives_the_session(browser_client, user, clock):
    login(browser_client)
    for _ in range(4):
        clock.advance(days=6)
        response = refresh_with_cookie(browser_client)
        assert response.status_code == 200
    # Day 24 of 30: the idle window would allow 7 more days, the absolute limit only 6.
    assert int(response.cookies["refresh_token"]["max-age"]) == 6 * 24 * 3600


def test_a_thousand_refreshes_leave_the_same_number_of_rows(client, user):
    from django.db import connection

    token = body_login(client)
    tables = [m._meta.db_table for m in (Session, AuditEvent)]

    def rows() -> dict[str, int]:
        with connection.cursor() as cursor:
            counts = {}
            for table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {table}")
                counts[table] = cursor.fetchone()[0]
            return counts

    before = rows()
    for _ in range(1000):
        token = refresh_body(client, token).json()["refresh"]
    assert rows() == before


def test_refresh_of_a_deactivated_user_revokes_the_session(client, user):
    token = body_login(client)
    user.is_active = False
    user.save()
    assert refresh_body(client, token).json()["code"] == "session_revoked"
    assert Session.objects.get().revoke_reason == "deactivated"


def test_failed_refreshes_are_throttled_per_client_address(client, user, settings):
    settings.SPA_AUTH = {**settings.SPA_AUTH, "REFRESH_FAILURES_PER_IP": 3}
    token = body_login(client)
    for _ in range(3):
        assert refresh_body(client, another_mac(token, "A")).status_code == 401
    response = refresh_body(client, another_mac(token, "B"))
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) >= 1
    # A genuine token cannot be guessed, so it is never held up by others' failures.
    assert refresh_body(client, token).status_code == 200


def test_refresh_after_the_password_was_set_elsewhere_is_refused(client, user):
    token = body_login(client)
    user.set_password("set-in-the-admin-passphrase")
    user.save()
    response = refresh_body(client, token)
    assert response.json()["code"] == "session_revoked"
    assert Session.objects.get().revoke_reason == "user_changed"


def test_a_successful_refresh_is_one_sql_statement(client, user, django_assert_num_queries):
    token = body_login(client)
    with django_assert_num_queries(1):
        assert refresh_body(client, token).status_code == 200
