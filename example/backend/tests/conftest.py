"""Fixtures shared by every test: users, clients, a movable clock."""

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


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any, request: pytest.FixtureRequest) -> None:
    """Hashing costs nothing in tests except those of hashing itself."""
    if "real_hasher" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _mail_inline(settings: Any) -> None:
    """Account tasks run in the request's thread once its response is sent: a worker
    thread could not see the test's transaction. The live tier runs the worker thread."""
    settings.SPA_AUTH = {**settings.SPA_AUTH, "MAIL_QUEUE": "inline"}


@pytest.fixture(autouse=True)
def _no_breach_server(settings: Any) -> None:
    """No test reaches Have I Been Pwned: the check is off unless a test points it at its
    own range server on loopback (``breach_fake``)."""
    settings.SPA_AUTH = {**settings.SPA_AUTH, "PWNED_PASSWORDS": {"url": ""}}


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
    def make(**fields: Any) -> Any:
        n = next(_numbers)
        fields.setdefault("username", f"user{n}")
        fields.setdefault("email", f"user{n}@example.com")
        password = fields.pop("password", PASSWORD)
        return get_user_model().objects.create_user(password=password, **fields)

    return make


@pytest.fixture
def user(user_factory: Callable[..., Any]) -> Any:
    return user_factory(username="alice", first_name="Alice", last_name="Liddell")


@pytest.fixture
def browser_client() -> Client:
    """A client that enforces CSRF like a browser would meet it."""
    return Client(enforce_csrf_checks=True)


def login(client: Client, username: str = "alice", password: str = PASSWORD) -> Any:
    return client.post(
        "/api/v1/auth/obtain_token/",
        {"username": username, "password": password},
        content_type="application/json",
    )


def refresh_with_cookie(client: Client, **headers: str) -> Any:
    csrf = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return client.post(
        "/api/v1/auth/refresh_token/",
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
        **headers,
    )


def bearer(token: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"{scheme} {token}"}
