"""The supported-versions matrix that pyproject.toml declares, and the release checks.

Run from this directory: ``nox`` (everything), ``nox -s tests`` (the matrix on Python
3.11), ``nox -s newer_python`` (3.12 and 3.13), ``nox -s release``, ``nox -l`` (the list).
Each test session installs the package's wheel, built from this directory once per run (a
real build, as a user gets it), with one Django and one DRF minor, and runs ``tests/``
once per database and user model. For PostgreSQL a session starts a throwaway server of
its own; without PostgreSQL installed it is skipped, or fails when ``CI`` is set. A Python
of the list that is not installed fails the run (pyenv's interpreters are found too).

Sessions use plain ``venv`` and pip, so pip's download and wheel cache is shared between
sessions and runs: only the first run ever downloads anything. Every version they install
is pinned: Django and DRF here, one exact release per matrix entry, and everything else
(the package's dependencies, the test and release tools, the build backend) in
``constraints.txt``, so a new upstream release cannot change a run.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
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


def matrix(name: str, values: list[str]) -> list[str]:
    """The values of one parameter; none is an error, since nox would turn the session
    into a no-op that is skipped and lets the run pass."""
    if not values:
        raise ValueError(f"noxfile.py: {name} is empty: the sessions would run nothing, and pass")
    return values


ROOT = Path(__file__).resolve().parent
# pyproject.toml's classifiers. The whole matrix runs on the oldest; each newer one runs
# the suite on the newest Django and DRF, which is where a new Python breaks first.
PYTHON = "3.11"
NEWER_PYTHONS = matrix("NEWER_PYTHONS", ["3.12", "3.13"])
# The ranges of pyproject.toml: Django>=5.2,<6; djangorestframework>=3.17,<3.19. Each
# minor is tested at one exact release, the newest when it was last pinned.
DJANGO = {"5.2": "5.2.19"}
DRF = {"3.17": "3.17.2", "3.18": "3.18.3"}
USER_MODELS = matrix("USER_MODELS", ["auth.User", "accounts.EmailUser"])
# Exact versions of everything else the sessions install. Given to pip as PIP_CONSTRAINT,
# not -c: pip passes the variable on to the isolated environment where it builds the
# package, so the build backend is pinned too.
PINS = ROOT / "constraints.txt"
CONSTRAINTS = {"PIP_CONSTRAINT": str(PINS)}
# Sessions compile only what their tests import, when they import it: byte-compiling all
# of Django at install time is a good part of an environment's cost, and mostly unused.
INSTALL_ENV = {**CONSTRAINTS, "PIP_NO_COMPILE": "1"}
# The same pins as example/backend/requirements-dev.txt.
TEST_TOOLS = ["pytest==9.2.0", "pytest-django==4.14.0"]
PSYCOPG = "psycopg[binary]==3.3.9"
RELEASE_TOOLS = ["build==1.6.1", "twine==7.0.0", "check-wheel-contents==0.6.3"]


def _pyenv_interpreters() -> None:
    """Put pyenv's installed interpreters of the wanted minors on PATH. Its shims stand
    for every version but run only the selected ones, so nox would find none of them."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    path = os.environ.get("PATH", "").split(os.pathsep)
    for minor in NEWER_PYTHONS:
        installed = sorted(root.glob(f"{minor}.*/bin"), key=lambda p: p.parent.name)
        if installed and str(installed[-1]) not in path:
            path.append(str(installed[-1]))
    os.environ["PATH"] = os.pathsep.join(path)


_pyenv_interpreters()


DATABASES = matrix("DATABASES", ["sqlite", "postgresql"])


@nox.session(python=PYTHON)
@nox.parametrize("drf", matrix("DRF", list(DRF)))
@nox.parametrize("django", matrix("DJANGO", list(DJANGO)))
def tests(session: nox.Session, django: str, drf: str) -> None:
    """The package's suite on one Django and DRF, on each database, for both user models.
    The databases share one environment: the driver is all that differs, and an
    environment is most of a session's time."""
    run_suite(session, django, drf, DATABASES)


