"""The documented recipe for a front end on its own origin, in a real browser."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_login_flow import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
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


def test_an_app_on_another_origin_logs_in_reloads_and_logs_out(page: Page, user, separate_origin):
    page.goto(separate_origin + "/login")
    log_in(page)
    expect(page.get_by_test_id("username")).to_have_text("alice")
    page.reload()  # the refresh cookie and the CSRF header cross origins as configured
    expect(page.get_by_test_id("username")).to_have_text("alice")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.reload()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_an_origin_that_is_not_allowed_cannot_log_in(page: Page, user, separate_origin, settings):
    settings.CORS_ALLOWED_ORIGINS = []
    page.goto(separate_origin + "/login")
    log_in(page)
    expect(page.get_by_role("alert")).to_contain_text("could not be reached")
