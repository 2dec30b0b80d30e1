"""New-device notices in a real browser: the device cookie is httpOnly and Lax, a second
browser's sign-in is mailed, and the sessions page lists the known devices and forgets
one."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_login_flow import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def signed_in(page: Page) -> None:
    page.goto("/login")
    log_in(page)
    expect(page.get_by_test_id("username")).to_have_text("alice")


def test_a_second_browser_is_mailed_listed_and_forgotten(
    page: Page, browser: Browser, base_url: str, user: Any, artifacts: Any
) -> None:
    signed_in(page)
    device = next(c for c in page.context.cookies() if c["name"].endswith("spa_auth_device"))
    assert device["httpOnly"] and device["sameSite"] == "Lax" and device["path"] == "/"
    assert "spa_auth_device" not in page.evaluate("() => document.cookie")
    assert not [m for m in mail.outbox if "new sign-in" in m.subject]

    other = browser.new_context(base_url=base_url).new_page()
    signed_in(other)
    [notice] = [m for m in mail.outbox if "new sign-in" in m.subject]
    assert notice.to == [user.email] and "/sessions" in notice.body
    other.context.close()

    page.goto("/sessions")
    devices = page.locator("[data-device-id]")
    expect(devices).to_have_count(2)
    expect(page.get_by_role("heading", name="Known devices")).to_be_visible()
    mine = devices.filter(has_text="This device")
    expect(mine).to_have_count(1)
    page.screenshot(path=str(artifacts / "devices.png"), full_page=True)
    devices.filter(has_not_text="This device").get_by_role("button", name="Forget").click()
    expect(devices).to_have_count(1)
    expect(devices.first).to_contain_text(re.compile("This device"))
