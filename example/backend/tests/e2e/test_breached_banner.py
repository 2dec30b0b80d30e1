"""A login with a password found in breaches, in a real browser: the banner on every
page, its link to the password page, and a new password that ends it. The range server
is the loopback fake (``breach_fake``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.breach_fake import FakeRangeServer
from tests.conftest import PASSWORD

from .test_login_flow import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
FRESH = "a-brand-new-passphrase-42"


@pytest.fixture
def range_server(settings: Any) -> Iterator[FakeRangeServer]:
    fake = FakeRangeServer().start()
    fake.breach(PASSWORD)
    settings.SPA_AUTH = {**settings.SPA_AUTH, "PWNED_PASSWORDS": {"url": fake.url}}
    yield fake
    fake.stop()


def test_a_breached_password_shows_the_banner_until_it_is_changed(
    page: Page, user: Any, range_server: FakeRangeServer
) -> None:
    page.goto("/login")
    log_in(page)
    banner = page.get_by_test_id("breach-banner")
    expect(banner).to_contain_text("known data breach")
    banner.get_by_role("button", name="Dismiss").click()
    expect(banner).to_have_count(0)
    page.get_by_role("link", name="Sessions").click()
    expect(banner).to_be_visible()  # dismissed on one page only
    page.reload()  # restored from the refresh cookie: user/ still says so
    expect(banner).to_be_visible()
    banner.get_by_role("link", name="Change your password").click()
    expect(page).to_have_url(re.compile(r"/password$"))
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill(FRESH)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status").filter(has_text="password was changed")).to_be_visible()
    expect(banner).to_have_count(0)
    assert all(request.path.startswith("/range/") for request in range_server.received)
