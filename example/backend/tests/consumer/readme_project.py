"""A brand-new Django project that follows the README: ``django-admin startproject``, the
built wheel installed in a clean virtual environment by the README's own command, the
README's snippets applied verbatim, served by ``runserver`` on 127.0.0.1. Used by the
consumer tests; pip reaches the registry."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.live.servers import LOOPBACK, free_port, wait_for
from tests.snippets import snippet

ROOT = Path(__file__).resolve().parents[4]
PACKAGE = ROOT / "packages" / "django-spa-auth"
# Where the README's commands expect a checkout of this repository (its dist/ folder).
CHECKOUT = "/path/to/spa-auth"


def documented_command(text: str, checkout: Path) -> list[list[str]]:
    """The commands of a README's ```sh block, one a line, with ``checkout`` for the
    repository's path."""
    lines = (shlex.split(line, comments=True) for line in text.splitlines())
    return [[arg.replace(CHECKOUT, str(checkout)) for arg in argv] for argv in lines if argv]


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


def make_project(
    folder: Path,
    *,
    user: tuple[str, str],
    settings: str = "",
    urls: str = "",
    existing: str = "",
    prepare: Callable[[Path], None] | None = None,
) -> tuple[Path, Path]:
    """The project in ``folder/site`` with one user; (its python, the site folder). Extra
    ``settings`` and ``urls`` text goes after the README's own snippets, ``existing``
    settings (a project that was there before) before them; ``prepare`` gets the site
    folder before the first ``manage.py`` command."""
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", "dist", PACKAGE, cwd=folder)
    wheel = next((folder / "dist").glob("django_spa_auth-*.whl"))
    run(sys.executable, "-m", "venv", "venv", cwd=folder)
    python = folder / "venv" / "bin" / "python"
    # The README's install command, in the project's virtual environment.
    ((pip, *args),) = documented_command(snippet("pip-install"), checkout=folder)
    assert pip == "pip" and wheel.name in args[-1], args
    run(folder / "venv" / "bin" / "pip", *args, "-q", "--disable-pip-version-check", cwd=folder)
    site = folder / "site"
    site.mkdir()
    run(folder / "venv" / "bin" / "django-admin", "startproject", "mysite", "site", cwd=folder)
    settings_file = site / "mysite" / "settings.py"
    original = settings_file.read_text() + existing
    settings_file.write_text(original + "\n" + snippet("settings") + settings)
    (site / "mysite" / "urls.py").write_text(snippet("urls") + urls)
    wsgi = site / "mysite" / "wsgi.py"
    wsgi.write_text(wsgi.read_text() + "\n" + snippet("wsgi"))
    if prepare is not None:
        prepare(site)
    run(python, "manage.py", "migrate", "-v0", cwd=site)
    run(python, "manage.py", "check", "--fail-level", "WARNING", cwd=site)
    username, password = user
    run(
        python,
        "manage.py",
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        f"User.objects.create_user({username!r}, password={password!r})",
        cwd=site,
    )
    return python, site


@contextmanager
def serving(python: Path, site: Path) -> Iterator[str]:
    """``runserver`` on a free loopback port; its URL while the block runs."""
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
        wait_for(lambda: get(f"{url}/api/v1/auth/csrf/")[0] == 204, 30, "the new project")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    return send(urllib.request.Request(url, headers=headers or {}))


def send(request: urllib.request.Request) -> tuple[int, Any, Any]:
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # loopback only
            raw = response.read()
            return response.status, json.loads(raw) if raw else None, response.headers
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None, error.headers
