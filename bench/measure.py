"""The measurements both deployment shapes share: load with wrk, sequential refreshes.

Every figure is a ratio of two measurements taken in the same run, interleaved and
repeated, because absolute numbers on a shared machine drift. Traffic goes to 127.0.0.1
only, and every loop is bounded in count and time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
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
# The comparison routes (bench_urls.py) sit beside /api/v1/user/, under the same prefix.
PEERS = "/api/v1/bench"
USER_PATHS = {
    "baseline": f"{PEERS}/baseline/user/",
    "ours": "/api/v1/user/",
    "simplejwt": f"{PEERS}/simplejwt/user/",
    "stateless": f"{PEERS}/simplejwt-stateless/user/",
}
REFRESH_PATHS = {"ours": "/api/v1/auth/refresh_token/", "simplejwt": f"{PEERS}/simplejwt/refresh/"}


def make_app(folder: Path, **env: str) -> App:
    """A deployment on the bench settings: the project's own plus simplejwt's routes."""
    folder.mkdir(parents=True, exist_ok=True)
    return App.create(
        folder,
        DJANGO_SETTINGS_MODULE="bench_settings",
        # The caller's PYTHONPATH after ours: a checkout's package source, say.
        PYTHONPATH=os.pathsep.join(
            [str(BACKEND), str(BENCH), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        ACCESS_TOKEN_LIFETIME="3600",
        LOGIN_FAILURES_PER_IP="100000",
        REFRESH_FAILURES_PER_IP="100000",
        **env,
    )


def wrk(url: str, token: str | None, seconds: int = SECONDS, connections: int = 8) -> float:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]
    if token:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"errors under load at {url}:\n{out}")
    return float(out.split("Requests/sec:")[1].split()[0])


def ours_login(url: str, username: str = "alice") -> tuple[str, str]:
    return log_in(url, username, PASSWORD)


def simplejwt_login(url: str) -> tuple[str, str]:
    reply = request(
        url, "POST", f"{PEERS}/simplejwt/token/", {"username": "alice", "password": PASSWORD}
    )
    assert reply.status == 200, reply.body
    return reply.body["access"], reply.body["refresh"]


def login(url: str, kind: str) -> tuple[str, str]:
    return ours_login(url) if kind == "ours" else simplejwt_login(url)


def refresh_rate(url: str, kind: str, seconds: float) -> float:
    """Refreshes per second of one client refreshing in sequence, each time with the
    newest token, over one connection.

    wrk drives it (``refresh.lua`` takes each answer's token for the next request), as
    it drives the GET figures: a client in Python spends about 150 µs of its own on each
    request, a quarter of a refresh of ours, and both variants would carry it.
    """
    token = login(url, kind)[1]
    command = ["wrk", "-t1", "-c1", f"-d{seconds}s", "-s", str(BENCH / "refresh.lua"), url]
    environment = {
        **os.environ,
        "BENCH_REFRESH_TOKEN": token,
        "BENCH_REFRESH_PATH": REFRESH_PATHS[kind],
    }
    out = subprocess.run(
        command, capture_output=True, text=True, check=True, env=environment
    ).stdout
    if "refused: 0" not in out or "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"{kind} refreshes failed:\n{out}")
    return float(out.split("Requests/sec:")[1].split()[0])


def median_ratio(numerators: list[float], denominators: list[float]) -> float:
    return statistics.median(numerators) / statistics.median(denominators)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def throughput(server: AppServer) -> dict[str, Any]:
    """The four variants of GET …/user/, interleaved over the rounds."""
    variants: dict[str, list[float]] = {kind: [] for kind in USER_PATHS}
    for _ in range(ROUNDS):
        tokens = {"ours": ours_login(server.url)[0], "simplejwt": simplejwt_login(server.url)[0]}
        tokens["stateless"] = tokens["simplejwt"]
        for kind, path in USER_PATHS.items():
            variants[kind].append(wrk(f"{server.url}{path}", tokens.get(kind)))
    base = variants["baseline"]
    auth, stateless = (
        median_ratio(variants["ours"], base),
        median_ratio(variants["stateless"], base),
    )
    return {
        "req_per_s": {k: round(statistics.median(v)) for k, v in variants.items()},
        "auth_ratio": auth,
        "simplejwt_ratio": median_ratio(variants["simplejwt"], base),
        "stateless_ratio": stateless,
        "stateless_gap": stateless - auth,
        "auth_simplejwt_ratio": median_ratio(variants["ours"], variants["simplejwt"]),
    }


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
