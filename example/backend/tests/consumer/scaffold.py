"""The front-end consumer tests' scaffold: create-vite's TypeScript settings, the npm
packages packed as a registry would serve them, and npm run as a user runs it. Used by
test_new_vue_app and test_client_readme; npm reaches the registry."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.consumer.readme_project import ROOT

CLIENT, VUE = ROOT / "packages" / "client", ROOT / "packages" / "vue"
EXAMPLE_PACKAGE_JSON = ROOT / "example" / "frontend" / "package.json"

# create-vite's templates' (vanilla-ts, vue-ts) checks, which a snippet must pass as written;
# the libraries' declarations are checked too (create-vite skips them), as a user meets them.
CREATE_VITE_CHECKS: dict[str, Any] = {
    "target": "ES2022",
    "module": "ESNext",
    "moduleResolution": "bundler",
    "moduleDetection": "force",
    "strict": True,
    "noUnusedLocals": True,
    "noUnusedParameters": True,
    "erasableSyntaxOnly": True,
    "noFallthroughCasesInSwitch": True,
    "noUncheckedSideEffectImports": True,
    "noEmit": True,
    "isolatedModules": True,
    "verbatimModuleSyntax": True,
    "skipLibCheck": False,
}
BROWSER = {"lib": ["ES2022", "DOM", "DOM.Iterable"], "types": ["vite/client"]}


def pinned(*names: str) -> dict[str, str]:
    """The versions the example app pins, for the new app's own dependencies."""
    pins = json.loads(EXAMPLE_PACKAGE_JSON.read_text())
    versions = {**pins["dependencies"], **pins["devDependencies"]}
    return {name: versions[name] for name in names}


def npm(*args: str, cwd: Path) -> str:
    """npm with this machine's npm configuration (its cache and registry settings)."""
    result = subprocess.run(
        ["npm", *args, "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NODE_ENV": "development"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


def npx(*args: str, cwd: Path) -> None:
    result = subprocess.run(["npx", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def pack(packages: tuple[Path, ...], checkout: Path) -> None:
    """``npm pack`` of each package into ``checkout/dist``, where `make dist` puts them."""
    for package in packages:
        if not (package / "dist" / "index.js").is_file():
            pytest.fail(f"{package}/dist is missing: build the npm packages first (make test does)")
    (checkout / "dist").mkdir(parents=True)
    for package in packages:
        npm("pack", "--pack-destination", str(checkout / "dist"), cwd=package)
