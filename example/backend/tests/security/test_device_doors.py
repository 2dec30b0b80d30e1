"""New-device notices through every way in: one hook (``user_logged_in`` from
``open_session``) and one answer (``AuthAPIView``) serve the password, the second step
(a TOTP code, a passkey), the passwordless passkey and the provider's callback alike.
Each sign-in below comes from a new browser (a fresh ``Client``) after the account's
first, so each must mail."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from spa_auth.models import Device

from .. import test_mfa, test_passkeys
from ..test_mfa import code_at
from ..test_passkeys import ORIGIN, passwordless, second_factor
from .test_provider_doors import landing, person, sign_in

COOKIE = "__Host-spa_auth_device"
# The accounts with a second factor, as the factors' own tests make them (fixtures).
with_totp = test_mfa.with_totp
with_passkey = test_passkeys.with_passkey


def notices() -> list[Any]:
    return [m for m in mail.outbox if "new sign-in" in m.subject]


@pytest.fixture
def relying_party(settings: Any) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "FRONTEND_URL": ORIGIN}


def test_a_second_step_with_a_code_from_a_new_browser_mails(
    db: None,
    with_totp: Any,
    clock: Any,
) -> None:
    mail.outbox.clear()
    browser = Client()
    pending = browser.post(
        "/api/v1/auth/obtain_token/",
        {"username": "alice", "password": "correct-horse-battery-staple"},
        content_type="application/json",
    )
    assert pending.status_code == 401 and COOKIE not in pending.cookies  # not signed in yet
    assert notices() == []
    done = browser.post(
        "/api/v1/auth/mfa/authenticate/",
        {"mfa_token": pending.json()["mfa_token"], "code": code_at(with_totp["secret"], clock)},
        content_type="application/json",
    )
    assert done.status_code == 200 and COOKIE in done.cookies
    assert len(notices()) == 1


def test_a_passkey_as_second_factor_from_a_new_browser_mails(
    db: None,
    relying_party: None,
    with_passkey: Any,
    clock: Any,
) -> None:
    mail.outbox.clear()
    browser = Client()
    response = second_factor(browser, with_passkey["key"])
    assert response.status_code == 200 and COOKIE in response.cookies
    assert len(notices()) == 1


def test_a_passwordless_passkey_from_a_new_browser_mails_and_a_known_one_does_not(
    db: None,
    relying_party: None,
    with_passkey: Any,
    clock: Any,
) -> None:
    mail.outbox.clear()
    browser = Client()
    response = passwordless(browser, with_passkey["key"])
    assert response.status_code == 200 and COOKIE in response.cookies
    assert len(notices()) == 1
    assert passwordless(browser, with_passkey["key"]).status_code == 200
    assert len(notices()) == 1


def test_a_provider_sign_in_sets_the_device_on_its_redirect_and_mails_from_a_new_browser(
    db: None, fake: Any
) -> None:
    first = Client()
    response = sign_in(first, fake, **person("dev-1"))
    landing(response)
    assert COOKIE in response.cookies  # the redirect back to the app sets it
    assert notices() == []  # the sign-up's own sign-in
    again = sign_in(first, fake, **person("dev-1"))
    landing(again)
    assert notices() == []  # the same browser
    landing(sign_in(Client(), fake, **person("dev-1")))
    [notice] = notices()
    assert notice.to == ["dev-1@mail.example"]
    assert Device.objects.count() == 2
