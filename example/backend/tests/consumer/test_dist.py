"""The route the READMEs give until the packages are published: `make dist` builds the
files that the install commands name."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
READMES = [ROOT / "README.md", *sorted((ROOT / "packages").glob("*/README.md"))]


def built_names() -> set[str]:
    version = tomllib.loads((ROOT / "packages/django-spa-auth/pyproject.toml").read_text())
    names = {f"django_spa_auth-{version['project']['version']}-py3-none-any.whl"}
    for folder in ("client", "vue"):
        package = json.loads((ROOT / "packages" / folder / "package.json").read_text())
        names.add(f"{package['name'].lstrip('@').replace('/', '-')}-{package['version']}.tgz")
    return names


def test_the_install_commands_name_what_make_dist_builds() -> None:
    named = {
        name
        for readme in READMES
        for name in re.findall(r"dist/([\w.-]+\.(?:whl|tgz))", readme.read_text())
    }
    assert named == built_names()
    subprocess.run(["make", "-s", "dist"], cwd=ROOT, check=True, capture_output=True, timeout=600)
    assert built_names() <= {path.name for path in (ROOT / "dist").iterdir()}
