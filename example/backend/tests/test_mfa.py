"""TOTP, recovery codes, the login's second step, step-up and re-authentication, over the
request stack. Codes are computed from the secret the setup shows, as an app would."""

from __future__ import annotations

import base64
import json
from typing import Any

import pyotp
import pytest
from django.core.management import call_command
from django.test import Client
from spa_auth.models import AuditEvent, Challenge, TotpDevice

from .conftest import PASSWORD, bearer, login, refresh_with_cookie

pytestmark = pytest.mark.django_db
AUTH = "/api/v1/auth"


def post(client: Client, path: str, body: Any = None, **headers: Any) -> Any:
    return client.post(f"{AUTH}/{path}", body or {}, content_type="application/json", **headers)


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def code_at(secret: str, clock: Any, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock().timestamp() + 30 * steps)


def enable_totp(client: Client, token: str, clock: Any) -> tuple[str, list[str]]:
    setup = post(client, "mfa/totp/setup/", **bearer(token)).json()
    assert setup["otpauth_url"].startswith("otpauth://totp/")
    assert setup["qr_svg"].startswith("<svg")
    confirmed = post(
        client, "mfa/totp/confirm/", {"code": code_at(setup["secret"], clock)}, **bearer(token)
    )
    assert confirmed.status_code == 200, confirmed.content
    return setup["secret"], confirmed.json()["recovery_codes"]


def reauthenticated(client: Client, clock: Any, username: str = "alice") -> str:
    """A token that may change the second factors: a login, then, a second later, the
    password again (``reauthenticate/``); the login alone does not count."""
    token = login(client, username).json()["token"]
    clock.advance(seconds=1)
    response = post(client, "reauthenticate/", {"password": PASSWORD}, **bearer(token))
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


@pytest.fixture
def with_totp(client: Client, user: Any, clock: Any) -> dict[str, Any]:
    token = reauthenticated(client, clock)
    secret, codes = enable_totp(client, token, clock)
    clock.advance(seconds=30)  # the confirming code's step is spent
    return {"secret": secret, "codes": codes, "token": token}


def stale_token(client: Client, clock: Any) -> str:
    """An access token of this session, whose login is 11 minutes old."""
    clock.advance(minutes=11)
    response = refresh_with_cookie(client)
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def start_login(client: Client) -> dict[str, Any]:
    response = login(client)
    assert response.status_code == 401, response.content
    return response.json()


