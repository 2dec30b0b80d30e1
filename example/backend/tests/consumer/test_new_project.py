"""A brand-new Django project that follows the README, with the built wheel installed in a
clean virtual environment: the documentation's snippets are applied verbatim, so the docs
cannot drift from what works. Only 127.0.0.1 is contacted (pip reaches the registry)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest

from tests.live.servers import LOOPBACK, free_port, wait_for

ROOT = Path(__file__).resolve().parents[4]
PACKAGE = ROOT / "packages" / "django-spa-auth"
READMES = (ROOT / "README.md", PACKAGE / "README.md")
_SNIPPET = re.compile(r"<!-- snippet: ([\w-]+) -->\n```\w*\n(.*?)```\n<!-- /snippet -->", re.S)

pytestmark = pytest.mark.integration


def snippets(readme: Path) -> dict[str, str]:
    return dict(_SNIPPET.findall(readme.read_text()))


def test_the_readmes_give_the_same_integration_snippets():
    main, package = (snippets(path) for path in READMES)
    vue = snippets(ROOT / "packages" / "vue" / "README.md")
    assert set(main) == {"settings", "urls", "wsgi", "vue-main"}
    assert {k: main[k] for k in ("settings", "urls", "wsgi")} == package
    assert main["vue-main"] == vue["vue-main"]


def clean_env(home: Path) -> dict[str, str]:
    """Nothing of this test run's environment (its DJANGO_SETTINGS_MODULE above all)."""
    return {"PATH": os.environ["PATH"], "HOME": str(home)}


def run(*args: str | Path, cwd: Path) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=clean_env(cwd),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


@pytest.fixture(scope="module")
def new_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """startproject + the wheel + the README's snippets, served by runserver; its URL."""
    folder = tmp_path_factory.mktemp("consumer")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", "dist", PACKAGE, cwd=folder)
    wheel = next((folder / "dist").glob("django_spa_auth-*.whl"))
    run(sys.executable, "-m", "venv", "venv", cwd=folder)
    python = folder / "venv" / "bin" / "python"
    run(
        python,
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        f"{wheel}[argon2]",
        cwd=folder,
    )
    (folder / "site").mkdir()
    run(folder / "venv" / "bin" / "django-admin", "startproject", "mysite", "site", cwd=folder)
    site = folder / "site"
    parts = snippets(READMES[0])
    settings = site / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + "\n" + parts["settings"])
    (site / "mysite" / "urls.py").write_text(parts["urls"])
    wsgi = site / "mysite" / "wsgi.py"
    wsgi.write_text(wsgi.read_text() + "\n" + parts["wsgi"])
    run(python, "manage.py", "migrate", "-v0", cwd=site)
    run(python, "manage.py", "check", "--fail-level", "WARNING", cwd=site)
    run(
        python,
        "manage.py",
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "User.objects.create_user('ada', password='a-long-passphrase-1')",
        cwd=site,
    )
    port = free_port()
    server = subprocess.Popen(
        [str(python), "manage.py", "runserver", "--noreload", f"{LOOPBACK}:{port}"],
        cwd=site,
        env=clean_env(site),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://{LOOPBACK}:{port}"
    try:
        wait_for(lambda: _get(f"{url}/api/v1/auth/csrf/")[0] == 204, 30, "the new project")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    return _send(urllib.request.Request(url, headers=headers or {}))


def _send(request: urllib.request.Request) -> tuple[int, Any, Any]:
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # loopback only
            raw = response.read()
            return response.status, json.loads(raw) if raw else None, response.headers
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None, error.headers


def _post(url: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    return _send(request)


def _cookies(headers: Any) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return jar


def test_the_readme_project_logs_in_refreshes_calls_with_jwt_and_logs_out(new_project):
    url = new_project
    status, _, headers = _get(f"{url}/api/v1/auth/csrf/")
    csrf = _cookies(headers)["csrftoken"].value
    status, body, headers = _post(
        f"{url}/api/v1/auth/obtain_token/", {"username": "ada", "password": "a-long-passphrase-1"}
    )
    assert status == 200, body
    jar = _cookies(headers)
    refresh_cookie, csrf = jar["refresh_token"], jar["csrftoken"].value
    assert refresh_cookie["httponly"] and refresh_cookie["samesite"] == "Strict"
    # The original tutorial's header.
    status, sessions, _ = _get(
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
    status, body, headers = _get(f"{url}/api/v1/auth/sessions/", {"Authorization": f"JWT {token}"})
    assert status == 401 and body["code"] == "session_revoked"
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]


def test_the_readme_project_refuses_a_charset_bomb_before_django(new_project):
    request = urllib.request.Request(
        f"{new_project}/api/v1/auth/csrf/?x=1",
        headers={"Content-Type": "text/plain; charset=bz2"},
    )
    status, body, _ = _send(request)
    assert status == 415 and body["code"] == "unsupported_media_type"


def test_the_readme_project_locks_an_account_after_five_failures(new_project):
    url = new_project
    for _ in range(5):
        _post(f"{url}/api/v1/auth/obtain_token/", {"username": "ada", "password": "wrong"})
    status, _, headers = _post(
        f"{url}/api/v1/auth/obtain_token/", {"username": "ada", "password": "a-long-passphrase-1"}
    )
    assert status == 429 and int(headers["Retry-After"]) > 0
