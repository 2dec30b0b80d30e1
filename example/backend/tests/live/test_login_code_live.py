"""Sign-in with a mailed code over real HTTP under gunicorn, the code read from a real
SMTP server, on SQLite and on PostgreSQL + Redis: the worker thread delivers, and racing
wrong codes get no more comparisons than the flow's attempts."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.live.servers import App, request
from tests.live.smtp import SmtpSink, link_in, text_of
from tests.live.test_accounts_live import all_at_once, key_of, mail_env

pytestmark = pytest.mark.integration
PASSWORD = "correct-horse-battery-staple"
CODE = re.compile(r"\b([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})\b")


def sign_up(server: App, smtp: SmtpSink, username: str) -> str:
    """A proven account made through the API, as a new user of the app makes one."""
    email = f"{username}@example.com"
    body = {"username": username, "email": email, "password": PASSWORD}
    assert request(server.url, "POST", "/api/v1/auth/register/", body).status == 201
    key = key_of(link_in(smtp.wait_for(to=email, subject="Confirm")))
    confirm = {"key": key, "password": PASSWORD}
    assert request(server.url, "POST", "/api/v1/auth/email/verify/", confirm).status == 200
    return email


def ask_for_code(server: App, email: str) -> str:
    reply = request(server.url, "POST", "/api/v1/auth/login/code/request/", {"email": email})
    assert (reply.status, reply.code) == (202, "login_code_sent"), reply.body
    return str(reply.body["flow"])


def code_in(smtp: SmtpSink, email: str) -> str:
    found = CODE.search(text_of(smtp.wait_for(to=email, subject="sign-in code")))
    assert found
    return found.group(1)


def test_a_code_sign_in_read_from_the_smtp_sink(
    make_app: Callable[..., App], smtp: SmtpSink
) -> None:
    server = make_app(**mail_env(smtp.url)).start()
    email = sign_up(server, smtp, "coder")
    flow = ask_for_code(server, email)
    code = code_in(smtp, email)
    # The code typed into another client's flow for the same address opens nothing.
    other = ask_for_code(server, email)
    stolen = request(server.url, "POST", "/api/v1/auth/login/code/", {"flow": other, "code": code})
    assert (stolen.status, stolen.code) == (401, "code_invalid")
    body = {"flow": flow, "code": code.lower().replace("-", " ")}
    reply = request(server.url, "POST", "/api/v1/auth/login/code/", body)
    assert reply.status == 200, reply.body
    assert reply.body["user"]["username"] == "coder"
    assert reply.cookies["refresh_token"].value
    again = request(server.url, "POST", "/api/v1/auth/login/code/", body)
    assert (again.status, again.code) == (401, "login_code_expired")


def test_racing_wrong_codes_against_postgresql_get_three_comparisons(
    make_app: Callable[..., App], smtp: SmtpSink
) -> None:
    """Eight wrong codes for one flow, released together over two workers of four threads:
    three are compared, the rest find no attempt left; the right code then opens nothing."""
    env = {**mail_env(smtp.url), "LOGIN_FAILURES_PER_ACCOUNT": "100"}
    server = make_app(**env).start(workers=2, threads=4)
    email = sign_up(server, smtp, "racer")
    flow = ask_for_code(server, email)
    code = code_in(smtp, email)
    wrong = ("C" if code[0] == "B" else "B") + code[1:]
    codes: list[str] = []

    def guess() -> int:
        reply = request(
            server.url, "POST", "/api/v1/auth/login/code/", {"flow": flow, "code": wrong}
        )
        codes.append(str(reply.code))
        return reply.status

    assert all_at_once(guess, 8) == [401] * 8
    assert sorted(codes) == ["code_invalid"] * 3 + ["login_code_expired"] * 5
    late = request(server.url, "POST", "/api/v1/auth/login/code/", {"flow": flow, "code": code})
    assert (late.status, late.code) == (401, "login_code_expired")
