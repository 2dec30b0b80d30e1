"""The server's messages come in the language the app shows, in a French or German browser.

The app chooses its language from ``navigator.languages`` and sends it as Accept-Language;
the messages it shows from the server (a password validator's) then follow the app, while
what it decides by the error's ``code`` (which field is marked invalid) stays the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A browser that lists a language the app does not ship (Spanish) before French. Playwright's
# `locale` names one language, which Chromium also sends as its whole Accept-Language (as a
# browser that sends only its first language does); the list is set before the app loads.
SPANISH_THEN_FRENCH = (
    "Object.defineProperty(navigator, 'languages', { get: () => ['es-ES', 'fr-FR'] })"
)


@pytest.fixture
def open_context(browser: Browser, base_url: str) -> Iterator[Callable[..., Page]]:
    contexts: list[BrowserContext] = []

    def open_page(locale: str, init_script: str | None = None) -> Page:
        context = browser.new_context(base_url=base_url, locale=locale)
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def sign_up_with_a_short_password(page: Page) -> None:
    page.goto("/signup")
    page.locator("#signup-username").fill("claire")
    page.locator("#signup-email").fill("claire@example.com")
    page.locator("#signup-password").fill("court")
    page.locator("form button[type=submit]").click()


def test_a_french_browser_gets_the_password_validators_message_in_french(open_context):
    page = open_context("fr-FR")
    sign_up_with_a_short_password(page)
    expect(page.get_by_role("heading", name="Inscription")).to_be_visible()
    expect(page.locator("#signup-password-error")).to_have_text(
        "Ce mot de passe est trop court. Il doit contenir au minimum 8 caractères."
    )
    # Placed by the error's fields, as in English: the password field, and no form-wide line.
    expect(page.locator("#signup-password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#signup-username")).to_have_attribute("aria-invalid", "false")
    expect(page.get_by_role("alert")).to_have_count(1)


def test_a_german_browser_gets_the_password_validators_message_in_german(open_context):
    page = open_context("de-DE")
    sign_up_with_a_short_password(page)
    expect(page.locator("#signup-password-error")).to_contain_text("Dieses Passwort ist zu kurz.")


def test_the_servers_message_follows_the_app_when_the_browser_lists_another_language_first(
    open_context,
):
    page = open_context("es-ES", SPANISH_THEN_FRENCH)
    sign_up_with_a_short_password(page)
    # The app skips Spanish, which it does not ship; Django, reading the browser's own
    # "es-ES", would answer in its default English.
    expect(page.get_by_role("heading", name="Inscription")).to_be_visible()
    error = page.locator("#signup-password-error")
    expect(error).to_contain_text("Ce mot de passe est trop court.")
    expect(page.locator("#signup-password")).to_have_attribute("aria-invalid", "true")
