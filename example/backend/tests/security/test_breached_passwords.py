"""Breached passwords (docs/security.md, BP rows): every door that sets a password asks
a range server on loopback (``breach_fake``) with five hex digits of the password's
SHA-1, and refuses a listed one; a password login marks its session; a range server that
fails never gives a 500. Each test asserts on what the fake received."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.management.commands import createsuperuser
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from spa_auth.checks import check_configuration
from spa_auth.conf import PWNED_PASSWORDS_API
from spa_auth.internal.accounts import pwned
from spa_auth.models import AccountTask, AuditEvent, Session

from ..breach_fake import FakeRangeServer, sha1_hex
from ..conftest import PASSWORD, bearer, login, refresh_with_cookie
from ..snippets import snippet
from ..test_accounts import key_of, post, request_reset
from ..test_mfa import claims_of, code_at, enable_totp, reauthenticated

pytestmark = pytest.mark.django_db
BREACHED = "letmein-summer-2019-breached"
FRESH = "a-brand-new-passphrase-42"
FAILURES = ["down", "hang", "trickle", "status", "garbage", "redirect", "huge"]


@pytest.fixture(scope="module")
def range_server() -> Iterator[FakeRangeServer]:
    fake = FakeRangeServer().start()
    yield fake
    fake.stop()


@pytest.fixture
def breach(range_server: FakeRangeServer, settings: Any) -> Iterator[FakeRangeServer]:
    """The check on, against the fake (which knows ``BREACHED``), sign-up open."""
    range_server.reset()
    range_server.breach(BREACHED, count=41)
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "SIGNUP_ENABLED": True,
        "PWNED_PASSWORDS": {"url": range_server.url, "timeout": 0.3},
    }
    yield range_server
    range_server.release.set()


@pytest.fixture
def fail_closed(breach: FakeRangeServer, settings: Any) -> FakeRangeServer:
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "PWNED_PASSWORDS": {"url": breach.url, "timeout": 0.3, "fail_closed": True},
    }
    return breach


def fail(fake: FakeRangeServer, django_settings: Any, failure: str) -> None:
    """Make the range server fail as ``failure`` says ("down": nothing listens)."""
    fake.behave(failure)
    if failure == "down":
        options = {**django_settings.SPA_AUTH["PWNED_PASSWORDS"], "url": fake.closed_url}
        django_settings.SPA_AUTH = {**django_settings.SPA_AUTH, "PWNED_PASSWORDS": options}


def sign_up(client: Client, password: str, email: str = "newbie@example.com") -> Any:
    body = {"username": "newbie", "email": email, "password": password}
    return post(client, "register/", body)


def change_password(client: Client, new_password: str) -> Any:
    token = login(client).json()["token"]
    body = {"old_password": PASSWORD, "new_password": new_password}
    return post(client, "password/change/", body, **bearer(token))


def reset_to(client: Client, user: Any, mailoutbox: list[Any], new_password: str) -> Any:
    request_reset(client, user.email)
    key = key_of(mailoutbox[-1], "/reset-password")
    return post(client, "password/reset/confirm/", {"key": key, "new_password": new_password})


def refused_as_breached(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert body["codes"] == {field: ["password_breached"]}
    # Existing clients read the messages, as before: a list of strings per field.
    [message] = body["errors"][field]
    assert "data breach" in message


def only_prefixes_of(fake: FakeRangeServer, *passwords: str) -> None:
    """Every request the range server got asked for one of these passwords' prefixes, and
    carried nothing else of them."""
    prefixes = {f"/range/{sha1_hex(password)[:5]}" for password in passwords}
    assert fake.received
    for request in fake.received:
        assert request.path in prefixes
        assert request.body == b""
        assert request.headers["Add-Padding"] == "true"
        sent = request.path + repr(request.headers)
        for password in passwords:
            assert password not in sent
            assert sha1_hex(password)[5:] not in sent.upper()


# BP1: a listed password is refused at every door that sets one.


def test_a_breached_password_is_refused_at_sign_up(
    client: Client, breach: FakeRangeServer, mailoutbox: list[Any]
) -> None:
    refused_as_breached(sign_up(client, BREACHED), "password")
    assert not AccountTask.objects.exists() and mailoutbox == []
    only_prefixes_of(breach, BREACHED)
    # Positive control: a password the range server does not list.
    assert sign_up(client, FRESH).status_code == 201


def test_a_breached_password_is_refused_at_password_change(
    client: Client, user: Any, breach: FakeRangeServer
) -> None:
    refused_as_breached(change_password(client, BREACHED), "new_password")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert change_password(client, FRESH).status_code == 200


def test_a_breached_password_is_refused_at_reset_confirm_and_the_key_survives(
    client: Client, user: Any, breach: FakeRangeServer, mailoutbox: list[Any]
) -> None:
    refused_as_breached(reset_to(client, user, mailoutbox, BREACHED), "new_password")
    key = key_of(mailoutbox[-1], "/reset-password")
    done = post(client, "password/reset/confirm/", {"key": key, "new_password": FRESH})
    assert done.status_code == 204
    user.refresh_from_db()
    assert user.check_password(FRESH)


@pytest.fixture
def admin_client(client: Client, user_factory: Any) -> Client:
    client.force_login(user_factory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_admins_forms_refuse_a_breached_password(
    admin_client: Client, user: Any, breach: FakeRangeServer
) -> None:
    form = {"password1": BREACHED, "password2": BREACHED, "usable_password": "true"}
    added = admin_client.post("/admin/auth/user/add/", {"username": "newadmin", **form})
    assert added.status_code == 200
    assert "data breach" in added.content.decode()
    assert not get_user_model().objects.filter(username="newadmin").exists()
    changed = admin_client.post(f"/admin/auth/user/{user.pk}/password/", form)
    assert changed.status_code == 200
    assert "data breach" in changed.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def create_superuser(
    monkeypatch: pytest.MonkeyPatch, passwords: list[str], bypass: str = "n"
) -> str:
    """``createsuperuser`` at a terminal: the answers typed (``bypass`` to "Bypass password
    validation?"), what it wrote to stderr."""
    answers = iter(["boss", "boss@example.com", bypass])
    typed = iter(passwords)
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr(createsuperuser.getpass, "getpass", lambda prompt="": next(typed))
    errors = io.StringIO()
    call_command(
        "createsuperuser", interactive=True, stdin=_Terminal(), stdout=io.StringIO(), stderr=errors
    )
    return errors.getvalue()


def test_createsuperuser_refuses_a_breached_password(
    monkeypatch: pytest.MonkeyPatch, breach: FakeRangeServer
) -> None:
    said = create_superuser(monkeypatch, [BREACHED, BREACHED, FRESH, FRESH])
    assert "data breach" in said
    boss = get_user_model().objects.get(username="boss")
    assert boss.check_password(FRESH)


def test_djangos_own_validators_codes_come_through_beside_the_messages(
    client: Client, breach: FakeRangeServer
) -> None:
    response = sign_up(client, "12345")
    assert response.status_code == 400
    codes = response.json()["codes"]["password"]
    assert {"password_too_short", "password_too_common", "password_entirely_numeric"} <= set(codes)
    messages = response.json()["errors"]["password"]
    assert len(messages) == len(codes) and all(isinstance(m, str) for m in messages)


def test_every_field_error_has_its_code_whatever_the_wrong_value(
    client: Client, breach: FakeRangeServer
) -> None:
    wrong = post(client, "register/", {"username": "x", "email": ["a"], "password": {"a": 1}})
    body = wrong.json()
    assert wrong.status_code == 400
    assert set(body["codes"]) == set(body["errors"]) == {"email", "password"}
    assert body["codes"]["password"] == ["invalid"]
    missing = post(client, "verify_token/", {})
    assert missing.json()["codes"] == {"token": ["required"]}
    typed = post(client, "refresh_token/", {"refresh": 7})
    assert typed.json()["codes"] == {"refresh": ["not_a_string"]}
    assert breach.received == []  # nothing reached the range server for a malformed body


def test_the_documented_error_shape_is_what_a_short_breached_password_gets(
    client: Client, user: Any, breach: FakeRangeServer
) -> None:
    short = "x7#kQ2z"
    breach.breach(short)
    answer = change_password(client, short)
    assert answer.status_code == 400
    assert answer.json() == json.loads(snippet("field-error-codes"))


def test_the_documented_settings_turn_the_check_on(
    client: Client, breach: FakeRangeServer, settings: Any
) -> None:
    documented: dict[str, Any] = {"SPA_AUTH": {"FRONTEND_URL": "http://localhost:8000"}}
    exec(snippet("pwned-passwords"), documented)
    settings.AUTH_PASSWORD_VALIDATORS = documented["AUTH_PASSWORD_VALIDATORS"]
    options = documented["SPA_AUTH"]["PWNED_PASSWORDS"]
    assert options["url"] == PWNED_PASSWORDS_API  # the public range API, in a real project
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "PWNED_PASSWORDS": {**options, "url": breach.url},
    }
    assert any(
        type(v).__name__ == "PwnedPasswordValidator"
        for v in password_validation.get_default_password_validators()
    )
    refused_as_breached(sign_up(client, BREACHED), "password")


