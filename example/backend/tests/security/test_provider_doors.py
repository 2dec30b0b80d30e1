"""Signing in with a provider, attacked over HTTP: a fake provider on loopback answers
as told (lies included), and the server is reached through Django's HTTP stack.

Each test names the threat of docs/security.md (P1 to P14) that it proves.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from spa_auth.internal.providers import remote
from spa_auth.models import AccountEmail, AuditEvent, ProviderFlow, ProviderIdentity

from ..conftest import PASSWORD, bearer, login, refresh_with_cookie
from ..provider_fake import CLIENT_ID, FakeProvider

AUTH = "/api/v1/auth"
APP = "http://localhost:8000"


def begin(client: Client, provider: str = "fake", next_path: str = "/account") -> str:
    response = client.get(f"{AUTH}/providers/{provider}/login/", {"next": next_path})
    assert response.status_code == 302, response.content
    return str(response["Location"])


def come_back(client: Client, params: dict[str, str], provider: str = "fake") -> Any:
    return client.get(f"{AUTH}/providers/{provider}/callback/", params)


def person(sub: str = "person-1", **claims: Any) -> dict[str, Any]:
    return {"sub": sub, "email": f"{sub}@mail.example", "email_verified": True, **claims}


def sign_in(client: Client, fake: FakeProvider, provider: str = "fake", **claims: Any) -> Any:
    url = begin(client, provider)
    return come_back(client, fake.authorize(url, **(claims or person())), provider)


def landing(response: Any) -> tuple[str, dict[str, str]]:
    """Where a callback sends the browser: the app's path and query."""
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == APP
    return location.path, {k: v[0] for k, v in parse_qs(location.query).items()}


def signed_in(client: Client) -> dict[str, Any]:
    """The session the app restores on arrival, as on a reload."""
    response = refresh_with_cookie(client)
    assert response.status_code == 200, response.content
    return dict(response.json())


def error_of(response: Any) -> str | None:
    return landing(response)[1].get("provider_error")


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


# The happy path, which every refusal below departs from.


def test_a_first_sign_in_makes_an_account_and_a_session(
    db: None, client: Client, fake: Any
) -> None:
    response = sign_in(client, fake, **person("new-1", name="Ada Lovelace"))
    path, query = landing(response)
    assert (path, query) == ("/account", {})
    user = get_user_model().objects.get(email="new-1@mail.example")
    assert not user.has_usable_password() and user.first_name == "Ada"
    assert AccountEmail.objects.get(user=user).verified_at is not None
    token = signed_in(client)["token"]
    assert claims_of(token)["amr"] == ["fed"]
    sessions = client.get(f"{AUTH}/sessions/", **bearer(token)).json()
    assert [s["provider"] for s in sessions["results"]] == ["fake"]
    assert AuditEvent.objects.filter(kind="login", detail="fed fake").exists()
    # Its page offers "Set a password" (a mailed reset link), not "Change password".
    assert client.get(f"{AUTH}/account/", **bearer(token)).json() == {"has_password": False}


def test_with_sign_up_closed_a_provider_makes_no_account_but_known_ones_sign_in(
    db: None, client: Client, fake: Any, settings: Any
) -> None:
    landing(sign_in(client, fake, **person("known")))
    settings.SPA_AUTH = {**settings.SPA_AUTH, "SIGNUP_ENABLED": False}
    client.cookies.clear()
    assert error_of(sign_in(client, fake, **person("newcomer"))) == "signup_disabled"
    assert not get_user_model().objects.filter(email="newcomer@mail.example").exists()
    client.cookies.clear()
    assert landing(sign_in(client, fake, **person("known")))[1] == {}


# P1: login CSRF.


def test_a_callback_in_another_browser_signs_no_one_in(db: None, fake: Any) -> None:
    attacker, victim = Client(), Client()
    url = begin(attacker)
    params = fake.authorize(url, **person("attacker"))
    assert error_of(come_back(victim, params)) == "provider_state_invalid"
    assert "refresh_token" not in victim.cookies
    # The flow is spent: not even its own browser can finish it now.
    assert error_of(come_back(attacker, params)) == "provider_state_invalid"
    assert not get_user_model().objects.filter(email="attacker@mail.example").exists()


