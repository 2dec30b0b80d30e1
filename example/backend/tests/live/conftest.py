"""The live tier: the app under gunicorn over real HTTP, on SQLite and on PostgreSQL + Redis.

Outside CI, a machine without PostgreSQL or Redis skips the PostgreSQL + Redis runs and
says how to install them; under CI a missing server is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live.servers import App, Postgres, Redis, postgres_bin, redis_bin

INSTALL_HINT = "apt-get install postgresql redis-server"


def _services_missing() -> str | None:
    missing = [
        name
        for name, found in (("postgresql", postgres_bin()), ("redis-server", redis_bin()))
        if not found
    ]
    return ", ".join(missing) or None


@pytest.fixture(scope="session")
def services() -> Iterator[tuple[Postgres, Redis]]:
    missing = _services_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {missing} for the integration tier")
        pytest.skip(f"integration tier skipped: {missing} not installed ({INSTALL_HINT})")
    postgres, redis = Postgres(), Redis()
    try:
        yield postgres, redis
    finally:
        redis.destroy()
        postgres.destroy()


@pytest.fixture(params=["sqlite", "postgres+redis"])
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    """The environment of one deployment shape; every live test runs on both."""
    if request.param == "sqlite":
        return {}
    postgres, redis = request.getfixturevalue("services")
    return {"DATABASE_URL": postgres.url, "REDIS_URL": redis.url}


@pytest.fixture
def make_app(tmp_path: Path, backend: dict[str, str]) -> Iterator[Callable[..., App]]:
    apps: list[App] = []

    def make(**env: Any) -> App:
        folder = tmp_path / f"app{len(apps)}"
        folder.mkdir()
        app = App.create(folder, **backend, **{k: str(v) for k, v in env.items()})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.stop()
    if backend and apps:  # PostgreSQL and Redis are shared: leave them empty for the next test
        apps[0].manage("flush", "--noinput")
        apps[0].manage("shell", "-c", "from django.core.cache import cache; cache.clear()")
