"""The whole app in Chromium: silent refresh, tabs, sessions, password, users."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conftest import PASSWORD
from tests.e2e.test_login_flow import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ACCESS_SECONDS = 3
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile Safari/604.1"


@pytest.fixture
def short_tokens(settings):
    """Access tokens that expire while the user idles, with no clock-skew leeway."""
    settings.SPA_AUTH = {**settings.SPA_AUTH, "ACCESS_TOKEN_LIFETIME": ACCESS_SECONDS, "LEEWAY": 0}


def signed_in(context: BrowserContext, username: str = "alice") -> Page:
    page = context.new_page()
    page.goto("/login")
    log_in(page, username)
    expect(page.get_by_test_id("username")).to_have_text(username)
    return page


def test_a_user_idles_past_the_access_lifetime_and_keeps_working(page: Page, user, short_tokens):
    page.goto("/login")
    log_in(page)
    expect(page.get_by_test_id("username")).to_have_text("alice")
    first = page.evaluate("() => performance.now()")
    time.sleep(ACCESS_SECONDS * 2 + 1)  # several access lifetimes, in real time
    page.get_by_role("link", name="Sessions").click()
    expect(page.get_by_role("heading", name="Sessions")).to_be_visible()
    expect(page.locator(".sessions li")).to_have_count(1)
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_test_id("username")).to_have_text("alice")
    assert page.evaluate("() => performance.now()") > first
    expect(page.get_by_role("alert")).to_have_count(0)


def test_logout_in_one_tab_signs_out_the_other_within_a_second(context: BrowserContext, user):
    first = signed_in(context)
    second = context.new_page()
    second.goto("/")
    expect(second.get_by_test_id("username")).to_have_text("alice")
    first.get_by_role("button", name="Log out").click()
    expect(second).to_have_url(re.compile(r"/login$"), timeout=1000)
    second.reload()
    expect(second).to_have_url(re.compile(r"/login$"))


def test_login_in_one_tab_signs_in_the_other(context: BrowserContext, user):
    waiting = context.new_page()
    waiting.goto("/login")
    signed_in(context)
    expect(waiting.get_by_test_id("username")).to_have_text("alice", timeout=2000)


def test_revoking_another_session_sends_that_device_to_login(
    browser: Browser, base_url: str, user, artifacts
):
    laptop = browser.new_context(base_url=base_url)
    phone = browser.new_context(
        base_url=base_url,
        user_agent=IPHONE,
    )
    try:
        phone_page = signed_in(phone)
        page = signed_in(laptop)
        page.get_by_role("link", name="Sessions").click()
        rows = page.locator(".sessions li")
        expect(rows).to_have_count(2)
        expect(rows.get_by_text("This device")).to_have_count(1)
        expect(rows.get_by_text("Safari on iOS")).to_be_visible()
        page.screenshot(path=str(artifacts / "sessions.png"), full_page=True)
        page.get_by_role("button", name="Revoke").click()
        expect(rows).to_have_count(1)
        phone_page.get_by_role("link", name="Sessions").click()
        expect(phone_page).to_have_url(re.compile(r"/login"))
        expect(phone_page.get_by_role("alert")).to_contain_text("session has ended")
    finally:
        laptop.close()
        phone.close()


def test_log_out_everywhere_ends_every_session(browser: Browser, base_url: str, user):
    one, two = browser.new_context(base_url=base_url), browser.new_context(base_url=base_url)
    try:
        other = signed_in(two)
        page = signed_in(one)
        page.get_by_role("link", name="Sessions").click()
        page.get_by_role("button", name="Log out everywhere").click()
        expect(page).to_have_url(re.compile(r"/login$"))
        other.get_by_role("link", name="Sessions").click()
        expect(other).to_have_url(re.compile(r"/login"))
    finally:
        one.close()
        two.close()


def test_password_change_shows_validation_then_succeeds(page: Page, user, artifacts):
    page.goto("/login")
    log_in(page)
    # Signed in first: the login page's "Forgot your password?" link also names "Password".
    expect(page.get_by_test_id("username")).to_have_text("alice")
    page.get_by_role("link", name="Password", exact=True).click()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#new-password-error")).to_contain_text("too short")
    expect(page.get_by_label("New password")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(artifacts / "password.png"), full_page=True)
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill("a-much-longer-passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("other session has been signed out")
    page.reload()
    expect(page.get_by_role("heading", name="Password")).to_be_visible()


def test_staff_pages_through_users_and_members_get_no_access(
    browser: Browser, base_url: str, user_factory, artifacts
):
    user_factory(username="root", is_staff=True)
    user_factory(username="member")
    for _ in range(23):
        user_factory()
    staff = browser.new_context(base_url=base_url)
    member = browser.new_context(base_url=base_url)
    try:
        page = signed_in(staff, "root")
        page.get_by_role("link", name="Users").click()
        expect(page.get_by_test_id("range")).to_have_text("1\u201320 of 25")
        page.screenshot(path=str(artifacts / "users.png"), full_page=True)
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_test_id("range")).to_have_text("21\u201325 of 25")
        expect(page.get_by_role("button", name="Next")).to_be_disabled()
        page.get_by_role("button", name="Previous").click()
        expect(page.get_by_test_id("range")).to_have_text("1\u201320 of 25")

        other = signed_in(member, "member")
        expect(other.get_by_role("link", name="Users")).to_have_count(0)
        other.goto("/users")
        expect(other.get_by_role("heading", name="No access")).to_be_visible()
        other.screenshot(path=str(artifacts / "no-access.png"), full_page=True)
    finally:
        staff.close()
        member.close()


def test_unknown_pages_show_a_not_found_page(page: Page, user, artifacts):
    page.goto("/login")
    log_in(page)
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    page.screenshot(path=str(artifacts / "not-found.png"), full_page=True)


def test_a_first_visit_prints_nothing_in_the_console(page: Page):
    """No refresh is tried without a refresh cookie, so no 401 reaches the console (a page
    with console errors loses Lighthouse's best-practices score, and worries developers)."""
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    failed: list[str] = []
    page.on(
        "response", lambda response: failed.append(response.url) if response.status >= 400 else None
    )
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert failed == [] and [m for m in messages if m.startswith("error")] == []
