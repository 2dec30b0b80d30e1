"""Simultaneous refreshes of one token against a live server with real threads."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable

import pytest

from tests.live import servers
from tests.live.conftest import POOLED, SHAPES, deployment
from tests.live.servers import App, Reply, request

pytestmark = pytest.mark.integration

PASSWORD = "a-long-live-tier-passphrase"
TRIALS = 50


@pytest.fixture(params=[*SHAPES, *POOLED])
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    """Every shape, and PgBouncer in transaction pooling with and without the setting."""
    return deployment(request)


def log_in(url: str, username: str = "alice") -> tuple[str, str]:
    return servers.log_in(url, username, PASSWORD)


def refresh(url: str, token: str) -> Reply:
    return request(url, "POST", "/api/v1/auth/refresh_token/", {"refresh": token})


def me(url: str, access: str) -> Reply:
    return request(url, "GET", "/api/v1/user/", headers={"Authorization": f"Bearer {access}"})


def simultaneously(*calls: Callable[[], Reply]) -> list[Reply]:
    barrier = threading.Barrier(len(calls))
    results: list[Reply | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("workers", "threads"), [(1, 1), (2, 1), (1, 4)], ids=["1-sync-worker", "2-workers", "threads"]
)
def test_two_simultaneous_refreshes_never_log_out_and_never_fork(make_app, workers, threads):
    app: App = make_app(REFRESH_FAILURES_PER_IP=1000)
    app.create_user("alice", PASSWORD)
    server = app.start(workers=workers, threads=threads)
    _, token = log_in(server.url)
    for trial in range(TRIALS):
        same = functools.partial(refresh, server.url, token)
        first, second = simultaneously(same, same)
        assert (first.status, second.status) == (200, 200), (trial, first.body, second.body)
        # Both callers hold the same newest token: the session did not fork.
        assert first.body["refresh"] == second.body["refresh"], trial
        token = first.body["refresh"]
        assert me(server.url, second.body["token"]).status == 200
    assert refresh(server.url, token).status == 200


def test_reuse_after_the_grace_window_revokes_the_session_and_its_access_tokens(make_app):
    app = make_app(REFRESH_GRACE=1)
    app.create_user("alice", PASSWORD)
    server = app.start(workers=2)
    access, old = log_in(server.url)
    newest = refresh(server.url, old).body
    time.sleep(1.5)
    replay = refresh(server.url, old)
    assert replay.status == 401 and replay.code == "refresh_reused"
    assert me(server.url, access).code == "session_revoked"
    assert me(server.url, newest["token"]).code == "session_revoked"
    assert refresh(server.url, newest["refresh"]).status == 401
