"""Load and failures: a burst of traffic, Redis down, PostgreSQL or PgBouncer restarted, a
worker killed."""

from __future__ import annotations

import functools
import http.client
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable

import pytest

from tests.live.conftest import POOLED, SHAPES, deployment
from tests.live.servers import Reply, request
from tests.live.test_concurrency import PASSWORD, log_in, me, refresh

pytestmark = pytest.mark.integration


@pytest.fixture(params=[*SHAPES, *POOLED])
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    """Every shape, and PgBouncer in transaction pooling with and without the setting."""
    return deployment(request)


production = pytest.mark.parametrize("backend", ["postgres+redis", *POOLED], indirect=True)
pooled = pytest.mark.parametrize("backend", POOLED, indirect=True)
UNAVAILABLE = {"detail": "The service is temporarily unavailable.", "code": "service_unavailable"}


def run_wrk(url: str, token: str, seconds: int, connections: int) -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs wrk for the load test (apt-get install wrk)")
        pytest.skip("load test skipped: wrk is not installed (apt-get install wrk)")
    return subprocess.run(
        [
            wrk,
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            f"{url}/api/v1/user/",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout


def test_ten_seconds_at_64_connections_without_a_single_error(make_app):
    app = make_app()
    app.create_user("alice", PASSWORD)
    server = app.start(workers=2)
    token, _ = log_in(server.url)
    report = run_wrk(server.url, token, seconds=10, connections=64)
    assert "Non-2xx or 3xx responses" not in report, report
    assert "Socket errors" not in report, report
    requests_done = int(re.search(r"(\d+) requests in", report).group(1))
    p99 = re.search(r"99%\s+(\S+)", report).group(1)
    print(f"\nload: {requests_done} requests in 10 s at 64 connections, 0 errors, p99 {p99}")
    assert requests_done > 1000


@pytest.fixture
def signed_in(make_app):
    """A server with two workers and alice signed in: (server, access token, refresh token)."""
    app = make_app()
    app.create_user("alice", PASSWORD)
    server = app.start(workers=2)
    return (server, *log_in(server.url))


@production
def test_with_redis_down_revocation_still_holds_and_health_says_so(signed_in, services):
    _, redis = services
    server, access, token = signed_in
    redis.stop()
    try:
        assert me(server.url, access).status == 200
        health = request(server.url, "GET", "/api/v1/health/")
        assert health.body["cache"] == "down" and health.body["database"] == "ok"
        renewed = refresh(server.url, token)
        assert renewed.status == 200
        assert (
            request(
                server.url,
                "POST",
                "/api/v1/auth/logout/",
                headers={"Authorization": f"Bearer {access}"},
            ).status
            == 204
        )
        assert me(server.url, renewed.body["token"]).code == "session_revoked"
        access, _ = log_in(server.url)  # logins keep working on the database alone
    finally:
        redis.start()
    assert request(server.url, "GET", "/api/v1/health/").body["cache"] == "ok"
    assert me(server.url, access).status == 200


def assert_down_cleanly(url: str, *replies: Reply) -> None:
    """Each reply, and the health check, say the database is down: a JSON 503, no 500."""
    for reply in replies:
        assert reply.status == 503, reply.body
        assert reply.body == UNAVAILABLE
    health = request(url, "GET", "/api/v1/health/")
    assert health.status == 503 and health.body["database"] == "down"


def first_answer_but_503(call: Callable[[], Reply], seconds: float) -> Reply:
    """``call``'s first answer that is not a clean 503, asking again for up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        reply = call()
        if reply.status != 503 or time.monotonic() > deadline:
            return reply
        assert reply.body == UNAVAILABLE
        time.sleep(0.2)


@production
def test_with_postgres_restarting_requests_fail_cleanly_then_recover(signed_in, services, backend):
    postgres, _ = services
    server, access, _ = signed_in
    postgres.stop()
    try:
        assert_down_cleanly(server.url, me(server.url, access))
    finally:
        postgres.start()
    # No restart of the app. PgBouncer logs in to the new server only once its
    # server_login_retry (1 s here) has passed: until then, clean 503s.
    wait = 5 if backend["DATABASE_URL"] != services[0].url else 0
    assert first_answer_but_503(lambda: me(server.url, access), wait).status == 200
    assert request(server.url, "GET", "/api/v1/health/").status == 200


@pooled
def test_with_pgbouncer_restarting_requests_fail_cleanly_then_recover(signed_in, pgbouncer):
    server, access, token = signed_in
    pgbouncer.stop()  # every client connection cut, as in a crash
    try:
        assert_down_cleanly(server.url, me(server.url, access), refresh(server.url, token))
    finally:
        pgbouncer.start()
    # Both workers' next requests, on new connections through the new PgBouncer.
    assert {me(server.url, access).status for _ in range(10)} == {200}
    assert refresh(server.url, token).status == 200


def test_a_worker_killed_mid_refresh_loses_no_session(make_app):
    app = make_app(REFRESH_FAILURES_PER_IP=10_000)
    app.create_user("alice", PASSWORD)
    server = app.start(workers=2)
    clients = [log_in(server.url)[1] for _ in range(4)]
    stop = threading.Event()
    failures: list[str] = []

    def keep_refreshing(index: int) -> None:
        while not stop.is_set():
            token = clients[index]
            try:
                reply = refresh(server.url, token)
            except (OSError, http.client.HTTPException):
                # The connection died with the worker (before or during the answer's
                # body): retry the same token, as the app does.
                continue
            if reply.status == 200:
                clients[index] = reply.body["refresh"]
            elif reply.status != 502:
                failures.append(f"{reply.status} {reply.body}")

    threads = [threading.Thread(target=functools.partial(keep_refreshing, i)) for i in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    for pid in server.worker_pids()[:1]:
        os.kill(pid, signal.SIGKILL)
    time.sleep(1.5)
    stop.set()
    for thread in threads:
        thread.join(timeout=20)
    assert failures == []
    for token in clients:  # every session alive, every client's newest token valid
        reply = refresh(server.url, token)
        assert reply.status == 200, reply.body
        assert me(server.url, reply.body["token"]).status == 200
