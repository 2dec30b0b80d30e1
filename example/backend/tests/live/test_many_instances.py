"""Two app instances sharing one database and one cache, as behind a load balancer."""

from __future__ import annotations

import functools

import pytest

from tests.live.servers import request
from tests.live.test_concurrency import PASSWORD, log_in, me, refresh, simultaneously

pytestmark = pytest.mark.integration


@pytest.fixture
def two_instances(make_app):
    app = make_app(REFRESH_FAILURES_PER_IP=1000)
    app.create_user("alice", PASSWORD)
    return app.start(workers=2), app.start(workers=2)


def test_log_in_on_a_refresh_on_b_log_out_on_b_and_a_refuses_at_once(two_instances):
    a, b = two_instances
    access_a, token = log_in(a.url)
    renewed = refresh(b.url, token).body
    assert me(a.url, renewed["token"]).status == 200
    assert (
        request(
            b.url,
            "POST",
            "/api/v1/auth/logout/",
            headers={"Authorization": f"Bearer {renewed['token']}"},
        ).status
        == 204
    )
    assert me(a.url, renewed["token"]).code == "session_revoked"
    assert me(a.url, access_a).code == "session_revoked"


def test_login_throttling_counts_attempts_on_both_instances(two_instances):
    a, b = two_instances
    for target in (a, b, a, b, a):
        request(
            target.url, "POST", "/api/v1/auth/obtain_token/", {"username": "alice", "password": "x"}
        )
    for target in (a, b):
        reply = request(
            target.url,
            "POST",
            "/api/v1/auth/obtain_token/",
            {"username": "alice", "password": PASSWORD},
        )
        assert reply.status == 429


def test_simultaneous_refreshes_on_both_instances_never_log_out(two_instances):
    a, b = two_instances
    _, token = log_in(a.url)
    for trial in range(20):
        first, second = simultaneously(
            functools.partial(refresh, a.url, token), functools.partial(refresh, b.url, token)
        )
        assert (first.status, second.status) == (200, 200), (trial, first.body, second.body)
        assert first.body["refresh"] == second.body["refresh"]
        token = first.body["refresh"]
    assert refresh(b.url, token).status == 200
