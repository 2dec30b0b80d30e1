"""Multi-factor sign-in in Chromium: an authenticator app with its recovery codes, passkeys
on Chromium's virtual authenticator (a CDP session), and the step-up dialog that a change
of a second factor opens (the sign-in itself does not count), as does any sensitive action
once the sign-in is too old."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import CDPSession, Page, expect

from tests.conftest import PASSWORD
from tests.e2e.test_login_flow import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
STEP_UP_SECONDS = 2


@pytest.fixture(autouse=True)
def relying_party(settings: Any, live_server: Any) -> None:
    """The live server's origin as the app's: WebAuthn's RP ID is its host, which must be a
    name (browsers refuse IP addresses as RP IDs)."""
    assert urlsplit(live_server.url).hostname == "localhost", live_server.url
    settings.SPA_AUTH = {**settings.SPA_AUTH, "FRONTEND_URL": live_server.url}


@pytest.fixture
def expire_sign_ins(settings: Any) -> Callable[[], None]:
    """From the call on, a sign-in older than STEP_UP_SECONDS needs a step-up; undone with
    the test's settings. A call, not a setting from the start: adding the passkey that the
    test removes must not itself race the short limit."""

    def expire() -> None:
        settings.SPA_AUTH = {**settings.SPA_AUTH, "REAUTHENTICATION_MAX_AGE": STEP_UP_SECONDS}

    return expire


@pytest.fixture
def authenticator(page: Page) -> tuple[CDPSession, str]:
    """A platform authenticator that keeps resident keys and verifies the user at once."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def presence(cdp: CDPSession, authenticator_id: str, enabled: bool) -> None:
    """Whether the virtual authenticator answers at once, as a user touching it would."""
    cdp.send(
        "WebAuthn.setAutomaticPresenceSimulation",
        {"authenticatorId": authenticator_id, "enabled": enabled},
    )


def without_autofill(page: Page) -> None:
    """A browser without passkeys in its autofill (no conditional mediation): the login page
    offers them through its button only. With it, the virtual authenticator would answer the
    login page's autofill at once, before any button."""
    page.add_init_script("PublicKeyCredential.isConditionalMediationAvailable = async () => false")


def signed_in(page: Page) -> None:
    page.goto("/login")
    log_in(page)
    expect(page.get_by_test_id("username")).to_have_text("alice")


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def open_security(page: Page) -> None:
    page.get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", name="Security")).to_be_visible()


