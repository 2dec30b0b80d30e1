"""Refresh under races and lost answers, in Chromium against the live server.

The server rotates the refresh cookie on every refresh and honours the previous one only
inside its grace window and only from the client that rotated it; anything else counts as
reuse and ends the session. These tests make the network slow or drop an answer and check
that the app still never presents a cookie the server would treat as reused; that a password
change, which moves the browser onto a new session, signs no tab out; and that an idle tab
learns at its next background refresh that its session was ended elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    CDPSession,
    Page,
    Request,
    Response,
    Route,
    expect,
)

from tests.conftest import PASSWORD
from tests.e2e.test_app import signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
REFRESH_URL = "**/api/v1/auth/refresh_token/"
LATENCY_MS = 1500
NO_THROTTLING = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
# Two refreshes one after the other on the slow network, with room to spare.
SLOW_NETWORK_MS = 10_000


@pytest.fixture
def app_url(base_url: str) -> str:
    """The live server by address, so that the browser only ever talks to 127.0.0.1."""
    return base_url.replace("localhost", "127.0.0.1")


@pytest.fixture
def profile(browser: Browser, app_url: str) -> Iterator[BrowserContext]:
    """One browser profile: shared cookies, and tabs that hear each other."""
    context = browser.new_context(base_url=app_url)
    yield context
    context.close()


def throttle(page: Page, latency_ms: int) -> CDPSession:
    """Chromium's own network emulation: every request of this tab waits `latency_ms`."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {**NO_THROTTLING, "latency": latency_ms})
    return cdp


def refresh_cookie(context: BrowserContext) -> Any:
    return next(c for c in context.cookies() if c["name"] == "refresh_token")


def is_refresh(request: Request) -> bool:
    return request.url.endswith("/api/v1/auth/refresh_token/")


@pytest.fixture
def stale_tokens(settings: Any) -> None:
    """Access tokens already inside the app's 30 s refresh margin, so that a tab coming
    back into view refreshes at once (and no timer does meanwhile)."""
    settings.SPA_AUTH = {**settings.SPA_AUTH, "ACCESS_TOKEN_LIFETIME": 25}


@pytest.fixture
def short_tokens(settings: Any) -> None:
    """Access tokens that a tab refreshes in the background every few seconds."""
    settings.SPA_AUTH = {**settings.SPA_AUTH, "ACCESS_TOKEN_LIFETIME": 3, "LEEWAY": 0}


@pytest.mark.parametrize("web_locks", [True, False], ids=["taking-turns", "without-web-locks"])
def test_two_tabs_refreshing_at_once_on_a_slow_network_both_stay_signed_in(
    profile: BrowserContext, user: Any, stale_tokens: None, web_locks: bool
) -> None:
    if not web_locks:
        # As in a browser without Web Locks, or a tab that stopped waiting for the other:
        # both tabs present the same cookie at once, and the grace answer must cover both.
        profile.add_init_script(
            "Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined })"
        )
    first = signed_in(profile)
    second = profile.new_page()
    second.goto("/")
    expect(second.get_by_test_id("username")).to_have_text("alice")
    answers: list[Response] = []
    profile.on("response", lambda answer: answers.append(answer))
    tabs = (first, second)
    networks = [throttle(tab, LATENCY_MS) for tab in tabs]

    # Both tabs come back into view with a token inside the margin: both refresh at once.
    with profile.expect_event("requestfinished", is_refresh, timeout=SLOW_NETWORK_MS):
        for tab in tabs:
            tab.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    for network in networks:
        network.send("Network.emulateNetworkConditions", NO_THROTTLING)

    # Each tab now works with a token this burst of refreshes issued, at the first try.
    for tab in tabs:
        with tab.expect_response(lambda r: "/api/v1/auth/sessions/" in r.url) as listed:
            tab.get_by_role("link", name="Sessions").click()
        expect(tab.locator(".sessions li")).to_have_count(1)
        assert listed.value.status == 200
        used = listed.value.request.header_value("authorization")
        issued = [f"Bearer {a.json()['token']}" for a in answers if is_refresh(a.request)]
        assert used in issued

    # Taking turns, the second tab reuses the first one's token or refreshes after it.
    expected = ([200], [200, 200]) if web_locks else ([200, 200],)
    assert [a.status for a in answers if is_refresh(a.request)] in expected
    for tab in tabs:
        tab.reload()  # the cookie both tabs share now is a live one
        expect(tab.locator(".sessions li")).to_have_count(1)
        expect(tab.get_by_role("alert")).to_have_count(0)
    assert [a.url for a in answers if a.status == 401] == []


def test_a_lost_refresh_answer_is_retried_and_the_login_survives_a_reload(
    profile: BrowserContext, user: Any
) -> None:
    page = signed_in(profile)
    presented: list[str] = []
    lost: list[int] = []

    def lose_the_first_answer(route: Route) -> None:
        before = refresh_cookie(profile)
        presented.append(before["value"])
        if lost:
            route.continue_()
            return
        lost.append(route.fetch().status)  # the server rotates the cookie and answers ...
        # ... but the answer never reaches the browser: neither the body nor the new cookie
        # (Playwright's fetch would otherwise have stored it in this profile).
        profile.add_cookies([before])
        route.abort()

    page.route(REFRESH_URL, lose_the_first_answer)
    page.reload()
    expect(page.get_by_test_id("username")).to_have_text("alice")
    assert lost == [200]
    # One retry, with the very cookie the lost answer had rotated: the grace answer brought
    # its successor.
    assert len(presented) == 2
    assert presented[0] == presented[1] != refresh_cookie(profile)["value"]

    page.unroute(REFRESH_URL)
    page.reload()
    expect(page.get_by_test_id("username")).to_have_text("alice")
    page.get_by_role("link", name="Sessions").click()
    expect(page.locator(".sessions li")).to_have_count(1)
    expect(page.get_by_role("alert")).to_have_count(0)


def test_a_password_change_keeps_every_tab_of_this_browser_signed_in(
    profile: BrowserContext, user: Any
) -> None:
    first = signed_in(profile)
    second = profile.new_page()
    second.goto("/")
    expect(second.get_by_test_id("username")).to_have_text("alice")
    first.get_by_role("link", name="Password", exact=True).click()
    first.get_by_label("Current password").fill(PASSWORD)
    first.get_by_label("New password").fill("a-much-longer-passphrase")
    first.get_by_role("button", name="Change password").click()
    expect(first.get_by_role("status")).to_contain_text("other session has been signed out")
    # The old session has ended, its access tokens with it: the other tab works on only
    # because it took the new session's token over the channel.
    for tab in (second, first):
        tab.get_by_role("link", name="Sessions").click()
        expect(tab.locator(".sessions li")).to_have_count(1)
        tab.reload()
        expect(tab.locator(".sessions li")).to_have_count(1)
        expect(tab.get_by_role("alert")).to_have_count(0)


def test_logging_out_everywhere_sends_an_idle_tab_to_login_at_its_next_background_refresh(
    profile: BrowserContext, browser: Browser, app_url: str, user: Any, short_tokens: None
) -> None:
    idle = signed_in(profile)
    phone = browser.new_context(base_url=app_url)
    try:
        page = signed_in(phone)
        page.get_by_role("link", name="Sessions").click()
        page.get_by_role("button", name="Log out everywhere").click()
        expect(page).to_have_url(re.compile(r"/login$"))
        # Nobody touches the idle tab: its next proactive refresh learns the news.
        expect(idle).to_have_url(re.compile(r"/login"))
        expect(idle.get_by_role("alert")).to_contain_text("signed out elsewhere")
    finally:
        phone.close()
