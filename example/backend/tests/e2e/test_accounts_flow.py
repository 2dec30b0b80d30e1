"""Every account step in Chromium against a `make run`-shaped server (gunicorn, the built
app, SQLite) whose mail goes through a real SMTP server on loopback; each link is read
from the delivered mail and opened as a user would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import PASSWORD
from tests.e2e.test_login_flow import log_in
from tests.live.servers import AppServer, serve_the_app
from tests.live.smtp import SmtpSink, link_in

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "a-brand-new-passphrase-42"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpSink) -> Iterator[AppServer]:
    yield from serve_the_app(tmp_path_factory.mktemp("accounts"), EMAIL_URL=smtp.url)


@pytest.fixture
def page(browser: Browser, server: AppServer) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url)
    yield context.new_page()
    context.close()


def open_link(page: Page, smtp: SmtpSink, server: AppServer, *, to: str, subject: str) -> None:
    link = link_in(smtp.wait_for(to=to, subject=subject))
    assert link.startswith(f"{server.url}/"), link
    page.goto(link)
    expect(page).not_to_have_url(re.compile("key="))  # the key leaves the address bar


def test_sign_up_verify_change_email_reset_and_delete(
    page: Page, smtp: SmtpSink, server: AppServer, artifacts: Any
) -> None:
    page.goto("/login")
    page.get_by_role("link", name="Sign up").click()
    # The page is loaded lazily: fill its form, not the login page's.
    expect(page.get_by_role("heading", name="Sign up")).to_be_visible()
    page.get_by_label("Username").fill("carol")
    page.get_by_label("Email").fill("carol@example.com")
    page.get_by_label("Password").fill("123")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("This password is too short")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("status")).to_contain_text("Check your inbox")
    page.screenshot(path=str(artifacts / "signup.png"), full_page=True)

    # No account until the address is proven: the chosen password opens nothing.
    page.goto("/login")
    log_in(page, "carol")
    expect(page.get_by_role("alert")).to_contain_text("do not match")

    open_link(page, smtp, server, to="carol@example.com", subject="Confirm your email")
    # Opening the link spends nothing: the page names the account and wants its password.
    expect(page.get_by_text("Create the account carol for carol@example.com?")).to_be_visible()
    page.get_by_label("Password").fill("not-the-chosen-one-1")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("alert")).to_contain_text("incorrectly")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("status")).to_contain_text("verified")
    page.goto("/login")
    log_in(page, "carol")
    expect(page.get_by_test_id("username")).to_have_text("carol")

    page.get_by_role("link", name="Account").click()
    change = page.get_by_role("form", name="Change email")
    change.get_by_label("New email").fill("carol.new@example.com")
    change.get_by_label("Current password").fill(PASSWORD)
    change.get_by_role("button", name="Change email").click()
    expect(page.get_by_role("status")).to_contain_text("carol.new@example.com")
    notice = smtp.wait_for(to="carol@example.com", subject="change")
    assert "#key=" not in str(notice)
    open_link(page, smtp, server, to="carol.new@example.com", subject="new email")
    expect(page.get_by_text("the address of the account carol?")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Change my address").click()
    expect(page.get_by_role("status")).to_contain_text("carol.new@example.com")

    page.goto("/")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("Email").fill("carol.new@example.com")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("status")).to_contain_text("Check your inbox")
    open_link(page, smtp, server, to="carol.new@example.com", subject="Reset")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("status")).to_contain_text("new password is set")

    page.goto("/login")
    log_in(page, "carol")
    expect(page.get_by_role("alert")).to_be_visible()  # the old password is gone
    log_in(page, "carol", NEW_PASSWORD)
    expect(page.get_by_test_id("username")).to_have_text("carol")

    page.get_by_role("link", name="Account").click()
    delete = page.get_by_role("form", name="Delete account")
    delete.get_by_label("Current password").fill(NEW_PASSWORD)
    delete.get_by_label("I understand").check()
    delete.get_by_role("button", name="Delete account").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_contain_text("deleted")
    log_in(page, "carol", NEW_PASSWORD)
    expect(page.get_by_role("alert")).to_be_visible()


def test_a_link_opened_twice_is_refused_the_second_time(
    page: Page, smtp: SmtpSink, server: AppServer
) -> None:
    page.goto("/signup")
    expect(page.get_by_role("heading", name="Sign up")).to_be_visible()
    page.get_by_label("Username").fill("dave")
    page.get_by_label("Email").fill("dave@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    verify = link_in(smtp.wait_for(to="dave@example.com", subject="Confirm"))
    page.goto(verify)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("status")).to_contain_text("verified")
    again = page.context.new_page()  # the mail's link clicked once more: a new tab
    again.goto(verify)
    expect(again.get_by_role("alert")).to_contain_text("invalid")
