"""Signing in with a mailed code, over the request stack with Django's locmem mail
backend (``mailoutbox``): the request that answers alike for every address, the code
bound to its flow, its attempts, its lifetime, and what ends it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st
from spa_auth.errors import LoginCodeMalformedError
from spa_auth.internal.accounts import login_codes, tasks
from spa_auth.models import AccountEmail, AuditEvent, LoginCode, Session

from .conftest import PASSWORD, bearer, login
from .test_mfa import claims_of, code_at, enable_totp, reauthenticated

pytestmark = pytest.mark.django_db
AUTH = "/api/v1/auth"
CODE = re.compile(r"\b([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})\b")


def post(client: Client, path: str, body: Any, **headers: Any) -> Any:
    return client.post(f"{AUTH}/{path}", body, content_type="application/json", **headers)


def request_code(client: Client, email: str) -> Any:
    return post(client, "login/code/request/", {"email": email})


def flow_for(client: Client, email: str) -> str:
    response = request_code(client, email)
    assert response.status_code == 202, response.content
    return str(response.json()["flow"])


def code_in(message: Any) -> str:
    found = CODE.search(message.body)
    assert found, message.body
    return found.group(1)


def sign_in(client: Client, flow: str, code: str) -> Any:
    return post(client, "login/code/", {"flow": flow, "code": code})


def answer(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def other_code(code: str) -> str:
    """A well-formed code that is not ``code``."""
    swap = "C" if code[0] == "B" else "B"
    return swap + code[1:]


@pytest.fixture
def roomy(settings: Any) -> None:
    """Request and login budgets out of the way: only the flow's own rules count."""
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "LOGIN_FAILURES_PER_ACCOUNT": 1000,
        "LOGIN_FAILURES_PER_IP": 1000,
        "MAILS_PER_ADDRESS": 1000,
        "ACCOUNT_REQUESTS_PER_IP": 1000,
    }


# The way in.


