"""Signing in with a provider in Chromium: the app's buttons, a real OpenID provider
(panva's oidc-provider on loopback) and its sign-in page, and back."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect
from spa_auth.internal.providers import remote
from spa_auth.models import ProviderIdentity

from tests.e2e.test_login_flow import log_in
from tests.e2e.test_mfa_flow import confirm_its_you
from tests.live.servers import OidcProvider

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
CALLBACK = "/api/v1/auth/providers/local/callback/"


@pytest.fixture
def provider(live_server: Any, settings: Any) -> Iterator[OidcProvider]:
    """The provider, its client's redirect URI this live server's callback."""
    running = OidcProvider([live_server.url + CALLBACK]).start()
    remote.forget()
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "FRONTEND_URL": live_server.url,
        "SIGNUP_ENABLED": True,
        "PROVIDERS": [running.provider_setting("local", "Local ID")],
    }
    yield running
    running.stop()
    remote.forget()


def at_the_provider(page: Page, person: str, *, cancel: bool = False) -> None:
    """On the provider's own page: type who one is, and sign in (or cancel)."""
    expect(page.get_by_role("heading", name="Sign in to the test provider")).to_be_visible()
    page.get_by_label("Account").fill(person)
    page.get_by_role("button", name="Cancel" if cancel else "Sign in").click()


def test_a_new_person_signs_in_comes_back_and_a_changed_address_changes_nothing(
    page: Page, provider: OidcProvider
) -> None:
    provider.person("ada", email="ada@mail.example", email_verified=True, name="Ada Lovelace")
    page.goto("/login")
    page.get_by_role("button", name="Continue with Local ID").click()
    at_the_provider(page, "ada")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("username")).to_have_text("ada")
    assert "code=" not in page.url and "state=" not in page.url
    page.reload()
    expect(page.get_by_test_id("username")).to_have_text("ada")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    # The provider now claims another address: the same account comes back, unchanged
    # (the provider still has its own session, so it asks nothing).
    provider.person("ada", email="eve@mail.example", email_verified=True)
    page.get_by_role("button", name="Continue with Local ID").click()
    expect(page.get_by_test_id("username")).to_have_text("ada")
    assert get_user_model().objects.get().email == "ada@mail.example"


def test_a_cancelled_sign_in_says_so_on_the_login_page(page: Page, provider: OidcProvider) -> None:
    provider.person("bob", email="bob@mail.example", email_verified=True)
    page.goto("/login")
    page.get_by_role("button", name="Continue with Local ID").click()
    at_the_provider(page, "bob", cancel=True)
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("alert")).to_contain_text("cancelled")
    assert not get_user_model().objects.exists()


def test_an_existing_address_is_not_linked_and_the_app_says_what_to_do(
    page: Page, provider: OidcProvider, user: Any
) -> None:
    provider.person("mallory", email=user.email, email_verified=True)
    page.goto("/login")
    page.get_by_role("button", name="Continue with Local ID").click()
    at_the_provider(page, "mallory")
    expect(page.get_by_role("alert")).to_contain_text("connect")
    assert not ProviderIdentity.objects.exists()