# BP2, BP3: only five hex digits leave the server, in a padded exchange.


def test_a_padded_answer_is_parsed_and_padding_never_counts(
    client: Client, breach: FakeRangeServer
) -> None:
    """The fake pads with 800 suffixes of count 0; a suffix listed with 0 is padding."""
    breach.breach(FRESH, count=0)
    assert sign_up(client, FRESH).status_code == 201
    assert len(breach.range_body(sha1_hex(FRESH)[:5], padded=True).splitlines()) >= 800
    refused_as_breached(sign_up(client, BREACHED, "other@example.com"), "password")


def test_sign_up_asks_the_range_server_alike_for_known_and_unknown_addresses(
    client: Client, user: Any, breach: FakeRangeServer
) -> None:
    """The check depends on the password alone: a known address makes no other request."""
    assert sign_up(client, FRESH, email=user.email).status_code == 201
    assert sign_up(client, FRESH, email="nobody@example.com").status_code == 201
    known, unknown = (request.path for request in breach.received)
    assert known == unknown


# BP4: a range server that fails, in both modes.


@pytest.mark.parametrize("failure", FAILURES)
def test_a_failing_range_server_fails_open_by_default(
    client: Client, breach: FakeRangeServer, failure: str, caplog: Any, settings: Any
) -> None:
    fail(breach, settings, failure)
    with caplog.at_level(logging.WARNING, logger="spa_auth"):
        response = sign_up(client, BREACHED)
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(kind="breach_check_failed")
    prefix = sha1_hex(BREACHED)[:5]
    # Logged and audited, without the prefix asked for (the transport's errors name it).
    assert prefix not in event.detail and prefix not in caplog.text
    assert "breached-password check failed" in caplog.text
    assert len(breach.received) == (0 if failure == "down" else 1)  # no redirect followed


