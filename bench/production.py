"""The production shapes: PostgreSQL and Redis on loopback, gunicorn with two workers,
and the same through PgBouncer in transaction pooling.

PostgreSQL, Redis and PgBouncer start as the live test tier starts them
(``tests.live.servers``), in temporary folders on free ports, and are removed afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from measure import PASSWORD, USER_PATHS, make_app, ours_login, refresh_ratio, throughput
from tests.live.servers import AppServer, PgBouncer, Postgres, Redis, request
from tests.live.statements import count_statements

REQUESTS = 50  # authenticated requests whose statements are counted


def round_trips(postgres: Postgres, server: AppServer) -> float:
    """Statements PostgreSQL receives per authenticated GET /user/, over HTTP, with every
    worker's connection already open (as in steady state)."""
    token, _ = ours_login(server.url)
    headers = {"Authorization": f"Bearer {token}"}

    def requests() -> None:
        for _ in range(REQUESTS):
            assert request(server.url, "GET", USER_PATHS["ours"], headers=headers).status == 200

    requests()  # every worker opens its connection
    return count_statements(postgres.url, postgres.folder / "log", requests) / REQUESTS


def production_figures(work: Path, *, pooled: bool = False) -> dict[str, Any]:
    """The production shape's figures (``pg_…``), or with ``pooled`` the same workload
    through PgBouncer in transaction pooling (``pgb_…``), its settings left as they are
    for direct connections (no ``DISABLE_SERVER_SIDE_CURSORS``)."""
    postgres, redis = Postgres(), Redis()
    bouncer = PgBouncer(postgres) if pooled else None
    try:
        url = bouncer.url if bouncer else postgres.url
        name = "pgbouncer" if pooled else "production"
        app = make_app(work / name, DATABASE_URL=url, REDIS_URL=redis.url)
        app.create_user("alice", PASSWORD)
        server = app.start(workers=2)
        try:
            figures = throughput(server) | refresh_ratio(server)
            figures["round_trips"] = round_trips(postgres, server)
        finally:
            app.stop()
    finally:
        if bouncer:
            bouncer.destroy()
        redis.destroy()
        postgres.destroy()
    return {f"{'pgb' if pooled else 'pg'}_{key}": value for key, value in figures.items()}
