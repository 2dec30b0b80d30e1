"""Messages in the request's language (``Accept-Language``, through ``LocaleMiddleware``):
the details and the mail are translated, the codes and the links are not."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from spa_auth.internal.accounts import tasks

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
AUTH = "/api/v1/auth"

LOGIN_REFUSED = {
    "en": "Unable to log in with the provided credentials.",
    "fr": "Impossible de se connecter avec les identifiants fournis.",
    "de": "Mit den angegebenen Zugangsdaten ist keine Anmeldung möglich.",
}
RESET_MAIL = {
    "fr": (
        "Réinitialisez votre mot de passe Example",
        "a demandé la réinitialisation du mot de passe de votre compte Example.",
    ),
    "de": (
        "Setzen Sie Ihr Passwort bei Example zurück",
        "Jemand hat beantragt, das Passwort Ihres Kontos bei Example zurückzusetzen.",
    ),
}
LINK = re.compile(r"http://localhost:8000/reset-password#key=[A-Za-z0-9_-]+")


def post(client: Client, path: str, body: Any, language: str) -> Any:
    return client.post(
        f"{AUTH}/{path}", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )


@pytest.fixture
def site_name(settings: Any) -> str:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "SITE_NAME": "Example"}
    return "Example"


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_a_refused_login_is_explained_in_the_requested_language_with_the_same_code(
    client: Client, user: Any, language: str
) -> None:
    response = post(
        client, "obtain_token/", {"username": "alice", "password": "wrong"}, f"{language};q=0.9"
    )
    assert response.status_code == 401
    assert response.json() == {"detail": LOGIN_REFUSED[language], "code": "invalid_credentials"}
    assert response["Content-Language"] == language


def test_an_unknown_language_gets_english(client: Client, user: Any) -> None:
    response = post(client, "obtain_token/", {"username": "alice", "password": "wrong"}, "ja")
    assert response.json()["detail"] == LOGIN_REFUSED["en"]


def test_the_fields_of_a_refused_body_keep_their_codes_in_french(client: Client) -> None:
    response = post(client, "obtain_token/", {"username": "alice"}, "fr")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["detail"]) == ("invalid", "Certains champs ne sont pas valides.")
    assert body["errors"] == {"password": ["Ce champ est obligatoire."]}


@pytest.mark.parametrize("language", ["fr", "de"])
def test_a_password_reset_is_mailed_in_the_language_it_was_asked_in(
    client: Client, user: Any, mailoutbox: list[Any], site_name: str, language: str
) -> None:
    response = post(client, "password/reset/", {"email": user.email}, language)
    assert (response.status_code, response.json()["code"]) == (202, "reset_sent")
    [message] = mailoutbox
    subject, opening = RESET_MAIL[language]
    assert message.subject == subject
    assert opening in message.body
    assert "Someone asked" not in message.body
    [link] = LINK.findall(message.body)
    [(html, _mimetype)] = message.alternatives
    assert f'<html lang="{language}">' in html
    assert f'<a href="{link}">' in html


def test_a_queued_mail_keeps_the_language_of_its_request_whatever_the_worker_speaks(
    client: Client,
    user: Any,
    mailoutbox: list[Any],
    settings: Any,
    site_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "MAIL_QUEUE": "thread"}
    monkeypatch.setattr(tasks._worker, "wake", lambda: None)  # the test plays the worker
    post(client, "password/reset/", {"email": user.email}, "de")
    assert mailoutbox == []
    with translation.override("fr"):
        assert tasks.run_due() == 1
    assert mailoutbox[0].subject == RESET_MAIL["de"][0]


def test_a_password_reset_asked_in_english_is_mailed_as_before(
    client: Client, user: Any, mailoutbox: list[Any], site_name: str
) -> None:
    post(client, "password/reset/", {"email": user.email}, "en")
    [message] = mailoutbox
    assert message.subject == "Reset your Example password"
    assert message.body.startswith(
        "Hello alice,\n\nSomeone asked to reset the password of your Example account."
    )


def test_a_login_in_french_still_logs_in(client: Client, user: Any) -> None:
    response = post(client, "obtain_token/", {"username": "alice", "password": PASSWORD}, "fr")
    assert response.status_code == 200