def test_a_password_alone_no_longer_logs_in(client: Client, with_totp: Any) -> None:
    response = login(client)
    body = response.json()
    assert (response.status_code, body["code"]) == (401, "mfa_required")
    assert body["methods"] == ["totp", "recovery_code"] and len(body["mfa_token"]) == 43
    assert "token" not in body and "refresh_token" not in response.cookies
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_the_second_step_with_a_totp_code(client: Client, with_totp: Any, clock: Any) -> None:
    pending = start_login(client)
    done = post(
        client,
        "mfa/authenticate/",
        {"mfa_token": pending["mfa_token"], "code": code_at(with_totp["secret"], clock)},
    )
    assert done.status_code == 200, done.content
    assert "refresh_token" in done.cookies
    claims = claims_of(done.json()["token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert AuditEvent.objects.filter(kind="mfa_login").exists()
    # The mfa_token is spent.
    again = post(
        client,
        "mfa/authenticate/",
        {"mfa_token": pending["mfa_token"], "code": code_at(with_totp["secret"], clock, 1)},
    )
    assert again.json()["code"] == "mfa_token_invalid"


def test_a_totp_code_is_accepted_once(client: Client, with_totp: Any, clock: Any) -> None:
    code = code_at(with_totp["secret"], clock)
    first = post(
        client, "mfa/authenticate/", {"mfa_token": start_login(client)["mfa_token"], "code": code}
    )
    assert first.status_code == 200
    replay = post(
        client, "mfa/authenticate/", {"mfa_token": start_login(client)["mfa_token"], "code": code}
    )
    assert (replay.status_code, replay.json()["code"]) == (401, "code_invalid")
    # An older step, still inside the ±1 window, is refused too: steps only move forward.
    older = code_at(with_totp["secret"], clock, -1)
    late = post(
        client, "mfa/authenticate/", {"mfa_token": start_login(client)["mfa_token"], "code": older}
    )
    assert late.json()["code"] == "code_invalid"


def test_codes_one_step_either_side_are_accepted(
    client: Client, with_totp: Any, clock: Any
) -> None:
    ahead = code_at(with_totp["secret"], clock, 1)
    ok = post(
        client, "mfa/authenticate/", {"mfa_token": start_login(client)["mfa_token"], "code": ahead}
    )
    assert ok.status_code == 200
    far = code_at(with_totp["secret"], clock, 3)
    no = post(
        client, "mfa/authenticate/", {"mfa_token": start_login(client)["mfa_token"], "code": far}
    )
    assert no.json()["code"] == "code_invalid"


def test_the_mfa_token_expires_and_allows_few_attempts(
    client: Client, with_totp: Any, clock: Any, roomy: None
) -> None:
    token = start_login(client)["mfa_token"]
    clock.advance(minutes=5, seconds=1)
    late = post(
        client,
        "mfa/authenticate/",
        {"mfa_token": token, "code": code_at(with_totp["secret"], clock)},
    )
    assert late.json()["code"] == "mfa_token_invalid"
    token = start_login(client)["mfa_token"]
    for _ in range(4):
        assert (
            post(client, "mfa/authenticate/", {"mfa_token": token, "code": "000000"}).json()["code"]
            == "code_invalid"
        )
    fifth = post(client, "mfa/authenticate/", {"mfa_token": token, "code": "111111"})
    assert fifth.json()["code"] == "code_invalid"
    right = post(
        client,
        "mfa/authenticate/",
        {"mfa_token": token, "code": code_at(with_totp["secret"], clock)},
    )
    assert (right.status_code, right.json().get("code")) == (401, "mfa_token_invalid")


def test_the_prune_command_deletes_expired_challenges_and_keeps_live_ones(
    client: Client, with_totp: Any, clock: Any
) -> None:
    start_login(client)
    clock.advance(minutes=5, seconds=1)
    live = start_login(client)["mfa_token"]
    call_command("prune_auth")
    assert Challenge.objects.count() == 1
    code = code_at(with_totp["secret"], clock)
    assert post(client, "mfa/authenticate/", {"mfa_token": live, "code": code}).status_code == 200


@pytest.fixture
def roomy(settings: Any) -> None:
    """Login budgets out of the way: only the mfa_token's own attempts count."""
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "LOGIN_FAILURES_PER_ACCOUNT": 1000,
        "LOGIN_FAILURES_PER_IP": 1000,
    }


def test_parallel_guesses_cannot_outnumber_the_attempts_of_an_mfa_token(
    client: Client, with_totp: Any, roomy: None, rf: Any
) -> None:
    """Six requests that all read the pending login while it had five attempts left (as
    parallel requests do): five codes are checked, the sixth request is refused first."""
    from rest_framework.request import Request
    from spa_auth.errors import CodeInvalidError, MfaTokenInvalidError
    from spa_auth.internal.api import mfa_views
    from spa_auth.internal.login import second_step

    pending = second_step.pending_login(start_login(client)["mfa_token"])
    checked: list[int] = []

    def wrong_code() -> list[str]:
        checked.append(1)
        raise CodeInvalidError("wrong")

    for _ in range(5):
        with pytest.raises(CodeInvalidError):
            mfa_views.second_step(Request(rf.post("/")), pending, wrong_code)
    with pytest.raises(MfaTokenInvalidError):
        mfa_views.second_step(Request(rf.post("/")), pending, wrong_code)
    assert len(checked) == 5
    assert Challenge.objects.get(pk=pending.pk).attempts == 5
    assert AuditEvent.objects.filter(kind="mfa_failed").count() == 5


def test_the_right_code_after_the_last_attempt_was_taken_is_refused(
    client: Client, with_totp: Any, clock: Any, rf: Any
) -> None:
    """The race with the right code: read with attempts left, taken meanwhile by others."""
    from rest_framework.request import Request
    from spa_auth.errors import MfaTokenInvalidError
    from spa_auth.internal.api import mfa_views
    from spa_auth.internal.login import second_step
    from spa_auth.internal.mfa import services as mfa

    pending = second_step.pending_login(start_login(client)["mfa_token"])
    Challenge.objects.filter(pk=pending.pk).update(attempts=5)
    code = code_at(with_totp["secret"], clock)
    with pytest.raises(MfaTokenInvalidError):
        mfa_views.second_step(
            Request(rf.post("/")), pending, lambda: mfa.check_code(pending.user, code)
        )
    assert not AuditEvent.objects.filter(kind="mfa_login").exists()


def test_wrong_codes_spend_the_login_budget(client: Client, with_totp: Any, clock: Any) -> None:
    """Guesses at the second factor count against the account like wrong passwords: after
    five, even the right password is held back."""
    for _ in range(5):
        token = start_login(client)["mfa_token"]
        assert (
            post(client, "mfa/authenticate/", {"mfa_token": token, "code": "123456"}).status_code
            == 401
        )
    assert login(client).status_code == 429


def test_recovery_codes_log_in_once_each(client: Client, with_totp: Any) -> None:
    codes = with_totp["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    ok = post(
        client,
        "mfa/authenticate/",
        {"mfa_token": start_login(client)["mfa_token"], "code": codes[0].upper()},
    )
    assert ok.status_code == 200
    reused = post(
        client,
        "mfa/authenticate/",
        {"mfa_token": start_login(client)["mfa_token"], "code": codes[0]},
    )
    assert reused.json()["code"] == "code_invalid"
    status = client.get(f"{AUTH}/mfa/", **bearer(ok.json()["token"])).json()
    assert status == {"totp": {"enabled": True}, "recovery_codes": {"remaining": 9}, "passkeys": []}


def test_regenerated_codes_replace_the_old_ones(client: Client, with_totp: Any) -> None:
    new = post(client, "mfa/recovery_codes/", **bearer(with_totp["token"])).json()["recovery_codes"]
    old = post(
        client,
        "mfa/authenticate/",
        {"mfa_token": start_login(client)["mfa_token"], "code": with_totp["codes"][1]},
    )
    assert old.json()["code"] == "code_invalid"
    fresh = post(
        client, "mfa/authenticate/", {"mfa_token": start_login(client)["mfa_token"], "code": new[0]}
    )
    assert fresh.status_code == 200


def test_totp_is_on_only_after_a_correct_code(client: Client, user: Any, clock: Any) -> None:
    token = reauthenticated(client, clock)
    setup = post(client, "mfa/totp/setup/", **bearer(token)).json()
    wrong = post(client, "mfa/totp/confirm/", {"code": "000000"}, **bearer(token))
    assert (wrong.status_code, wrong.json()["code"]) == (400, "code_invalid")
    assert login(client).status_code == 200  # still a password login
    assert (
        post(
            client, "mfa/totp/confirm/", {"code": code_at(setup["secret"], clock)}, **bearer(token)
        ).status_code
        == 200
    )
    assert login(client).json()["code"] == "mfa_required"


def test_the_secret_is_encrypted_at_rest(client: Client, with_totp: Any) -> None:
    stored = TotpDevice.objects.get().encrypted_secret
    assert with_totp["secret"] not in stored
    assert with_totp["secret"] not in base64.urlsafe_b64decode(stored + "==").decode("latin-1")


def test_turning_totp_off_lets_the_password_log_in_again(client: Client, with_totp: Any) -> None:
    assert client.delete(f"{AUTH}/mfa/totp/", **bearer(with_totp["token"])).status_code == 204
    assert login(client).status_code == 200
    assert client.get(f"{AUTH}/mfa/", **bearer(with_totp["token"])).json()["recovery_codes"] == {
        "remaining": 0
    }


# Step-up.


def test_sensitive_actions_need_a_recent_authentication(
    client: Client, user: Any, clock: Any
) -> None:
    login(client)
    token = stale_token(client, clock)
    refused = post(client, "mfa/totp/setup/", **bearer(token))
    assert (refused.status_code, refused.json()["code"]) == (401, "reauthentication_required")
    assert refused.json()["max_age"] == 600
    assert refused["WWW-Authenticate"] == (
        'Bearer realm="api", error="insufficient_user_authentication", '
        'error_description="A more recent authentication is required", max_age=600'
    )
    change = {"old_password": PASSWORD, "new_password": "another-long-passphrase-1"}
    assert (
        post(client, "password/change/", change, **bearer(token)).json()["code"]
        == "reauthentication_required"
    )
    delete = client.delete(
        f"{AUTH}/account/", {"password": PASSWORD}, "application/json", **bearer(token)
    )
    assert delete.json()["code"] == "reauthentication_required"
    # Reading is not sensitive; the session itself is fine.
    assert client.get(f"{AUTH}/mfa/", **bearer(token)).status_code == 200


def test_reauthenticating_with_the_password_gives_a_fresh_auth_time(
    client: Client, user: Any, clock: Any
) -> None:
    login(client)
    token = stale_token(client, clock)
    wrong = post(client, "reauthenticate/", {"password": "nope"}, **bearer(token))
    assert (wrong.status_code, wrong.json()["code"]) == (400, "password_incorrect")
    fresh = post(client, "reauthenticate/", {"password": PASSWORD}, **bearer(token))
    assert fresh.status_code == 200
    new_token = fresh.json()["token"]
    assert claims_of(new_token)["auth_time"] == int(clock().timestamp())
    assert post(client, "mfa/totp/setup/", **bearer(new_token)).status_code == 200


def test_the_fresh_auth_time_survives_a_refresh(client: Client, user: Any, clock: Any) -> None:
    from .conftest import refresh_with_cookie

    login(client)
    token = stale_token(client, clock)
    post(client, "reauthenticate/", {"password": PASSWORD}, **bearer(token))
    at = int(clock().timestamp())
    clock.advance(minutes=2)
    refreshed = refresh_with_cookie(client)
    assert refreshed.status_code == 200, refreshed.content
    assert claims_of(refreshed.json()["token"])["auth_time"] == at


def test_reauthenticating_with_a_code(client: Client, with_totp: Any, clock: Any) -> None:
    token = stale_token(client, clock)
    code = code_at(with_totp["secret"], clock)
    fresh = post(client, "reauthenticate/", {"code": code}, **bearer(token))
    assert fresh.status_code == 200
    assert "otp" in claims_of(fresh.json()["token"])["amr"]
    replay = post(client, "reauthenticate/", {"code": code}, **bearer(token))
    assert replay.json()["code"] == "code_invalid"


def test_reauthenticate_wants_exactly_one_proof(client: Client, user: Any) -> None:
    token = login(client).json()["token"]
    both = post(
        client, "reauthenticate/", {"password": PASSWORD, "code": "123456"}, **bearer(token)
    )
    assert both.status_code == 400
    none = post(client, "reauthenticate/", {}, **bearer(token))
    assert none.status_code == 400


def test_revoking_another_session_needs_step_up_but_this_one_does_not(
    client: Client, user: Any, clock: Any
) -> None:
    other = Client()
    login(other)
    login(client)
    token = stale_token(client, clock)
    sessions = client.get(f"{AUTH}/sessions/", **bearer(token)).json()["results"]
    mine = next(s["id"] for s in sessions if s["current"])
    theirs = next(s["id"] for s in sessions if not s["current"])
    assert (
        client.delete(f"{AUTH}/sessions/{theirs}/", **bearer(token)).json()["code"]
        == "reauthentication_required"
    )
    assert client.delete(f"{AUTH}/sessions/{mine}/", **bearer(token)).status_code == 204
    assert client.get(f"{AUTH}/sessions/", **bearer(token)).json()["code"] == "session_revoked"
    assert refresh_with_cookie(other).status_code == 200  # theirs lives on


@pytest.mark.parametrize("auth_time", [None, "123", True, 1.5, [1]])
def test_a_token_without_a_usable_auth_time_must_step_up(user: Any, auth_time: Any) -> None:
    from spa_auth.errors import ReauthenticationRequiredError
    from spa_auth.internal.mfa import step_up

    with pytest.raises(ReauthenticationRequiredError):
        step_up.require_recent(user, {"auth_time": auth_time} if auth_time is not None else {})


def expect_step_up(response: Any) -> None:
    assert (response.status_code, response.json()["code"]) == (401, "reauthentication_required")
    assert response["WWW-Authenticate"].startswith(
        'Bearer realm="api", error="insufficient_user_authentication"'
    )


def test_a_fresh_login_alone_cannot_change_a_second_factor(
    client: Client, user: Any, clock: Any
) -> None:
    """A copy of the access token of a login a minute old (no password) sets up nothing:
    each change of a factor wants a re-authentication made after the login."""
    token = login(client).json()["token"]
    clock.advance(minutes=1)
    expect_step_up(post(client, "mfa/totp/setup/", **bearer(token)))
    expect_step_up(post(client, "mfa/totp/confirm/", {"code": "123456"}, **bearer(token)))
    expect_step_up(post(client, "mfa/recovery_codes/", **bearer(token)))
    expect_step_up(client.delete(f"{AUTH}/mfa/totp/", **bearer(token)))
    assert not TotpDevice.objects.exists()
    fresh = post(client, "reauthenticate/", {"password": PASSWORD}, **bearer(token))
    assert post(client, "mfa/totp/setup/", **bearer(fresh.json()["token"])).status_code == 200


def test_a_login_that_passed_the_second_factor_does_not_count_either(
    client: Client, with_totp: Any, clock: Any
) -> None:
    pending = start_login(client)
    done = post(
        client,
        "mfa/authenticate/",
        {"mfa_token": pending["mfa_token"], "code": code_at(with_totp["secret"], clock)},
    )
    token = done.json()["token"]
    expect_step_up(client.delete(f"{AUTH}/mfa/totp/", **bearer(token)))
    expect_step_up(post(client, "mfa/recovery_codes/", **bearer(token)))
    clock.advance(seconds=30)
    code = code_at(with_totp["secret"], clock)
    fresh = post(client, "reauthenticate/", {"code": code}, **bearer(token)).json()["token"]
    assert client.delete(f"{AUTH}/mfa/totp/", **bearer(fresh)).status_code == 204


def test_a_copy_of_the_login_token_stays_refused_after_the_owner_reauthenticates(
    client: Client, user: Any, clock: Any
) -> None:
    copied = login(client).json()["token"]
    clock.advance(seconds=5)
    owners = post(client, "reauthenticate/", {"password": PASSWORD}, **bearer(copied))
    assert owners.status_code == 200
    expect_step_up(post(client, "mfa/totp/setup/", **bearer(copied)))
    assert post(client, "mfa/totp/setup/", **bearer(owners.json()["token"])).status_code == 200


def test_a_reauthentication_in_the_logins_own_second_counts(
    client: Client, user: Any, clock: Any
) -> None:
    """``auth_time`` is in whole seconds; the session's own times are finer, so a quick
    re-authentication (a script, a browser test) is not mistaken for the login."""
    clock.current = clock.current.replace(microsecond=100_000)
    token = login(client).json()["token"]
    clock.advance(milliseconds=500)
    fresh = post(client, "reauthenticate/", {"password": PASSWORD}, **bearer(token)).json()
    assert claims_of(fresh["token"])["auth_time"] == claims_of(token)["auth_time"]
    assert post(client, "mfa/totp/setup/", **bearer(fresh["token"])).status_code == 200


def test_a_reauthentication_carries_over_to_refreshed_tokens_for_ten_minutes(
    client: Client, user: Any, clock: Any
) -> None:
    from .conftest import refresh_with_cookie

    reauthenticated(client, clock)
    clock.advance(minutes=2)
    refreshed = refresh_with_cookie(client).json()["token"]
    assert post(client, "mfa/totp/setup/", **bearer(refreshed)).status_code == 200
    clock.advance(minutes=9)
    later = refresh_with_cookie(client).json()["token"]
    expect_step_up(post(client, "mfa/totp/setup/", **bearer(later)))


def test_a_reauthentication_in_another_session_does_not_count(
    client: Client, user: Any, clock: Any
) -> None:
    reauthenticated(Client(), clock)
    token = login(client).json()["token"]
    clock.advance(seconds=5)
    expect_step_up(post(client, "mfa/totp/setup/", **bearer(token)))


# Side doors.


def test_a_reset_password_still_needs_the_second_factor(
    client: Client, user: Any, with_totp: Any, mailoutbox: list[Any]
) -> None:
    import re

    post(client, "password/reset/", {"email": user.email})
    key = re.search(r"#key=([A-Za-z0-9_-]+)", mailoutbox[-1].body).group(1)  # type: ignore[union-attr]
    assert (
        post(
            client,
            "password/reset/confirm/",
            {"key": key, "new_password": "another-long-passphrase-1"},
        ).status_code
        == 204
    )
    assert login(client, password="another-long-passphrase-1").json()["code"] == "mfa_required"


def test_other_password_doors_refuse_an_account_with_mfa(
    with_totp: Any, user: Any, rf: Any
) -> None:
    from django.contrib.auth import authenticate

    request = rf.post("/somewhere/")
    assert authenticate(request, username="alice", password=PASSWORD) is None


def test_challenges_are_stored_as_digests(client: Client, with_totp: Any) -> None:
    token = start_login(client)["mfa_token"]
    assert not Challenge.objects.filter(digest=token).exists()
    assert Challenge.objects.count() == 1


# Mail to the owner of every factor added or removed.


def html_of(message: Any) -> str:
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return str(html)


def test_turning_totp_on_and_off_mails_the_owner(
    client: Client, user: Any, with_totp: Any, mailoutbox: list[Any]
) -> None:
    (on,) = mailoutbox  # one mail: the first recovery codes come with the factor
    assert on.to == [user.email]
    assert on.subject == "A second factor of your spa-auth account changed"
    assert "An authenticator app was turned on as a second factor." in on.body
    assert "Hello alice," in on.body and "An authenticator app was turned on" in html_of(on)
    assert client.delete(f"{AUTH}/mfa/totp/", **bearer(with_totp["token"])).status_code == 204
    assert len(mailoutbox) == 2
    assert "The authenticator app was turned off" in mailoutbox[1].body


def test_regenerating_recovery_codes_mails_the_owner(
    client: Client, with_totp: Any, mailoutbox: list[Any]
) -> None:
    assert post(client, "mfa/recovery_codes/", **bearer(with_totp["token"])).status_code == 200
    assert len(mailoutbox) == 2
    assert "New recovery codes were made" in mailoutbox[1].body


def test_a_change_that_does_not_happen_mails_nobody(
    client: Client, user: Any, clock: Any, mailoutbox: list[Any]
) -> None:
    token = reauthenticated(client, clock)
    post(client, "mfa/totp/setup/", **bearer(token))
    assert post(client, "mfa/totp/confirm/", {"code": "000000"}, **bearer(token)).status_code == 400
    # Dropping a setup never confirmed: the app was never on.
    assert client.delete(f"{AUTH}/mfa/totp/", **bearer(token)).status_code == 204
    assert client.delete(f"{AUTH}/mfa/totp/", **bearer(token)).status_code == 404
    assert mailoutbox == []


def test_an_account_without_an_address_gets_no_mail_and_no_task_stays(
    client: Client, user_factory: Any, clock: Any, mailoutbox: list[Any]
) -> None:
    from spa_auth.models import AccountTask

    user_factory(username="noaddress", email="")
    enable_totp(client, reauthenticated(client, clock, "noaddress"), clock)
    assert mailoutbox == [] and not AccountTask.objects.exists()


def test_a_mail_that_fails_is_sent_again_later(
    client: Client, user: Any, clock: Any, mailoutbox: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from spa_auth.internal.accounts import mail, tasks
    from spa_auth.models import AccountTask

    def down(*args: Any, **kwargs: Any) -> None:
        raise OSError("mail server down")

    with monkeypatch.context() as patched:
        patched.setattr(mail, "send", down)
        enable_totp(client, reauthenticated(client, clock), clock)
    assert mailoutbox == [] and AccountTask.objects.get(kind="mfa_changed").attempts == 1
    clock.advance(minutes=2)
    assert tasks.run_due() == 1
    assert "turned on" in mailoutbox[0].body and not AccountTask.objects.exists()


# The admin, the policy, and resetting.


@pytest.fixture
def staff(user: Any) -> Any:
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def admin_login(client: Client, password: str = PASSWORD, code: str = "") -> Any:
    client.get("/admin/login/")
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "alice", "password": password, "code": code, "next": "/admin/"},
    )


