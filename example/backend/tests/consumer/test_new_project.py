"""A brand-new Django project that follows the README, with the built wheel installed in a
clean virtual environment: the documentation's snippets are applied verbatim, so the docs
cannot drift from what works. Only 127.0.0.1 is contacted (pip reaches the registry)."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest

from tests.consumer.readme_project import clean_env, get, make_project, run, send, serving
from tests.live.servers import wait_for
from tests.snippets import snippet

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The README's project, with the Vue README's ``user/`` view, served; its URL and its
    folder. Its users: ada, and the superuser admin that the README's curl lines log in."""
    python, site = make_project(
        tmp_path_factory.mktemp("consumer"),
        user=("ada", "a-long-passphrase-1"),
        settings=MAIL_TO_FILES,
        urls="\n\n" + snippet("user-view"),
    )
    run(
        python,
        "manage.py",
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "User.objects.filter(username='ada').update(email='ada@example.com'); "
        f"User.objects.create_superuser('admin', password={ADMIN_PASSWORD!r})",
        cwd=site,
    )
    with serving(python, site) as url:
        yield url, site


@pytest.fixture(scope="module")
def new_project(project: tuple[str, Path]) -> str:
    return project[0]


ADMIN_PASSWORD = "the-admin-passphrase-3"
# The project's own choice of mail backend: files, which the test reads.
MAIL_TO_FILES = """
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = BASE_DIR / "sent-mail"
"""


def _post(url: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    return send(request)


def _cookies(headers: Any) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return jar


def test_the_readme_project_logs_in_refreshes_calls_with_jwt_and_logs_out(new_project):
    url = new_project
    status, _, headers = get(f"{url}/api/v1/auth/csrf/")
    csrf = _cookies(headers)["csrftoken"].value
    status, body, headers = _post(
        f"{url}/api/v1/auth/obtain_token/", {"username": "ada", "password": "a-long-passphrase-1"}
    )
    assert status == 200, body
    jar = _cookies(headers)
    refresh_cookie, csrf = jar["refresh_token"], jar["csrftoken"].value
    assert refresh_cookie["httponly"] and refresh_cookie["samesite"] == "Strict"
    # The original tutorial's header.
    status, sessions, _ = get(
        f"{url}/api/v1/auth/sessions/", {"Authorization": f"JWT {body['token']}"}
    )
    assert status == 200 and sessions["count"] == 1
    # A reload: the app has no token in memory, only the cookie.
    cookie_header = f"refresh_token={refresh_cookie.value}; csrftoken={csrf}"
    status, renewed, headers = _post(
        f"{url}/api/v1/auth/refresh_token/",
        None,
        {"Cookie": cookie_header, "X-CSRFToken": csrf, "Origin": url},
    )
    assert status == 200, renewed
    token = renewed["token"]
    status, _, _ = _post(f"{url}/api/v1/auth/logout/", None, {"Authorization": f"Bearer {token}"})
    assert status == 204
    status, body, headers = get(f"{url}/api/v1/auth/sessions/", {"Authorization": f"JWT {token}"})
    assert status == 401 and body["code"] == "session_revoked"
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]


def test_the_readme_project_refuses_a_charset_bomb_before_django(new_project):
    request = urllib.request.Request(
        f"{new_project}/api/v1/auth/csrf/?x=1",
        headers={"Content-Type": "text/plain; charset=bz2"},
    )
    status, body, _ = send(request)
    assert status == 415 and body["code"] == "unsupported_media_type"


def test_the_readme_project_resets_a_password_from_the_mailed_link(project):
    """The wheel ships the mail templates and the task worker: a reset request is mailed by
    the worker thread (here to files), and its link's key sets a new password."""
    url, site = project
    status, body, _ = _post(f"{url}/api/v1/auth/password/reset/", {"email": "ada@example.com"})
    assert (status, body["code"]) == (202, "reset_sent")
    link = re.compile(r"http://localhost:5173/reset-password#key=([A-Za-z0-9_-]+)")
    keys: list[str] = []

    def mailed() -> bool:
        # Any mail of the project's (a new-device notice too), each file read whole once
        # the worker has written it: the one with the reset link.
        texts = [path.read_text() for path in (site / "sent-mail").glob("*")]
        keys[:] = [found.group(1) for text in texts if (found := link.search(text))]
        return bool(keys)

    wait_for(mailed, 20, "the reset mail")
    assert len(keys) == 1, keys
    new = {"key": keys[0], "new_password": "another-long-passphrase-2"}
    status, _, _ = _post(f"{url}/api/v1/auth/password/reset/confirm/", new)
    assert status == 204
    login = {"username": "ada", "password": "another-long-passphrase-2"}
    status, _, _ = _post(f"{url}/api/v1/auth/obtain_token/", login)
    assert status == 200


def test_the_readme_project_locks_an_account_after_five_failures(new_project):
    url = new_project
    for _ in range(5):
        _post(f"{url}/api/v1/auth/obtain_token/", {"username": "ada", "password": "wrong"})
    status, _, headers = _post(
        f"{url}/api/v1/auth/obtain_token/", {"username": "ada", "password": "a-long-passphrase-1"}
    )
    assert status == 429 and int(headers["Retry-After"]) > 0


def test_the_readmes_curl_lines_log_in_and_call_with_the_classic_header(project):
    """The README's shell lines as written, with the project's address for make run's and the
    superuser's password for the placeholder."""
    url, site = project
    lines = snippet("curl-login").replace("http://localhost:8000", url)
    assert lines.count('"password":"…"') == 1
    lines = lines.replace('"password":"…"', f'"password":"{ADMIN_PASSWORD}"')
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", lines],
        cwd=site,
        env=clean_env(site),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    shown = result.stdout.strip()
    assert shown.startswith("{") and json.loads(shown)["username"] == "admin", shown[-2000:]