def test_the_flow_cookie_cannot_be_planted_by_a_sibling_subdomain(db: None, fake: Any) -> None:
    secure = Client()
    response = secure.get(f"{AUTH}/providers/fake/login/", secure=True)
    cookie = response.cookies["__Host-spa_auth_flow"]
    assert cookie["path"] == "/" and cookie["secure"] and cookie["httponly"]
    assert not cookie["domain"] and cookie["samesite"] == "Lax"
    # A cookie without the prefix, as a sibling subdomain could set, is not read.
    url = begin(secure)
    params = fake.authorize(url, **person("planted"))
    planted = Client()
    planted.cookies["spa_auth_flow"] = secure.cookies["__Host-spa_auth_flow"].value
    response = planted.get(f"{AUTH}/providers/fake/callback/", params, secure=True)
    assert error_of(response) == "provider_state_invalid"
    # On plain HTTP to a loopback host (development) the name has no prefix.
    local = Client(HTTP_HOST="localhost:8000")
    assert "spa_auth_flow" in local.get(f"{AUTH}/providers/fake/login/").cookies


# P2: forged, replayed, stale state.


def test_a_forged_state_is_refused(db: None, client: Client, fake: Any) -> None:
    url = begin(client)
    params = fake.authorize(url, **person())
    for state in ("A" * 43, "", "x", ["a"], params["state"] + "A"):
        response = come_back(client, {**params, "state": state})
        assert error_of(response) == "provider_state_invalid"
    assert ("POST", "/token") not in fake.requests  # no code was redeemed


def test_a_flow_is_spent_once_even_by_racing_callbacks(db: None, client: Client, fake: Any) -> None:
    from spa_auth.errors import ProviderStateError
    from spa_auth.internal.providers import flows

    url = begin(client)
    params = fake.authorize(url, **person())
    # Two callbacks that both read the live flow before either spends it.
    first, second = flows.live_flow(params["state"]), flows.live_flow(params["state"])
    assert first is not None and second is not None
    flows.take(first)
    with pytest.raises(ProviderStateError):
        flows.take(second)
    assert error_of(come_back(client, params)) == "provider_state_invalid"


def test_two_tabs_signing_in_at_once_each_finish_their_own_flow(
    db: None, client: Client, fake: Any
) -> None:
    first, second = begin(client), begin(client)
    one, two = fake.authorize(first, **person("tab-1")), fake.authorize(second, **person("tab-2"))
    assert landing(come_back(client, two))[1] == {}
    assert landing(come_back(client, one))[1] == {}
    assert ProviderIdentity.objects.count() == 2


def test_a_stale_flow_is_refused(db: None, client: Client, fake: Any, clock: Any) -> None:
    url = begin(client)
    params = fake.authorize(url, **person())
    clock.advance(minutes=10, seconds=1)
    assert error_of(come_back(client, params)) == "provider_state_invalid"


# P3: PKCE and a stolen code.


def test_the_authorization_request_carries_pkce_state_and_nonce(
    db: None, client: Client, fake: Any
) -> None:
    query = parse_qs(urlsplit(begin(client)).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) == 43 and len(query["nonce"][0]) == 43
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    flow = ProviderFlow.objects.get()
    # Only digests and the server's own secrets are stored; the browser holds none of them.
    assert query["state"][0] not in flow.digest
    assert flow.code_verifier not in json.dumps(dict(client.cookies.items()), default=str)


def test_a_stolen_code_is_useless_without_its_flow(db: None, fake: Any) -> None:
    victim, attacker = Client(), Client()
    stolen = fake.authorize(begin(victim), **person("victim"))
    own = fake.authorize(begin(attacker), **person("attacker"))
    # The victim's code with the attacker's own flow: the verifier does not match.
    response = come_back(attacker, {"code": stolen["code"], "state": own["state"]})
    assert error_of(response) == "provider_error"
    assert not ProviderIdentity.objects.exists()


# P4: forged ID tokens.


def _hs256_with_public_key(fake: FakeProvider) -> Any:
    from cryptography.hazmat.primitives import serialization

    public = fake.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def forge(body: dict[str, Any], header: dict[str, Any]) -> str:
        import hashlib
        import hmac

        def b64(raw: bytes) -> str:
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        signing = (
            b64(json.dumps({"alg": "HS256", **header}).encode())
            + "."
            + b64(json.dumps(body).encode())
        )
        mac = hmac.new(public, signing.encode(), hashlib.sha256).digest()
        return f"{signing}.{b64(mac)}"

    return forge


