"""packages/client/README.md's TypeScript, type-checked as a reader's app meets it: a new
create-vite ``vanilla-ts`` app that installs the packed client with the README's own
commands, each snippet a module of its own, verbatim, and one ``tsc`` over them all.

What the snippets leave to the reader's app (its views, its form's values) is declared once
in ``src/app.d.ts``; a snippet that goes on from the first one gets that one's imports and
client. npm reaches the registry.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.consumer.readme_project import documented_command
from tests.consumer.scaffold import BROWSER, CLIENT, CREATE_VITE_CHECKS, npm, npx, pack, pinned
from tests.snippets import snippet

pytestmark = pytest.mark.integration

TSCONFIG = {"compilerOptions": {**CREATE_VITE_CHECKS, **BROWSER}, "include": ["src"]}

# The reader's own app, which the snippets call.
APP_D_TS = """import type { AuthState } from '@spa-auth/client'

declare global {
  function render(state: AuthState): void
  function show(value: unknown): void
  function showLogin(message: string): void
  function askForPassword(methods: readonly string[]): Promise<string | null>
  const username: string
  const email: string
  const password: string
  const code: string
  const i18n: { global: { locale: { value: string } } }
}
"""
# What a snippet that goes on from "Five minutes" has from it.
FROM_FIVE_MINUTES = """import { createAuthClient, toApiError } from '@spa-auth/client'
const auth = createAuthClient({ baseURL: '/api/v1/' })
"""


def modules() -> dict[str, str]:
    """Each snippet as the module the app holds, with the test's glue before it."""
    return {
        "five-minutes.ts": snippet("client-five-minutes"),
        "register.ts": FROM_FIVE_MINUTES + snippet("client-register"),
        "mfa.ts": FROM_FIVE_MINUTES + snippet("client-mfa"),
        "providers.ts": FROM_FIVE_MINUTES + snippet("client-providers"),
        "step-up.ts": "import { createAuthClient } from '@spa-auth/client'\n"
        + snippet("client-step-up"),
        "language.ts": "import { createAuthClient } from '@spa-auth/client'\n"
        + snippet("client-language"),
    }


@pytest.fixture(scope="module")
def vanilla_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The new app, with the client installed by the README's commands."""
    checkout, app = tmp_path_factory.mktemp("checkout"), tmp_path_factory.mktemp("vanilla-app")
    pack((CLIENT,), checkout)
    manifest = {
        "name": "new-vanilla-app",
        "private": True,
        "type": "module",
        "devDependencies": pinned("typescript", "vite"),
    }
    (app / "package.json").write_text(json.dumps(manifest, indent=2))
    (app / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=2))
    for command, *args in documented_command(snippet("npm-install-client"), checkout=checkout):
        assert command == "npm", command
        npm(*args, cwd=app)
    installed = json.loads((app / "package.json").read_text())["dependencies"]
    assert set(installed) == {"@spa-auth/client", "axios"}
    return app


def test_the_client_readmes_typescript_checks_in_a_new_vanilla_ts_app(vanilla_app: Path) -> None:
    src = vanilla_app / "src"
    src.mkdir()
    (src / "app.d.ts").write_text(APP_D_TS)
    for name, text in modules().items():
        (src / name).write_text(text)
    npx("tsc", "--noEmit", "-p", ".", cwd=vanilla_app)
