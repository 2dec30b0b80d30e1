"""The account and second-factor doors, tried by an attacker who holds one thing: a
password, a free account, a copy of a token, or a mailbox (or a mail scanner that opens
and renders every link in it). Each test does the attack over the request stack, and the
same request done by the rightful person as a positive control."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from spa_auth.models import AccountEmail, AccountKey, Challenge, Passkey

from ..conftest import PASSWORD, bearer, login, refresh_with_cookie
from ..test_mfa import claims_of, code_at, enable_totp, reauthenticated, stale_token
from ..test_passkeys import ORIGIN, authenticator
from ..test_passkeys import register as register_passkey

pytestmark = pytest.mark.django_db
AUTH = "/api/v1/auth"
ATTACKER_PASSWORD = "attacker-chosen-passphrase-9"


def post(client: Client, path: str, body: Any = None, **headers: Any) -> Any:
    return client.post(f"{AUTH}/{path}", body or {}, content_type="application/json", **headers)


def key_in(message: Any, path: str) -> str:
    found = re.search(rf"{path}#key=([A-Za-z0-9_-]+)", message.body)
    assert found, message.body
    return found.group(1)


def answer(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def sign_up(client: Client, username: str, email: str, password: str) -> None:
    body = {"username": username, "email": email, "password": password}
    assert post(client, "register/", body).status_code == 201


@pytest.fixture
def optional_verification(settings: Any) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "EMAIL_VERIFICATION": "optional"}


# Finding 1: a confirmation link gives the address to whoever asked for it.


def test_a_scanner_opening_a_sign_up_link_creates_no_account(
    client: Client, mailoutbox: list[Any]
) -> None:
    """The attacker signs up with the victim's address; the victim's mail scanner opens
    the link, and the page posts its key. Nothing is created, nothing is spent, and the
    answer names the account the key would make, for the person to decide."""
    sign_up(client, "mallory", "victim@example.com", ATTACKER_PASSWORD)
    key = key_in(mailoutbox[0], "/verify-email")
    opened = post(client, "email/verify/", {"key": key})
    assert answer(opened) == (400, "confirmation_required")
    assert opened.json()["action"] == "sign_up"
    assert opened.json()["username"] == "mallory"
    assert opened.json()["email"] == "victim@example.com"
    # The victim, clicking on, does not know the attacker's password.
    guessed = post(client, "email/verify/", {"key": key, "password": PASSWORD})
    assert answer(guessed) == (400, "password_incorrect")
    assert not get_user_model().objects.filter(username="mallory").exists()
    assert AccountKey.objects.get(purpose="sign_up").used_at is None
    # Positive control: the person who signed up, with the password they chose.
    done = post(client, "email/verify/", {"key": key, "password": ATTACKER_PASSWORD})
    assert answer(done) == (200, "email_verified")


def test_a_scanner_opening_a_verification_link_proves_no_address(
    client: Client, optional_verification: None, mailoutbox: list[Any]
) -> None:
    """Under optional verification the attacker's account exists at once with the
    victim's address, unproven; a scanner opening the link must not prove it, or the
    victim's later reset would not remove the attacker's factors."""
    sign_up(client, "mallory", "victim@example.com", ATTACKER_PASSWORD)
    key = key_in(mailoutbox[0], "/verify-email")
    opened = post(client, "email/verify/", {"key": key})
    assert answer(opened) == (400, "confirmation_required")
    assert opened.json()["action"] == "verify_email"
    assert AccountEmail.objects.get().verified_at is None
    assert AccountEmail.objects.get().verified_at is None
    wrong = post(client, "email/verify/", {"key": key, "password": PASSWORD})
    assert answer(wrong) == (400, "password_incorrect")
    assert AccountEmail.objects.get().verified_at is None
    done = post(client, "email/verify/", {"key": key, "password": ATTACKER_PASSWORD})
    assert answer(done) == (200, "email_verified")
    assert AccountEmail.objects.get().verified_at is not None


def test_an_email_change_link_opened_by_its_mailbox_moves_no_account(
    client: Client, user_factory: Any, mailoutbox: list[Any]
) -> None:
    """The attacker's account asks to move to the victim's address; the victim's scanner
    (or the victim) opens the link. The account stays where it was."""
    user_factory(username="mallory", email="mallory@attacker.example")
    token = login(client, "mallory").json()["token"]
    body = {"new_email": "victim@example.com", "password": PASSWORD}
    assert post(client, "email/change/", body, **bearer(token)).status_code == 202
    key = key_in(mailoutbox[-1], "/confirm-email")
    opened = post(client, "email/change/confirm/", {"key": key})
    assert answer(opened) == (400, "confirmation_required")
    assert opened.json() | {"detail": ""} == {
        "detail": "",
        "code": "confirmation_required",
        "action": "change_email",
        "username": "mallory",
        "email": "victim@example.com",
    }
    wrong = post(client, "email/change/confirm/", {"key": key, "password": "victim-guess-1"})
    assert answer(wrong) == (400, "password_incorrect")
    assert get_user_model().objects.get(username="mallory").email == "mallory@attacker.example"
    done = post(client, "email/change/confirm/", {"key": key, "password": PASSWORD})
    assert answer(done) == (200, "email_changed")


def test_wrong_passwords_at_a_confirmation_are_throttled(
    client: Client, user_factory: Any, mailoutbox: list[Any]
) -> None:
    """The mailbox's owner cannot guess the requester's password at speed: each wrong one
    counts against the client's address (a pending sign-up has no account whose login
    budget could count it), and an account's own password against that budget too."""
    sign_up(client, "mallory", "victim@example.com", ATTACKER_PASSWORD)
    key = key_in(mailoutbox[-1], "/verify-email")
    codes = [
        post(client, "email/verify/", {"key": key, "password": f"guess-{n}"}).json()["code"]
        for n in range(35)
    ]
    assert codes[0] == "password_incorrect" and codes[-1] == "throttled"
    # The right password from another address still works: only the guesser is held back.
    other = Client(REMOTE_ADDR="203.0.113.9")
    done = post(other, "email/verify/", {"key": key, "password": ATTACKER_PASSWORD})
    assert answer(done) == (200, "email_verified")