def _unsigned(body: dict[str, Any], header: dict[str, Any]) -> str:
    return jwt.encode(body, None, algorithm="none", headers=header)


def _other_key(body: dict[str, Any], header: dict[str, Any]) -> str:
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(body, key, algorithm="RS256", headers=header)


FORGERIES: dict[str, dict[str, Any]] = {
    "another audience": {"aud": "someone-else"},
    "another issuer": {"iss": "https://evil.example"},
    "another flow's nonce": {"nonce": "A" * 43},
    "no nonce": {"nonce": None},
    "expired": {"exp": 1_000_000_000, "iat": 999_999_000},
    "issued to another party": {"aud": [CLIENT_ID, "other"], "azp": "other"},
    "several audiences without azp": {"aud": [CLIENT_ID, "other"]},
    "a subject of the wrong type": {"sub": 12345},
}


@pytest.mark.parametrize(
    "forgery", [*FORGERIES, "alg none", "HS256 keyed with the public key", "another key"]
)
def test_an_id_token_that_fails_a_check_signs_no_one_in(
    db: None, client: Client, fake: Any, forgery: str
) -> None:
    if forgery in FORGERIES:
        overrides = FORGERIES[forgery]

        def forge(body: dict[str, Any], header: dict[str, Any]) -> str:
            body = {**body, **overrides}
            return jwt.encode(
                {k: v for k, v in body.items() if v is not None}, fake.key, "RS256", header
            )

        fake.forge = forge
    else:
        fake.forge = {
            "alg none": _unsigned,
            "HS256 keyed with the public key": _hs256_with_public_key(fake),
            "another key": _other_key,
        }[forgery]
    response = sign_in(client, fake)
    assert error_of(response) == "provider_error"
    assert "refresh_token" not in client.cookies
    assert not ProviderIdentity.objects.exists()
    # The control: the same sign-in with an honest token works.
    fake.forge = None
    assert landing(sign_in(client, fake))[1] == {}


# P5: nOAuth.


def test_a_returning_identity_with_a_new_address_signs_in_to_its_own_account(
    db: None, client: Client, fake: Any, user_factory: Any
) -> None:
    landing(sign_in(client, fake, **person("p5")))
    own = ProviderIdentity.objects.get().user
    victim = user_factory(email="victim@mail.example")
    client.cookies.clear()
    claims = person("p5", email="victim@mail.example")
    assert landing(sign_in(client, fake, **claims))[1] == {}
    token = signed_in(client)["token"]
    assert claims_of(token)["sub"] == str(own.pk) != str(victim.pk)
    own.refresh_from_db()
    assert own.email == "p5@mail.example"  # the claim did not move the account


def test_a_new_identity_with_a_known_address_signs_in_to_nothing(
    db: None, client: Client, fake: Any, user_factory: Any
) -> None:
    victim = user_factory(email="victim@mail.example")
    response = sign_in(client, fake, **person("stranger", email="Victim@Mail.Example"))
    assert error_of(response) == "provider_account_exists"
    assert not ProviderIdentity.objects.exists() and "refresh_token" not in client.cookies
    assert victim.auth_sessions.count() == 0


# P6: pre-account takeover, both ways.


@pytest.mark.parametrize("provider_says_verified", [True, False])
@pytest.mark.parametrize("account_proven", [True, False])
def test_no_identity_is_linked_to_an_account_by_its_address(
    db: None,
    client: Client,
    fake: Any,
    user_factory: Any,
    provider_says_verified: bool,
    account_proven: bool,
) -> None:
    account = user_factory(email="owner@mail.example")
    if not account_proven:
        AccountEmail.objects.create(user=account, address="owner@mail.example")
    claims = person("someone", email="owner@mail.example", email_verified=provider_says_verified)
    response = sign_in(client, fake, **claims)
    assert error_of(response) in ("provider_account_exists", "provider_email_unverified")
    assert error_of(response) == (
        "provider_account_exists" if provider_says_verified else "provider_email_unverified"
    )
    assert not ProviderIdentity.objects.exists()
    assert account.auth_sessions.count() == 0


