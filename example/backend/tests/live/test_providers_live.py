"""Signing in with a real OpenID provider (panva's oidc-provider on loopback) under
gunicorn, on SQLite and on PostgreSQL + Redis: a browser's redirects followed over HTTP,
the person typing their id at the provider's page."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from tests.live.servers import App, AppServer, OidcProvider, free_port

pytestmark = pytest.mark.integration
CALLBACK = "/api/v1/auth/providers/local/callback/"


@pytest.fixture
def site(make_app: Callable[..., App]) -> Iterator[tuple[AppServer, OidcProvider]]:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    provider = OidcProvider([origin + CALLBACK]).start()
    try:
        app = make_app(
            FRONTEND_URL=origin,
            SIGNUP_ENABLED="true",
            OIDC_PROVIDERS=json.dumps([provider.provider_setting()]),
        )
        yield app.start(port=port, workers=2, threads=2), provider
    finally:
        provider.stop()


def at_provider(browser: requests.Session, server: AppServer, person: str, **kwargs: Any) -> str:
    """Begin at the app, sign in (or cancel) at the provider's page: the callback URL the
    provider sends the browser back to, not yet opened."""
    action = kwargs.pop("action", "login")
    begun = browser.get(
        f"{server.url}/api/v1/auth/providers/local/login/", allow_redirects=False, **kwargs
    )
    assert begun.status_code == 302, begun.text
    location = begun.headers["Location"]
    while not urlsplit(location).path.startswith("/interaction/"):
        step = browser.get(location, allow_redirects=False)
        assert step.status_code in (302, 303), step.text
        location = urljoin(location, step.headers["Location"])
    assert "Sign in to the test provider" in browser.get(location).text
    answer = browser.post(
        location + "/login", data={"account": person, "action": action}, allow_redirects=False
    )
    location = urljoin(location, answer.headers["Location"])
    while not location.startswith(server.url):
        step = browser.get(location, allow_redirects=False)
        assert step.status_code in (302, 303), step.text
        location = urljoin(location, step.headers["Location"])
    assert urlsplit(location).path == CALLBACK
    return location


def restored(browser: requests.Session, server: AppServer) -> dict[str, Any]:
    """What the app gets on arrival, as on a reload: a session from the refresh cookie."""
    present = browser.get(f"{server.url}/api/v1/auth/refresh_token/present/").json()
    assert present == {"refresh_cookie": True}
    csrf = browser.cookies["csrftoken"]
    reply = browser.post(
        f"{server.url}/api/v1/auth/refresh_token/", json={}, headers={"X-CSRFToken": csrf}
    )
    assert reply.status_code == 200, reply.text
    token = reply.json()["token"]
    user = browser.get(f"{server.url}/api/v1/user/", headers={"Authorization": f"Bearer {token}"})
    return {"token": token, "user": user.json()}


def test_a_person_signs_up_returns_and_keeps_their_account(
    site: tuple[AppServer, OidcProvider],
) -> None:
    server, provider = site
    provider.person("ada", email="ada@mail.example", email_verified=True, name="Ada Lovelace")
    browser = requests.Session()
    callback = at_provider(browser, server, "ada", params={"next": "/account"})
    assert parse_qs(urlsplit(callback).query)["iss"] == [provider.issuer]  # RFC 9207
    arrived = browser.get(callback, allow_redirects=False)
    assert arrived.headers["Location"] == f"{server.url}/account"
    first = restored(browser, server)
    assert first["user"]["email"] == "ada@mail.example"
    # The provider now says another address: the same account, whose address stays.
    provider.person("ada", email="someone.else@mail.example", email_verified=True)
    again = requests.Session()
    arrived = again.get(at_provider(again, server, "ada"), allow_redirects=False)
    assert arrived.headers["Location"] == f"{server.url}/"
    second = restored(again, server)
    assert second["user"]["id"] == first["user"]["id"]
    assert second["user"]["email"] == "ada@mail.example"
    sessions = again.get(
        f"{server.url}/api/v1/auth/sessions/",
        headers={"Authorization": f"Bearer {second['token']}"},
    ).json()["results"]
    assert {s["provider"] for s in sessions} == {"local"}


def test_a_cancelled_sign_in_comes_back_to_the_login_page_with_its_code(
    site: tuple[AppServer, OidcProvider],
) -> None:
    server, provider = site
    provider.person("bob", email="bob@mail.example", email_verified=True)
    browser = requests.Session()
    arrived = browser.get(
        at_provider(browser, server, "bob", action="cancel"), allow_redirects=False
    )
    assert arrived.headers["Location"] == f"{server.url}/login?provider_error=provider_cancelled"
    assert "refresh_token" not in browser.cookies


def test_racing_callbacks_of_one_flow_sign_in_once(site: tuple[AppServer, OidcProvider]) -> None:
    server, provider = site
    provider.person("cy", email="cy@mail.example", email_verified=True)
    browser = requests.Session()
    callback = at_provider(browser, server, "cy")
    cookies = browser.cookies.get_dict()
    barrier = threading.Barrier(4)
    landings: list[str] = []

    def open_callback() -> None:
        barrier.wait()
        reply = requests.get(callback, cookies=cookies, allow_redirects=False, timeout=30)
        landings.append(reply.headers["Location"])

    threads = [threading.Thread(target=open_callback) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(landings) == sorted(
        [f"{server.url}/"] + [f"{server.url}/login?provider_error=provider_state_invalid"] * 3
    )
