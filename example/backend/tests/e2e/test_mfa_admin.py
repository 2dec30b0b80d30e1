"""The Django admin's login in Chromium for an account with a second factor: the password
alone is refused, the code from the authenticator app lets the admin in."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect
from spa_auth.internal.mfa import services as mfa

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff_with_totp(user):
    user.is_staff = user.is_superuser = True
    user.save()
    secret = mfa.begin_totp(user)["secret"]
    # Confirmed with the previous step's code (inside the ±1 window), so the current
    # step's code is still unspent.
    mfa.confirm_totp(user, pyotp.TOTP(secret).at(time.time() - 30))
    return secret


def fill_admin_login(page: Page, code: str = "") -> None:
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Authentication code").fill(code)
    page.get_by_role("button", name="Log in").click()


def test_the_admin_wants_the_second_factor(page: Page, live_server, staff_with_totp):
    page.goto(f"{live_server.url}/admin/")
    fill_admin_login(page)
    expect(page.get_by_text("Enter a valid authentication code.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    fill_admin_login(page, pyotp.TOTP(staff_with_totp).now())
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
