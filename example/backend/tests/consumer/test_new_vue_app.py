"""A brand-new Vite + Vue + TypeScript app on the packed npm packages, against a brand-new
Django project that follows the READMEs, in Chromium.

Both packages are packed with `npm pack` (what a registry would serve) and installed by a
new app with the README's own command; its `src/main.ts`, `vite.config.ts`, a Pinia store and
two pages are packages/vue/README.md's snippets, verbatim. The Django project is
test_new_project's recipe (the wheel in a clean venv, the README's snippets) plus the
README's user view. The built app is served by Django on the same origin.
Only 127.0.0.1 is contacted (npm and pip reach the registry).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserType, Page, expect

from tests.consumer.readme_project import documented_command, make_project, serving
from tests.consumer.scaffold import (
    BROWSER,
    CLIENT,
    CREATE_VITE_CHECKS,
    VUE,
    npm,
    npx,
    pack,
    pinned,
)
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.snippets import snippet

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

USERNAME, PASSWORD = "ada", "a-long-passphrase-1"

APP_VUE = "<template><RouterView /></template>\n"

LOGIN_VUE = """<script setup lang="ts">
import { ref } from 'vue'
import { useRouter } from 'vue-router'
import { toApiError, useAuth } from '@spa-auth/vue'

const { login } = useAuth()
const router = useRouter()
const username = ref('')
const password = ref('')
const error = ref('')

async function submit(): Promise<void> {
  try {
    await login(username.value, password.value)
    await router.replace('/')
  } catch (caught) {
    error.value = toApiError(caught).code
  }
}
</script>

<template>
  <h1>Log in</h1>
  <form @submit.prevent="submit">
    <label for="username">Username</label>
    <input id="username" v-model="username" autocomplete="username" />
    <label for="password">Password</label>
    <input id="password" v-model="password" type="password" autocomplete="current-password" />
    <p v-if="error" role="alert">{{ error }}</p>
    <button type="submit">Log in</button>
  </form>
</template>
"""

HOME_VUE = """<script setup lang="ts">
import { ref } from 'vue'
import { useAuth } from '@spa-auth/vue'

const { user, logout, client } = useAuth()
const whoami = ref('')

async function askWhoAmI(): Promise<void> {
  // The classic header of the original tutorial, through the package's fetch.
  const response = await client.fetch('/api/v1/user/', {
    headers: { Authorization: `JWT ${client.getAccessToken()}` },
  })
  whoami.value = response.ok ? (await response.json()).username : `HTTP ${response.status}`
}
</script>

<template>
  <h1>Signed in as <span data-testid="username">{{ user?.username }}</span></h1>
  <button type="button" @click="askWhoAmI">Who am I</button>
  <p data-testid="whoami">{{ whoami }}</p>
  <button type="button" @click="logout">Log out</button>
</template>
"""

INDEX_HTML = """<!doctype html>
<html lang="en">
  <head><meta charset="UTF-8" /><title>new app</title></head>
  <body><div id="app"></div><script type="module" src="/src/main.ts"></script></body>
</html>
"""

TSCONFIG = {
    "compilerOptions": {**CREATE_VITE_CHECKS, **BROWSER},
    "include": ["src/**/*.ts", "src/**/*.vue"],
}
# create-vite's second project, for the config files that Node runs.
TSCONFIG_NODE = {
    "compilerOptions": {**CREATE_VITE_CHECKS, "lib": ["ES2023"], "types": ["node"]},
    "include": ["vite.config.ts"],
}

# The test's own glue, not the README's: the built app as static files, index.html for routes.
SITE_SETTINGS = """
STATICFILES_DIRS = [BASE_DIR / "spa"]
TEMPLATES[0]["DIRS"] = [BASE_DIR / "spa"]
"""
SITE_URLS = """
from django.urls import re_path
from django.views.generic import TemplateView

