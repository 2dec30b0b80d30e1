"""Fixtures: users of whichever model the run uses, clients, a clock to move by hand."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

PASSWORD = "correct-horse-battery-staple"
_numbers = itertools.count(1)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """What this run is: the matrix cell, and which spa_auth (the installed one, in nox)."""
    import django
    import rest_framework
    import spa_auth
    from django.conf import settings

    return [
        f"spa_auth: {spa_auth.__file__}",
        f"Django {django.get_version()}, DRF {rest_framework.VERSION}, "
        f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"user model {settings.AUTH_USER_MODEL}",
    ]


class Clock:
    """A clock that tests move by hand instead of sleeping."""

    def __init__(self) -> None:
        self.current = timezone.now()

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("spa_auth.internal.clock.now", fake)
    return fake


@pytest.fixture
def user_factory(db: None) -> Callable[..., Any]:
    """Users of the configured model: ``auth.User`` gets a username and an email,
    ``EmailUser`` (``USERNAME_FIELD = "email"``) an email alone."""

    def make(**fields: Any) -> Any:
        model = get_user_model()
        n = next(_numbers)
        password = fields.pop("password", PASSWORD)
        if model.USERNAME_FIELD != "email":
            fields.setdefault(model.USERNAME_FIELD, f"user{n}")
        fields.setdefault("email", f"user{n}@example.com")
        return model.objects.create_user(password=password, **fields)

    return make


@pytest.fixture
def user(user_factory: Callable[..., Any]) -> Any:
    return user_factory()


@pytest.fixture
def browser_client() -> Client:
    """A client that meets CSRF checks as a browser would."""
    return Client(enforce_csrf_checks=True)


def login(client: Client, user: Any, password: str = PASSWORD) -> Any:
    """Log in as the README says: ``username`` is whatever ``USERNAME_FIELD`` holds."""
    return client.post(
        "/api/v1/auth/obtain_token/",
        {"username": user.get_username(), "password": password},
        content_type="application/json",
    )


def logged_in(user: Any) -> tuple[Client, str]:
    """A browser-like client holding a refresh cookie and a CSRF cookie, and its token."""
    client = Client(enforce_csrf_checks=True)
    response = login(client, user)
    assert response.status_code == 200, response.content
    return client, response.json()["token"]


def csrf(client: Client) -> dict[str, str]:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def refresh(client: Client) -> Any:
    return client.post(
        "/api/v1/auth/refresh_token/", content_type="application/json", **csrf(client)
    )


def bearer(token: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"{scheme} {token}"}


def me(client: Client, token: str) -> Any:
    return client.get("/me/", **bearer(token))