def test_a_mailed_code_signs_in_with_its_flow(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    flow = flow_for(client, user.email.upper())
    [message] = mailoutbox
    assert message.to == [user.email]
    code = code_in(message)
    response = sign_in(client, flow, code)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["username"] == "alice"
    assert claims_of(body["token"])["amr"] == ["otp"]
    cookie = response.cookies["refresh_token"]
    assert cookie.value and cookie["httponly"] and cookie["samesite"] == "Strict"
    assert client.get(f"{AUTH}/sessions/", **bearer(body["token"])).status_code == 200
    assert AuditEvent.objects.filter(kind="login", user=user, detail="otp").exists()
    assert AuditEvent.objects.filter(kind="login_code_sent", user=user).exists()


def test_the_code_is_typed_in_any_case_with_or_without_its_dash(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    flow = flow_for(client, user.email)
    typed = " " + code_in(mailoutbox[0]).replace("-", " - ").lower() + " "
    assert sign_in(client, flow, typed).status_code == 200


def test_the_mail_says_the_code_its_lifetime_and_that_it_can_be_ignored(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    """No link in it: a mail scanner that opens every link can do nothing with it."""
    flow_for(client, user.email)
    [message] = mailoutbox
    code = code_in(message)
    html = message.alternatives[0][0]
    # Not in the subject, which lock screens and notifications show to anyone nearby.
    assert code in message.body and code in html and code not in message.subject
    assert "expires in 3\xa0minutes" in message.body
    assert "ignore this mail" in message.body
    assert "http" not in message.body and "href" not in html


def test_a_code_works_once(client: Client, user: Any, mailoutbox: list[Any]) -> None:
    flow = flow_for(client, user.email)
    code = code_in(mailoutbox[0])
    assert sign_in(client, flow, code).status_code == 200
    assert answer(sign_in(client, flow, code)) == (401, "login_code_expired")
    assert Session.objects.filter(user=user).count() == 1


def test_a_code_expires_after_its_lifetime(
    client: Client, user: Any, mailoutbox: list[Any], clock: Any
) -> None:
    flow = flow_for(client, user.email)
    code = code_in(mailoutbox[0])
    clock.advance(minutes=3)
    assert answer(sign_in(client, flow, code)) == (401, "login_code_expired")


def test_the_lifetime_and_attempts_are_settings(
    client: Client, user: Any, mailoutbox: list[Any], clock: Any, settings: Any
) -> None:
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "LOGIN_CODE_LIFETIME": 600,
        "LOGIN_CODE_ATTEMPTS": 1,
    }
    flow = flow_for(client, user.email)
    code = code_in(mailoutbox[0])
    assert "expires in 10\xa0minutes" in mailoutbox[0].body
    clock.advance(minutes=9)
    assert answer(sign_in(client, flow, other_code(code))) == (401, "code_invalid")
    assert answer(sign_in(client, flow, code)) == (401, "login_code_expired")


# The flow binding: the code alone opens nothing.


def test_a_code_read_from_the_mailbox_opens_nothing_without_its_flow(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    """The reader of the mailbox (or its scanner) asks for a flow of their own with the
    same address, from a second client, and types the code of the first flow into it."""
    victims_flow = flow_for(client, user.email)
    code = code_in(mailoutbox[0])
    second = Client()
    thiefs_flow = flow_for(second, user.email)
    assert answer(sign_in(second, thiefs_flow, code)) == (401, "code_invalid")
    assert answer(sign_in(second, "x" * 43, code)) == (401, "login_code_expired")
    # The code of the first flow still works with the first flow, on the first client.
    assert sign_in(client, victims_flow, code).status_code == 200


def test_each_flow_gets_its_own_code(client: Client, user: Any, mailoutbox: list[Any]) -> None:
    first, second = flow_for(client, user.email), flow_for(client, user.email)
    assert code_in(mailoutbox[0]) != code_in(mailoutbox[1])
    assert answer(sign_in(client, first, code_in(mailoutbox[1]))) == (401, "code_invalid")
    assert sign_in(client, second, code_in(mailoutbox[1])).status_code == 200
    assert sign_in(client, first, code_in(mailoutbox[0])).status_code == 200


# Attempts.


def test_the_third_wrong_code_ends_the_flow(
    client: Client, user: Any, mailoutbox: list[Any], roomy: None
) -> None:
    flow = flow_for(client, user.email)
    code = code_in(mailoutbox[0])
    for _ in range(3):
        assert answer(sign_in(client, flow, other_code(code))) == (401, "code_invalid")
    assert answer(sign_in(client, flow, code)) == (401, "login_code_expired")
    assert AuditEvent.objects.filter(kind="login_code_failed", user=user).count() == 3


def test_parallel_guesses_cannot_outnumber_the_attempts(
    client: Client, user: Any, mailoutbox: list[Any], roomy: None, monkeypatch: Any
) -> None:
    """Six requests that all read the flow while it had three attempts left (as parallel
    requests do): three codes are compared, the others are refused before comparing; the
    right code among the late ones opens nothing."""
    flow = flow_for(client, user.email)
    code = code_in(mailoutbox[0])
    stale = login_codes.live_flow(flow)
    monkeypatch.setattr(login_codes, "live_flow", lambda _flow: stale)
    compared: list[str] = []
    real_matches = login_codes.matches

    def counting(row: Any, typed: str) -> bool:
        compared.append(typed)
        return real_matches(row, typed)

    monkeypatch.setattr(login_codes, "matches", counting)
    answers = [answer(sign_in(client, flow, other_code(code))) for _ in range(5)]
    answers.append(answer(sign_in(client, flow, code)))
    assert answers == [(401, "code_invalid")] * 3 + [(401, "login_code_expired")] * 3
    assert len(compared) == 3
    assert LoginCode.objects.get().attempts == 3
    assert not Session.objects.filter(user=user).exists()


def test_a_malformed_code_spends_no_attempt(
    client: Client, user: Any, mailoutbox: list[Any], roomy: None
) -> None:
    """A code that cannot be one (a typo: seven letters, a vowel, a digit) is no guess:
    it is refused before the flow is read, and spends nothing."""
    flow = flow_for(client, user.email)
    code = code_in(mailoutbox[0])
    for typo in [code[:-1], "AAAA-AAAA", "1234-5678", code + "B", "", "ẞBBB-BBBB"]:
        assert answer(sign_in(client, flow, typo)) == (400, "login_code_malformed"), typo
    assert LoginCode.objects.get().attempts == 0
    assert sign_in(client, flow, code).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"flow": 7, "code": "BBBB-BBBB"},
        {"flow": ["x"], "code": "BBBB-BBBB"},
        {"flow": None, "code": "BBBB-BBBB"},
        {"flow": "x" * 43, "code": 12345678},
        {"flow": "x" * 43, "code": {"a": 1}},
        {"flow": "x" * 43, "code": None},
        {"flow": "x" * 43},
        {"code": "BBBB-BBBB"},
        {"flow": "x" * 43, "code": "B" * 65},
        ["flow", "code"],
        "BBBB-BBBB",
    ],
)
def test_values_of_the_wrong_type_are_a_400(client: Client, db: None, body: Any) -> None:
    response = sign_in_body(client, body)
    assert response.status_code == 400
    assert response.json()["code"] in ("invalid", "login_code_malformed", "parse_error")


