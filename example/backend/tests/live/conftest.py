"""The live tier: the app under gunicorn over real HTTP, on SQLite and on PostgreSQL + Redis.

The API, concurrency and fault suites also run through PgBouncer in transaction pooling
(``POOLED``), with and without Django's ``DISABLE_SERVER_SIDE_CURSORS``. Outside CI, a
machine without PostgreSQL, Redis or PgBouncer skips those runs and says how to install
them; under CI a missing server is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live.servers import (
    App,
    PgBouncer,
    Postgres,
    Redis,
    pgbouncer_bin,
    postgres_bin,
    redis_bin,
)
from tests.live.smtp import SmtpSink

SHAPES = ["sqlite", "postgres+redis"]
# PgBouncer in transaction pooling, as the operator may or may not have declared it.
POOLED = ["pgbouncer", "pgbouncer+no-server-side-cursors"]


def _require(*servers: tuple[str, Any]) -> None:
    missing = ", ".join(name for name, found in servers if not found)
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {missing} for the integration tier")
        pytest.skip(
            f"integration tier skipped: {missing} not installed (apt-get install {missing})"
        )


@pytest.fixture(scope="session")
def services() -> Iterator[tuple[Postgres, Redis]]:
    _require(("postgresql", postgres_bin()), ("redis-server", redis_bin()))
    postgres, redis = Postgres(), Redis()
    try:
        yield postgres, redis
    finally:
        redis.destroy()
        postgres.destroy()


@pytest.fixture(scope="session")
def pgbouncer(services: tuple[Postgres, Redis]) -> Iterator[PgBouncer]:
    _require(("pgbouncer", pgbouncer_bin()))
    bouncer = PgBouncer(services[0])
    try:
        yield bouncer
    finally:
        bouncer.destroy()


def deployment(request: pytest.FixtureRequest) -> dict[str, str]:
    """The environment of the shape ``request.param`` names (``SHAPES``, ``POOLED``)."""
    if request.param == "sqlite":
        return {}
    postgres, redis = request.getfixturevalue("services")
    if request.param == "postgres+redis":
        return {"DATABASE_URL": postgres.url, "REDIS_URL": redis.url}
    bouncer = request.getfixturevalue("pgbouncer")
    declared = request.param == "pgbouncer+no-server-side-cursors"
    return {
        "DATABASE_URL": bouncer.url,
        "REDIS_URL": redis.url,
        "DB_DISABLE_SERVER_SIDE_CURSORS": str(declared).lower(),
    }


@pytest.fixture(params=SHAPES)
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    """The environment of one deployment shape; every live test runs on both, and the
    suites that override this fixture with ``POOLED`` added on PgBouncer too."""
    return deployment(request)


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
        apps[0].manage(  # one process for both: Django's start is a second of every test
            "shell",
            "-c",
            "from django.core.management import call_command; "
            "call_command('flush', interactive=False, verbosity=0); "
            "from django.core.cache import cache; cache.clear()",
        )


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """An SMTP sink on loopback for a test's app to mail to."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()