def test_the_admin_asks_an_account_with_mfa_for_its_code(
    staff: Any, with_totp: Any, clock: Any
) -> None:
    browser = Client()
    refused = admin_login(browser)
    assert (
        refused.status_code == 200
        and "Enter a valid authentication code." in refused.content.decode()
    )
    assert browser.get("/admin/").status_code == 302
    wrong = admin_login(browser, code="000000")
    assert "Enter a valid authentication code." in wrong.content.decode()
    done = admin_login(browser, code=code_at(with_totp["secret"], clock))
    assert (done.status_code, done["Location"]) == (302, "/admin/")
    assert browser.get("/admin/").status_code == 200


def test_the_admin_login_of_an_account_without_mfa_is_unchanged(staff: Any) -> None:
    browser = Client()
    assert admin_login(browser).status_code == 302


def test_staff_need_a_factor_under_the_policy(
    client: Client, staff: Any, settings: Any, clock: Any, mailoutbox: list[Any]
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "MFA_POLICY": "required_for_staff"}
    refused = admin_login(Client())
    assert "Staff accounts need a second factor" in refused.content.decode()
    token = login(client).json()["token"]
    assert client.get("/api/v1/users/", **bearer(token)).status_code == 403
    token = reauthenticated(client, clock)
    # The password alone does not set up the first factor: the mailed enrolment link does.
    refused = post(client, "mfa/totp/setup/", **bearer(token))
    assert (refused.status_code, refused.json()["code"]) == (403, "mfa_enrolment_required")
    assert post(client, "mfa/enrolment/", **bearer(token)).status_code == 202
    key = mailoutbox[-1].body.split("#key=")[1].split()[0]
    granted = post(client, "mfa/enrolment/confirm/", {"key": key}, **bearer(token))
    assert granted.status_code == 200, granted.content
    secret, _ = enable_totp(client, token, clock)
    clock.advance(seconds=30)
    pending = start_login(client)
    done = post(
        client,
        "mfa/authenticate/",
        {"mfa_token": pending["mfa_token"], "code": code_at(secret, clock)},
    )
    assert client.get("/api/v1/users/", **bearer(done.json()["token"])).status_code == 200


