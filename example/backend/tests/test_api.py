"""The rest of /api/v1/, the JSON error contract, and the single-page app fallback."""

from __future__ import annotations

import pytest

from tests.conftest import bearer, login

pytestmark = pytest.mark.django_db


def test_the_users_list_is_for_staff_only_and_paginated_by_20(client, user_factory):
    user_factory(username="root", is_staff=True)
    for _ in range(25):
        user_factory()
    staff = login(client, "root").json()["token"]
    page = client.get("/api/v1/users/", **bearer(staff)).json()
    assert page["count"] == 26 and len(page["results"]) == 20 and page["next"]
    second = client.get("/api/v1/users/?limit=20&offset=20", **bearer(staff)).json()
    assert len(second["results"]) == 6


def test_a_non_staff_user_gets_403_on_the_users_list(client, user):
    token = login(client).json()["token"]
    response = client.get("/api/v1/users/", **bearer(token))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_health_reports_database_and_cache(client, db):
    assert client.get("/api/v1/health/").json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
    }


def test_unknown_api_routes_are_json_404s(client, db):
    for path in ["/api/v1/nope/", "/api/v2/", "/api/"]:
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_client_side_routes_get_the_app_index(client, settings, tmp_path):
    (tmp_path / "index.html").write_text("<div id=app></div>")
    settings.FRONTEND_DIST = tmp_path
    for path in ["/", "/login", "/sessions/deep/link"]:
        response = client.get(path)
        assert response.status_code == 200
        assert b"<div id=app>" in response.content


def test_wrong_methods_get_a_json_405(client, db):
    response = client.get("/api/v1/auth/obtain_token/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_security_headers_are_on_every_response(client, db):
    response = client.get("/api/v1/health/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_browsable_api_is_off(client, user):
    token = login(client).json()["token"]
    response = client.get("/api/v1/user/", HTTP_ACCEPT="text/html", **bearer(token))
    assert response["Content-Type"].startswith("application/json")


def test_the_csrf_endpoint_sets_the_cookie(client, db):
    response = client.get("/api/v1/auth/csrf/")
    assert response.status_code == 204
    assert response.cookies["csrftoken"].value


def test_the_first_superuser_gets_a_random_password_shown_once(db, capsys, monkeypatch):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    call_command("ensure_superuser")
    first = capsys.readouterr().out
    assert "admin" in first and "password:" in first
    call_command("ensure_superuser")
    assert capsys.readouterr().out == ""
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


def test_the_first_superuser_comes_from_the_environment(db, monkeypatch):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "boss")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-boss-passphrase")
    call_command("ensure_superuser")
    assert get_user_model().objects.get(username="boss").check_password("a-long-boss-passphrase")


def test_a_disallowed_host_gets_a_json_400_on_the_api(db):
    from django.test import Client

    response = Client(HTTP_HOST="evil.example").get("/api/v1/health/")
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request.", "code": "bad_request"}


def test_the_jwks_may_be_cached_but_session_lists_may_not(client, user):
    assert client.get("/api/v1/auth/jwks/")["Cache-Control"] == "public, max-age=300"
    token = login(client).json()["token"]
    response = client.get("/api/v1/auth/sessions/", **bearer(token))
    assert response["Cache-Control"] == "no-store, private"


def test_robots_txt_is_text_and_keeps_crawlers_off_the_api_and_the_link_pages(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("User-agent: *\n")
    for path in ("/api/", "/admin/", "/verify-email", "/reset-password", "/confirm-email"):
        assert f"Disallow: {path}\n" in body
