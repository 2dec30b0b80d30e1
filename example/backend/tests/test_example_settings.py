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
