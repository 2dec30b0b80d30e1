"""The documented recipe for a front end on its own origin, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_login_flow import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_app_on_another_origin_logs_in_reloads_and_logs_out(page: Page, user, separate_origin):
    page.goto(separate_origin + "/login")
    log_in(page)
    expect(page.get_by_test_id("username")).to_have_text("alice")
    page.reload()  # the refresh cookie and the CSRF header cross origins as configured
    expect(page.get_by_test_id("username")).to_have_text("alice")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.reload()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_an_origin_that_is_not_allowed_cannot_log_in(page: Page, user, separate_origin, settings):
    settings.CORS_ALLOWED_ORIGINS = []
    page.goto(separate_origin + "/login")
    log_in(page)
    expect(page.get_by_role("alert")).to_contain_text("could not be reached")