def test_resend_mails_nobody_elses_pending_sign_up(client: Client, mailoutbox: list[Any]) -> None:
    sign_up(client, "victim", "victim@example.com", PASSWORD)
    sign_up(Client(), "mallory", "victim@example.com", ATTACKER_PASSWORD)
    mailoutbox.clear()
    response = post(client, "email/verify/resend/", {"email": "victim@example.com"})
    assert response.status_code == 202
    assert mailoutbox == []


def test_a_reset_that_first_proves_an_address_removes_earlier_factors(
    client: Client, optional_verification: None, mailoutbox: list[Any], clock: Any
) -> None:
    """Even with the link unopened, whatever the attacker set up before the victim's reset
    does not survive it (and no factor is added to an unproven account in the first
    place: this is the second line)."""
    sign_up(client, "mallory", "victim@example.com", ATTACKER_PASSWORD)
    token = login(client, "mallory", ATTACKER_PASSWORD).json()["token"]
    clock.advance(seconds=1)
    again = post(client, "reauthenticate/", {"password": ATTACKER_PASSWORD}, **bearer(token))
    refused = post(client, "mfa/totp/setup/", **bearer(again.json()["token"]))
    assert answer(refused) == (403, "email_unverified")
    post(client, "password/reset/", {"email": "victim@example.com"})
    key = key_in(mailoutbox[-1], "/reset-password")
    reset = post(
        client, "password/reset/confirm/", {"key": key, "new_password": "victims-own-pass-7"}
    )
    assert reset.status_code == 204
    assert AccountEmail.objects.get().verified_at is not None