@pytest.fixture
def staff_policy(settings: Any) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "MFA_POLICY": "required_for_staff"}


@pytest.mark.parametrize("door", ["force_login", "password"])
def test_a_staff_session_from_another_door_needs_a_factor_under_the_policy(
    staff: Any, staff_policy: None, door: str
) -> None:
    """A Django session that did not come through the admin's form (a project's own
    LoginView, force_login): without a factor, neither the admin nor IsStaff lets it in."""
    browser = Client()
    if door == "force_login":
        browser.force_login(staff)
    else:
        assert browser.login(username="alice", password=PASSWORD)
    admin = browser.get("/admin/")
    assert (admin.status_code, admin["Location"]) == (302, "/admin/login/?next=/admin/")
    assert browser.get("/admin/auth/user/").status_code == 302
    assert browser.get("/api/v1/users/").status_code == 403


def test_a_staff_session_with_a_factor_is_let_in_under_the_policy(
    staff: Any, staff_policy: None, clock: Any
) -> None:
    from spa_auth.internal.mfa import services as mfa

    secret = mfa.begin_totp(staff)["secret"]
    mfa.confirm_totp(staff, code_at(secret, clock))
    browser = Client()
    browser.force_login(staff)
    assert browser.get("/admin/").status_code == 200
    assert browser.get("/api/v1/users/").status_code == 200


