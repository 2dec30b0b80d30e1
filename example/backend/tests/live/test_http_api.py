"""The API contract over real HTTP under gunicorn, on SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

import pytest

from tests.live.conftest import POOLED, SHAPES, deployment
from tests.live.servers import request
from tests.live.test_concurrency import PASSWORD, log_in

pytestmark = pytest.mark.integration


@pytest.fixture(params=[*SHAPES, *POOLED])
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    """Every shape, and PgBouncer in transaction pooling with and without the setting."""
    return deployment(request)


@pytest.fixture
def server(make_app):
    app = make_app()
    app.create_user("alice", PASSWORD)
    app.create_user("root", PASSWORD, is_staff=True)
    return app.start(workers=2)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_classic_flow_with_the_jwt_prefix(server):
    token, _ = log_in(server.url)
    reply = request(server.url, "GET", "/api/v1/user/", headers={"Authorization": f"JWT {token}"})
    assert reply.status == 200 and reply.body["username"] == "alice"


def test_refresh_rotates_and_logout_revokes_at_once(server):
    token, refresh = log_in(server.url)
    rotated = request(server.url, "POST", "/api/v1/auth/refresh_token/", {"refresh": refresh})
    assert rotated.status == 200 and rotated.body["refresh"] != refresh
    assert request(server.url, "POST", "/api/v1/auth/logout/", headers=auth(token)).status == 204
    for access in (token, rotated.body["token"]):
        assert (
            request(server.url, "GET", "/api/v1/user/", headers=auth(access)).code
            == "session_revoked"
        )


def test_sessions_list_revoke_and_logout_all(server):
    first, _ = log_in(server.url)
    second, _ = log_in(server.url)
    sessions = request(server.url, "GET", "/api/v1/auth/sessions/", headers=auth(first)).body
    assert sessions["count"] == 2
    other = next(s["id"] for s in sessions["results"] if not s["current"])
    assert (
        request(server.url, "DELETE", f"/api/v1/auth/sessions/{other}/", headers=auth(first)).status
        == 204
    )
    assert request(server.url, "GET", "/api/v1/user/", headers=auth(second)).status == 401
    assert (
        request(server.url, "POST", "/api/v1/auth/logout_all/", headers=auth(first)).status == 204
    )
    assert request(server.url, "GET", "/api/v1/user/", headers=auth(first)).status == 401


def test_password_change_ends_every_session_and_moves_this_device_on(server):
    keep, keep_refresh = log_in(server.url)
    lose, lose_refresh = log_in(server.url)
    reply = request(
        server.url,
        "POST",
        "/api/v1/auth/password/change/",
        {"old_password": PASSWORD, "new_password": "another-long-passphrase"},
        headers=auth(keep),
    )
    assert reply.status == 200
    assert (
        request(server.url, "GET", "/api/v1/user/", headers=auth(reply.body["token"])).status == 200
    )
    for old in (keep, lose):
        assert request(server.url, "GET", "/api/v1/user/", headers=auth(old)).status == 401
    # The rotation statement checks the credential on this database too.
    for old in (keep_refresh, lose_refresh):
        stale = request(server.url, "POST", "/api/v1/auth/refresh_token/", {"refresh": old})
        assert stale.status == 401
    renewed = request(
        server.url, "POST", "/api/v1/auth/refresh_token/", {"refresh": reply.body["refresh"]}
    )
    assert renewed.status == 200


def test_staff_list_and_errors_are_json(server):
    staff, _ = log_in(server.url, "root")
    member, _ = log_in(server.url)
    assert request(server.url, "GET", "/api/v1/users/", headers=auth(staff)).body["count"] == 2
    assert (
        request(server.url, "GET", "/api/v1/users/", headers=auth(member)).code
        == "permission_denied"
    )
    assert request(server.url, "GET", "/api/v1/nowhere/").code == "not_found"
    health = request(server.url, "GET", "/api/v1/health/").body
    assert health == {"status": "ok", "database": "ok", "cache": "ok"}


def test_login_throttling_is_shared_by_every_worker(server):
    for _ in range(5):
        request(
            server.url, "POST", "/api/v1/auth/obtain_token/", {"username": "alice", "password": "x"}
        )
    reply = request(
        server.url,
        "POST",
        "/api/v1/auth/obtain_token/",
        {"username": "alice", "password": PASSWORD},
    )
    assert reply.status == 429 and int(reply.headers["Retry-After"]) > 0


def test_the_checks_warn_of_a_pooler_only_where_the_settings_do_not_declare_it(make_app, backend):
    app = make_app()
    try:  # warnings go to stderr, which manage() shows when the command fails
        app.manage("check", "--database", "default", "--fail-level", "WARNING")
        warned = ""
    except RuntimeError as failed:
        warned = str(failed)
    undeclared = backend.get("DB_DISABLE_SERVER_SIDE_CURSORS") == "false"
    assert ("spa_auth.W019" in warned) is undeclared, warned
