"""Signing in with a mailed code in Chromium, against a `make run`-shaped server (gunicorn,
the built app, SQLite) whose mail goes through a real SMTP server on loopback: the code is
read from the delivered mail and typed as a person would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import PASSWORD
from tests.live.servers import AppServer, request, serve_the_app
from tests.live.smtp import SmtpSink, link_in, text_of

pytestmark = pytest.mark.e2e
CODE = re.compile(r"\b([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})\b")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpSink) -> Iterator[AppServer]:
    yield from serve_the_app(tmp_path_factory.mktemp("login-code"), EMAIL_URL=smtp.url)


@pytest.fixture
def page(browser: Browser, server: AppServer) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url)
    yield context.new_page()
    context.close()


def signed_up(server: AppServer, smtp: SmtpSink, username: str) -> str:
    """A new user's proven account, made through the API as the sign-up page makes it."""
    email = f"{username}@example.com"
    body = {"username": username, "email": email, "password": PASSWORD}
    assert request(server.url, "POST", "/api/v1/auth/register/", body).status == 201
    key = link_in(smtp.wait_for(to=email, subject="Confirm")).split("#key=", 1)[1]
    confirm = {"key": key, "password": PASSWORD}
    assert request(server.url, "POST", "/api/v1/auth/email/verify/", confirm).status == 200
    return email


def code_from(smtp: SmtpSink, email: str) -> str:
    found = CODE.search(text_of(smtp.wait_for(to=email, subject="sign-in code")))
    assert found
    return found.group(1)


def test_a_code_sign_in_read_from_the_delivered_mail(
    page: Page, smtp: SmtpSink, server: AppServer, artifacts: Any
) -> None:
    email = signed_up(server, smtp, "erin")
    page.goto("/login")
    page.get_by_role("button", name="Email me a code").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_role("status")).to_contain_text(f"If {email} belongs to an account")
    field = page.get_by_label("Code from the email")
    expect(field).to_have_attribute("autocomplete", "one-time-code")
    code = code_from(smtp, email)

    # A wrong code is said, and the flow lives on for the right one.
    wrong = ("C" if code[0] == "B" else "B") + code[1:]
    field.fill(wrong)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    page.screenshot(path=str(artifacts / "login-code.png"), full_page=True)

    field.fill(code.lower())  # as a person may type it
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_test_id("username")).to_have_text("erin")
    # The session is a real one: it survives a reload through the refresh cookie.
    page.reload()
    expect(page.get_by_test_id("username")).to_have_text("erin")


def test_an_unknown_address_gets_the_same_page_and_no_mail(
    page: Page, smtp: SmtpSink, server: AppServer
) -> None:
    page.goto("/login")
    page.get_by_role("button", name="Email me a code").click()
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_role("button", name="Email me a code").click()
    sent = page.get_by_role("status")
    expect(sent).to_contain_text("If nobody@example.com belongs to an account")
    page.get_by_label("Code from the email").fill("BBBB-BBBB")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    assert not [m for m in smtp.messages if "nobody@example.com" in str(m["To"])]
