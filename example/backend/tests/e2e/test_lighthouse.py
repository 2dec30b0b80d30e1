"""Lighthouse's best-practices category on the login page, served as `make run` serves it:
gunicorn and WhiteNoise, the built app, collected static files, on http://localhost.

The category checks what a browser reports about the page: console errors (a first visit's
failed refresh would be one), deprecated APIs, Chrome's issues panel, third-party cookies,
doctype, charset, source maps, image sizes. Lighthouse is pinned in tools/lighthouse/, which
`make test` installs with `npm ci`; without it the test is skipped with a reason, except under
CI, where a missing Lighthouse is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.live.servers import App

pytestmark = [pytest.mark.e2e]
TOOL = Path(__file__).resolve().parents[4] / "tools" / "lighthouse"
LIGHTHOUSE = TOOL / "node_modules" / "lighthouse" / "cli" / "index.js"
CATEGORY = "best-practices"
NOT_LOADED = ("admin", "rest_framework", "drf_spectacular_sidecar")


@pytest.fixture(scope="module")
def served_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not LIGHTHOUSE.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Lighthouse in {TOOL}: npm ci there (make test does)")
        pytest.skip(f"Lighthouse is not installed: cd {TOOL} && npm ci")
    app = App.create(tmp_path_factory.mktemp("lighthouse"))
    # The files the login page loads: the admin's and the API docs' would take most of the
    # time; were the page to ask for one, its 404 would fail the audit.
    app.manage("collectstatic", "--noinput", "-v0", *(f"--ignore={name}" for name in NOT_LOADED))
    server = app.start()
    try:
        yield server.url.replace("127.0.0.1", "localhost")
    finally:
        app.stop()


def run_lighthouse(url: str) -> dict[str, Any]:
    chrome_flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
    result = subprocess.run(
        [
            "node",
            str(LIGHTHOUSE),
            url,
            f"--only-categories={CATEGORY}",
            f"--chrome-flags={chrome_flags}",
            "--disable-full-page-screenshot",
            "--no-enable-error-reporting",
            "--output=json",
            "--output-path=stdout",
            "--quiet",
        ],
        cwd=TOOL,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def failing_audits(report: dict[str, Any]) -> list[str]:
    """The category's audits that lost points: id, title and what Lighthouse saw."""
    failing = []
    for ref in report["categories"][CATEGORY]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
            items = audit.get("details", {}).get("items", [])
            failing.append(f"{ref['id']} ({audit['title']}): {json.dumps(items)[:500]}")
    return failing


def test_the_login_page_scores_100_on_lighthouse_best_practices(served_app: str, artifacts: Path):
    report = run_lighthouse(f"{served_app}/login")
    (artifacts / "lighthouse-login.json").write_text(json.dumps(report, indent=1))
    assert report.get("runtimeError") is None, report["runtimeError"]
    assert report["finalDisplayedUrl"].endswith("/login")
    score = report["categories"][CATEGORY]["score"]
    assert score == 1.0, f"best-practices {score}; failing: " + "\n".join(failing_audits(report))