# P7: addresses the provider did not prove.


@pytest.mark.parametrize(
    "claims",
    [
        {"email_verified": False},
        {"email_verified": "false"},
        {"email_verified": None},
        {"email_verified": 1},
        {"email": None},
        {"email": "not-an-address"},
    ],
)
def test_an_unproven_address_makes_no_account(
    db: None, client: Client, fake: Any, claims: dict[str, Any]
) -> None:
    body = {k: v for k, v in {**person("unproven"), **claims}.items() if v is not None}
    assert error_of(sign_in(client, fake, **body)) == "provider_email_unverified"
    assert not get_user_model().objects.exists()


def test_an_entra_address_is_trusted_only_with_xms_edov_or_an_allowed_tenant(
    db: None, client: Client, fake: Any
) -> None:
    def entra(sub: str, **claims: Any) -> Any:
        client.cookies.clear()
        return sign_in(client, fake, "entra", **person(sub, **{"tid": "some-tenant", **claims}))

    # email_verified is not Entra ID's word: its email claim is what a tenant admin typed.
    assert error_of(entra("e1")) == "provider_email_unverified"
    assert error_of(entra("e2", xms_edov=False)) == "provider_email_unverified"
    assert landing(entra("e3", xms_edov=True))[1] == {}
    assert landing(entra("e4", tid="trusted-tenant"))[1] == {}
    assert set(ProviderIdentity.objects.values_list("subject", flat=True)) == {"e3", "e4"}


def test_github_signs_in_with_its_verified_primary_address_only(
    db: None, client: Client, fake: Any
) -> None:
    def github(user_id: Any, emails: list[dict[str, Any]]) -> Any:
        client.cookies.clear()
        user = {"id": user_id, "login": f"octo{user_id}", "name": "Octo Cat"}
        return sign_in(client, fake, "github", github_user=user, github_emails=emails)

    unverified = [{"email": "octo@mail.example", "primary": True, "verified": False}]
    secondary = [
        {"email": "other@mail.example", "primary": True, "verified": False},
        {"email": "octo@mail.example", "primary": False, "verified": True},
    ]
    assert error_of(github(1, unverified)) == "provider_email_unverified"
    assert error_of(github(2, secondary)) == "provider_email_unverified"
    assert error_of(github("3", [])) == "provider_error"  # an id that is not a number
    verified = [{"email": "octo@mail.example", "primary": True, "verified": True}]
    assert landing(github(4, verified))[1] == {}
    identity = ProviderIdentity.objects.get()
    assert (identity.issuer, identity.subject) == ("https://github.com", "4")
    # A returning GitHub identity is found by its numeric id, whatever its login now.
    assert landing(github(4, unverified))[1] == {}
    assert ProviderIdentity.objects.count() == 1


# P8: open redirects, and nothing secret in the app's URL.


@pytest.mark.parametrize(
    "next_path",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/%09/evil.example",
        "/\t/evil.example",
        "",
    ],
)
def test_next_stays_on_the_apps_origin(db: None, client: Client, fake: Any, next_path: str) -> None:
    url = begin(client, next_path=next_path)
    response = come_back(client, fake.authorize(url, **person()))
    path, _query = landing(response)
    assert path == "/" or (path.startswith("/") and not path.startswith("//"))
    assert response["Location"].startswith(APP + "/")
    assert "evil" not in response["Location"] or next_path.startswith("/%09")


def test_the_app_gets_no_token_or_code_in_its_url(db: None, client: Client, fake: Any) -> None:
    url = begin(client, next_path="/account?tab=security")
    params = fake.authorize(url, **person())
    response = come_back(client, params)
    location = response["Location"]
    assert location == f"{APP}/account?tab=security"
    assert params["code"] not in location and params["state"] not in location
    assert response["Referrer-Policy"] == "no-referrer" and response["Cache-Control"] == "no-store"


# P9: the other doors' rules.


