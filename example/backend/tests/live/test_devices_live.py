"""New-device notices over real HTTP under gunicorn, read from a real SMTP server, on
SQLite and on PostgreSQL + Redis: the notice arrives after the response from the worker
thread, a known device mails nothing, and one new browser signing in many times at once
mails once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.live.servers import App, request
from tests.live.smtp import SmtpSink, text_of
from tests.live.test_accounts_live import all_at_once

pytestmark = pytest.mark.integration
PASSWORD = "correct-horse-battery-staple"
FRONTEND = "http://app.example"
FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0.0.0 Safari/537"
SUBJECT = "new sign-in"
# The server listens on loopback over plain HTTP: the cookie's plain name.
COOKIE = "spa_auth_device"


def sign_in(url: str, user_agent: str, device: str | None = None) -> str:
    """Sign in as ``owner`` from a browser with this device cookie (None: a fresh one);
    the device cookie the answer set."""
    headers = {"User-Agent": user_agent}
    if device:
        headers["Cookie"] = f"{COOKIE}={device}"
    reply = request(
        url,
        "POST",
        "/api/v1/auth/obtain_token/",
        {"username": "owner", "password": PASSWORD},
        headers,
    )
    assert reply.status == 200, reply.body
    return reply.cookies[COOKIE].value


def test_a_new_device_is_mailed_and_a_known_one_is_not(
    make_app: Callable[..., App], smtp: SmtpSink
) -> None:
    app = make_app(EMAIL_URL=smtp.url, FRONTEND_URL=FRONTEND)
    app.create_user("owner", PASSWORD, email="owner@example.com")
    server = app.start()
    laptop = sign_in(server.url, FIREFOX)  # the first sign-in: no notice
    assert sign_in(server.url, FIREFOX, laptop) == laptop  # known: no notice
    sign_in(server.url, CHROME)  # new: a notice, and the only one
    notice = text_of(smtp.wait_for(to="owner@example.com", subject=SUBJECT))
    assert "Chrome 130 on Windows" in notice
    assert "127.0.0.1" in notice
    assert f"{FRONTEND}/sessions" in notice
    assert not [m for m in smtp.messages if SUBJECT in str(m["Subject"])]


def test_one_new_browser_signing_in_at_once_is_mailed_once(
    make_app: Callable[..., App], smtp: SmtpSink
) -> None:
    app = make_app(EMAIL_URL=smtp.url, FRONTEND_URL=FRONTEND)
    app.create_user("owner", PASSWORD, email="owner@example.com")
    server = app.start(workers=2, threads=4)
    sign_in(server.url, FIREFOX)
    racing = "R" * 43

    def go() -> int:
        return 200 if sign_in(server.url, CHROME, racing) == racing else 0

    assert all_at_once(go, 4) == [200] * 4
    smtp.wait_for(to="owner@example.com", subject=SUBJECT)
    # Then a sentinel: another new browser, mailed after any straggler of the race.
    sign_in(server.url, FIREFOX)
    smtp.wait_for(to="owner@example.com", subject=SUBJECT)
    assert not [m for m in smtp.messages if SUBJECT in str(m["Subject"])]