def expect_status(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def confirm_its_you(page: Page) -> None:
    """The step-up dialog, answered with the password; the action that opened it goes on
    by itself (the client retries it with the new token)."""
    dialog = page.get_by_role("dialog", name="Confirm it's you")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Current password").fill(PASSWORD)
    dialog.get_by_role("button", name="Confirm", exact=True).click()
    expect(dialog).to_be_hidden()


def add_passkey(page: Page, name: str) -> None:
    """Adding a passkey wants a re-authentication after the sign-in: the dialog opens."""
    page.get_by_label("Passkey name").fill(name)
    page.get_by_role("button", name="Add passkey").click()
    confirm_its_you(page)
    expect_status(page, f"Passkey “{name}” added.")
    expect(page.get_by_role("button", name=f"Remove {name}")).to_be_visible()


def second_step(page: Page) -> None:
    """Log in with the password, and see the second step ask for a code."""
    log_in(page)
    expect(page.get_by_label("Code", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Verify")).to_be_visible()


def verify(page: Page, code: str) -> None:
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Verify").click()


def test_an_authenticator_app_guards_the_login_and_a_recovery_code_works_once(
    page: Page, user, artifacts
):
    signed_in(page)
    open_security(page)
    page.get_by_role("button", name="Set up authenticator app").click()
    confirm_its_you(page)  # the sign-in alone does not set up a second factor
    expect(page.get_by_role("img", name="QR code")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code", exact=True).fill(totp.now())
    page.get_by_role("button", name="Turn on").click()
    expect_status(page, "The authenticator app is on.")
    codes = page.get_by_test_id("recovery-codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    recovery_codes = [code.strip() for code in codes.all_inner_texts()]
    assert len(set(recovery_codes)) == 10, recovery_codes
    expect(page.get_by_text("Recovery codes left: 10")).to_be_visible()
    page.screenshot(path=str(artifacts / "security-totp.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    assert download.value.suggested_filename == "recovery-codes.txt"
    saved = download.value.path().read_text()
    assert all(code in saved for code in recovery_codes), saved

    log_out(page)
    second_step(page)
    # The code that turned the app on is spent and steps only move forward: the next
    # step's code, inside the ±1 window.
    verify(page, totp.at(time.time() + 30))
    expect(page.get_by_test_id("username")).to_have_text("alice")

    log_out(page)
    second_step(page)
    verify(page, recovery_codes[0])
    expect(page.get_by_test_id("username")).to_have_text("alice")

    log_out(page)
    second_step(page)
    verify(page, recovery_codes[0])
    expect(page.get_by_role("alert")).to_have_text("That code is not valid.")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_label("Code", exact=True)).to_be_visible()


def test_a_passkey_is_a_second_factor_and_a_passwordless_login(
    page: Page, user, authenticator, artifacts
):
    cdp, authenticator_id = authenticator
    without_autofill(page)
    signed_in(page)
    open_security(page)
    add_passkey(page, "Laptop")
    expect(page.locator(".passkeys li")).to_have_count(1)
    expect(page.get_by_test_id("recovery-codes").get_by_role("listitem")).to_have_count(10)
    page.screenshot(path=str(artifacts / "security-passkey.png"), full_page=True)
    (registered,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})[
        "credentials"
    ]
    assert registered["isResidentCredential"]

    log_out(page)
    second_step(page)
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_test_id("username")).to_have_text("alice")

    log_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_test_id("username")).to_have_text("alice")

    (used,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})[
        "credentials"
    ]
    assert used["credentialId"] == registered["credentialId"]
    assert used["isResidentCredential"]
    assert used["signCount"] >= registered["signCount"] + 2, (registered, used)
    open_security(page)
    expect(page.locator(".passkeys li")).to_contain_text("last used")
    expect(page.locator(".passkeys li")).not_to_contain_text("last used never")


def test_removing_a_passkey_after_an_old_sign_in_asks_to_confirm_and_then_goes_on(
    page: Page, user, authenticator, expire_sign_ins
):
    signed_in(page)
    open_security(page)
    add_passkey(page, "Laptop")
    expire_sign_ins()
    time.sleep(STEP_UP_SECONDS + 1)  # the sign-in must grow older than the limit, in real time

    page.get_by_role("button", name="Remove Laptop").click()
    dialog = page.get_by_role("dialog", name="Confirm it's you")
    expect(dialog).to_be_visible()
    # An account with a factor confirms with a factor: the password alone is not offered.
    expect(dialog.get_by_label("Current password")).to_have_count(0)
    expect(dialog.get_by_label("Authentication code")).to_be_visible()
    expect(dialog.get_by_role("button", name="Use a passkey")).to_be_visible()
    dialog.get_by_label("Authentication code").fill("000000")
    dialog.get_by_role("button", name="Confirm", exact=True).click()
    expect(dialog.get_by_role("alert")).to_have_text("That code is not valid.")
    expect(page.get_by_role("button", name="Remove Laptop")).to_be_visible()

    dialog.get_by_role("button", name="Use a passkey").click()
    expect(dialog).to_be_hidden()
    expect_status(page, "Passkey “Laptop” removed.")
    expect(page.get_by_role("button", name="Remove Laptop")).to_have_count(0)
    expect(page.get_by_text("No passkeys yet.")).to_be_visible()


def test_a_passkey_confirms_it_is_you_before_a_rename(
    page: Page, user, authenticator, expire_sign_ins
):
    signed_in(page)
    open_security(page)
    add_passkey(page, "Laptop")
    expire_sign_ins()
    time.sleep(STEP_UP_SECONDS + 1)  # the sign-in must grow older than the limit, in real time

    page.get_by_role("button", name="Rename Laptop").click()
    page.get_by_label("New name").fill("Work laptop")
    page.get_by_role("button", name="Save").click()
    dialog = page.get_by_role("dialog", name="Confirm it's you")
    dialog.get_by_role("button", name="Use a passkey").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Remove Work laptop")).to_be_visible()
    expect(page.get_by_role("button", name="Remove Laptop")).to_have_count(0)


def test_a_passkey_from_the_autofill_signs_in_without_a_button(
    page: Page, user, authenticator, artifacts
):
    """Chromium's virtual authenticator answers the login page's conditional request as a
    user picking the passkey in the username field's autofill would."""
    cdp, authenticator_id = authenticator
    signed_in(page)
    open_security(page)
    add_passkey(page, "Laptop")
    (registered,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})[
        "credentials"
    ]
    # The virtual authenticator answers a request at once: landing on the login page, the
    # autofill's request is answered as if the user picked the passkey under the username.
    with page.expect_response(re.compile(r"/passkey/login/$")) as answer:
        page.get_by_role("button", name="Log out").click()
    assert answer.value.status == 200
    expect(page.get_by_test_id("username")).to_have_text("alice")
    expect(page).not_to_have_url(re.compile(r"/login$"))
    (used,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})[
        "credentials"
    ]
    assert used["signCount"] > registered["signCount"]

    # Without a touch the request waits; the field offers it, and the button stays.
    presence(cdp, authenticator_id, False)
    log_out(page)
    expect(page.get_by_label("Username")).to_have_attribute("autocomplete", "username webauthn")
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()
    page.screenshot(path=str(artifacts / "login-passkey-autofill.png"), full_page=True)