def test_a_provider_sign_in_still_asks_for_the_second_factor(
    db: None, client: Client, fake: Any, clock: Any
) -> None:
    from ..test_mfa import enable_totp, reauthenticated

    landing(sign_in(client, fake, **person("mfa-user")))
    user = ProviderIdentity.objects.get().user
    user.set_password(PASSWORD)
    user.save()
    client.cookies.clear()
    secret, _codes = enable_totp(client, reauthenticated(client, clock, user.username), clock)
    clock.advance(seconds=30)
    client.cookies.clear()
    response = sign_in(client, fake, **person("mfa-user"))
    path, query = landing(response)
    assert (path, query) == ("/login", {"provider_step": "mfa", "next": "/account"})
    assert "refresh_token" not in client.cookies
    pending = client.post(f"{AUTH}/providers/pending/", content_type="application/json")
    assert pending.status_code == 401 and pending.json()["code"] == "mfa_required"
    body = pending.json()
    assert body["methods"] == ["totp", "recovery_code"]
    # Read once: the cookie is gone.
    again = client.post(f"{AUTH}/providers/pending/", content_type="application/json")
    assert again.json()["code"] == "mfa_token_invalid"
    code = pyotp.TOTP(secret).at(clock().timestamp())
    finished = client.post(
        f"{AUTH}/mfa/authenticate/",
        {"mfa_token": body["mfa_token"], "code": code},
        content_type="application/json",
    )
    assert finished.status_code == 200, finished.content
    assert claims_of(finished.json()["token"])["amr"] == ["fed", "otp", "mfa"]
    sessions = client.get(f"{AUTH}/sessions/", **bearer(finished.json()["token"])).json()
    current = [s for s in sessions["results"] if s["current"]]
    assert [s["provider"] for s in current] == ["fake"]


def test_an_inactive_account_cannot_sign_in_with_a_provider(
    db: None, client: Client, fake: Any
) -> None:
    landing(sign_in(client, fake, **person("inactive")))
    user = ProviderIdentity.objects.get().user
    user.is_active = False
    user.save()
    client.cookies.clear()
    assert error_of(sign_in(client, fake, **person("inactive"))) == "account_inactive"
    assert "refresh_token" not in client.cookies


def test_failed_callbacks_spend_the_login_budget(
    db: None, client: Client, fake: Any, settings: Any
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "LOGIN_FAILURES_PER_IP": 3}
    fake.forge = _unsigned
    for _ in range(3):
        assert error_of(sign_in(client, fake)) == "provider_error"
    fake.forge = None
    assert error_of(sign_in(client, fake)) == "throttled"
    assert AuditEvent.objects.filter(kind="provider_login_failed").count() == 3
    # An honest sign-in from another address is not held back.
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert landing(sign_in(other, fake))[1] == {}


# P10, P11: connecting and disconnecting.


def _signed_in_flow(client: Client, token: str, provider: str, action: str) -> Any:
    """Begin a connection or a re-authentication from the security page."""
    return client.post(
        f"{AUTH}/providers/{provider}/{action}/",
        {"next": "/security"},
        content_type="application/json",
        **bearer(token),
    )


def _connect(client: Client, token: str, provider: str = "fake") -> Any:
    return _signed_in_flow(client, token, provider, "connect")


def test_connecting_needs_a_recent_authentication_and_is_mailed(
    db: None, client: Client, fake: Any, user: Any, clock: Any, mailoutbox: list[Any]
) -> None:
    token = login(client).json()["token"]
    clock.advance(minutes=11)
    stale = refresh_with_cookie(client).json()["token"]
    refused = _connect(client, stale)
    assert refused.status_code == 401 and refused.json()["code"] == "reauthentication_required"
    assert not ProviderFlow.objects.exists()
    fresh = client.post(
        f"{AUTH}/reauthenticate/",
        {"password": PASSWORD},
        content_type="application/json",
        **bearer(stale),
    ).json()["token"]
    started = _connect(client, fresh)
    assert started.status_code == 200, started.content
    params = fake.authorize(started.json()["authorization_url"], **person("connected"))
    path, query = landing(come_back(client, params))
    assert (path, query) == ("/security", {"provider_connected": "1"})
    identity = ProviderIdentity.objects.get()
    assert identity.user == user and token
    assert AuditEvent.objects.filter(kind="provider_connected", user=user).exists()
    assert mailoutbox[-1].to == [user.email] and "Fake" in mailoutbox[-1].body
    listed = client.get(f"{AUTH}/providers/identities/", **bearer(fresh)).json()
    assert [(i["provider"], i["email"]) for i in listed] == [("fake", "connected@mail.example")]
    # Now the provider signs in to this account.
    browser = Client()
    landing(sign_in(browser, fake, **person("connected")))
    assert claims_of(signed_in(browser)["token"])["sub"] == str(user.pk)


