"""The browser flow of the original tutorial, done right."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, username: str = "alice", password: str = PASSWORD) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def assert_no_token_in_storage(page: Page) -> None:
    """Neither storage holds anything token-like (vue-router keeps scroll positions there)."""
    stored = page.evaluate(
        "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
    )
    assert "eyJ" not in stored, stored  # every JWT starts with base64url '{"'
    assert "token" not in stored.lower(), stored


def test_log_in_reload_log_out_and_stay_logged_out(page: Page, user, artifacts):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.screenshot(path=str(artifacts / "login.png"), full_page=True)
    log_in(page)
    expect(page.get_by_test_id("username")).to_have_text("alice")
    expect(page).to_have_url(re.compile(r"/$"))
    page.screenshot(path=str(artifacts / "home.png"), full_page=True)
    assert_no_token_in_storage(page)
    refresh_cookie = next(c for c in page.context.cookies() if c["name"] == "refresh_token")
    assert refresh_cookie["httpOnly"] and refresh_cookie["sameSite"] == "Strict"
    assert page.evaluate("() => document.cookie").find("refresh_token") == -1

    page.reload()
    expect(page.get_by_test_id("username")).to_have_text("alice")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.reload()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert_no_token_in_storage(page)


def test_wrong_credentials_show_an_alert(page: Page, user):
    page.goto("/login")
    log_in(page, password="not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_an_unreachable_server_is_reported(page: Page, user):
    page.goto("/login")
    page.route("**/api/v1/auth/obtain_token/", lambda route: route.abort("connectionrefused"))
    log_in(page)
    expect(page.get_by_role("alert")).to_contain_text("could not be reached")


def test_a_protected_route_redirects_to_login_and_back(page: Page, user):
    page.goto("/sessions")
    expect(page).to_have_url(re.compile(r"/login\?next=/sessions$"))
    log_in(page)
    expect(page).to_have_url(re.compile(r"/sessions$"))
    expect(page.get_by_role("heading", name="Sessions")).to_be_visible()
