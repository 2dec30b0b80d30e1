"""Passkeys over the request stack: registration, the login's second step, passwordless
login, step-up, rename and removal. A software authenticator (``soft_authenticator``)
answers the server's options as a browser would, and forges what a browser would not."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import cbor2
import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from spa_auth.internal.mfa import passkeys
from spa_auth.models import AccountEmail, AuditEvent, Challenge, Passkey, RecoveryCode

from .conftest import PASSWORD, bearer, login, refresh_with_cookie
from .soft_authenticator import SoftAuthenticator, b64url, unb64url

pytestmark = pytest.mark.django_db
AUTH = "/api/v1/auth"
ORIGIN, RP_ID = "https://app.example.com", "app.example.com"


@pytest.fixture(autouse=True)
def _relying_party(settings: Any) -> None:
    """The relying party as most deployments set it: from FRONTEND_URL alone."""
    settings.SPA_AUTH = {**settings.SPA_AUTH, "FRONTEND_URL": ORIGIN}


def post(client: Client, path: str, body: Any = None, **headers: Any) -> Any:
    return client.post(f"{AUTH}/{path}", body or {}, content_type="application/json", **headers)


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def authenticator(**kwargs: Any) -> SoftAuthenticator:
    return SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID, **kwargs)


def registration_options(client: Client, token: str) -> dict[str, Any]:
    response = post(client, "mfa/webauthn/register/options/", **bearer(token))
    assert response.status_code == 200, response.content
    return response.json()["options"]


def register(
    client: Client, token: str, key: SoftAuthenticator, name: str = "Laptop", **forged: Any
) -> Any:
    credential = key.register(registration_options(client, token), **forged)
    return post(
        client, "mfa/webauthn/register/", {"credential": credential, "name": name}, **bearer(token)
    )


def start_login(client: Client) -> dict[str, Any]:
    response = login(client)
    assert (response.status_code, response.json()["code"]) == (401, "mfa_required")
    return response.json()


def second_factor_options(client: Client, mfa_token: str) -> dict[str, Any]:
    response = post(client, "mfa/webauthn/authenticate/options/", {"mfa_token": mfa_token})
    assert response.status_code == 200, response.content
    return response.json()["options"]


def second_factor(client: Client, key: SoftAuthenticator, **forged: Any) -> Any:
    mfa_token = start_login(client)["mfa_token"]
    credential = key.assertion(second_factor_options(client, mfa_token), **forged)
    return post(
        client, "mfa/webauthn/authenticate/", {"mfa_token": mfa_token, "credential": credential}
    )


def login_options(client: Client) -> dict[str, Any]:
    response = post(client, "passkey/login/options/")
    assert response.status_code == 200, response.content
    return response.json()["options"]


def passwordless(client: Client, key: SoftAuthenticator, **forged: Any) -> Any:
    credential = key.assertion(login_options(client), **forged)
    return post(client, "passkey/login/", {"credential": credential})


def reauthenticated(client: Client, clock: Any, username: str = "alice") -> str:
    """A token that may change the second factors: a login, then, a second later, the
    password again (``reauthenticate/``); the login alone does not count."""
    token = login(client, username).json()["token"]
    clock.advance(seconds=1)
    response = post(client, "reauthenticate/", {"password": PASSWORD}, **bearer(token))
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def stale_token(client: Client, clock: Any) -> str:
    """An access token of this session, whose login is 11 minutes old."""
    clock.advance(minutes=11)
    response = refresh_with_cookie(client)
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


@pytest.fixture
def with_passkey(client: Client, user: Any, clock: Any) -> dict[str, Any]:
    token = reauthenticated(client, clock)
    key = authenticator()
    response = register(client, token, key)
    assert response.status_code == 201, response.content
    return {"token": token, "key": key, "id": response.json()["id"], "body": response.json()}


def error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


# Registration.


def test_registration_asks_for_a_discoverable_verified_credential_without_attestation(
    client: Client, user: Any, clock: Any
) -> None:
    options = registration_options(client, reauthenticated(client, clock))
    assert options["rp"] == {"id": RP_ID, "name": "spa-auth"}
    assert options["attestation"] == "none"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["user"]["name"] == "alice"
    assert options["excludeCredentials"] == []
    assert options["timeout"] == 300_000
    # The challenge is kept as a digest, with its bytes for the verifier.
    row = Challenge.objects.get(purpose=Challenge.Purpose.PASSKEY_REGISTER)
    assert row.user == user and bytes(row.challenge) == unb64url(options["challenge"])
    assert options["challenge"] not in row.digest


def keyed_digest(message: bytes, secret: str) -> bytes:
    """The user handle's salted_hmac, computed as Django's documentation describes it."""
    key = hashlib.sha256(f"spa_auth.passkeys.user-handle{secret}".encode()).digest()
    return hmac.new(key, message, hashlib.sha256).digest()


def test_the_user_handle_is_opaque_stable_and_32_bytes(
    client: Client, user_factory: Any, clock: Any
) -> None:
    alice, bob = user_factory(), user_factory()
    handle = unb64url(
        registration_options(client, reauthenticated(client, clock, alice.username))["user"]["id"]
    )
    # Django's salted_hmac of the primary key under SECRET_KEY, recomputed here by hand: no
    # personal data and not the key itself (WebAuthn §14.6.1), whatever the secret is.
    pk = str(alice.pk).encode()
    assert handle == keyed_digest(pk, django_settings.SECRET_KEY) and len(handle) == 32
    assert handle not in (pk, hashlib.sha256(pk).digest()) and handle != passkeys.user_handle(bob)
    again = registration_options(client, reauthenticated(client, clock, alice.username))
    assert unb64url(again["user"]["id"]) == handle
    with override_settings(SECRET_KEY="another-" + django_settings.SECRET_KEY):
        assert passkeys.user_handle(alice) != handle


def test_the_first_passkey_brings_recovery_codes_and_the_second_none(
    client: Client, user: Any, with_passkey: Any
) -> None:
    body = with_passkey["body"]
    assert set(body) == {"id", "name", "created", "last_used", "recovery_codes"}
    assert body["name"] == "Laptop" and body["last_used"] is None
    assert len(body["recovery_codes"]) == 10
    second = register(client, with_passkey["token"], authenticator(), name="  Phone  ")
    assert second.status_code == 201, second.content
    assert second.json()["recovery_codes"] == [] and second.json()["name"] == "Phone"
    assert Passkey.objects.filter(user=user).count() == 2
    stored = Passkey.objects.get(pk=body["id"])
    assert bytes(stored.credential_id) == with_passkey["key"].credential_id
    assert stored.transports == ["internal", "hybrid"] and stored.backed_up is False
    assert AuditEvent.objects.filter(kind="passkey_added", detail="Phone").exists()


def test_registration_excludes_the_users_existing_credentials(
    client: Client, with_passkey: Any
) -> None:
    options = registration_options(client, with_passkey["token"])
    assert [c["id"] for c in options["excludeCredentials"]] == [with_passkey["key"].id]


def test_the_same_credential_cannot_be_registered_twice(
    client: Client, with_passkey: Any, user_factory: Any, clock: Any
) -> None:
    again = register(client, with_passkey["token"], with_passkey["key"])
    assert error(again) == (400, "passkey_invalid")
    bob = user_factory()
    theirs = register(client, reauthenticated(client, clock, bob.username), with_passkey["key"])
    assert error(theirs) == (400, "passkey_invalid")


def test_registration_without_user_verification_is_refused(
    client: Client, user: Any, clock: Any
) -> None:
    token = reauthenticated(client, clock)
    assert error(register(client, token, authenticator(), user_verified=False)) == (
        400,
        "passkey_invalid",
    )
    assert not Passkey.objects.exists()


@pytest.mark.parametrize(
    "forged",
    [
        {"origin": "https://evil.example"},
        {"rp_id": "evil.example"},
        {"origin": "http://app.example.com"},
    ],
)
def test_a_registration_for_another_origin_or_rp_id_is_refused(
    client: Client, user: Any, forged: dict[str, str], clock: Any
) -> None:
    token = reauthenticated(client, clock)
    assert error(register(client, token, authenticator(), **forged)) == (400, "passkey_invalid")


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, None, 7])
def test_a_passkey_needs_a_name_of_1_to_64_characters(
    client: Client, user: Any, name: Any, clock: Any
) -> None:
    token = reauthenticated(client, clock)
    key = authenticator()
    credential = key.register(registration_options(client, token))
    response = post(
        client, "mfa/webauthn/register/", {"credential": credential, "name": name}, **bearer(token)
    )
    assert error(response) == (400, "invalid")
    assert "name" in response.json()["errors"]


def test_registering_needs_a_recent_authentication(client: Client, user: Any, clock: Any) -> None:
    login(client)
    token = stale_token(client, clock)
    response = post(client, "mfa/webauthn/register/options/", **bearer(token))
    assert error(response) == (401, "reauthentication_required")
    unsigned = post(client, "mfa/webauthn/register/options/")
    assert unsigned.status_code == 401


def test_a_fresh_login_alone_cannot_add_rename_or_remove_a_passkey(
    client: Client, with_passkey: Any, user_factory: Any, clock: Any
) -> None:
    """A copy of the access token of a login a minute old (no password) adds no passkey,
    which would outlive a password reset: a re-authentication after the login must come."""
    bob = user_factory()
    copied = login(client, bob.username).json()["token"]
    clock.advance(minutes=1)
    options = post(client, "mfa/webauthn/register/options/", **bearer(copied))
    assert error(options) == (401, "reauthentication_required")
    assert options["WWW-Authenticate"].startswith(
        'Bearer realm="api", error="insufficient_user_authentication"'
    )
    credential = authenticator().register(
        {"challenge": b64url(b"\x07" * 32), "user": {"id": b64url(b"\x01" * 32)}}
    )
    registered = post(
        client,
        "mfa/webauthn/register/",
        {"credential": credential, "name": "Mine"},
        **bearer(copied),
    )
    assert error(registered) == (401, "reauthentication_required")
    assert not Passkey.objects.filter(user=bob).exists()
    # Alice's own login, with her passkey as second factor, does not count either.
    mfa_token = start_login(client)["mfa_token"]
    done = post(
        client,
        "mfa/webauthn/authenticate/",
        {
            "mfa_token": mfa_token,
            "credential": with_passkey["key"].assertion(second_factor_options(client, mfa_token)),
        },
    )
    token = done.json()["token"]
    path = f"{AUTH}/mfa/webauthn/{with_passkey['id']}/"
    renamed = client.patch(path, {"name": "x"}, content_type="application/json", **bearer(token))
    assert error(renamed) == (401, "reauthentication_required")
    assert error(client.delete(path, **bearer(token))) == (401, "reauthentication_required")
    assert Passkey.objects.get().name == "Laptop"


def test_the_factors_overview_lists_the_passkeys(client: Client, with_passkey: Any) -> None:
    overview = client.get(f"{AUTH}/mfa/", **bearer(with_passkey["token"])).json()
    assert [p["name"] for p in overview["passkeys"]] == ["Laptop"]
    assert overview["recovery_codes"]["remaining"] == 10


# The relying party comes from settings.


def test_the_relying_party_ignores_the_request_host(
    client: Client, user: Any, settings: Any, clock: Any
) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    token = reauthenticated(client, clock)
    response = client.post(
        f"{AUTH}/mfa/webauthn/register/options/",
        {},
        content_type="application/json",
        HTTP_HOST="evil.example",
        **bearer(token),
    )
    assert response.json()["options"]["rp"]["id"] == RP_ID


def test_explicit_rp_settings_win_over_the_frontend_url(
    client: Client, user: Any, settings: Any, clock: Any
) -> None:
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "WEBAUTHN_RP_ID": "example.com",
        "WEBAUTHN_RP_NAME": "Example",
        "WEBAUTHN_ORIGINS": ["https://www.example.com"],
    }
    token = reauthenticated(client, clock)
    options = registration_options(client, token)
    assert options["rp"] == {"id": "example.com", "name": "Example"}
    key = SoftAuthenticator(origin="https://www.example.com", rp_id="example.com")
    ok = post(
        client,
        "mfa/webauthn/register/",
        {"credential": key.register(options), "name": "Key"},
        **bearer(token),
    )
    assert ok.status_code == 201
    # FRONTEND_URL's origin is no longer allowed once WEBAUTHN_ORIGINS is set.
    other = register(client, token, authenticator())
    assert error(other) == (400, "passkey_invalid")


def test_without_frontend_url_or_rp_id_passkeys_are_a_clear_503(
    client: Client, settings: Any
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "FRONTEND_URL": None}
    assert error(post(client, "passkey/login/options/")) == (503, "passkeys_not_configured")


def test_the_frontend_url_origin_drops_a_default_port(settings: Any) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "FRONTEND_URL": "https://App.example.com:443/app/"}
    rp = passkeys.relying_party()
    assert (rp.id, rp.origins) == ("app.example.com", ("https://app.example.com",))
    settings.SPA_AUTH = {**settings.SPA_AUTH, "FRONTEND_URL": "http://localhost:5173"}
    assert passkeys.relying_party().origins == ("http://localhost:5173",)


# The login's second step.


def test_end_to_end_two_passkeys_a_rename_and_a_second_step(
    client: Client, user: Any, with_passkey: Any
) -> None:
    token = with_passkey["token"]
    phone = authenticator()
    phone_id = register(client, token, phone, name="Phone").json()["id"]
    renamed = client.patch(
        f"{AUTH}/mfa/webauthn/{phone_id}/",
        {"name": " Work phone "},
        content_type="application/json",
        **bearer(token),
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Work phone"
    assert set(renamed.json()) == {"id", "name", "created", "last_used"}

    pending = start_login(client)
    assert "webauthn" in pending["methods"] and "token" not in pending
    options = second_factor_options(client, pending["mfa_token"])
    assert options["userVerification"] == "preferred"
    assert {c["id"] for c in options["allowCredentials"]} == {with_passkey["key"].id, phone.id}
    done = post(
        client,
        "mfa/webauthn/authenticate/",
        {"mfa_token": pending["mfa_token"], "credential": phone.assertion(options)},
    )
    assert done.status_code == 200, done.content
    assert set(done.json()) == {"token", "token_type", "expires_in", "user"}
    assert done.cookies["refresh_token"].value and done.cookies["refresh_token"]["httponly"]
    assert {"pwd", "hwk", "mfa"} <= set(claims_of(done.json()["token"])["amr"])
    used = Passkey.objects.get(pk=phone_id)
    assert used.last_used_at is not None and used.sign_count == 1
    assert AuditEvent.objects.filter(kind="mfa_login", detail__contains="hwk").exists()
    # The mfa_token is spent.
    again = post(
        client,
        "mfa/webauthn/authenticate/options/",
        {"mfa_token": pending["mfa_token"]},
    )
    assert error(again) == (401, "mfa_token_invalid")


def test_a_refused_assertion_is_401_code_invalid_and_spends_an_attempt(
    client: Client, with_passkey: Any
) -> None:
    mfa_token = start_login(client)["mfa_token"]
    options = second_factor_options(client, mfa_token)
    stranger = authenticator()  # a key the server never saw
    response = post(
        client,
        "mfa/webauthn/authenticate/",
        {"mfa_token": mfa_token, "credential": stranger.assertion(options)},
    )
    assert error(response) == (401, "code_invalid")
    assert Challenge.objects.get(purpose="mfa_login").attempts == 1
    assert AuditEvent.objects.filter(kind="mfa_failed").count() == 1


def test_five_refused_assertions_end_the_pending_login(client: Client, with_passkey: Any) -> None:
    mfa_token = start_login(client)["mfa_token"]
    for _ in range(5):
        options = second_factor_options(client, mfa_token)
        bad = with_passkey["key"].assertion(options, origin="https://evil.example")
        post(client, "mfa/webauthn/authenticate/", {"mfa_token": mfa_token, "credential": bad})
    response = post(client, "mfa/webauthn/authenticate/options/", {"mfa_token": mfa_token})
    assert error(response) == (401, "mfa_token_invalid")


def test_refused_assertions_spend_the_login_budget(
    client: Client, with_passkey: Any, settings: Any
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "LOGIN_FAILURES_PER_ACCOUNT": 2}
    for _ in range(2):
        assert error(second_factor(client, with_passkey["key"], rp_id="evil.example"))[1] == (
            "code_invalid"
        )
    assert error(login(client)) == (429, "throttled")


def test_a_second_factor_challenge_works_only_with_the_mfa_token_of_its_user(
    client: Client, with_passkey: Any, user_factory: Any, clock: Any
) -> None:
    bob = user_factory()
    bob_token = reauthenticated(client, clock, bob.username)
    bob_key = authenticator()
    assert register(client, bob_token, bob_key).status_code == 201
    alice_pending = start_login(client)["mfa_token"]
    bob_pending = login(client, bob.username).json()["mfa_token"]
    # Bob's challenge and key, sent with Alice's pending login.
    bob_options = second_factor_options(client, bob_pending)
    response = post(
        client,
        "mfa/webauthn/authenticate/",
        {"mfa_token": alice_pending, "credential": bob_key.assertion(bob_options)},
    )
    assert error(response) == (401, "code_invalid")
    # Alice's challenge answered by Bob's key, with Alice's token.
    alice_options = second_factor_options(client, alice_pending)
    response = post(
        client,
        "mfa/webauthn/authenticate/",
        {"mfa_token": alice_pending, "credential": bob_key.assertion(alice_options)},
    )
    assert error(response) == (401, "code_invalid")


def test_the_second_step_of_a_user_without_passkeys_is_a_clear_400(
    client: Client, user: Any
) -> None:
    from spa_auth.internal.login import second_step

    mfa_token = second_step.start_pending_login(user, ["pwd"])
    response = post(client, "mfa/webauthn/authenticate/options/", {"mfa_token": mfa_token})
    assert error(response) == (400, "no_passkey")


# Challenges: single use, short-lived, bound to their purpose.


def test_a_challenge_is_answered_once(client: Client, with_passkey: Any) -> None:
    key = with_passkey["key"]
    options = login_options(client)
    first = post(client, "passkey/login/", {"credential": key.assertion(options)})
    assert first.status_code == 200, first.content
    replay = post(client, "passkey/login/", {"credential": key.assertion(options)})
    assert error(replay) == (401, "code_invalid")


def test_a_failed_answer_spends_the_challenge_too(client: Client, with_passkey: Any) -> None:
    key = with_passkey["key"]
    options = login_options(client)
    wrong = post(
        client, "passkey/login/", {"credential": key.assertion(options, user_verified=False)}
    )
    assert error(wrong) == (401, "code_invalid")
    right = post(client, "passkey/login/", {"credential": key.assertion(options)})
    assert error(right) == (401, "code_invalid")


def test_an_expired_challenge_is_refused(client: Client, with_passkey: Any, clock: Any) -> None:
    options = login_options(client)
    clock.advance(minutes=5, seconds=1)
    late = post(client, "passkey/login/", {"credential": with_passkey["key"].assertion(options)})
    assert error(late) == (401, "code_invalid")


def test_a_challenge_of_another_purpose_is_refused(client: Client, with_passkey: Any) -> None:
    key, token = with_passkey["key"], with_passkey["token"]
    # A registration challenge cannot log in.
    registering = registration_options(client, token)
    as_login = post(client, "passkey/login/", {"credential": key.assertion(registering)})
    assert error(as_login) == (401, "code_invalid")
    # A passwordless-login challenge is no second factor, and no re-authentication.
    mfa_token = start_login(client)["mfa_token"]
    as_second = post(
        client,
        "mfa/webauthn/authenticate/",
        {"mfa_token": mfa_token, "credential": key.assertion(login_options(client))},
    )
    assert error(as_second) == (401, "code_invalid")
    as_reauth = post(
        client,
        "reauthenticate/",
        {"credential": key.assertion(login_options(client))},
        **bearer(token),
    )
    assert error(as_reauth) == (400, "passkey_invalid")
    # A second-factor challenge cannot log in alone.
    second = second_factor_options(client, start_login(client)["mfa_token"])
    alone = post(client, "passkey/login/", {"credential": key.assertion(second)})
    assert error(alone) == (401, "code_invalid")


@pytest.mark.parametrize(
    "forged",
    [
        {"origin": "https://evil.example"},
        {"origin": "https://app.example.com.evil.example"},
        {"rp_id": "evil.example"},
        {"rp_id": "example.com"},
    ],
)
def test_an_assertion_for_another_origin_or_rp_id_is_refused(
    client: Client, with_passkey: Any, forged: dict[str, str]
) -> None:
    key = with_passkey["key"]
    assert error(passwordless(client, key, **forged)) == (401, "code_invalid")
    assert error(second_factor(client, key, **forged)) == (401, "code_invalid")


def test_an_assertion_without_user_presence_is_refused(client: Client, with_passkey: Any) -> None:
    key = with_passkey["key"]
    assert error(second_factor(client, key, user_present=False)) == (401, "code_invalid")


def test_a_second_factor_may_skip_user_verification(client: Client, with_passkey: Any) -> None:
    response = second_factor(client, with_passkey["key"], user_verified=False)
    assert response.status_code == 200, response.content


# Passwordless login.


def test_passwordless_login(client: Client, user: Any, with_passkey: Any) -> None:
    options = login_options(client)
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    assert options["rpId"] == RP_ID
    response = post(
        client, "passkey/login/", {"credential": with_passkey["key"].assertion(options)}
    )
    assert response.status_code == 200, response.content
    assert response.json()["user"]["username"] == "alice"
    assert response.cookies["refresh_token"].value
    assert claims_of(response.json()["token"])["amr"] == ["hwk", "mfa"]
    assert Challenge.objects.get(purpose="passkey_login").user is None


def test_passwordless_login_needs_user_verification(client: Client, with_passkey: Any) -> None:
    response = passwordless(client, with_passkey["key"], user_verified=False)
    assert error(response) == (401, "code_invalid")


@pytest.mark.parametrize("handle", [None, b"", b"\x00" * 32])
def test_passwordless_login_needs_the_owners_user_handle(
    client: Client, with_passkey: Any, handle: bytes | None
) -> None:
    assert error(passwordless(client, with_passkey["key"], user_handle=handle)) == (
        401,
        "code_invalid",
    )


def test_an_inactive_user_cannot_log_in_with_a_passkey(
    client: Client, user: Any, with_passkey: Any
) -> None:
    user.is_active = False
    user.save()
    assert error(passwordless(client, with_passkey["key"])) == (401, "code_invalid")


def test_an_unverified_address_is_403_as_for_a_password_login(
    client: Client, user: Any, with_passkey: Any
) -> None:
    AccountEmail.objects.create(user=user, address=user.email, verified_at=None)
    assert error(passwordless(client, with_passkey["key"])) == (403, "email_unverified")


def test_passwordless_failures_are_throttled_per_address(
    client: Client, with_passkey: Any, settings: Any
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "LOGIN_FAILURES_PER_IP": 2}
    key = with_passkey["key"]
    for _ in range(2):
        assert error(passwordless(client, key, origin="https://evil.example"))[1] == "code_invalid"
    response = passwordless(client, key)
    assert error(response) == (429, "throttled") and int(response["Retry-After"]) > 0


def test_a_success_gives_its_place_in_the_budget_back(
    client: Client, with_passkey: Any, settings: Any
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "LOGIN_FAILURES_PER_IP": 2}
    for _ in range(4):
        assert passwordless(client, with_passkey["key"]).status_code == 200


# The sign counter.


def test_a_counter_that_does_not_increase_is_refused_and_audited(
    client: Client, with_passkey: Any
) -> None:
    key = with_passkey["key"]
    assert passwordless(client, key, sign_count=7).status_code == 200
    assert Passkey.objects.get().sign_count == 7
    for count in (7, 3):
        assert error(passwordless(client, key, sign_count=count)) == (401, "code_invalid")
    events = AuditEvent.objects.filter(kind="passkey_counter")
    assert events.count() == 2 and all("Laptop" in e.detail for e in events)
    assert Passkey.objects.get().sign_count == 7
    assert passwordless(client, key, sign_count=8).status_code == 200


def test_a_counter_cannot_fall_back_to_zero(client: Client, with_passkey: Any) -> None:
    key = with_passkey["key"]
    assert passwordless(client, key, sign_count=2).status_code == 200
    assert error(passwordless(client, key, sign_count=0)) == (401, "code_invalid")
    assert AuditEvent.objects.filter(kind="passkey_counter").exists()


def test_a_passkey_without_a_counter_keeps_it_at_zero(client: Client, with_passkey: Any) -> None:
    for _ in range(2):
        assert passwordless(client, with_passkey["key"], sign_count=0).status_code == 200
    assert not AuditEvent.objects.filter(kind="passkey_counter").exists()
    assert Passkey.objects.get().last_used_at is not None


# Rename, removal, step-up and re-authentication.


def test_only_your_own_passkeys_can_be_renamed_or_removed(
    client: Client, with_passkey: Any, user_factory: Any, clock: Any
) -> None:
    bob = user_factory()
    bob_token = reauthenticated(client, clock, bob.username)
    path = f"{AUTH}/mfa/webauthn/{with_passkey['id']}/"
    renamed = client.patch(
        path, {"name": "Mine"}, content_type="application/json", **bearer(bob_token)
    )
    assert error(renamed) == (404, "not_found")
    assert error(client.delete(path, **bearer(bob_token))) == (404, "not_found")
    missing = f"{AUTH}/mfa/webauthn/00000000-0000-0000-0000-000000000000/"
    assert client.delete(missing, **bearer(with_passkey["token"])).status_code == 404
    assert Passkey.objects.get().name == "Laptop"


def test_removing_the_last_factor_removes_the_recovery_codes(
    client: Client, user: Any, with_passkey: Any
) -> None:
    token = with_passkey["token"]
    phone_id = register(client, token, authenticator(), name="Phone").json()["id"]
    assert client.delete(f"{AUTH}/mfa/webauthn/{phone_id}/", **bearer(token)).status_code == 204
    assert RecoveryCode.objects.filter(user=user).count() == 10
    last = client.delete(f"{AUTH}/mfa/webauthn/{with_passkey['id']}/", **bearer(token))
    assert last.status_code == 204
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(kind="passkey_removed").count() == 2
    assert login(client).status_code == 200  # the password alone logs in again


def test_renaming_and_removing_need_a_recent_authentication_which_a_passkey_gives(
    client: Client, with_passkey: Any, clock: Any
) -> None:
    token = stale_token(client, clock)
    path = f"{AUTH}/mfa/webauthn/{with_passkey['id']}/"
    refused = client.delete(path, **bearer(token))
    assert error(refused) == (401, "reauthentication_required")
    assert "webauthn" in refused.json()["methods"]
    patch = client.patch(path, {"name": "x"}, content_type="application/json", **bearer(token))
    assert error(patch) == (401, "reauthentication_required")

    options = post(client, "reauthenticate/options/", **bearer(token))
    assert options.status_code == 200, options.content
    options_json = options.json()["options"]
    assert options_json["userVerification"] == "required"
    assert [c["id"] for c in options_json["allowCredentials"]] == [with_passkey["key"].id]
    fresh = post(
        client,
        "reauthenticate/",
        {"credential": with_passkey["key"].assertion(options_json)},
        **bearer(token),
    )
    assert fresh.status_code == 200, fresh.content
    new_token = fresh.json()["token"]
    assert claims_of(new_token)["auth_time"] == int(clock().timestamp())
    assert client.delete(path, **bearer(new_token)).status_code == 204


def test_adding_and_removing_a_passkey_mails_the_owner_with_its_name(
    client: Client, user: Any, with_passkey: Any, mailoutbox: list[Any]
) -> None:
    (added,) = mailoutbox  # one mail: the first recovery codes come with the passkey
    assert added.to == [user.email]
    assert "A passkey named “Laptop” was added." in added.body
    token = with_passkey["token"]
    phone_id = register(client, token, authenticator(), name="<b>Phone</b>").json()["id"]
    (html, _), *_ = mailoutbox[1].alternatives
    assert "&lt;b&gt;Phone&lt;/b&gt;" in html and "<b>Phone</b>" not in html
    path = f"{AUTH}/mfa/webauthn/{phone_id}/"
    client.patch(path, {"name": "Phone"}, content_type="application/json", **bearer(token))
    assert len(mailoutbox) == 2  # a new name changes no factor
    assert client.delete(path, **bearer(token)).status_code == 204
    assert len(mailoutbox) == 3
    assert "The passkey named “Phone” was removed." in mailoutbox[2].body


def test_a_refused_passkey_reauthentication_is_a_400(
    client: Client, with_passkey: Any, clock: Any
) -> None:
    token = stale_token(client, clock)
    options = post(client, "reauthenticate/options/", **bearer(token)).json()["options"]
    forged = with_passkey["key"].assertion(options, user_verified=False)
    response = post(client, "reauthenticate/", {"credential": forged}, **bearer(token))
    assert error(response) == (400, "passkey_invalid")
    junk = post(client, "reauthenticate/", {"credential": "junk"}, **bearer(token))
    assert error(junk) == (400, "passkey_invalid")


def test_reauthentication_options_need_a_signed_in_user_with_a_passkey(
    client: Client, user: Any
) -> None:
    assert post(client, "reauthenticate/options/").status_code == 401
    token = login(client).json()["token"]
    assert error(post(client, "reauthenticate/options/", **bearer(token))) == (400, "no_passkey")


# Bad input: a 400 with a stable code, never a 500.


def _valid_assertion_shape() -> dict[str, Any]:
    key = authenticator()
    key.user_handle = b"\x01" * 32
    return key.assertion({"challenge": b64url(b"\x00" * 32)})


MALFORMED = [
    "a string",
    ["a", "list"],
    {},
    {"id": 1, "rawId": "AAAA", "response": {}, "type": "public-key"},
    {"id": "AAAA", "rawId": "AAAA", "response": [], "type": "public-key"},
    {
        "id": "!!",
        "rawId": "!!",
        "type": "public-key",
        "response": {"clientDataJSON": "!!!", "authenticatorData": "@@", "signature": "**"},
    },
    {
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {
            "clientDataJSON": b64url(b"\xff\xfe"),
            "authenticatorData": "",
            "signature": "",
        },
    },
    {
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {
            "clientDataJSON": b64url(b'{"type": 1, "challenge": [1], "origin": null}'),
            "authenticatorData": "",
            "signature": "",
        },
    },
    {**_valid_assertion_shape(), "type": "password"},
    {**_valid_assertion_shape(), "authenticatorAttachment": "telepathy"},
    {
        **_valid_assertion_shape(),
        "response": {**_valid_assertion_shape()["response"], "userHandle": "é"},
    },
]


@pytest.mark.parametrize("credential", MALFORMED)
def test_a_malformed_assertion_is_a_clear_400(
    client: Client, with_passkey: Any, credential: Any
) -> None:
    for path, body in [
        ("passkey/login/", {"credential": credential}),
        (
            "mfa/webauthn/authenticate/",
            {"mfa_token": start_login(client)["mfa_token"], "credential": credential},
        ),
    ]:
        response = post(client, path, body)
        assert response.status_code == 400, (path, response.content)
        assert response.json()["code"] in {"invalid", "passkey_invalid"}


@pytest.mark.parametrize(
    "credential",
    [
        *MALFORMED,
        _valid_assertion_shape(),  # an assertion where an attestation belongs
        {
            "id": "AAAA",
            "rawId": "AAAA",
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(
                    b'{"type":"webauthn.create","challenge":"AAAA","origin":"x"}'
                ),
                "attestationObject": "AAAA",
            },
        },
    ],
)
def test_a_malformed_registration_is_a_clear_400(
    client: Client, user: Any, credential: Any, clock: Any
) -> None:
    token = reauthenticated(client, clock)
    response = post(
        client, "mfa/webauthn/register/", {"credential": credential, "name": "x"}, **bearer(token)
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] in {"invalid", "passkey_invalid"}


def test_a_registration_with_a_junk_attestation_object_is_a_clear_400(
    client: Client, user: Any, clock: Any
) -> None:
    token = reauthenticated(client, clock)
    credential = authenticator().register(registration_options(client, token))
    for junk in (b64url(b"\xa0"), b64url(b"\xff" * 10), b64url(bytes(37))):
        credential["response"]["attestationObject"] = junk
        response = post(
            client,
            "mfa/webauthn/register/",
            {"credential": credential, "name": "x"},
            **bearer(token),
        )
        assert error(response) == (400, "passkey_invalid")


def test_a_body_that_is_not_an_object_is_a_clear_400(client: Client) -> None:
    for path in ("passkey/login/options/", "passkey/login/", "mfa/webauthn/authenticate/"):
        response = client.post(f"{AUTH}/{path}", "[1]", content_type="application/json")
        assert response.status_code == 400, (path, response.content)


# Properties: whatever JSON arrives, the answer is a 4xx JSON problem or a success.


def bounded(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


TEXT = st.text(max_size=24)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
B64 = st.binary(max_size=80).map(b64url) | st.text("ABCabc019-_=+/!é ", max_size=40)
CLIENT_DATA = st.fixed_dictionaries(
    {"type": st.sampled_from(["webauthn.get", "webauthn.create"]) | JSON, "challenge": B64 | JSON},
    optional={"origin": st.just(ORIGIN) | JSON, "tokenBinding": JSON, "crossOrigin": JSON},
).map(lambda d: b64url(json.dumps(d).encode()))
MEMBER = JSON | B64
RESPONSE = st.fixed_dictionaries(
    {},
    optional={
        "clientDataJSON": CLIENT_DATA | MEMBER,
        "authenticatorData": MEMBER,
        "signature": MEMBER,
        "userHandle": MEMBER,
        "attestationObject": MEMBER,
        "transports": JSON,
    },
)
CREDENTIAL = JSON | st.fixed_dictionaries(
    {"type": st.just("public-key") | JSON},
    optional={
        "id": MEMBER,
        "rawId": MEMBER,
        "response": RESPONSE | JSON,
        "authenticatorAttachment": JSON,
    },
)
BODY = JSON | st.fixed_dictionaries({"credential": CREDENTIAL}, optional={"name": JSON | TEXT})


@pytest.fixture
def roomy(settings: Any) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "LOGIN_FAILURES_PER_IP": 10**9}


@bounded(150)
@given(body=BODY)
def test_no_json_makes_passkey_login_fail_with_a_5xx(
    client: Client, roomy: None, body: Any
) -> None:
    response = client.post(
        f"{AUTH}/passkey/login/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code < 500, response.content[:300]
    assert 200 <= response.status_code < 300 or isinstance(response.json().get("code"), str)


@pytest.fixture
def signed_in(client: Client, user: Any, clock: Any) -> str:
    """Once per test, not per example (Hypothesis runs function fixtures once)."""
    return str(reauthenticated(client, clock))


@bounded(150)
@given(body=BODY)
def test_no_json_makes_passkey_registration_fail_with_a_5xx(
    client: Client, signed_in: str, body: Any
) -> None:
    response = client.post(
        f"{AUTH}/mfa/webauthn/register/",
        json.dumps(body),
        content_type="application/json",
        **bearer(signed_in),
    )
    assert response.status_code < 500, response.content[:300]
    assert response.status_code == 400, response.content[:300]
    assert isinstance(response.json().get("code"), str)


# Near misses: a real response with one part replaced, and the challenge lookup patched
# to accept any challenge, so that the inputs reach py_webauthn's parsers and verifiers.

FIXED_CHALLENGE = b64url(b"\x07" * 32)
CBOR_JUNK = st.one_of(
    st.binary(max_size=120),
    st.dictionaries(
        st.sampled_from(["fmt", "attStmt", "authData", "x"]),
        st.sampled_from(["none", "packed", "tpm"]) | st.binary(max_size=80) | st.integers(),
        max_size=3,
    ).map(cbor2.dumps),
    st.binary(min_size=37, max_size=120).map(
        lambda auth: cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth})
    ),
).map(b64url)


@st.composite
def near_misses(draw: Any, valid: dict[str, Any]) -> dict[str, Any]:
    credential = json.loads(json.dumps(valid))
    for _ in range(draw(st.integers(min_value=1, max_value=2))):
        where = draw(st.sampled_from(["top", "response", "response", "flip"]))
        if where == "top":
            name = draw(st.sampled_from(["id", "rawId", "type", "authenticatorAttachment"]))
            credential[name] = draw(MEMBER)
        elif where == "response":
            name = draw(st.sampled_from(sorted(credential["response"])))
            if name == "attestationObject":
                value = draw(CBOR_JUNK | MEMBER)
            elif name == "clientDataJSON":
                value = draw(CLIENT_DATA | MEMBER)
            else:
                value = draw(MEMBER)
            credential["response"][name] = value
        else:  # one byte of a binary member changed
            name = draw(
                st.sampled_from(
                    [
                        n
                        for n in ("authenticatorData", "attestationObject", "signature")
                        if n in credential["response"]
                    ]
                )
            )
            try:
                raw = bytearray(unb64url(credential["response"][name]))
            except (TypeError, ValueError):  # replaced by a junk value above
                continue
            if raw:
                raw[draw(st.integers(0, len(raw) - 1))] ^= draw(st.integers(1, 255))
            credential["response"][name] = b64url(bytes(raw))
    return credential


@pytest.fixture
def any_challenge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "spa_auth.internal.mfa.passkeys._take_challenge", lambda challenge, purpose, user: challenge
    )


@pytest.fixture
def valid_assertion(with_passkey: Any) -> dict[str, Any]:
    """Made once: ECDSA signatures are random, and the examples must draw alike."""
    return with_passkey["key"].assertion({"challenge": FIXED_CHALLENGE}, sign_count=0)


@pytest.fixture
def valid_registration() -> dict[str, Any]:
    options = {"challenge": FIXED_CHALLENGE, "user": {"id": b64url(b"\x01" * 32)}}
    return authenticator().register(options)


@bounded(200)
@given(data=st.data())
def test_no_near_miss_of_an_assertion_makes_login_fail_with_a_5xx(
    client: Client, roomy: None, valid_assertion: Any, any_challenge: None, data: Any
) -> None:
    credential = data.draw(near_misses(valid_assertion))
    response = post(client, "passkey/login/", {"credential": credential})
    assert response.status_code < 500, response.content[:300]
    event(f"{response.status_code} {response.json().get('code')}")
    assert response.status_code in (200, 400, 401), response.content[:300]


@bounded(200)
@given(data=st.data())
def test_no_near_miss_of_a_registration_fails_with_a_5xx(
    client: Client, signed_in: str, valid_registration: Any, any_challenge: None, data: Any
) -> None:
    credential = data.draw(near_misses(valid_registration))
    response = post(
        client,
        "mfa/webauthn/register/",
        {"credential": credential, "name": "x"},
        **bearer(signed_in),
    )
    assert response.status_code < 500, response.content[:300]
    event(f"{response.status_code} {response.json().get('code')}")
    assert response.status_code in (201, 400), response.content[:300]