def test_connect_then_sign_in_with_it_then_disconnect(
    page: Page, provider: OidcProvider, user: Any
) -> None:
    provider.person("alice-at-id", email="alice.elsewhere@mail.example", email_verified=True)
    page.goto("/login")
    log_in(page)
    expect(page.get_by_test_id("username")).to_have_text("alice")
    page.goto("/security")
    page.get_by_role("button", name="Connect Local ID").click()
    # A connection is a lasting way in: it wants a re-authentication after the login.
    confirm_its_you(page)
    at_the_provider(page, "alice-at-id")
    expect(page).to_have_url(re.compile(r"/security$"))
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    expect(page.get_by_text("alice.elsewhere@mail.example")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    # The provider still has its session: it signs alice in without asking.
    page.get_by_role("button", name="Continue with Local ID").click()
    expect(page.get_by_test_id("username")).to_have_text("alice")
    page.goto("/security")
    page.get_by_role("button", name=re.compile("Disconnect")).click()
    expect(page.get_by_text("alice.elsewhere@mail.example")).to_have_count(0)
    assert not ProviderIdentity.objects.exists()


def test_a_provider_sign_in_still_asks_for_the_second_factor(
    page: Page, provider: OidcProvider, user: Any
) -> None:
    from spa_auth.internal.mfa import services as mfa

    secret = mfa.begin_totp(user)["secret"]
    mfa.confirm_totp(user, pyotp.TOTP(secret).now())
    ProviderIdentity.objects.create(
        user=user,
        provider="local",
        issuer=provider.issuer,
        subject="alice-mfa",
        created_at=user.date_joined,
    )
    provider.person("alice-mfa", email="x@mail.example", email_verified=True)
    page.goto("/login")
    page.get_by_role("button", name="Continue with Local ID").click()
    at_the_provider(page, "alice-mfa")
    expect(page.get_by_label("Code", exact=True)).to_be_visible()
    # The step of the code that confirmed TOTP is spent: the next one.
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("username")).to_have_text("alice")


def test_an_app_on_another_origin_signs_in_with_a_provider(
    page: Page, live_server: Any, separate_origin: str, settings: Any
) -> None:
    """The separate-origin recipe: the provider comes back to the API (API_URL), which
    sends the browser on to the app (FRONTEND_URL) with the refresh cookie set."""
    api = live_server.url.replace("localhost", "127.0.0.1")
    running = OidcProvider([api + CALLBACK]).start()
    try:
        remote.forget()
        settings.SPA_AUTH = {
            **settings.SPA_AUTH,
            "FRONTEND_URL": separate_origin,
            "API_URL": api,
            "SIGNUP_ENABLED": True,
            "PROVIDERS": [running.provider_setting("local", "Local ID")],
        }
        running.person("cy", email="cy@mail.example", email_verified=True)
        page.goto(separate_origin + "/login")
        page.get_by_role("button", name="Continue with Local ID").click()
        at_the_provider(page, "cy")
        expect(page).to_have_url(re.compile(rf"^{re.escape(separate_origin)}/$"))
        expect(page.get_by_test_id("username")).to_have_text("cy")
        page.reload()
        expect(page.get_by_test_id("username")).to_have_text("cy")
    finally:
        running.stop()
        remote.forget()


def test_an_account_without_a_password_confirms_it_is_you_at_its_provider(
    page: Page, live_server: Any, settings: Any
) -> None:
    """Connecting wants a re-authentication after the login; an account made by a
    provider has no password, so the dialog offers its provider, which asks again."""
    callbacks = [
        f"{live_server.url}/api/v1/auth/providers/{p}/callback/" for p in ("local", "work")
    ]
    running = OidcProvider(callbacks).start()
    try:
        remote.forget()
        settings.SPA_AUTH = {
            **settings.SPA_AUTH,
            "FRONTEND_URL": live_server.url,
            "SIGNUP_ENABLED": True,
            "PROVIDERS": [
                running.provider_setting("local", "Local ID"),
                running.provider_setting("work", "Work ID"),
            ],
        }
        running.person("dee", email="dee@mail.example", email_verified=True)
        page.goto("/login")
        page.get_by_role("button", name="Continue with Local ID").click()
        at_the_provider(page, "dee")
        expect(page.get_by_test_id("username")).to_have_text("dee")
        page.goto("/security")
        page.get_by_role("button", name="Connect Work ID").click()
        dialog = page.get_by_role("dialog", name="Confirm it's you")
        expect(dialog.get_by_label("Current password")).to_have_count(0)
        dialog.get_by_role("button", name="Confirm with Local ID").click()
        at_the_provider(page, "dee")  # prompt=login: the provider asks again
        expect(page.get_by_text("Confirmed. You can go on.")).to_be_visible()
        page.get_by_role("button", name="Connect Work ID").click()
        expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    finally:
        running.stop()
        remote.forget()
