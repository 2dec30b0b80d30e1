"""Whether a reset request, or a sign-in code request, tells a known address from an
unknown one by its time.

The answer is sent before any lookup or mail work, so both should take the same time.
Requests alternate between a known and an unknown address (each address used once, so
no per-address limit interferes), one at a time with a pause after each, in which the
worker thread does its part; the figure is the ratio of the median times.
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # measure puts example/backend on sys.path at run time
    from tests.live.servers import App, AppServer

PAIRS = 200
_PAUSE = 0.03


def enumeration_env() -> dict[str, str]:
    """The settings the measuring server needs: no throttle in the way, mail printed."""
    return {
        "MAILS_PER_ADDRESS": "100000",
        "ACCOUNT_REQUESTS_PER_IP": "100000",
        "EMAIL_URL": "console://",
    }


def add_known_users(app: App, count: int = PAIRS) -> None:
    app.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "User.objects.bulk_create(User(username=f'known{n}', email=f'known{n}@example.com') "
        f"for n in range({count}))",
    )


# The figure's name, and the request that names an address.
REQUESTS = {
    "reset": "/api/v1/auth/password/reset/",
    "login_code": "/api/v1/auth/login/code/request/",
}


def _timed_request(connection: http.client.HTTPConnection, path: str, address: str) -> float:
    body = json.dumps({"email": address})
    started = time.perf_counter()
    connection.request("POST", path, body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    if response.status != 202:
        raise RuntimeError(f"{path} answered {response.status}")
    return elapsed


def enumeration(server: AppServer, pairs: int = PAIRS) -> dict[str, Any]:
    host, port = server.url.removeprefix("http://").split(":")
    figures: dict[str, Any] = {}
    for name, path in REQUESTS.items():
        known: list[float] = []
        unknown: list[float] = []
        for n in range(pairs):
            connection = http.client.HTTPConnection(host, int(port), timeout=15)
            try:
                order = [(known, f"known{n}@example.com"), (unknown, f"nobody{n}@example.com")]
                for times, address in order if n % 2 else order[::-1]:
                    times.append(_timed_request(connection, path, address))
                    time.sleep(_PAUSE)
            finally:
                connection.close()
        figures[f"{name}_known_ms"] = statistics.median(known) * 1000
        figures[f"{name}_unknown_ms"] = statistics.median(unknown) * 1000
        figures[f"{name}_known_unknown_ratio"] = statistics.median(known) / statistics.median(
            unknown
        )
    return figures