@pytest.mark.parametrize("failure", FAILURES)
def test_a_failing_range_server_fails_closed_when_set(
    client: Client, fail_closed: FakeRangeServer, failure: str, settings: Any
) -> None:
    fail(fail_closed, settings, failure)
    response = sign_up(client, FRESH)
    assert response.status_code == 503
    assert response.json()["code"] == "breach_check_unavailable"
    assert "Try again" in response.json()["detail"]
    assert response["Retry-After"] == "60"
    assert not AccountTask.objects.exists()
    assert AuditEvent.objects.filter(kind="breach_check_failed").exists()


def test_fail_closed_is_a_clean_503_at_change_and_reset_and_spends_nothing(
    client: Client, user: Any, fail_closed: FakeRangeServer, mailoutbox: list[Any]
) -> None:
    fail_closed.behave("status", status=500)
    changed = change_password(client, FRESH)
    assert (changed.status_code, changed.json()["code"]) == (503, "breach_check_unavailable")
    reset = reset_to(client, user, mailoutbox, FRESH)
    assert (reset.status_code, reset.json()["code"]) == (503, "breach_check_unavailable")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # The range server is back: the same key sets the password.
    fail_closed.behave("ok")
    key = key_of(mailoutbox[-1], "/reset-password")
    done = post(client, "password/reset/confirm/", {"key": key, "new_password": FRESH})
    assert done.status_code == 204


