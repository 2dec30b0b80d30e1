"""The example's settings as a person meets them: run by hand from example/backend, the
same files as `make run`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[1]
REPO = BACKEND.parents[1]


def test_manage_py_by_hand_uses_the_var_folder_that_make_run_serves() -> None:
    """`cd example/backend && python manage.py createsuperuser` must edit the database that
    `make run` serves (the Makefile's VAR_DIR, the repository's var/), not a second one."""
    env = {k: v for k, v in os.environ.items() if k not in ("VAR_DIR", "DJANGO_SETTINGS_MODULE")}
    shown = subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.VAR_DIR)"],
        cwd=BACKEND,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(shown) == REPO / "var"
    assert "export VAR_DIR ?= $(CURDIR)/var" in (REPO / "Makefile").read_text()


def deploy_check(var_dir: Path, **env: str) -> str:
    """`manage.py check --deploy` as `make run` runs it, in an environment of its own (the
    test run's may hold another tier's database or settings)."""
    clean = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=BACKEND,
        env={**clean, "VAR_DIR": str(var_dir), "FRONTEND_URL": "http://localhost:8000", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_make_run_starts_without_warnings_on_loopback(tmp_path: Path) -> None:
    assert deploy_check(tmp_path).strip().startswith("System check identified no issues")


def test_a_real_host_gets_the_https_deployment_warnings(tmp_path: Path) -> None:
    shown = deploy_check(tmp_path, ALLOWED_HOSTS="api.example.com")
    for check in ("W005", "W008", "W012", "W016", "W021"):
        assert f"security.{check}" in shown