def test_a_staff_session_without_a_factor_is_let_in_under_the_default_policy(
    staff: Any,
) -> None:
    browser = Client()
    browser.force_login(staff)
    assert browser.get("/admin/").status_code == 200
    assert browser.get("/api/v1/users/").status_code == 200


def test_manage_py_mfa_reset(with_totp: Any, user: Any, client: Client) -> None:
    from django.core.management import call_command

    call_command("mfa_reset", "alice", stdout=__import__("io").StringIO())
    assert login(client).status_code == 200
    assert AuditEvent.objects.filter(kind="mfa_reset", user=user).exists()


def test_the_admin_action_resets_mfa(
    staff: Any, with_totp: Any, client: Client, clock: Any
) -> None:
    browser = Client()
    admin_login(browser, code=code_at(with_totp["secret"], clock))
    other = Client()
    response = browser.post(
        "/admin/auth/user/",
        {"action": "reset_mfa", "_selected_action": [staff.pk]},
    )
    assert response.status_code == 302
    assert login(other).status_code == 200
    assert AuditEvent.objects.filter(kind="mfa_reset", detail="by alice").exists()


def test_a_reset_of_the_factors_mails_the_owner(
    staff: Any, with_totp: Any, clock: Any, mailoutbox: list[Any]
) -> None:
    from django.core.management import call_command
    from spa_auth.internal.accounts import tasks

    browser = Client()
    admin_login(browser, code=code_at(with_totp["secret"], clock))
    browser.post("/admin/auth/user/", {"action": "reset_mfa", "_selected_action": [staff.pk]})
    assert len(mailoutbox) == 2 and mailoutbox[1].to == [staff.email]
    assert "Every second factor was turned off" in mailoutbox[1].body
    # The command sends its notice itself (no request follows it to do so); a user who
    # had no factor left is told nothing.
    enable_totp(Client(), reauthenticated(Client(), clock), clock)
    call_command("mfa_reset", "alice", stdout=__import__("io").StringIO())
    call_command("mfa_reset", "alice", stdout=__import__("io").StringIO())
    assert tasks.run_due() == 0
    # The sign-in from a new browser above was noticed too (test_devices.py).
    factor_mails = [m for m in mailoutbox if "new sign-in" not in m.subject]
    assert len(factor_mails) == 4 and "Every second factor" in factor_mails[3].body