def test_other_objections_come_before_an_unavailable_check(
    client: Client, fail_closed: FakeRangeServer
) -> None:
    fail_closed.behave("hang")
    response = sign_up(client, "short")
    assert response.status_code == 400
    assert "breach_check_unavailable" not in response.json()["codes"]["password"]
    assert "password_too_short" in response.json()["codes"]["password"]


def test_fail_closed_is_a_form_error_in_the_admin_and_at_createsuperuser(
    admin_client: Client, fail_closed: FakeRangeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_closed.behave("status", status=503)
    form = {"password1": FRESH, "password2": FRESH, "usable_password": "true"}
    added = admin_client.post("/admin/auth/user/add/", {"username": "newadmin", **form})
    assert added.status_code == 200
    assert "could not be checked" in added.content.decode()
    # Django's own choice follows: the operator at the terminal may bypass the validators.
    said = create_superuser(monkeypatch, [FRESH, FRESH], bypass="y")
    assert "could not be checked" in said


# BP5, BP6: a login with a listed password marks its session, after the hash matched.


def test_a_login_with_a_breached_password_marks_the_session(
    client: Client, user: Any, breach: FakeRangeServer
) -> None:
    breach.breach(PASSWORD)
    response = login(client)
    assert response.status_code == 200
    assert response.json()["user"]["password_breached"] is True
    token = response.json()["token"]
    assert Session.objects.get(user=user).password_breached is True
    assert client.get("/api/v1/user/", **bearer(token)).json()["password_breached"] is True
    assert AuditEvent.objects.filter(kind="password_breached", user=user).exists()
    only_prefixes_of(breach, PASSWORD)
    # Every token of the session says so, after a refresh too.
    refreshed = refresh_with_cookie(client).json()["token"]
    assert claims_of(refreshed)["password_breached"] is True
    assert client.get("/api/v1/user/", **bearer(refreshed)).json()["password_breached"] is True
    # A new password ends the session and its mark; this device goes on unmarked.
    body = {"old_password": PASSWORD, "new_password": FRESH}
    changed = post(client, "password/change/", body, **bearer(refreshed))
    assert changed.status_code == 200
    new_token = changed.json()["token"]
    assert client.get("/api/v1/user/", **bearer(new_token)).json()["password_breached"] is False


def test_a_clean_login_is_not_marked(client: Client, user: Any, breach: FakeRangeServer) -> None:
    response = login(client)
    assert response.json()["user"]["password_breached"] is False
    assert "password_breached" not in claims_of(response.json()["token"])
    only_prefixes_of(breach, PASSWORD)


def test_a_wrong_password_sends_nothing_to_the_range_server(
    client: Client, user: Any, breach: FakeRangeServer
) -> None:
    assert login(client, password=BREACHED).status_code == 401
    assert login(client, username="nobody", password=BREACHED).status_code == 401
    assert breach.received == []


@pytest.mark.parametrize("failure", ["down", "hang", "status", "garbage"])
def test_a_failing_range_server_never_fails_a_login(
    client: Client, user: Any, fail_closed: FakeRangeServer, failure: str, settings: Any
) -> None:
    fail(fail_closed, settings, failure)
    response = login(client)
    assert response.status_code == 200
    assert response.json()["user"]["password_breached"] is False
    assert AuditEvent.objects.filter(kind="breach_check_failed", user=user).exists()


def test_the_second_step_carries_the_mark_of_the_first(
    client: Client, user: Any, breach: FakeRangeServer, clock: Any
) -> None:
    secret, _ = enable_totp(client, reauthenticated(client, clock), clock)
    clock.advance(seconds=30)
    breach.breach(PASSWORD)
    first = login(client)
    assert first.json()["code"] == "mfa_required"
    body = {"mfa_token": first.json()["mfa_token"], "code": code_at(secret, clock)}
    second = post(client, "mfa/authenticate/", body)
    assert second.status_code == 200, second.content
    assert second.json()["user"]["password_breached"] is True


# BP7, BP8: the mark is the session's, read from its token at no cost.


def test_the_mark_costs_an_authenticated_request_nothing(
    client: Client, user_factory: Any, breach: FakeRangeServer, django_assert_num_queries: Any
) -> None:
    user_factory(username="clean")
    user_factory(username="marked", password=BREACHED)
    clean = login(Client(), "clean").json()["token"]
    marked = login(Client(), "marked", BREACHED).json()["token"]
    asked = len(breach.received)
    for token in (clean, marked):
        with django_assert_num_queries(1):
            assert client.get("/api/v1/user/", **bearer(token)).status_code == 200
    assert len(breach.received) == asked  # an authenticated request asks nothing


def mark_everyone(user: Any) -> dict[str, Any]:
    return {"password_breached": True, "role": "reader"}


def test_a_claims_hook_can_neither_set_nor_clear_the_mark(
    client: Client, user: Any, breach: FakeRangeServer, settings: Any
) -> None:
    hook = "tests.security.test_breached_passwords.mark_everyone"
    settings.SPA_AUTH = {**settings.SPA_AUTH, "ACCESS_TOKEN_CLAIMS": hook}
    token = login(client).json()["token"]
    assert claims_of(token)["role"] == "reader"
    assert "password_breached" not in claims_of(token)
    assert client.get("/api/v1/user/", **bearer(token)).json()["password_breached"] is False


# BP4: the answer is parsed strictly, whatever it holds.

BOUNDED = examples(
    max_examples=300,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
SUFFIXES = st.text("0123456789ABCDEF", min_size=35, max_size=35)


@BOUNDED
@given(st.binary(max_size=400) | st.text(max_size=200).map(str.encode))
def test_no_answer_breaks_the_range_parser(body: bytes) -> None:
    try:
        counts = pwned.parse_range(body)
    except pwned.RangeError:
        return
    assert all(len(suffix) == 35 and count >= 0 for suffix, count in counts.items())


@BOUNDED
@given(
    st.dictionaries(SUFFIXES, st.integers(0, 10**11), max_size=30), st.sampled_from(["\r\n", "\n"])
)
def test_a_well_formed_answer_parses_to_its_counts(entries: dict[str, int], newline: str) -> None:
    body = newline.join(f"{suffix}:{count}" for suffix, count in entries.items()).encode()
    assert pwned.parse_range(body) == entries


@pytest.mark.parametrize(
    "options",
    [
        {"url": "http://api.pwnedpasswords.com/range/"},  # plain HTTP off loopback
        {"url": "ftp://127.0.0.1/range/"},
        {"url": 7},
        {"timeout": 0},
        {"timeout": "2"},
        {"timeout": True},
        {"fail_closed": "false"},
        {"retries": 3},
        "https://api.pwnedpasswords.com/range/",
    ],
)
def test_a_range_setting_that_cannot_work_is_refused_at_startup(
    settings: Any, options: Any
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "PWNED_PASSWORDS": options}
    assert [error.id for error in check_configuration()] == ["spa_auth.E010"]
