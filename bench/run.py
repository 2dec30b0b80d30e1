"""`make bench`: load and scaling figures for spa-auth beside DRF's baseline and simplejwt.

Three deployment shapes: one gunicorn worker on the embedded defaults (SQLite, database
cache), the production shape (PostgreSQL and Redis, two workers, ``production``), and the
same through PgBouncer in transaction pooling (``pgbouncer``).
Every figure is a ratio of two measurements taken in the same run (``measure``). Prints
a table per shape and writes bench/results/latest.json and latest.md.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from enumeration import add_known_users, enumeration, enumeration_env
from measure import (
    BACKEND,
    BENCH,
    PASSWORD,
    REFRESH_PATHS,
    ROUNDS,
    SECONDS,
    login,
    make_app,
    median_ratio,
    ours_login,
    percentile,
    refresh_rate,
    refresh_ratio,
    throughput,
    wrk,
)
from production import production_figures
from tests.live.servers import App, AppServer, pgbouncer_bin, request

TRIALS = 50
# Every shape by default; BENCH_SHAPES=sqlite, =production or =pgbouncer (or two of them,
# comma-separated) runs those only (a partial table).
SHAPES = os.environ.get("BENCH_SHAPES", "sqlite,production,pgbouncer").split(",")


def sqlite_app(folder: Path, db: Path) -> App:
    return make_app(folder, DATABASE_URL=f"sqlite:///{db}")


def add_sessions(db: Path, count: int, *, expired: bool) -> None:
    """Bulk-insert sessions of another user straight into SQLite (setup, not measured)."""
    now = datetime.now(UTC)
    when = (now - timedelta(days=40)) if expired else now
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f")
    later = (when + timedelta(days=7)).strftime("%Y-%m-%d %H:%M:%S.%f")
    end = (when + timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(db) as connection:
        user_id = connection.execute(
            "SELECT id FROM auth_user WHERE username = 'filler'"
        ).fetchone()[0]
        known = {
            "user_id": user_id,
            "created_at": stamp,
            "last_used_at": stamp,
            "idle_expires_at": later,
            "absolute_expires_at": end,
            "kind": "token",
            "user_agent": "bench",
            "ip": "127.0.0.1",
        }
        # Any other required column (the model grows) gets its type's blank value.
        for _, name, kind, required, *_ in connection.execute(
            "PRAGMA table_info(spa_auth_session)"
        ):
            if required and name not in known and name != "id":
                known[name] = 0 if kind.lower() in ("integer", "bool", "bigint") else ""
        columns = ["id", *known]
        rows = ((uuid.uuid4().hex, *known.values()) for _ in range(count))
        connection.executemany(
            f"INSERT INTO spa_auth_session ({', '.join(columns)})"
            f" VALUES ({', '.join('?' * len(columns))})",
            rows,
        )
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --- figures ----------------------------------------------------------------------------


def sql_statements(app: App) -> dict[str, Any]:
    out = app.manage("shell", "-c", (BENCH / "count_queries.py").read_text())
    return json.loads(out.strip().splitlines()[-1])


def scale(small: AppServer, large: AppServer) -> dict[str, Any]:
    auth_small, auth_large, ref_small, ref_large = [], [], [], []
    for _ in range(ROUNDS):
        for server, auth, ref in ((small, auth_small, ref_small), (large, auth_large, ref_large)):
            token, _ = ours_login(server.url)
            auth.append(wrk(f"{server.url}/api/v1/user/", token))
            ref.append(refresh_rate(server.url, "ours", SECONDS))
    return {
        "scale_auth_cost_ratio": median_ratio(auth_small, auth_large),
        "scale_refresh_cost_ratio": median_ratio(ref_small, ref_large),
    }


def login_vs_hash(server: AppServer) -> dict[str, Any]:
    """A whole login over HTTP against Django's Argon2 hash alone, interleaved."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()
    encoded = hasher.encode(PASSWORD, hasher.salt())
    logins, hashes = [], []
    for _ in range(20):
        started = time.perf_counter()
        ours_login(server.url)
        logins.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert hasher.verify(PASSWORD, encoded)
        hashes.append(time.perf_counter() - started)
    return {
        "login_ms": round(statistics.median(logins) * 1000, 1),
        "hash_ms": round(statistics.median(hashes) * 1000, 1),
        "login_hash_ratio": statistics.median(logins) / statistics.median(hashes),
    }


