"""`make bench`: load and scaling figures for spa-auth beside DRF's baseline and simplejwt.

Every figure is a ratio of two measurements taken in the same run, interleaved and
repeated, because absolute numbers on a shared machine drift. Traffic goes to 127.0.0.1
only, and every loop is bounded in count and time. Prints a table and writes
bench/results/latest.json.
"""

from __future__ import annotations

import http.client
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

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "example" / "backend"
BENCH = ROOT / "bench"
sys.path[:0] = [str(BACKEND), str(BENCH)]

from tests.live.servers import App, AppServer, log_in, request  # noqa: E402

PASSWORD = "bench-passphrase-long-enough"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
TRIALS = 50


# --- helpers ----------------------------------------------------------------------------


def wrk(url: str, token: str | None, seconds: int = SECONDS, connections: int = 8) -> float:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]
    if token:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"errors under load at {url}:\n{out}")
    return float(out.split("Requests/sec:")[1].split()[0])


class Conn:
    """One keep-alive HTTP connection for sequential request loops."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.http = http.client.HTTPConnection(host, int(port), timeout=30)

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        self.http.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = self.http.getresponse()
        return response.status, json.loads(response.read() or b"null")


def ours_login(url: str, username: str = "alice") -> tuple[str, str]:
    return log_in(url, username, PASSWORD)


def simplejwt_login(url: str) -> tuple[str, str]:
    reply = request(
        url, "POST", "/bench/simplejwt/token/", {"username": "alice", "password": PASSWORD}
    )
    assert reply.status == 200, reply.body
    return reply.body["access"], reply.body["refresh"]


def refresh_rate(url: str, kind: str, seconds: float) -> float:
    """Sequential refreshes per second on one connection, each with the newest token."""
    token = (ours_login if kind == "ours" else simplejwt_login)(url)[1]
    path = "/api/v1/auth/refresh_token/" if kind == "ours" else "/bench/simplejwt/refresh/"
    conn, done, deadline = Conn(url), 0, time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        status, body = conn.post(path, {"refresh": token})
        if status != 200:
            raise RuntimeError(f"{kind} refresh failed: {status} {body}")
        token = body["refresh"]
        done += 1
    return done / (time.perf_counter() - started)


def median_ratio(numerators: list[float], denominators: list[float]) -> float:
    return statistics.median(numerators) / statistics.median(denominators)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --- the deployment under test ----------------------------------------------------------


def make_app(folder: Path, db: Path) -> App:
    folder.mkdir(parents=True, exist_ok=True)
    return App.create(
        folder,
        DATABASE_URL=f"sqlite:///{db}",
        DJANGO_SETTINGS_MODULE="bench_settings",
        PYTHONPATH=os.pathsep.join([str(BACKEND), str(BENCH)]),
        ACCESS_TOKEN_LIFETIME="3600",
        LOGIN_FAILURES_PER_IP="100000",
        REFRESH_FAILURES_PER_IP="100000",
    )


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
        rows = (
            (
                uuid.uuid4().hex,
                user_id,
                stamp,
                stamp,
                later,
                end,
                0,
                "",
                "",
                "",
                "token",
                "bench",
                "127.0.0.1",
            )
            for _ in range(count)
        )
        connection.executemany(
            "INSERT INTO spa_auth_session (id, user_id, created_at, last_used_at, idle_expires_at,"
            " absolute_expires_at, generation, revoke_reason, credential_digest, rotated_by, kind,"
            " user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --- figures ----------------------------------------------------------------------------


def throughput(server: AppServer) -> dict[str, Any]:
    variants: dict[str, list[float]] = {
        k: [] for k in ("baseline", "ours", "simplejwt", "stateless")
    }
    for _ in range(ROUNDS):
        ours, _ = ours_login(server.url)
        theirs, _ = simplejwt_login(server.url)
        variants["baseline"].append(wrk(f"{server.url}/bench/baseline/user/", None))
        variants["ours"].append(wrk(f"{server.url}/api/v1/user/", ours))
        variants["simplejwt"].append(wrk(f"{server.url}/bench/simplejwt/user/", theirs))
        variants["stateless"].append(wrk(f"{server.url}/bench/simplejwt-stateless/user/", theirs))
    base = variants["baseline"]
    return {
        "req_per_s": {k: round(statistics.median(v)) for k, v in variants.items()},
        "auth_ratio": median_ratio(variants["ours"], base),
        "simplejwt_ratio": median_ratio(variants["simplejwt"], base),
        "stateless_ratio": median_ratio(variants["stateless"], base),
    }


def sql_statements(app: App) -> dict[str, Any]:
    out = app.manage("shell", "-c", (BENCH / "count_queries.py").read_text())
    return json.loads(out.strip().splitlines()[-1])


def refresh_ratio(server: AppServer) -> dict[str, Any]:
    ours, theirs = [], []
    for _ in range(ROUNDS):
        ours.append(refresh_rate(server.url, "ours", SECONDS))
        theirs.append(refresh_rate(server.url, "simplejwt", SECONDS))
    return {
        "refresh_per_s": {
            "ours": round(statistics.median(ours)),
            "simplejwt": round(statistics.median(theirs)),
        },
        "refresh_ratio": median_ratio(ours, theirs),
    }


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
            token = (ours_login if kind == "ours" else simplejwt_login)(server.url)[1]
            path = "/api/v1/auth/refresh_token/" if kind == "ours" else "/bench/simplejwt/refresh/"
            logouts = forks = 0
            for _ in range(TRIALS):
                replies = two_at_once(server.url, path, token)
                ok = [r for r in replies if r is not None and r.status == 200]
                if len(ok) < 2:
                    logouts += 1
                elif ok[0].body["refresh"] != ok[1].body["refresh"]:
                    forks += 1
                if not ok:
                    token = (ours_login if kind == "ours" else simplejwt_login)(server.url)[1]
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

ROWS = [
    (
        "authenticated GET /api/v1/user/ req/s / DRF AllowAny baseline",
        "auth_ratio",
        ">= 0.70",
        lambda v: v >= 0.70,
        "{:.2f}",
    ),
    ("  simplejwt JWTAuthentication, same run", "simplejwt_ratio", "(0.32-0.35)", None, "{:.2f}"),
    (
        "  simplejwt JWTStatelessUserAuthentication, same run",
        "stateless_ratio",
        "(0.69-0.79)",
        None,
        "{:.2f}",
    ),
    ("SQL statements per authenticated request", "auth_queries", "<= 1", lambda v: v <= 1, "{}"),
    (
        "refreshes/s, ours / simplejwt (rotation + blacklist)",
        "refresh_ratio",
        ">= 4",
        lambda v: v >= 4,
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


def report(figures: dict[str, Any]) -> str:
    lines = ["| figure | measured | target | met |", "|---|---|---|---|"]
    for label, key, target, check, fmt in ROWS:
        value = figures[key]
        met = "" if check is None else ("yes" if check(value) else "NO")
        lines.append(f"| {label} | {fmt.format(value)} | {target} | {met} |")
    for name, counts in figures["race"].items():
        ours = name.startswith("ours")
        met = ("yes" if counts["logouts"] == 0 and counts["forks"] == 0 else "NO") if ours else ""
        lines.append(
            f"| two simultaneous refreshes, {name}: logouts / forks in {counts['trials']} |"
            f" {counts['logouts']} / {counts['forks']} | {'0 / 0' if ours else '(peer)'} | {met} |"
        )
    return "\n".join(lines)


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("make bench needs wrk: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="spa-auth-bench-"))
    try:
        db = work / "small.sqlite3"
        app = make_app(work / "small", db)
        app.create_user("alice", PASSWORD)
        app.create_user("filler", PASSWORD)
        add_sessions(db, 999, expired=False)
        large_db, prune_db = work / "large.sqlite3", work / "prune.sqlite3"
        shutil.copy(db, large_db)
        shutil.copy(db, prune_db)
        add_sessions(large_db, 999_000, expired=False)
        add_sessions(prune_db, 1_000_000, expired=True)
        large, pruning = make_app(work / "large", large_db), make_app(work / "prune", prune_db)

        figures: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds")}
        server = app.start(workers=1)
        print("throughput…", flush=True)
        figures.update(throughput(server))
        print("SQL statements…", flush=True)
        figures.update(sql_statements(app))
        print("refresh rates…", flush=True)
        figures.update(refresh_ratio(server))
        print("login and hash…", flush=True)
        figures.update(login_vs_hash(server))
        print("1,000 vs 1,000,000 sessions…", flush=True)
        figures.update(scale(server, large.start(workers=1)))
        large.stop()
        app.stop()
        print("simultaneous refreshes…", flush=True)
        figures.update(race(app))
        print("pruning during logins…", flush=True)
        figures.update(prune_during_logins(pruning, pruning.start(workers=2)))
        pruning.stop()
    finally:
        for each in ("app", "large", "pruning"):
            if each in locals():
                locals()[each].stop()
        shutil.rmtree(work, ignore_errors=True)
    table = report(figures)
    print("\n" + table)
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.json").write_text(json.dumps(figures, indent=2) + "\n")
    (results / "latest.md").write_text(table + "\n")
    print(f"\nwrote {results / 'latest.json'}")


if __name__ == "__main__":
    main()