def test_a_plain_model_backend_is_refused_by_a_check(settings: Any) -> None:
    from spa_auth.checks import check_integration

    settings.AUTHENTICATION_BACKENDS = [
        "spa_auth.backends.ThrottledModelBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert "spa_auth.E022" in [issue.id for issue in check_integration()]


def test_a_refused_second_factor_door_takes_a_wrong_passwords_time(
    with_totp: Any, rf: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a door that cannot ask for the code, the right password must not answer
    faster than a wrong one: both are padded to the same floor, and both count."""
    from django.contrib.auth import authenticate

    settings.SPA_AUTH = {**settings.SPA_AUTH, "LOGIN_FAILURE_FLOOR": 0.25}
    slept: list[float] = []
    monkeypatch.setattr("spa_auth.backends.sleep", slept.append)
    assert authenticate(rf.post("/x/"), username="alice", password=PASSWORD) is None
    assert authenticate(rf.post("/x/"), username="alice", password="wrong") is None
    assert len(slept) == 2 and all(0 < s <= 0.25 for s in slept)


def test_a_projects_own_view_can_ask_for_a_recent_authentication(
    user: Any, clock: Any, rf: Any
) -> None:
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.response import Response
    from rest_framework.views import APIView
    from spa_auth.permissions import RecentAuthentication

    class Sensitive(APIView):
        permission_classes = [IsAuthenticated, RecentAuthentication]

        def post(self, request: Any) -> Response:
            return Response({"ok": True})

    client = Client()
    login(client)
    token = stale_token(client, clock)
    request = rf.post("/sensitive/", {}, content_type="application/json", **bearer(token))
    response = Sensitive.as_view()(request)
    assert (response.status_code, response.data["code"]) == (401, "reauthentication_required")
    fresh = post(client, "reauthenticate/", {"password": PASSWORD}, **bearer(token)).json()["token"]
    request = rf.post("/sensitive/", {}, content_type="application/json", **bearer(fresh))
    assert Sensitive.as_view()(request).status_code == 200


def test_setting_up_again_keeps_the_working_secret(
    client: Client, with_totp: Any, clock: Any
) -> None:
    again = post(client, "mfa/totp/setup/", **bearer(with_totp["token"]))
    assert (again.status_code, again.json()["code"]) == (400, "totp_enabled")
    pending = start_login(client)
    code = code_at(with_totp["secret"], clock)
    assert (
        post(
            client, "mfa/authenticate/", {"mfa_token": pending["mfa_token"], "code": code}
        ).status_code
        == 200
    )


def test_no_factor_is_added_before_the_address_is_proven(
    client: Client, user: Any, clock: Any, settings: Any
) -> None:
    """Under optional verification an account may sign in before its address is proven;
    it may not plant a second factor (someone else's address, a later owner's reset)."""
    from spa_auth.models import AccountEmail

    settings.SPA_AUTH = {**settings.SPA_AUTH, "EMAIL_VERIFICATION": "optional"}
    AccountEmail.objects.create(user=user, address=user.email, verified_at=None)
    token = reauthenticated(client, clock)
    for path in ("mfa/totp/setup/", "mfa/webauthn/register/options/"):
        refused = post(client, path, **bearer(token))
        assert (refused.status_code, refused.json()["code"]) == (403, "email_unverified"), path
    AccountEmail.objects.filter(user=user).update(verified_at=clock())
    assert post(client, "mfa/totp/setup/", **bearer(token)).status_code == 200