def two_at_once(url: str, path: str, token: str) -> list[Any]:
    """POST the same refresh token twice, released together by a barrier."""
    barrier = threading.Barrier(2)
    replies: list[Any] = [None, None]

    def hit(index: int) -> None:
        barrier.wait()
        replies[index] = request(url, "POST", path, {"refresh": token})

    threads = [threading.Thread(target=hit, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return replies


def race(app: App) -> dict[str, Any]:
    """Two simultaneous refreshes of one token: how often one is logged out, or the family forks."""
    results: dict[str, Any] = {}
    for label, workers, threads in (
        ("1 sync worker", 1, 1),
        ("2 workers", 2, 1),
        ("threads", 1, 4),
    ):
        server = app.start(workers=workers, threads=threads)
        for kind in ("ours", "simplejwt"):
            token, path = login(server.url, kind)[1], REFRESH_PATHS[kind]
            logouts = forks = 0
            for _ in range(TRIALS):
                replies = two_at_once(server.url, path, token)
                ok = [r for r in replies if r is not None and r.status == 200]
                if len(ok) < 2:
                    logouts += 1
                elif ok[0].body["refresh"] != ok[1].body["refresh"]:
                    forks += 1
                if not ok:
                    token = login(server.url, kind)[1]
                else:
                    token = ok[0].body["refresh"]
            results[f"{kind} / {label}"] = {"logouts": logouts, "forks": forks, "trials": TRIALS}
        server.stop()
    return {"race": results}


def prune_during_logins(app: App, server: AppServer) -> dict[str, Any]:
    def login_latencies(count: int, until: subprocess.Popen[bytes] | None = None) -> list[float]:
        latencies = []
        for _ in range(count):
            if until is not None and until.poll() is not None:
                break
            started = time.perf_counter()
            ours_login(server.url)
            latencies.append(time.perf_counter() - started)
        return latencies

    idle = login_latencies(60)
    started = time.perf_counter()
    pruner = subprocess.Popen(
        [sys.executable, "manage.py", "prune_auth", "--batch-size", "1000"],
        cwd=BACKEND,
        env=app.env,
        stdout=subprocess.DEVNULL,
    )
    during = login_latencies(60, until=pruner)
    pruner.wait(timeout=900)
    return {
        "prune_seconds": round(time.perf_counter() - started, 1),
        "login_p99_idle_ms": round(percentile(idle, 0.99) * 1000, 1),
        "login_p99_during_ms": round(percentile(during, 0.99) * 1000, 1),
        "prune_p99_ratio": percentile(during, 0.99) / percentile(idle, 0.99),
        "logins_during_prune": len(during),
    }


# --- report -----------------------------------------------------------------------------

Row = tuple[str, str, str, Any, str]  # label, figure, target, check (None: a peer's), format
AUTH = "authenticated GET /api/v1/user/ req/s"
SQLITE_ROWS: list[Row] = [
    (f"{AUTH} / DRF AllowAny baseline", "auth_ratio", ">= 0.75", lambda v: v >= 0.75, "{:.2f}"),
    (
        "  stateless variant's ratio minus ours",
        "stateless_gap",
        "<= 0.08",
        lambda v: v <= 0.08,
        "{:.2f}",
    ),
    ("  simplejwt JWTAuthentication, same run", "simplejwt_ratio", "(peer)", None, "{:.2f}"),
    (
        "  simplejwt JWTStatelessUserAuthentication (cannot revoke)",
        "stateless_ratio",
        "(peer)",
        None,
        "{:.2f}",
    ),
    ("SQL statements per authenticated request", "auth_queries", "<= 1", lambda v: v <= 1, "{}"),
    (
        "refreshes/s, ours / simplejwt (rotation + blacklist)",
        "refresh_ratio",
        ">= 4.5",
        lambda v: v >= 4.5,
        "{:.2f}",
    ),
    (
        "auth cost with 1,000,000 sessions / with 1,000",
        "scale_auth_cost_ratio",
        "<= 1.10",
        lambda v: v <= 1.10,
        "{:.2f}",
    ),
    (
        "refresh cost with 1,000,000 sessions / with 1,000",
        "scale_refresh_cost_ratio",
        "<= 1.10",
        lambda v: v <= 1.10,
        "{:.2f}",
    ),
    (
        "password reset request, known / unknown address (median time)",
        "reset_known_unknown_ratio",
        "<= 1.10",
        lambda v: v <= 1.10,
        "{:.2f}",
    ),
    (
        "sign-in code request, known / unknown address (median time)",
        "login_code_known_unknown_ratio",
        "<= 1.10",
        lambda v: v <= 1.10,
        "{:.2f}",
    ),
    (
        "login time / the password hash alone",
        "login_hash_ratio",
        "<= 1.10",
        lambda v: v <= 1.10,
        "{:.2f}",
    ),
    (
        "pruning 1,000,000 expired sessions: login p99 during / idle",
        "prune_p99_ratio",
        "<= 2",
        lambda v: v <= 2,
        "{:.2f}",
    ),
]
PRODUCTION_ROWS: list[Row] = [
    (
        f"{AUTH} / simplejwt JWTAuthentication",
        "pg_auth_simplejwt_ratio",
        ">= 1.3",
        lambda v: v >= 1.3,
        "{:.2f}",
    ),
    (f"{AUTH} / DRF AllowAny baseline", "pg_auth_ratio", "", None, "{:.2f}"),
    (
        "  simplejwt JWTAuthentication / baseline, same run",
        "pg_simplejwt_ratio",
        "(peer)",
        None,
        "{:.2f}",
    ),
    (
        "  simplejwt JWTStatelessUserAuthentication / baseline",
        "pg_stateless_ratio",
        "(peer)",
        None,
        "{:.2f}",
    ),
    (
        "refreshes/s, ours / simplejwt (rotation + blacklist)",
        "pg_refresh_ratio",
        ">= 4",
        lambda v: v >= 4,
        "{:.2f}",
    ),
    (
        "database round trips per authenticated request",
        "pg_round_trips",
        "1",
        lambda v: v == 1,
        "{:.2f}",
    ),
]


# The same figures through PgBouncer, with the same targets: the pooler is no excuse.
PGBOUNCER_ROWS: list[Row] = [
    (label, "pgb_" + key.removeprefix("pg_"), target, check, fmt)
    for label, key, target, check, fmt in PRODUCTION_ROWS
]


def table(rows: list[Row], figures: dict[str, Any]) -> list[str]:
    lines = ["| figure | measured | target | met |", "|---|---|---|---|"]
    for label, key, target, check, fmt in rows:
        value = figures[key]
        met = "" if check is None else ("yes" if check(value) else "NO")
        shown = fmt.format(value).replace("-0.00", "0.00")  # a gap of -0.003 is none
        lines.append(f"| {label} | {shown} | {target} | {met} |")
    return lines


def report(figures: dict[str, Any]) -> str:
    lines = []
    if "auth_ratio" in figures:
        lines += ["SQLite, database cache, 1 gunicorn worker:", "", *table(SQLITE_ROWS, figures)]
    for name, counts in figures.get("race", {}).items():
        ours = name.startswith("ours")
        met = ("yes" if counts["logouts"] == 0 and counts["forks"] == 0 else "NO") if ours else ""
        lines.append(
            f"| two simultaneous refreshes, {name}: logouts / forks in {counts['trials']} |"
            f" {counts['logouts']} / {counts['forks']} | {'0 / 0' if ours else '(peer)'} | {met} |"
        )
    if "pg_auth_ratio" in figures:
        lines += [
            "",
            "PostgreSQL + Redis, 2 gunicorn workers:",
            "",
            *table(PRODUCTION_ROWS, figures),
        ]
    if "pgb_auth_ratio" in figures:
        lines += [
            "",
            "PostgreSQL through PgBouncer (transaction pooling) + Redis, 2 gunicorn workers:",
            "",
            *table(PGBOUNCER_ROWS, figures),
        ]
    return "\n".join(lines)


def sqlite_figures(work: Path) -> dict[str, Any]:
    db = work / "small.sqlite3"
    app = sqlite_app(work / "small", db)
    app.create_user("alice", PASSWORD)
    app.create_user("filler", PASSWORD)
    add_sessions(db, 999, expired=False)
    large_db, prune_db = work / "large.sqlite3", work / "prune.sqlite3"
    shutil.copy(db, large_db)
    shutil.copy(db, prune_db)
    add_sessions(large_db, 999_000, expired=False)
    add_sessions(prune_db, 1_000_000, expired=True)
    large, pruning = sqlite_app(work / "large", large_db), sqlite_app(work / "prune", prune_db)
    resetting = make_app(work / "reset", **enumeration_env())
    add_known_users(resetting)
    figures: dict[str, Any] = {}
    try:
        server = app.start(workers=1)
        print("throughput…", flush=True)
        figures.update(throughput(server))
        print("SQL statements…", flush=True)
        figures.update(sql_statements(app))
        print("refresh rates…", flush=True)
        figures.update(refresh_ratio(server))
        print("login and hash…", flush=True)
        figures.update(login_vs_hash(server))
        print("reset and sign-in code requests, known and unknown address…", flush=True)
        figures.update(enumeration(resetting.start(workers=1)))
        resetting.stop()
        print("1,000 vs 1,000,000 sessions…", flush=True)
        figures.update(scale(server, large.start(workers=1)))
        large.stop()
        app.stop()
        print("simultaneous refreshes…", flush=True)
        figures.update(race(app))
        print("pruning during logins…", flush=True)
        figures.update(prune_during_logins(pruning, pruning.start(workers=2)))
    finally:
        for each in (app, large, pruning, resetting):
            each.stop()
    return figures


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("make bench needs wrk: apt-get install wrk")
    if "pgbouncer" in SHAPES and pgbouncer_bin() is None:
        sys.exit("make bench needs pgbouncer: apt-get install pgbouncer (or BENCH_SHAPES=…)")
    work = Path(tempfile.mkdtemp(prefix="spa-auth-bench-"))
    figures: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        if "sqlite" in SHAPES:
            figures.update(sqlite_figures(work))
        if "production" in SHAPES:
            print("PostgreSQL + Redis, 2 workers…", flush=True)
            figures.update(production_figures(work))
        if "pgbouncer" in SHAPES:
            print("PostgreSQL through PgBouncer + Redis, 2 workers…", flush=True)
            figures.update(production_figures(work, pooled=True))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = report(figures)
    print("\n" + text)
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.json").write_text(json.dumps(figures, indent=2) + "\n")
    (results / "latest.md").write_text(text + "\n")
    print(f"\nwrote {results / 'latest.json'}")


if __name__ == "__main__":
    main()
