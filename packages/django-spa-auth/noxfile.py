"""The supported-versions matrix that pyproject.toml declares, and the release checks.

Run from this directory: ``nox`` (everything), ``nox -s tests`` (the matrix), ``nox -s
release``, ``nox -l`` (the list). Each ``tests`` session installs the package from this
directory (a real build, as a user gets it) with one Django and one DRF minor, and runs
``tests/`` once per user model. The PostgreSQL sessions start a throwaway server of their
own; without PostgreSQL installed they are skipped, or fail when ``CI`` is set.

Sessions use plain ``venv`` and pip, so pip's download and wheel cache is shared between
sessions and runs: only the first run ever downloads anything.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nox
from nox.command import CommandFailed

nox.options.default_venv_backend = "venv"
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).resolve().parent
PYTHON = "3.11"
# The ranges of pyproject.toml: Django>=5.2,<6; djangorestframework>=3.17,<3.19.
DJANGO = ["5.2"]
DRF = ["3.17", "3.18"]
USER_MODELS = ["auth.User", "accounts.EmailUser"]
# The same pins as example/backend/requirements-dev.txt.
TEST_TOOLS = ["pytest==9.2.0", "pytest-django==4.14.0"]
PSYCOPG = "psycopg[binary]==3.3.9"
RELEASE_TOOLS = ["build==1.6.1", "twine==7.0.0", "check-wheel-contents==0.6.3"]


@nox.session(python=PYTHON)
@nox.parametrize("database", ["sqlite", "postgresql"])
@nox.parametrize("drf", DRF)
@nox.parametrize("django", DJANGO)
def tests(session: nox.Session, django: str, drf: str, database: str) -> None:
    """The package's suite on one Django, DRF and database, for both user models."""
    drivers = [PSYCOPG] if database == "postgresql" else []
    # One resolution: the package built from this directory, held to the pinned minors.
    session.install(
        ".", f"Django~={django}.0", f"djangorestframework~={drf}.0", *TEST_TOOLS, *drivers
    )
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(throwaway_postgres(session)) if drivers else None
        for model in USER_MODELS:
            session.run(
                "pytest",
                "tests",
                *session.posargs,
                env={"DATABASE_URL": url, "SPA_AUTH_TEST_USER_MODEL": model},
            )


@nox.session(python=PYTHON)
def release(session: nox.Session) -> None:
    """Build the sdist and wheel, check them, and use the wheel alone in a fresh venv."""
    session.install(*RELEASE_TOOLS)
    with tempfile.TemporaryDirectory(prefix="spa-auth-release-") as tmp:
        work = Path(tmp)
        dist = work / "dist"
        session.run("python", "-m", "build", "--outdir", str(dist), str(ROOT))
        artifacts = sorted(str(p) for p in dist.iterdir())
        wheels = [p for p in artifacts if p.endswith(".whl")]
        if len(wheels) != 1 or len(artifacts) != 2:
            session.error(f"expected one sdist and one wheel, got {artifacts}")
        session.run("twine", "check", "--strict", *artifacts)
        # W004 (module not at an importable path) is Django's migration naming, 0001_….
        session.run("check-wheel-contents", "--ignore", "W004", *wheels)

        # A fresh venv with the wheel and its dependencies, and no source tree anywhere on
        # its path: a copy of the test project only (for its settings), in a temp cwd.
        venv = work / "venv"
        session.run("python", "-m", "venv", str(venv))
        python, django_admin = str(venv / "bin" / "python"), str(venv / "bin" / "django-admin")
        session.run(python, "-m", "pip", "install", "--quiet", wheels[0], external=True)
        project = work / "project"
        shutil.copytree(
            ROOT / "tests", project / "tests", ignore=shutil.ignore_patterns("__pycache__")
        )
        env = {
            "PYTHONPATH": str(project),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        }
        imports = (
            "import django; django.setup(); import spa_auth, spa_auth.urls; "
            f"assert spa_auth.__file__.startswith({str(venv)!r}), spa_auth.__file__; "
            "print('spa_auth', spa_auth.__file__)"
        )
        with session.chdir(work):
            for model in USER_MODELS:
                model_env = {**env, "SPA_AUTH_TEST_USER_MODEL": model}
                session.run(python, "-c", imports, env=model_env, external=True)
                session.run(
                    django_admin, "check", "--fail-level", "WARNING", env=model_env, external=True
                )
                session.run(
                    django_admin,
                    "makemigrations",
                    "--check",
                    "--dry-run",
                    "spa_auth",
                    env=model_env,
                    external=True,
                )


def _postgres_bindir() -> Path | None:
    """Debian's layout: the newest /usr/lib/postgresql/<version>/bin with initdb."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def throwaway_postgres(session: nox.Session) -> Iterator[str]:
    """A PostgreSQL server for this session only: trust auth on 127.0.0.1, a free port,
    no fsync; stopped and deleted afterwards. Yields its ``DATABASE_URL``."""
    bindir = _postgres_bindir()
    if bindir is None:
        message = "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)"
        if os.environ.get("CI"):
            session.error(f"{message}; CI needs it.")
        session.skip(f"{message}: skipping. Install postgresql, or set CI=1 to fail instead.")
    base = Path(tempfile.mkdtemp(prefix="spa-auth-pg-"))
    data, log, port = base / "data", base / "server.log", _free_port()
    # The server refuses to run as root: run it as the postgres user, who owns its files.
    as_owner: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    options = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    pg_ctl = str(bindir / "pg_ctl")
    started = False
    try:
        with session.chdir(base):  # the postgres user may not be able to read our cwd
            initdb = [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
            session.run(*as_owner, *initdb, "-E", "UTF8", "--no-sync", external=True, silent=True)
            started = True
            try:
                start = [pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]
                session.run(*as_owner, *start, external=True, silent=True)
            except CommandFailed:
                session.log(log.read_text() if log.exists() else "(no server log)")
                raise
        session.log(f"PostgreSQL {bindir.parent.name} on 127.0.0.1:{port}")
        yield f"postgres://postgres@127.0.0.1:{port}/spa_auth"
    finally:
        if started:
            subprocess.run(
                [*as_owner, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                cwd=base,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
        shutil.rmtree(base, ignore_errors=True)