urlpatterns += [
    re_path(r"^(?!api/|admin/|static/).*$", TemplateView.as_view(template_name="index.html"))
]
"""


@pytest.fixture(scope="module")
def built_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packed packages, a new app that installs them, type-checked and built."""
    checkout, app = tmp_path_factory.mktemp("checkout"), tmp_path_factory.mktemp("vue-app")
    pack((CLIENT, VUE), checkout)
    manifest = {
        "name": "new-vue-app",
        "private": True,
        "type": "module",
        "dependencies": pinned("vue", "vue-router", "pinia"),
        "devDependencies": pinned(
            "vite", "@vitejs/plugin-vue", "typescript", "vue-tsc", "@types/node"
        ),
    }
    (app / "package.json").write_text(json.dumps(manifest, indent=2))
    (app / "index.html").write_text(INDEX_HTML)
    (app / "vite.config.ts").write_text(snippet("vite-proxy"))
    (app / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=2))
    (app / "tsconfig.node.json").write_text(json.dumps(TSCONFIG_NODE, indent=2))
    src = app / "src"
    (src / "stores").mkdir(parents=True)
    (src / "main.ts").write_text(snippet("vue-main"))
    (src / "App.vue").write_text(APP_VUE)
    (src / "LoginView.vue").write_text(LOGIN_VUE)
    (src / "HomeView.vue").write_text(HOME_VUE)
    # The README's pages and store, verbatim: type-checked with the rest (an unused name fails).
    (src / "ReadmeLoginPage.vue").write_text(snippet("login-page"))
    (src / "ReadmeAnyPage.vue").write_text(snippet("any-page"))
    (src / "stores" / "session.ts").write_text(snippet("pinia-store"))
    # The README's install command: the tarballs, with the manifest's dependencies.
    ((command, *args),) = documented_command(snippet("npm-install-vue"), checkout=checkout)
    assert command == "npm", command
    npm(*args, cwd=app)
    # Installed, not linked: the packages are copies from the tarballs, with no node_modules.
    installed = app / "node_modules" / "@spa-auth"
    assert sorted(path.name for path in installed.iterdir()) == ["client", "vue"]
    assert not any(path.is_symlink() for path in installed.iterdir())
    assert not (installed / "vue" / "node_modules").exists()
    npx("vue-tsc", "--noEmit", cwd=app)  # the packed type declarations, as a user meets them
    npx("tsc", "--noEmit", "-p", "tsconfig.node.json", cwd=app)
    # The README's config is for development; Django serves the build under STATIC_URL.
    npx("vite", "build", "--base", "/static/", "--logLevel", "error", cwd=app)
    return app / "dist"


@pytest.fixture(scope="module")
def vue_site(built_app: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The README's project plus the built app and the Vue README's ``user/`` view, served."""
    user_view = snippet("user-view")
    python, site = make_project(
        tmp_path_factory.mktemp("vue-site"),
        user=(USERNAME, PASSWORD),
        settings=SITE_SETTINGS,
        urls="\n\n" + user_view + SITE_URLS,
        prepare=lambda site: shutil.copytree(built_app, site / "spa"),
    )
    with serving(python, site) as url:
        yield url


@pytest.fixture
def browser_page(browser_type: BrowserType) -> Iterator[Page]:
    """A page of Debian's Chromium, launched here: overriding pytest-playwright's session
    fixtures (launch args, base URL) in this module would leak into the e2e tests' cache."""
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Chromium at {CHROMIUM} for the browser tests")
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    browser = browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser.new_context().new_page()
    finally:
        browser.close()


def test_a_new_vue_app_logs_in_survives_a_reload_calls_with_jwt_and_logs_out(
    browser_page: Page, vue_site: str
) -> None:
    page = browser_page
    page.goto(vue_site + "/")
    expect(page).to_have_url(re.compile(r"/login$"))  # the guard, after the restore found no cookie
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("username")).to_have_text(USERNAME)

    page.reload()  # the token was in memory only: the refresh cookie and GET user/ restore it
    expect(page.get_by_test_id("username")).to_have_text(USERNAME)
    stored = page.evaluate("() => JSON.stringify([{...localStorage}, {...sessionStorage}])")
    assert "eyJ" not in stored, stored

    with page.expect_request("**/api/v1/user/") as asked:
        page.get_by_role("button", name="Who am I").click()
    expect(page.get_by_test_id("whoami")).to_have_text(USERNAME)
    assert (asked.value.header_value("authorization") or "").startswith("JWT ey")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))  # the guard follows the session
    page.reload()
    expect(page).to_have_url(re.compile(r"/login$"))
