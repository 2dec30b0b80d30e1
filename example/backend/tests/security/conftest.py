"""The fake provider the provider doors are attacked with (``provider_fake``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from spa_auth.internal.providers import remote

from ..provider_fake import FakeProvider

APP = "http://localhost:8000"


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeProvider]:
    fake = FakeProvider().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(fake_server: FakeProvider, settings: Any) -> Iterator[FakeProvider]:
    """The fake provider as three providers (a plain OpenID one, an Entra ID one with a
    trusted tenant, a GitHub one), with sign-up open; every test starts with empty caches,
    no grants and an honest provider."""
    fake_server.forge, fake_server.answers = None, {}
    fake_server.grants.clear()
    fake_server.requests.clear()
    remote.forget()
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "SIGNUP_ENABLED": True,
        "FRONTEND_URL": APP,
        "PROVIDERS": [
            fake_server.config("fake"),
            fake_server.config("entra", kind="microsoft", trusted_tenants=["trusted-tenant"]),
            fake_server.github_config("github"),
        ],
    }
    yield fake_server
    remote.forget()
