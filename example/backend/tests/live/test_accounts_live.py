"""Accounts over real HTTP under gunicorn, with mail through a real SMTP server, on SQLite
and on PostgreSQL + Redis: the worker thread delivers, a race spends a key once, and a
mail server that is down loses no request."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from tests.live.servers import App, free_port, log_in, request, wait_for
from tests.live.smtp import SmtpSink, link_in

pytestmark = pytest.mark.integration
PASSWORD = "correct-horse-battery-staple"
FRONTEND = "http://app.example"


def key_of(link: str) -> str:
    return link.split("#key=", 1)[1]


def mail_env(smtp_url: str) -> dict[str, str]:
    return {"EMAIL_URL": smtp_url, "FRONTEND_URL": FRONTEND}


def test_signup_mail_arrives_and_verifies(make_app: Callable[..., App], smtp: SmtpSink) -> None:
    server = make_app(**mail_env(smtp.url)).start()
    body = {"username": "newbie", "email": "newbie@example.com", "password": PASSWORD}
    reply = request(server.url, "POST", "/api/v1/auth/register/", body)
    assert (reply.status, reply.code) == (201, "verification_sent")
    link = link_in(smtp.wait_for(to="newbie@example.com", subject="Confirm"))
    assert link.startswith(f"{FRONTEND}/verify-email#key=")
    # A mail scanner opening the link posts the key alone: nothing is made or spent.
    opened = request(server.url, "POST", "/api/v1/auth/email/verify/", {"key": key_of(link)})
    assert (opened.status, opened.code) == (400, "confirmation_required")
    verify = {"key": key_of(link), "password": PASSWORD}
    verified = request(server.url, "POST", "/api/v1/auth/email/verify/", verify)
    assert verified.status == 200, verified.body
    log_in(server.url, "newbie", PASSWORD)


def test_racing_confirmations_of_a_sign_up_make_one_account(
    make_app: Callable[..., App], smtp: SmtpSink
) -> None:
    server = make_app(**mail_env(smtp.url)).start(workers=2, threads=4)
    body = {"username": "racer", "email": "racer@example.com", "password": PASSWORD}
    request(server.url, "POST", "/api/v1/auth/register/", body)
    key = key_of(link_in(smtp.wait_for(to="racer@example.com", subject="Confirm")))
    verify = {"key": key, "password": PASSWORD}
    statuses = all_at_once(
        lambda: request(server.url, "POST", "/api/v1/auth/email/verify/", verify).status, 4
    )
    assert sorted(statuses) == [200, 400, 400, 400]
    log_in(server.url, "racer", PASSWORD)


def all_at_once(call: Callable[[], int], count: int) -> list[int]:
    """``count`` threads released together, each making ``call``; their statuses."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def run() -> None:
        barrier.wait()
        statuses.append(call())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_two_simultaneous_confirmations_spend_a_key_once(
    make_app: Callable[..., App], smtp: SmtpSink
) -> None:
    app = make_app(**mail_env(smtp.url))
    app.create_user("alice", PASSWORD, email="alice@example.com")
    server = app.start(workers=2, threads=4)
    request(server.url, "POST", "/api/v1/auth/password/reset/", {"email": "alice@example.com"})
    key = key_of(link_in(smtp.wait_for(to="alice@example.com", subject="Reset")))
    assert sorted(confirm_together(server.url, key, 4)) == [204, 400, 400, 400]
    assert confirm_together(server.url, key, 4) == [400] * 4  # spent: never again


def confirm_together(url: str, key: str, count: int) -> list[int]:
    """``count`` clients released at once, each setting its own new password with ``key``."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def confirm(n: int) -> None:
        body = {"key": key, "new_password": f"brand-new-passphrase-{n}"}
        barrier.wait()
        statuses.append(request(url, "POST", "/api/v1/auth/password/reset/confirm/", body).status)

    threads = [threading.Thread(target=confirm, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_a_mail_server_that_is_down_loses_no_request(make_app: Callable[..., App]) -> None:
    port = free_port()  # nothing listens here yet
    app = make_app(**mail_env(f"smtp://127.0.0.1:{port}"), LOG_LEVEL="WARNING")
    app.create_user("alice", PASSWORD, email="alice@example.com")
    server = app.start()
    known = request(
        server.url, "POST", "/api/v1/auth/password/reset/", {"email": "alice@example.com"}
    )
    unknown = request(
        server.url, "POST", "/api/v1/auth/password/reset/", {"email": "bob@example.com"}
    )
    assert (known.status, known.body) == (unknown.status, unknown.body) == (202, known.body)

    def failure_logged() -> bool:
        return "retrying in" in server.log.read_text()

    wait_for(failure_logged, 20, "the mail failure in the log")
    sink = SmtpSink(port).start()  # the mail server is back
    try:
        out = app.manage("send_account_mail", "--retry-now")
        assert "Ran 1 account tasks; 0 waiting." in out
        link = link_in(sink.wait_for(to="alice@example.com"))
    finally:
        sink.stop()
    body = {"key": key_of(link), "new_password": "brand-new-passphrase-9"}
    done = request(server.url, "POST", "/api/v1/auth/password/reset/confirm/", body)
    assert done.status == 204, done.body
    log_in(server.url, "alice", "brand-new-passphrase-9")