def test_an_identity_linked_to_another_account_cannot_be_connected(
    db: None, client: Client, fake: Any, user: Any, clock: Any
) -> None:
    from ..test_mfa import reauthenticated

    landing(sign_in(Client(), fake, **person("taken")))
    token = reauthenticated(client, clock)
    started = _connect(client, token)
    params = fake.authorize(started.json()["authorization_url"], **person("taken"))
    path, query = landing(come_back(client, params))
    assert (path, query) == ("/security", {"provider_error": "identity_in_use"})
    assert ProviderIdentity.objects.get().user != user


def test_the_last_way_in_cannot_be_disconnected(
    db: None, client: Client, fake: Any, mailoutbox: list[Any]
) -> None:
    landing(sign_in(client, fake, **person("only-way")))
    token = signed_in(client)["token"]
    identity = ProviderIdentity.objects.get()
    url = f"{AUTH}/providers/identities/{identity.pk}/"
    refused = client.delete(url, **bearer(token))
    assert refused.status_code == 400 and refused.json()["code"] == "last_way_in"
    assert ProviderIdentity.objects.exists()
    # With a second identity, the first can go; the second is then the last. Connecting
    # wants a re-authentication after the login: at the provider, for this account.
    token = stepped_up_at_the_provider(client, fake, token, "only-way")
    started = _connect(client, token, "github")
    user = {"id": 77, "login": "octo"}
    emails = [{"email": "o@mail.example", "primary": True, "verified": True}]
    params = fake.authorize(
        started.json()["authorization_url"], github_user=user, github_emails=emails
    )
    landing(come_back(client, params, "github"))
    assert client.delete(url, **bearer(token)).status_code == 204
    assert AuditEvent.objects.filter(kind="provider_disconnected").exists()
    assert "turned off" in mailoutbox[-1].body
    last = ProviderIdentity.objects.get()
    last_url = f"{AUTH}/providers/identities/{last.pk}/"
    assert client.delete(last_url, **bearer(token)).json()["code"] == "last_way_in"
    # With a password, the last identity can go too.
    last.user.set_password(PASSWORD)
    last.user.save()
    token = login(client, last.user.username).json()["token"]
    assert client.delete(last_url, **bearer(token)).status_code == 204


def stepped_up_at_the_provider(client: Client, fake: Any, token: str, who: str) -> str:
    """A token of this session re-authenticated at the provider just now."""
    url = _reauthenticate(client, token).json()["authorization_url"]
    params = fake.authorize(url, **person(who, auth_time=int(time.time())))
    assert landing(come_back(client, params))[1] == {"provider_reauthenticated": "1"}
    return str(signed_in(client)["token"])


def _reauthenticate(client: Client, token: str, provider: str = "fake") -> Any:
    return _signed_in_flow(client, token, provider, "reauthenticate")


def test_an_account_without_a_password_steps_up_at_its_provider(
    db: None, client: Client, fake: Any, clock: Any
) -> None:
    landing(sign_in(client, fake, **person("solo")))
    landing(sign_in(Client(), fake, **person("someone-else")))
    clock.advance(minutes=11)
    stale = refresh_with_cookie(client).json()["token"]
    refused = _connect(client, stale, "github")
    assert refused.status_code == 401 and refused.json()["methods"] == ["provider"]
    now = int(clock().timestamp())

    def step_up(who: str, auth_time: int) -> tuple[str, dict[str, str]]:
        url = _reauthenticate(client, stale).json()["authorization_url"]
        query = parse_qs(urlsplit(url).query)
        assert (query["prompt"], query["max_age"]) == (["login"], ["0"])
        return landing(come_back(client, fake.authorize(url, **person(who, auth_time=auth_time))))

    # A provider session from before the flow (prompt=login ignored) proves nothing now.
    assert step_up("solo", now - 60) == ("/security", {"provider_error": "provider_error"})
    # Another person's identity, even one with an account here, is not this account's.
    assert step_up("someone-else", now) == (
        "/security",
        {"provider_error": "identity_not_connected"},
    )
    assert step_up("solo", now) == ("/security", {"provider_reauthenticated": "1"})
    fresh = refresh_with_cookie(client).json()["token"]
    assert claims_of(fresh)["auth_time"] == now and claims_of(fresh)["amr"] == ["fed"]
    assert _connect(client, fresh, "github").status_code == 200