@nox.session(python=NEWER_PYTHONS)
def newer_python(session: nox.Session) -> None:
    """The package's suite on a newer Python, with the newest Django and DRF, on SQLite."""
    run_suite(session, max(DJANGO, key=_minor), max(DRF, key=_minor), ["sqlite"])


def _minor(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def run_suite(session: nox.Session, django: str, drf: str, databases: list[str]) -> None:
    """Install the package's wheel with the pinned releases, and run ``tests/`` once per
    database and user model."""
    drivers = [PSYCOPG] if "postgresql" in databases else []
    session.install(
        package_wheel(session),
        f"Django=={DJANGO[django]}",
        f"djangorestframework=={DRF[drf]}",
        *TEST_TOOLS,
        *drivers,
        env=INSTALL_ENV,
    )
    require_pins(session)
    for database in databases:
        with contextlib.ExitStack() as stack:
            url = stack.enter_context(throwaway_postgres(session)) if database != "sqlite" else None
            for model in USER_MODELS:
                session.log(f"{database}, {model}")
                session.run(
                    "pytest",
                    "tests",
                    *session.posargs,
                    env={"DATABASE_URL": url, "SPA_AUTH_TEST_USER_MODEL": model},
                )


_wheels: dict[str, str] = {}


def package_wheel(session: nox.Session) -> str:
    """The package's wheel, built from this directory once per run (a real build, as a
    user gets it) and installed by every session of the run."""
    if "wheel" not in _wheels:
        out = Path(tempfile.mkdtemp(prefix="spa-auth-wheel-"))
        atexit.register(shutil.rmtree, out, ignore_errors=True)
        session.run(
            "python",
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(out),
            str(ROOT),
            env=INSTALL_ENV,
            silent=True,
        )
        (wheel,) = out.glob("*.whl")
        _wheels["wheel"] = str(wheel)
    return _wheels["wheel"]


@nox.session(python=PYTHON)
def release(session: nox.Session) -> None:
    """Build the sdist and wheel, check them, and use the wheel alone in a fresh venv."""
    session.install(*RELEASE_TOOLS, env=INSTALL_ENV)
    require_pins(session)
    with tempfile.TemporaryDirectory(prefix="spa-auth-release-") as tmp:
        work = Path(tmp)
        dist = work / "dist"
        session.run("python", "-m", "build", "--outdir", str(dist), str(ROOT), env=CONSTRAINTS)
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
        session.run(
            python, "-m", "pip", "install", "--quiet", wheels[0], env=CONSTRAINTS, external=True
        )
        require_pins(session, python)
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


_REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(==| @ )")


def _project_name(requirement: str) -> str:
    """``Foo_Bar==1.0`` or ``foo-bar @ file://…`` as PEP 503 normalizes it: ``foo-bar``."""
    return re.sub(r"[-_.]+", "-", re.split(r"[=@ ]", requirement.strip(), maxsplit=1)[0]).lower()


def require_pins(session: nox.Session, python: str = "python") -> None:
    """Fail when the environment holds a distribution that no pin names: a new dependency
    of a moved pin would otherwise float to its newest release unnoticed."""
    lines = [line for line in PINS.read_text().splitlines() if "==" in line]
    pinned = {_project_name(line) for line in lines if not line.startswith("#")}
    pinned |= {"django", "djangorestframework", "django-spa-auth"}
    frozen = session.run(python, "-m", "pip", "freeze", silent=True, external=True) or ""
    installed = [line for line in frozen.splitlines() if _REQUIREMENT.match(line)]  # no warnings
    loose = sorted(line for line in installed if _project_name(line) not in pinned)
    if loose:
        session.error(f"not pinned in constraints.txt: {', '.join(loose)}")


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
