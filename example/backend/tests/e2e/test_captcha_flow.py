"""The CAPTCHA in Chromium against a `make run`-shaped server configured by its
environment (``CAPTCHA_*``): the provider's script is routed to a stub that draws a
checkbox, and the server verifies with a fake verify endpoint on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.captcha_fake import SECRET_KEY, SITE_KEY, FakeCaptcha
from tests.conftest import PASSWORD
from tests.live.servers import AppServer, serve_the_app

pytestmark = pytest.mark.e2e
SCRIPT = "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit"
TOKEN_URL = "https://challenges.cloudflare.com/stub/token"
# Turnstile's explicit API as the widget uses it: render(element, options), reset, remove.
# Its checkbox asks the test (through TOKEN_URL) for a fresh answer, as a solve would.
STUB = """
window.turnstile = {
  render(element, options) {
    const box = document.createElement('button')
    box.type = 'button'
    box.textContent = 'I am human (' + options.action + ')'
    box.dataset.sitekey = options.sitekey
    box.addEventListener('click', async () => {
      const answer = await fetch('TOKEN_URL?action=' + options.action)
      options.callback(await answer.text())
    })
    element.appendChild(box)
    return 'stub-widget'
  },
  reset() {},
  remove() {},
}
""".replace("TOKEN_URL", TOKEN_URL)


@pytest.fixture(scope="module")
def captcha() -> Iterator[FakeCaptcha]:
    fake = FakeCaptcha().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, captcha: FakeCaptcha) -> Iterator[AppServer]:
    yield from serve_the_app(
        tmp_path_factory.mktemp("captcha"),
        CAPTCHA_PROVIDER="turnstile",
        CAPTCHA_SITE_KEY=SITE_KEY,
        CAPTCHA_SECRET_KEY=SECRET_KEY,
        CAPTCHA_VERIFY_URL=captcha.verify_url,
    )


@pytest.fixture
def page(browser: Browser, server: AppServer, captcha: FakeCaptcha) -> Iterator[Page]:
    captcha.reset()
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    page.scripts_loaded = []  # type: ignore[attr-defined]

    def script(route: Route) -> None:
        page.scripts_loaded.append(route.request.url)  # type: ignore[attr-defined]
        route.fulfill(status=200, content_type="text/javascript", body=STUB)

    def token(route: Route) -> None:
        action = route.request.url.split("action=")[-1]
        answer = captcha.issue(hostname="127.0.0.1", action=action)
        route.fulfill(
            status=200,
            content_type="text/plain",
            body=answer,
            headers={"Access-Control-Allow-Origin": "*"},
        )

    # Nothing leaves the machine: the provider's origin is answered here, or refused.
    context.route("https://challenges.cloudflare.com/**", lambda route: route.abort())
    context.route(re.compile(re.escape(SCRIPT)), script)
    context.route(re.compile(re.escape(TOKEN_URL)), token)
    yield page
    context.close()


def test_sign_up_asks_for_the_captcha_only_when_the_server_does_and_retries_with_it(
    page: Page, captcha: FakeCaptcha, artifacts: Any
) -> None:
    page.goto("/signup")
    expect(page.get_by_role("heading", name="Sign up")).to_be_visible()
    assert page.scripts_loaded == []  # type: ignore[attr-defined]
    page.get_by_label("Username").fill("dora")
    page.get_by_label("Email").fill("dora@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_contain_text("not a robot")
    assert page.scripts_loaded == [SCRIPT]  # type: ignore[attr-defined]
    assert captcha.received == []  # asked for, not yet verified
    page.screenshot(path=str(artifacts / "captcha-signup.png"), full_page=True)
    # The password is kept for the retry, which the answer sets off by itself.
    page.get_by_role("button", name="I am human (signup)").click()
    expect(page.get_by_role("status")).to_contain_text("Check your inbox")
    assert [(form["secret"], form["remoteip"]) for form in captcha.received] == [
        (SECRET_KEY, "127.0.0.1")
    ]


def test_the_forgot_password_page_shows_the_widget_and_sends_its_answer(
    page: Page, captcha: FakeCaptcha
) -> None:
    page.goto("/forgot-password")
    page.get_by_label("Email").fill("someone@example.com")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_contain_text("not a robot")
    page.get_by_role("button", name="I am human (password_reset)").click()
    expect(page.get_by_role("status")).to_contain_text("someone@example.com")
    assert len(captcha.received) == 1
