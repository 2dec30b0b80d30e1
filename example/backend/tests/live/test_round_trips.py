"""Round trips to PostgreSQL per authenticated request, and what a restart costs, over HTTP.

PostgreSQL counts the statements (``statements.count_statements``), so a connection
health check's ``SELECT 1`` counts as well as the query itself.
"""

from __future__ import annotations

import pytest

from tests.live.servers import request
from tests.live.statements import count_statements
from tests.live.test_concurrency import PASSWORD, log_in, me, refresh

pytestmark = pytest.mark.integration
production = pytest.mark.parametrize("backend", ["postgres+redis"], indirect=True)
REQUESTS = 20  # enough for both workers to serve several


@pytest.fixture
def signed_in(make_app):
    """Two workers, alice signed in, and each worker's connection open."""
    app = make_app()
    app.create_user("alice", PASSWORD)
    server = app.start(workers=2)
    access, token = log_in(server.url)
    for _ in range(REQUESTS):
        assert me(server.url, access).status == 200
    return server, access, token


@production
def test_an_authenticated_request_sends_postgresql_one_statement(signed_in, services):
    postgres, _ = services
    server, access, _ = signed_in

    def requests() -> None:
        for _ in range(REQUESTS):
            assert me(server.url, access).status == 200

    assert count_statements(postgres.url, postgres.folder / "log", requests) == REQUESTS


@production
def test_after_a_postgresql_restart_every_worker_answers_at_once(signed_in, services):
    postgres, _ = services
    server, access, token = signed_in
    postgres.stop()
    postgres.start()
    # Each worker's connection died with the server: its next request reconnects instead
    # of failing, for the hot path as for everything else.
    assert all(me(server.url, access).status == 200 for _ in range(REQUESTS))
    assert request(server.url, "GET", "/api/v1/health/").status == 200
    renewed = refresh(server.url, token)
    assert renewed.status == 200, renewed.body
    logout = request(
        server.url,
        "POST",
        "/api/v1/auth/logout/",
        headers={"Authorization": f"Bearer {renewed.body['token']}"},
    )
    assert logout.status == 204
    # The revocation holds on every worker from the very next request.
    assert {me(server.url, access).code for _ in range(REQUESTS)} == {"session_revoked"}