def test_without_verification_a_planted_factor_ends_at_the_owners_reset(
    client: Client, settings: Any, mailoutbox: list[Any], clock: Any
) -> None:
    """Under EMAIL_VERIFICATION = "none" the attacker's sign-up with the victim's address
    is an account at once, and may set up a factor; the victim's reset, the first proof of
    the address, removes it and ends the attacker's sessions."""
    settings.SPA_AUTH = {**settings.SPA_AUTH, "EMAIL_VERIFICATION": "none"}
    sign_up(client, "mallory", "victim@example.com", ATTACKER_PASSWORD)
    token = login(client, "mallory", ATTACKER_PASSWORD).json()["token"]
    clock.advance(seconds=1)
    again = post(client, "reauthenticate/", {"password": ATTACKER_PASSWORD}, **bearer(token))
    enable_totp(client, again.json()["token"], clock)
    assert answer(login(client, "mallory", ATTACKER_PASSWORD)) == (401, "mfa_required")
    post(client, "password/reset/", {"email": "victim@example.com"})
    key = key_in(mailoutbox[-1], "/reset-password")
    body = {"key": key, "new_password": "victims-own-pass-7"}
    assert post(client, "password/reset/confirm/", body).status_code == 204
    assert login(client, "mallory", "victims-own-pass-7").status_code == 200  # no factor left
    assert client.get("/api/v1/user/", **bearer(token)).status_code == 401


# Finding 2: under required_for_staff, the staff password alone enrols no factor.


@pytest.fixture
def staff_policy(settings: Any, user: Any) -> Any:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "MFA_POLICY": "required_for_staff"}
    settings.SPA_AUTH = {**settings.SPA_AUTH, "FRONTEND_URL": ORIGIN}
    user.is_staff = True
    user.save()
    return user


def test_a_staff_password_alone_cannot_enrol_the_first_factor(
    client: Client, staff_policy: Any, clock: Any
) -> None:
    token = reauthenticated(client, clock)
    totp = post(client, "mfa/totp/setup/", **bearer(token))
    assert answer(totp) == (403, "mfa_enrolment_required")
    passkey = post(client, "mfa/webauthn/register/options/", **bearer(token))
    assert answer(passkey) == (403, "mfa_enrolment_required")
    assert not Challenge.objects.filter(purpose="passkey_register").exists()


def test_an_enrolment_link_counts_for_its_owner_in_the_session_that_opened_it(
    client: Client, staff_policy: Any, clock: Any, mailoutbox: list[Any], user_factory: Any
) -> None:
    token = reauthenticated(client, clock)
    assert answer(post(client, "mfa/enrolment/", **bearer(token))) == (202, "enrolment_sent")
    [message] = mailoutbox
    assert message.to == [staff_policy.email]
    key = key_in(message, "/enrol-factor")
    # Another account cannot spend it, and a second session of the owner gains nothing.
    user_factory(username="mallory")
    other = login(Client(), "mallory").json()["token"]
    assert answer(post(client, "mfa/enrolment/confirm/", {"key": key}, **bearer(other))) == (
        400,
        "key_invalid",
    )
    granted = post(client, "mfa/enrolment/confirm/", {"key": key}, **bearer(token))
    assert answer(granted) == (200, "enrolment_granted")
    second = reauthenticated(Client(), clock)
    assert answer(post(Client(), "mfa/totp/setup/", **bearer(second))) == (
        403,
        "mfa_enrolment_required",
    )
    assert answer(post(client, "mfa/enrolment/confirm/", {"key": key}, **bearer(token))) == (
        400,
        "key_invalid",
    )
    enable_totp(client, token, clock)


def enrolled_session(client: Client, clock: Any, mailoutbox: list[Any]) -> str:
    """A re-authenticated staff session that asked for its enrolment link and opened it."""
    token = reauthenticated(client, clock)
    post(client, "mfa/enrolment/", **bearer(token))
    key = key_in(mailoutbox[-1], "/enrol-factor")
    granted = post(client, "mfa/enrolment/confirm/", {"key": key}, **bearer(token))
    assert granted.status_code == 200, granted.content
    return token


def test_an_enrolment_grant_runs_out(
    client: Client, staff_policy: Any, clock: Any, mailoutbox: list[Any]
) -> None:
    token = enrolled_session(client, clock, mailoutbox)
    clock.advance(minutes=14)
    token = post(client, "reauthenticate/", {"password": PASSWORD}, **bearer(fresh(client)))
    assert post(client, "mfa/totp/setup/", **bearer(token.json()["token"])).status_code == 200
    clock.advance(minutes=2)  # the grant's 15 minutes are over
    token = post(client, "reauthenticate/", {"password": PASSWORD}, **bearer(fresh(client)))
    refused = post(client, "mfa/totp/setup/", **bearer(token.json()["token"]))
    assert answer(refused) == (403, "mfa_enrolment_required")