def test_an_account_with_a_second_factor_cannot_step_up_at_a_provider(
    db: None, client: Client, fake: Any, clock: Any, user: Any
) -> None:
    from ..test_mfa import enable_totp, reauthenticated

    token = reauthenticated(client, clock)
    enable_totp(client, token, clock)
    started = _connect(client, token)
    landing(come_back(client, fake.authorize(started.json()["authorization_url"], **person("f"))))
    assert ProviderIdentity.objects.get().user == user
    url = _reauthenticate(client, token).json()["authorization_url"]
    now = int(clock().timestamp())
    response = come_back(client, fake.authorize(url, **person("f", auth_time=now)))
    assert landing(response) == ("/security", {"provider_error": "factor_required"})


# P12: mix-up.


def test_a_callback_for_another_provider_is_refused(db: None, client: Client, fake: Any) -> None:
    url = begin(client, "fake")
    params = fake.authorize(url, **person())
    assert error_of(come_back(client, params, "entra")) == "provider_state_invalid"
    url = begin(client, "fake")
    params = fake.authorize(url, **person())
    response = come_back(client, {**params, "iss": "https://evil.example"})
    assert error_of(response) == "provider_state_invalid"
    assert not ProviderIdentity.objects.exists()


# P13: the redirect URI.


def test_the_redirect_uri_ignores_the_request_host(db: None, fake: Any, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    client = Client(HTTP_HOST="evil.example")
    query = parse_qs(urlsplit(begin(client)).query)
    assert query["redirect_uri"] == [f"{APP}{AUTH}/providers/fake/callback/"]
    settings.SPA_AUTH = {**settings.SPA_AUTH, "API_URL": "https://api.example.com"}
    query = parse_qs(urlsplit(begin(client)).query)
    assert query["redirect_uri"] == [f"https://api.example.com{AUTH}/providers/fake/callback/"]


# P14: filling the flow table.


def test_starting_flows_is_throttled(db: None, client: Client, fake: Any, settings: Any) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "ACCOUNT_REQUESTS_PER_IP": 5}
    for _ in range(5):
        begin(client)
    refused = client.get(f"{AUTH}/providers/fake/login/")
    assert refused.status_code == 302 and error_of(refused) == "throttled"
    assert ProviderFlow.objects.count() == 5


# P15: answers of the wrong shape.


@pytest.mark.parametrize(
    ("path", "answer", "code"),
    [
        ("/token", (200, b"<html>Sign in</html>"), "provider_error"),
        ("/token", [1, 2], "provider_error"),
        ("/token", {"access_token": 5, "id_token": "x"}, "provider_error"),
        ("/token", {"access_token": "a", "id_token": ["x"]}, "provider_error"),
        ("/token", (500, {"error": "server_error"}), "provider_unavailable"),
        ("/token", (200, b""), "provider_error"),
        ("/.well-known/openid-configuration", (200, b"[]"), "provider_error"),
        ("/jwks", {"keys": "none"}, "provider_error"),
        ("/jwks", {"keys": [{"kty": "RSA", "kid": "key-1", "n": 5}]}, "provider_error"),
    ],
)
def test_a_provider_that_answers_junk_gives_a_clean_error(
    db: None, client: Client, fake: Any, path: str, answer: Any, code: str
) -> None:
    url = begin(client)
    fake.answers[path] = answer
    remote.forget()
    response = come_back(client, fake.authorize(url, **person()))
    assert error_of(response) == code
    assert not ProviderIdentity.objects.exists()


def test_an_unreachable_provider_is_said_plainly(
    db: None, client: Client, fake: Any, settings: Any
) -> None:
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "PROVIDERS": [{**fake.config("down"), "issuer": "http://127.0.0.1:9"}],
    }
    response = client.get(f"{AUTH}/providers/down/login/")
    assert error_of(response) == "provider_unavailable"
    unknown = client.get(f"{AUTH}/providers/nope/login/")
    assert error_of(unknown) == "provider_unknown"
