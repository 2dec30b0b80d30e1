"""docs/deployment.md's "Many machines" block, followed to the letter on PostgreSQL and Redis:
its exports (the live tier's servers for the doc's placeholders), its migrate, and its
gunicorn line on a loopback port, answering with both services up."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.live.servers import LOOPBACK, App, Postgres, Redis, free_port, log_in, request, wait_for
from tests.snippets import snippet
from tests.test_deployment_docs import REPO, deployment_env, documented_steps, follow

pytestmark = pytest.mark.integration


def test_many_machines_as_documented(tmp_path: Path, services: tuple[Postgres, Redis]) -> None:
    postgres, redis = services
    steps = documented_steps(snippet("many-machines"))
    exec_line = steps.pop()
    assert exec_line[0] == "exec" and "--bind" in exec_line, exec_line
    env = deployment_env(tmp_path)
    relocated = {
        "DATABASE_URL": postgres.url,
        "REDIS_URL": redis.url,
        "SECRET_KEY": env["SECRET_KEY"],
    }
    exported = follow(steps, env, relocated)
    assert set(relocated) <= set(exported)
    cwd = REPO / next(argv[1] for argv in steps if argv[0] == "cd")
    app = App(env=env, folder=tmp_path)
    app.create_user("alice", PASSWORD)
    # The doc binds every interface on :8000; the test, a free loopback port.
    argv = exec_line[1:]
    argv[argv.index("--bind") + 1] = f"{LOOPBACK}:{free_port()}"
    url = f"http://{argv[argv.index('--bind') + 1]}"
    with (tmp_path / "gunicorn.log").open("wb") as log:
        server = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: request(url, "GET", "/api/v1/health/").status == 200, 60, shlex.join(argv))
        health = request(url, "GET", "/api/v1/health/").body
        assert (health["database"], health["cache"]) == ("ok", "ok")
        token, _ = log_in(url, "alice", PASSWORD)
        auth = {"Authorization": f"Bearer {token}"}
        assert request(url, "GET", "/api/v1/user/", headers=auth).status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
        # PostgreSQL and Redis are shared: leave them empty for the next test.
        app.manage("flush", "--noinput")
        app.manage("shell", "-c", "from django.core.cache import cache; cache.clear()")