def fresh(client: Client) -> str:
    """A new access token of this client's session, from its refresh cookie."""
    response = refresh_with_cookie(client)
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def test_no_enrolment_link_goes_to_an_unproven_address(
    client: Client,
    staff_policy: Any,
    optional_verification: None,
    clock: Any,
    mailoutbox: list[Any],
) -> None:
    AccountEmail.objects.create(user=staff_policy, address=staff_policy.email, verified_at=None)
    token = reauthenticated(client, clock)
    assert post(client, "mfa/enrolment/", **bearer(token)).status_code == 202
    assert mailoutbox == []


def test_an_operator_issues_an_enrolment_link(
    client: Client, staff_policy: Any, clock: Any, capsys: Any
) -> None:
    call_command("mfa_enrolment", staff_policy.username)
    link = capsys.readouterr().out.strip()
    assert link.startswith(f"{ORIGIN}/enrol-factor#key=")
    token = reauthenticated(client, clock)
    key = link.split("#key=")[1]
    assert post(client, "mfa/enrolment/confirm/", {"key": key}, **bearer(token)).status_code == 200
    assert post(client, "mfa/totp/setup/", **bearer(token)).status_code == 200


def test_a_staff_password_cannot_move_the_account_to_another_mailbox_first(
    client: Client, staff_policy: Any, clock: Any, mailoutbox: list[Any]
) -> None:
    """The chain: with the staff password, move the account to one's own address (the
    password confirms it), then have the enrolment link mailed there. The move is refused
    until the account has its first factor."""
    token = login(client).json()["token"]
    body = {"new_email": "mallory@attacker.example", "password": PASSWORD}
    refused = post(client, "email/change/", body, **bearer(token))
    assert answer(refused) == (403, "mfa_enrolment_required")
    assert mailoutbox == []
    # Positive control: once the owner has a factor, the address may change.
    token = reauthenticated(client, clock)
    post(client, "mfa/enrolment/", **bearer(token))
    key = key_in(mailoutbox[0], "/enrol-factor")
    post(client, "mfa/enrolment/confirm/", {"key": key}, **bearer(token))
    enable_totp(client, token, clock)
    assert post(client, "email/change/", body, **bearer(token)).status_code == 202


def test_an_email_change_asked_before_the_policy_is_not_confirmed_after_it(
    client: Client, user: Any, settings: Any, mailoutbox: list[Any]
) -> None:
    token = login(client).json()["token"]
    body = {"new_email": "mallory@attacker.example", "password": PASSWORD}
    assert post(client, "email/change/", body, **bearer(token)).status_code == 202
    key = key_in(mailoutbox[-1], "/confirm-email")
    user.is_staff = True
    user.save()
    settings.SPA_AUTH = {**settings.SPA_AUTH, "MFA_POLICY": "required_for_staff"}
    refused = post(client, "email/change/confirm/", {"key": key, "password": PASSWORD})
    assert answer(refused) == (403, "mfa_enrolment_required")
    assert get_user_model().objects.get(pk=user.pk).email == user.email


def test_an_account_that_needs_no_enrolment_is_told_so(
    client: Client, user: Any, clock: Any
) -> None:
    token = reauthenticated(client, clock)
    assert answer(post(client, "mfa/enrolment/", **bearer(token))) == (400, "enrolment_not_needed")
    assert post(client, "mfa/totp/setup/", **bearer(token)).status_code == 200


# Finding 3: the email-change notice tells nothing.


def test_the_current_address_hears_of_every_email_change_alike(
    client: Client, user: Any, user_factory: Any, mailoutbox: list[Any]
) -> None:
    user_factory(email="taken@example.com")
    token = login(client).json()["token"]
    notices = []
    for address in ("free@example.com", "taken@example.com"):
        mailoutbox.clear()
        body = {"new_email": address, "password": PASSWORD}
        assert post(client, "email/change/", body, **bearer(token)).status_code == 202
        [notice] = [m for m in mailoutbox if m.to == [user.email]]
        notices.append((notice.subject, notice.body))
    assert notices[0] == notices[1]


# Finding 4: an account with a factor re-authenticates with a factor.