def sign_in_body(client: Client, body: Any) -> Any:
    return post(client, "login/code/", body)


@pytest.mark.parametrize("email", [7, None, ["a@example.com"], {"a": 1}, "not-an-address", ""])
def test_a_request_with_a_bad_address_is_a_400(client: Client, db: None, email: Any) -> None:
    response = request_code(client, email)
    assert response.status_code == 400
    assert "email" in response.json()["errors"]
    assert not LoginCode.objects.exists()


# What ends a code.


def test_the_code_dies_with_a_password_change(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    flow = flow_for(client, user.email)
    user.set_password("a-brand-new-passphrase-42")
    user.save()
    assert answer(sign_in(client, flow, code_in(mailoutbox[0]))) == (401, "login_code_expired")


def test_the_code_dies_with_an_address_change(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    flow = flow_for(client, user.email)
    user.email = "elsewhere@example.com"
    user.save()
    assert answer(sign_in(client, flow, code_in(mailoutbox[0]))) == (401, "login_code_expired")


def test_the_code_dies_when_the_account_is_deactivated(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    flow = flow_for(client, user.email)
    user.is_active = False
    user.save()
    assert answer(sign_in(client, flow, code_in(mailoutbox[0]))) == (401, "login_code_expired")


# A second factor is still asked for.


def test_an_account_with_a_second_factor_still_gives_it(
    client: Client, user: Any, mailoutbox: list[Any], clock: Any
) -> None:
    secret, _ = enable_totp(client, reauthenticated(client, clock), clock)
    clock.advance(seconds=30)
    mailoutbox.clear()
    flow = flow_for(client, user.email)
    pending = sign_in(client, flow, code_in(mailoutbox[0]))
    assert answer(pending) == (401, "mfa_required")
    assert pending.json()["methods"] == ["totp", "recovery_code"]
    assert "refresh_token" not in pending.cookies
    done = post(
        client,
        "mfa/authenticate/",
        {"mfa_token": pending.json()["mfa_token"], "code": code_at(secret, clock)},
    )
    assert done.status_code == 200, done.content
    assert claims_of(done.json()["token"])["amr"] == ["otp", "mfa"]
    # The code was spent by the first step: it does not start a second pending login.
    assert answer(sign_in(client, flow, code_in(mailoutbox[0]))) == (401, "login_code_expired")


# No account is told apart, created or linked.


@pytest.fixture
def addresses(user_factory: Callable[..., Any]) -> dict[str, str]:
    """An active proven account, and the addresses that must answer alike: none, an
    account waiting to prove its address, and an inactive account."""
    known = user_factory(email="known@example.com")
    pending = user_factory(email="pending@example.com")
    AccountEmail.objects.create(user=pending, address="pending@example.com", verified_at=None)
    user_factory(email="inactive@example.com", is_active=False)
    return {
        "known": known.email,
        "unknown": "nobody@example.com",
        "pending": "pending@example.com",
        "inactive": "inactive@example.com",
    }


def test_the_request_answers_alike_for_every_address(
    client: Client, addresses: dict[str, str], mailoutbox: list[Any]
) -> None:
    answers = {}
    for name, address in addresses.items():
        response = request_code(client, address)
        body = response.json()
        assert len(body.pop("flow")) == 43
        headers = {k: v for k, v in response.headers.items() if k != "Date"}
        answers[name] = (response.status_code, body, headers)
    assert answers["known"][:2] == (
        202,
        {
            "detail": "If that address has an account, a sign-in code is on its way.",
            "code": "login_code_sent",
        },
    )
    assert all(found == answers["known"] for found in answers.values())
    assert [m.to for m in mailoutbox] == [["known@example.com"]]


def normalized(queries: list[dict[str, Any]]) -> list[str]:
    """The statements of a request with their values left out."""
    return [re.sub(r"'[^']*'|\d+(\.\d+)?(e[+-]?\d+)?", "?", q["sql"]) for q in queries]


def test_the_request_does_the_same_work_for_every_address(
    client: Client, addresses: dict[str, str], monkeypatch: Any
) -> None:
    """Timing parity by construction, as for a password login: the request runs the same
    statements for every address; the lookup happens after the response, in the task."""
    monkeypatch.setattr(tasks, "run_due", lambda **kwargs: 0)  # the after-response part
    work = {}
    for n, (name, address) in enumerate(addresses.items()):
        with CaptureQueriesContext(connection) as captured:  # each from a new client
            response = post(
                client, "login/code/request/", {"email": address}, REMOTE_ADDR=f"10.0.0.{n}"
            )
            assert response.status_code == 202
        work[name] = normalized(captured.captured_queries)
    for found in work.values():
        assert found == work["known"]
    assert not any("auth_user" in sql for sql in work["known"])


@pytest.mark.parametrize("name", ["unknown", "pending", "inactive"])
def test_a_flow_of_any_other_address_never_succeeds_and_spends_alike(
    client: Client, addresses: dict[str, str], name: str, mailoutbox: list[Any], roomy: None
) -> None:
    """A flow of an address without a proven, active account: every code is wrong, its
    attempts run out and it expires exactly as a real one."""
    known, other = flow_for(client, addresses["known"]), flow_for(client, addresses[name])
    code = code_in(mailoutbox[0])
    for _ in range(3):
        assert answer(sign_in(client, other, code)) == answer(
            sign_in(client, known, other_code(code))
        )
    assert answer(sign_in(client, other, code)) == answer(sign_in(client, known, code))
    assert answer(sign_in(client, known, code)) == (401, "login_code_expired")
    assert not Session.objects.exists()


def test_a_code_creates_and_links_no_account(
    client: Client, db: None, mailoutbox: list[Any], django_user_model: Any
) -> None:
    flow = flow_for(client, "newcomer@example.com")
    assert mailoutbox == []
    assert answer(sign_in(client, flow, "BBBB-BBBB")) == (401, "code_invalid")
    assert not django_user_model.objects.exists()
    assert LoginCode.objects.get().user is None


def test_a_pending_address_gets_no_code_until_proven(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    AccountEmail.objects.create(user=user, address=user.email, verified_at=None)
    flow_for(client, user.email)
    assert mailoutbox == []


# Settings, origins and throttles.


def test_login_by_code_can_be_turned_off(client: Client, user: Any, settings: Any) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "LOGIN_BY_CODE": False}
    assert answer(request_code(client, user.email)) == (403, "login_by_code_disabled")
    assert answer(sign_in(client, "x" * 43, "BBBB-BBBB")) == (403, "login_by_code_disabled")
    assert not LoginCode.objects.exists()


def test_without_a_configured_mail_the_request_says_so(
    client: Client, user: Any, settings: Any
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "FRONTEND_URL": None}
    assert answer(request_code(client, user.email)) == (503, "mail_not_configured")


def test_a_foreign_origin_cannot_ask_or_sign_in(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    """Login CSRF: a page elsewhere must not sign the visitor in to another account."""
    flow = flow_for(client, user.email)
    evil = {"HTTP_ORIGIN": "https://evil.example"}
    code = code_in(mailoutbox[0])
    assert post(client, "login/code/", {"flow": flow, "code": code}, **evil).status_code == 403
    refused = post(client, "login/code/request/", {"email": user.email}, **evil)
    assert refused.status_code == 403
    assert sign_in(client, flow, code).status_code == 200


def test_requests_are_throttled_per_address(
    client: Client, user: Any, settings: Any, mailoutbox: list[Any]
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "MAILS_PER_ADDRESS": 2}
    for address in (user.email, "nobody@example.com"):
        assert [request_code(client, address).status_code for _ in range(3)] == [202, 202, 429]
    assert len(mailoutbox) == 2


def test_requests_are_throttled_per_ip(client: Client, user: Any, settings: Any) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "ACCOUNT_REQUESTS_PER_IP": 2}
    statuses = [request_code(client, f"n{n}@example.com").status_code for n in range(3)]
    assert statuses == [202, 202, 429]


def test_wrong_codes_spend_the_login_budget_of_the_address(
    client: Client, user: Any, mailoutbox: list[Any], settings: Any
) -> None:
    """Guesses count against the address asked for as wrong passwords count against a
    name: after five, the next flow of that address is held back, even with its code."""
    settings.SPA_AUTH = {**settings.SPA_AUTH, "MAILS_PER_ADDRESS": 100}
    for n in range(2):
        flow = flow_for(client, user.email)
        code = code_in(mailoutbox[n])
        for _ in range(3 - n):
            assert answer(sign_in(client, flow, other_code(code))) == (401, "code_invalid")
    flow = flow_for(client, user.email)
    assert answer(sign_in(client, flow, code_in(mailoutbox[2]))) == (429, "throttled")


def test_wrong_codes_spend_the_login_budget_of_the_ip(
    client: Client, user: Any, mailoutbox: list[Any], settings: Any
) -> None:
    """The client's address shares one budget across every way in: codes and passwords."""
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "LOGIN_FAILURES_PER_IP": 3,
        "MAILS_PER_ADDRESS": 100,
    }
    flow = flow_for(client, "nobody@example.com")
    for _ in range(3):
        assert answer(sign_in(client, flow, "BBBB-BBBB")) == (401, "code_invalid")
    assert answer(login(client, "alice", PASSWORD)) == (429, "throttled")


def test_pruning_removes_expired_flows(
    client: Client, user: Any, clock: Any, mailoutbox: list[Any]
) -> None:
    from django.core.management import call_command

    flow_for(client, user.email)
    clock.advance(minutes=3)
    call_command("prune_auth")
    assert not LoginCode.objects.exists()


def test_the_table_holds_digests_only(client: Client, user: Any, mailoutbox: list[Any]) -> None:
    flow = flow_for(client, user.email)
    code = code_in(mailoutbox[0]).replace("-", "")
    row = LoginCode.objects.get()
    stored = " ".join(str(v) for v in LoginCode.objects.values().get().values())
    assert flow not in stored and code not in stored
    assert len(row.digest) == len(row.code_digest) == 64


# The parser.

letters = st.text(alphabet=login_codes.ALPHABET, min_size=8, max_size=8)


@given(
    code=letters,
    lower=st.lists(st.booleans(), min_size=8, max_size=8),
    separators=st.lists(st.sampled_from(["", " ", "-", "\u2013", "  - "]), min_size=9, max_size=9),
)
def test_the_parser_reads_back_every_code_it_could_mail(
    code: str, lower: list[bool], separators: list[str]
) -> None:
    """Shown grouped, typed in any case with spaces or dashes anywhere: the same code."""
    assert login_codes.parse(login_codes.grouped(code)) == code
    typed = separators[0] + "".join(
        (c.lower() if low else c) + sep
        for c, low, sep in zip(code, lower, separators[1:], strict=True)
    )
    assert login_codes.parse(typed) == code


@given(typed=st.one_of(st.text(max_size=80), st.integers(), st.none(), st.lists(st.text())))
def test_the_parser_accepts_only_codes_of_the_alphabet(typed: Any) -> None:
    """Anything else is ``login_code_malformed``, never another error."""
    try:
        code = login_codes.parse(typed)
    except LoginCodeMalformedError:
        return
    assert len(code) == 8 and set(code) <= set(login_codes.ALPHABET)
    assert isinstance(typed, str) and typed.isascii()


def test_new_codes_are_of_the_alphabet_and_shown_grouped() -> None:
    code = login_codes.new_code()
    assert len(code) == 8 and set(code) <= set(login_codes.ALPHABET)
    assert re.fullmatch(r"[B-Z]{4}-[B-Z]{4}", login_codes.grouped(code))
