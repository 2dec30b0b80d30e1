"""Sign-up, verification, reset, email change and deletion on whichever user model the
run uses (``auth.User``, or ``EmailUser``: a UUID key and the email as the username)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.conftest import PASSWORD, bearer, login

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-brand-new-passphrase-42"


@pytest.fixture(autouse=True)
def _accounts_on(settings: Any) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "SIGNUP_ENABLED": True, "MAIL_QUEUE": "inline"}


def post(client: Client, path: str, body: Any, **headers: Any) -> Any:
    return client.post(f"/api/v1/auth/{path}", body, content_type="application/json", **headers)


def key_in(message: Any, path: str) -> str:
    found = re.search(rf"http://localhost:5173{path}#key=([A-Za-z0-9_-]+)", message.body)
    assert found, message.body
    return found.group(1)


def test_sign_up_verify_and_log_in(client: Client, mailoutbox: list[Any]) -> None:
    model = get_user_model()
    body = {"email": "New@Example.com", "password": PASSWORD}
    if model.USERNAME_FIELD != "email":
        body["username"] = "newbie"
    assert post(client, "register/", body).status_code == 201
    assert not model.objects.filter(email__iexact="new@example.com").exists()  # not yet
    [message] = mailoutbox
    key = key_in(message, "/verify-email")
    asked = post(client, "email/verify/", {"key": key})  # opening the link spends nothing
    assert (asked.status_code, asked.json()["code"]) == (400, "confirmation_required")
    assert post(client, "email/verify/", {"key": key, "password": PASSWORD}).status_code == 200
    user = model.objects.get(email="New@example.com")
    assert login(client, user).status_code == 200
    # The same address again, in another case: the same answer, a mail, no second account.
    body["email"] = "new@example.com"
    if "username" in body:
        body["username"] = "other"
    assert post(client, "register/", body).status_code == 201
    assert model.objects.filter(email__iexact="new@example.com").count() == 1
    assert "already has an account" in mailoutbox[-1].body


def test_reset_email_change_and_deletion(client: Client, user: Any, mailoutbox: list[Any]) -> None:
    old_token = login(client, user).json()["token"]
    assert post(client, "password/reset/", {"email": user.email}).status_code == 202
    key = key_in(mailoutbox[0], "/reset-password")
    done = post(client, "password/reset/confirm/", {"key": key, "new_password": NEW_PASSWORD})
    assert done.status_code == 204
    assert client.get("/me/", **bearer(old_token)).status_code == 401
    token = login(client, user, NEW_PASSWORD).json()["token"]

    change = {"new_email": "moved@example.com", "password": NEW_PASSWORD}
    assert post(client, "email/change/", change, **bearer(token)).status_code == 202
    confirm = next(m for m in mailoutbox if m.to == ["moved@example.com"])
    key = key_in(confirm, "/confirm-email")
    changed = post(client, "email/change/confirm/", {"key": key, "password": NEW_PASSWORD})
    assert changed.json()["email"] == "moved@example.com"
    user.refresh_from_db()
    assert user.email == "moved@example.com"

    token = login(client, user, NEW_PASSWORD).json()["token"]
    gone = client.delete(
        "/api/v1/auth/account/", {"password": NEW_PASSWORD}, "application/json", **bearer(token)
    )
    assert gone.status_code == 204
    assert not get_user_model().objects.filter(pk=user.pk).exists()