@pytest.fixture
def totp_login(client: Client, user: Any, clock: Any) -> dict[str, Any]:
    secret, _ = enable_totp(client, reauthenticated(client, clock), clock)
    clock.advance(seconds=30)
    pending = login(client).json()
    done = post(
        client,
        "mfa/authenticate/",
        {"mfa_token": pending["mfa_token"], "code": code_at(secret, clock)},
    )
    assert done.status_code == 200, done.content
    clock.advance(seconds=30)
    return {"secret": secret, "token": done.json()["token"]}


def test_a_password_cannot_re_authenticate_an_account_with_a_factor(
    client: Client, totp_login: Any, clock: Any
) -> None:
    token = totp_login["token"]
    refused = post(client, "reauthenticate/", {"password": PASSWORD}, **bearer(token))
    assert answer(refused) == (400, "factor_required")
    challenge = post(client, "mfa/totp/setup/", **bearer(stale_token(client, clock)))
    assert answer(challenge) == (401, "reauthentication_required")
    assert "password" not in challenge.json()["methods"]
    # So a copied token and the password cannot take the factor off.
    assert (
        client.delete(f"{AUTH}/mfa/totp/", **bearer(stale_token(client, clock))).status_code == 401
    )


def test_the_amr_of_a_re_authentication_describes_that_proof(
    client: Client, totp_login: Any, clock: Any
) -> None:
    code = code_at(totp_login["secret"], clock)
    again = post(client, "reauthenticate/", {"code": code}, **bearer(totp_login["token"]))
    assert again.status_code == 200, again.content
    claims = claims_of(again.json()["token"])
    assert claims["amr"] == ["otp", "mfa"]  # no "pwd": the password was not asked again
    assert claims["auth_time"] == int(clock().timestamp())


def test_a_password_re_authentication_without_a_factor_says_pwd(
    client: Client, user: Any, clock: Any
) -> None:
    token = reauthenticated(client, clock)
    assert claims_of(token)["amr"] == ["pwd"]


def test_the_password_and_a_fresh_token_cannot_take_an_account_with_a_factor(
    client: Client, totp_login: Any, clock: Any, mailoutbox: list[Any]
) -> None:
    """The thief has the password and a copy of the token of the owner's fresh login
    (which passed the factor). Changing the password or the address, or deleting the
    account, would take it without the factor: each wants a re-authentication with it."""
    stolen = totp_login["token"]
    thief = Client()
    change = {"old_password": PASSWORD, "new_password": ATTACKER_PASSWORD}
    moved = {"new_email": "mallory@attacker.example", "password": PASSWORD}
    for response in (
        post(thief, "password/change/", change, **bearer(stolen)),
        post(thief, "email/change/", moved, **bearer(stolen)),
        thief.delete(
            f"{AUTH}/account/", {"password": PASSWORD}, "application/json", **bearer(stolen)
        ),
    ):
        assert answer(response) == (401, "reauthentication_required")
        assert response.json()["methods"] == ["totp", "recovery_code"]
    assert [m for m in mailoutbox if m.to == ["mallory@attacker.example"]] == []
    # Positive control: the owner, confirming with the code, may change the password.
    again = post(
        client, "reauthenticate/", {"code": code_at(totp_login["secret"], clock)}, **bearer(stolen)
    )
    changed = post(client, "password/change/", change, **bearer(again.json()["token"]))
    assert changed.status_code == 200, changed.content


@pytest.fixture
def staff_with_totp(
    client: Client, settings: Any, user: Any, totp_login: dict[str, Any]
) -> dict[str, Any]:
    """A staff account that set up TOTP before the policy, and a login that passed it."""
    user.is_staff = True
    user.save()
    settings.SPA_AUTH = {**settings.SPA_AUTH, "MFA_POLICY": "required_for_staff"}
    assert client.get("/api/v1/users/", **bearer(totp_login["token"])).status_code == 200
    return totp_login


def test_an_operators_reset_of_the_factors_ends_the_sessions(
    client: Client, staff_with_totp: Any, user: Any
) -> None:
    call_command("mfa_reset", user.username)
    refused = client.get("/api/v1/users/", **bearer(staff_with_totp["token"]))
    assert answer(refused) == (401, "session_revoked")


