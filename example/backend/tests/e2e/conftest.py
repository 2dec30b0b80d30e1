"""Playwright against the real Django (pytest-django's live server) in Debian's Chromium.

Without Chromium the browser tests are skipped with a reason, except under CI, where a
missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.live.smtp import SmtpSink

# Playwright's sync API keeps an asyncio loop on the main thread; the ORM then refuses
# to run there. This affects the test process only, never the server.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI needs Chromium at {CHROMIUM} for the end-to-end tests")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install chromium")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server: Any) -> str:
    return str(live_server.url)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


FRONTEND = Path(__file__).resolve().parents[3] / "frontend"


class SpaHandler(SimpleHTTPRequestHandler):
    """A static host for the built app: files as they are, index.html for routes."""

    def do_GET(self) -> None:
        if not (Path(self.directory) / self.path.lstrip("/").split("?")[0]).is_file():
            self.path = "/index.html"
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def separate_origin(live_server: Any, tmp_path: Path, settings: Any) -> Iterator[str]:
    api = live_server.url.replace("localhost", "127.0.0.1")
    out = tmp_path / "dist"
    subprocess.run(
        ["npx", "vite", "build", "--base", "/", "--outDir", str(out), "--logLevel", "error"],
        cwd=FRONTEND,
        check=True,
        env={**os.environ, "VITE_API_BASE_URL": f"{api}/api/v1/"},
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SpaHandler, directory=str(out)))
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    settings.CORS_ALLOWED_ORIGINS = [origin]
    settings.CSRF_TRUSTED_ORIGINS = [origin]
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield origin
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    """An SMTP sink on loopback for a module's app to mail to."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()