def test_a_staff_session_loses_its_powers_with_its_last_factor(
    client: Client, staff_with_totp: Any, clock: Any
) -> None:
    token = staff_with_totp["token"]
    code = code_at(staff_with_totp["secret"], clock)
    token = post(client, "reauthenticate/", {"code": code}, **bearer(token)).json()["token"]
    assert client.delete(f"{AUTH}/mfa/totp/", **bearer(token)).status_code == 204
    assert client.get(f"{AUTH}/sessions/", **bearer(token)).status_code == 200  # still signed in
    assert client.get("/api/v1/users/", **bearer(token)).status_code == 403


# Finding 5: the small doors.


def test_a_pending_second_step_dies_with_a_password_change(
    client: Client, totp_login: Any, user: Any, clock: Any
) -> None:
    pending = login(client).json()
    user.set_password("the-owners-new-passphrase-3")
    user.save()
    code = code_at(totp_login["secret"], clock)
    late = post(client, "mfa/authenticate/", {"mfa_token": pending["mfa_token"], "code": code})
    assert answer(late) == (401, "mfa_token_invalid")
    fresh = login(client, password="the-owners-new-passphrase-3").json()
    done = post(client, "mfa/authenticate/", {"mfa_token": fresh["mfa_token"], "code": code})
    assert done.status_code == 200


def test_an_email_change_key_opens_nothing_on_a_deactivated_account(
    client: Client, user: Any, mailoutbox: list[Any]
) -> None:
    token = login(client).json()["token"]
    post(
        client,
        "email/change/",
        {"new_email": "n@example.com", "password": PASSWORD},
        **bearer(token),
    )
    key = key_in(mailoutbox[-1], "/confirm-email")
    user.is_active = False
    user.save()
    refused = post(client, "email/change/confirm/", {"key": key, "password": PASSWORD})
    assert answer(refused) == (400, "key_invalid")
    user.is_active = True
    user.save()
    done = post(client, "email/change/confirm/", {"key": key, "password": PASSWORD})
    assert answer(done) == (200, "email_changed")


@pytest.fixture
def passkey_owner(client: Client, user: Any, clock: Any, settings: Any) -> dict[str, Any]:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "FRONTEND_URL": ORIGIN}
    token = reauthenticated(client, clock)
    key = authenticator()
    assert register_passkey(client, token, key).status_code == 201
    return {"token": token, "key": key}


def test_options_calls_in_a_loop_add_a_bounded_number_of_challenges(
    client: Client, passkey_owner: Any, clock: Any
) -> None:
    token = passkey_owner["token"]
    for _ in range(40):
        assert post(client, "reauthenticate/options/", **bearer(token)).status_code == 200
    assert Challenge.objects.filter(purpose="passkey_reauth").count() == 5
    mfa_token = login(client).json()["mfa_token"]
    for _ in range(40):
        post(client, "mfa/webauthn/authenticate/options/", {"mfa_token": mfa_token})
    assert Challenge.objects.filter(purpose="passkey_mfa").count() == 5
    # The newest options still work.
    options = post(client, "reauthenticate/options/", **bearer(token)).json()["options"]
    proof = passkey_owner["key"].assertion(options)
    assert (
        post(client, "reauthenticate/", {"credential": proof}, **bearer(token)).status_code == 200
    )


def test_a_passkey_name_is_one_line_in_the_owners_mail(
    client: Client, passkey_owner: Any, mailoutbox: list[Any]
) -> None:
    name = "Phone\n\nYour account is safe. Visit https://evil.example\u202e"
    response = register_passkey(client, passkey_owner["token"], authenticator(), name=name)
    assert response.status_code == 201, response.content
    stored = Passkey.objects.get(pk=response.json()["id"]).name
    assert stored == "Phone Your account is safe. Visit https://evil.example"
    line = next(line for line in mailoutbox[-1].body.splitlines() if "Phone" in line)
    assert "was added" in line


def test_an_expired_grant_and_pruned_keys_leave_no_rows(
    client: Client, staff_policy: Any, clock: Any, mailoutbox: list[Any]
) -> None:
    enrolled_session(client, clock, mailoutbox)
    clock.advance(days=4)
    call_command("prune_auth")
    assert not Challenge.objects.filter(purpose="factor_enrolment").exists()
    assert not AccountKey.objects.filter(purpose="enrol_factor").exists()
