"""Sign-in with a provider, attacked beside its main flow: connecting before the address
is proven, a copy of a fresh login's token, a connection that outlives its session,
GitHub Enterprise, other sites' images, form posts and answers of the wrong shape, names,
two providers of one issuer, the search for a username. Each test names the threat of
docs/security.md it proves; the last ones are doors that hold.

The fake provider of ``provider_fake`` answers as told; the server is reached through
Django's HTTP stack, with ``raise_request_exception=False`` where a 500 is the failure.
"""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from typing import Any

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from spa_auth.errors import ProviderError
from spa_auth.internal.providers import config, identity, remote
from spa_auth.models import ProviderFlow, ProviderIdentity

from ..conftest import PASSWORD, bearer, login
from ..provider_fake import CLIENT_ID, FakeProvider
from ..test_mfa import reauthenticated
from .test_provider_doors import (
    AUTH,
    begin,
    claims_of,
    come_back,
    error_of,
    landing,
    person,
    sign_in,
    signed_in,
)

ATTACKER_PASSWORD = "attacker-chosen-passphrase-9"


def post(client: Client, path: str, body: Any = None, **headers: Any) -> Any:
    return client.post(f"{AUTH}/{path}", body or {}, content_type="application/json", **headers)


def connect(client: Client, token: str, provider: str = "fake") -> Any:
    return post(client, f"providers/{provider}/connect/", {"next": "/security"}, **bearer(token))


def key_in(message: Any, path: str) -> str:
    found = re.search(rf"{path}#key=([A-Za-z0-9_-]+)", message.body)
    assert found, message.body
    return found.group(1)


# P18: pre-account takeover through a
# connected identity. The attacker signs up with the victim's address (an account at once),
# connects their own provider account, and waits: the victim's reset proves the address
# and removes factors and sessions (A1c), but not the attacker's identity.


@pytest.mark.parametrize("verification", ["optional", "none"])
def test_an_identity_connected_before_the_address_is_proven_dies_at_the_owners_reset(
    db: None,
    fake: FakeProvider,
    settings: Any,
    mailoutbox: list[Any],
    verification: str,
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "EMAIL_VERIFICATION": verification}
    attacker = Client()
    body = {"username": "mallory", "email": "victim@example.com", "password": ATTACKER_PASSWORD}
    assert post(attacker, "register/", body).status_code == 201
    token = login(attacker, "mallory", ATTACKER_PASSWORD).json()["token"]
    started = connect(attacker, token)
    if started.status_code == 200:  # the door P18's first fix closes
        params = fake.authorize(started.json()["authorization_url"], **person("mallory-idp"))
        landing(come_back(attacker, params))
    # The victim, told at sign-up that the address has an account, resets its password.
    victim = Client()
    post(victim, "password/reset/", {"email": "victim@example.com"})
    key = key_in(mailoutbox[-1], "/reset-password")
    confirmed = post(
        victim, "password/reset/confirm/", {"key": key, "new_password": "victims-own-pass-7"}
    )
    assert confirmed.status_code == 204
    account = get_user_model().objects.get(username="mallory")
    # The attacker comes back with their own provider account.
    later = Client()
    response = sign_in(later, fake, **person("mallory-idp"))
    if error_of(response) is None:
        assert claims_of(signed_in(later)["token"])["sub"] != str(account.pk), (
            "the attacker's provider identity still signs in to the victim's account"
        )
    assert not ProviderIdentity.objects.filter(user=account).exists()


# P19: a copy of a fresh login's token connects the thief's provider account, a way
# in that outlives a password reset, "log out everywhere" and an operator's mfa_reset;
# adding a passkey, which is the same kind of thing, needs a re-authentication (M7).


def test_a_fresh_login_token_alone_cannot_connect_a_provider(
    db: None, fake: FakeProvider, user: Any, clock: Any, mailoutbox: list[Any]
) -> None:
    owner = Client()
    copied = login(owner, "alice").json()["token"]  # minutes old: step-up is met
    thief = Client()
    started = connect(thief, copied)
    if started.status_code == 200:
        params = fake.authorize(started.json()["authorization_url"], **person("thief-idp"))
        landing(come_back(thief, params))
        # The owner does what the mail says: a new password, every session ended.
        token = reauthenticated(owner, clock)
        changed = post(
            owner,
            "password/change/",
            {"old_password": PASSWORD, "new_password": "a-brand-new-pass-5"},
            **bearer(token),
        )
        assert changed.status_code in (200, 204), changed.content
        post(owner, "logout_all/", **bearer(changed.json().get("token", token)))
        comeback = Client()
        landing(sign_in(comeback, fake, **person("thief-idp")))
        assert claims_of(signed_in(comeback)["token"])["sub"] == str(user.pk)
    assert started.status_code == 401, "a login's own token connected a provider"
    assert started.json()["code"] == "reauthentication_required"
    # Positive control: after a re-authentication the owner connects.
    assert connect(owner, reauthenticated(owner, clock)).status_code == 200


def test_a_connected_identity_does_not_wear_an_address_its_provider_did_not_prove(
    db: None, fake: FakeProvider, user: Any, clock: Any, mailoutbox: list[Any]
) -> None:
    """The thief of P19 connects an Entra account whose unproven ``email`` claim is the
    owner's own address: the mail and the account page then show the owner their own
    address, and the connection looks like theirs."""
    client = Client()
    started = connect(client, reauthenticated(client, clock), "entra")
    claims = person("thief-entra", email=user.email, tid="attacker-tenant")  # no xms_edov
    landing(
        come_back(client, fake.authorize(started.json()["authorization_url"], **claims), "entra")
    )
    assert ProviderIdentity.objects.get().user == user
    assert user.email not in mailoutbox[-1].body, "the mail shows an address no one proved"
    assert ProviderIdentity.objects.get().email != user.email


# P20: a connection begun by a session goes on after that session is ended; with
# P19, a thief's flow outlives the owner's "log out everywhere".


def test_a_connection_dies_with_the_session_that_began_it(
    db: None, fake: FakeProvider, user: Any, clock: Any
) -> None:
    client = Client()
    token = reauthenticated(client, clock)
    started = connect(client, token)
    assert started.status_code == 200, started.content
    params = fake.authorize(started.json()["authorization_url"], **person("late-idp"))
    assert post(client, "logout_all/", **bearer(token)).status_code == 204
    response = come_back(client, params)
    assert error_of(response) is not None, "a connection finished after its session ended"
    assert not ProviderIdentity.objects.exists()


# P21: a GitHub Enterprise server configured with
# the github preset keeps the preset's issuer, https://github.com, so its user 4 is
# github.com's user 4.


GHE = {
    "id": "ghe",
    "name": "GitHub Enterprise",
    "kind": "github",
    "client_id": "c",
    "client_secret": "s",
    "authorization_endpoint": "https://ghe.corp.example/login/oauth/authorize",
    "token_endpoint": "https://ghe.corp.example/login/oauth/access_token",
    "userinfo_endpoint": "https://ghe.corp.example/api/v3/user",
    "emails_endpoint": "https://ghe.corp.example/api/v3/user/emails",
}


def test_a_github_enterprise_server_is_not_github_com() -> None:
    try:
        parsed = config.parse([GHE])
    except ImproperlyConfigured:
        return  # the fix that asks for the issuer
    assert parsed["ghe"].issuer != "https://github.com"


def test_an_enterprise_user_does_not_sign_in_as_the_github_com_user_of_the_same_id(
    db: None, fake: FakeProvider, settings: Any
) -> None:
    github = {**fake.github_config("github"), "issuer": "https://github.com"}
    # Set up as GHE above: the preset's kind, the server's own endpoints, no issuer.
    ghe = {k: v for k, v in fake.github_config("ghe").items() if k != "issuer"}
    try:
        config.parse([github, ghe])
    except ImproperlyConfigured:
        return
    settings.SPA_AUTH = {**settings.SPA_AUTH, "PROVIDERS": [github, ghe]}
    verified = [{"email": "octo@mail.example", "primary": True, "verified": True}]
    first = Client()
    landing(
        sign_in(first, fake, "github", github_user={"id": 4, "login": "a"}, github_emails=verified)
    )
    owner = ProviderIdentity.objects.get().user
    stranger = Client()
    other = [{"email": "someone@corp.example", "primary": True, "verified": True}]
    response = sign_in(
        stranger, fake, "ghe", github_user={"id": 4, "login": "b"}, github_emails=other
    )
    if error_of(response) is None:
        assert claims_of(signed_in(stranger)["token"])["sub"] != str(owner.pk), (
            "GHE user 4 signed in to github.com user 4's account"
        )


# P22: any site spends a visitor's login budget (shared with password logins)
# and start budget with images: the callback and the start are GETs that count failures
# whatever the browser fetched them for.

IMAGE = {
    "HTTP_SEC_FETCH_SITE": "cross-site",
    "HTTP_SEC_FETCH_MODE": "no-cors",
    "HTTP_SEC_FETCH_DEST": "image",
}


def test_images_on_another_site_cannot_lock_the_visitor_out_of_password_login(
    db: None, fake: FakeProvider, user: Any, settings: Any
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "LOGIN_FAILURES_PER_IP": 3}
    visitor = Client()
    for n in range(3):
        visitor.get(
            f"{AUTH}/providers/fake/callback/", {"state": f"{n}" * 43, "code": "x"}, **IMAGE
        )
    response = login(visitor, "alice")
    assert response.status_code == 200, f"locked out by another site's images: {response.content!r}"


def test_images_on_another_site_cannot_spend_the_visitors_sign_in_starts(
    db: None, fake: FakeProvider, settings: Any
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "ACCOUNT_REQUESTS_PER_IP": 3}
    visitor = Client()
    for _ in range(3):
        visitor.get(f"{AUTH}/providers/fake/login/", **IMAGE)
    assert ProviderFlow.objects.count() == 0, "an image began sign-in flows"
    # The visitor's own sign-in, a navigation, still begins.
    begun = visitor.get(f"{AUTH}/providers/fake/login/")
    assert begun.status_code == 302 and begun["Location"].startswith(fake.issuer), begun["Location"]


# P23: the form-post callback parses the ``user`` field of any provider's POST,
# before and without any flow: nesting is a RecursionError (a 500 on every database); a
# NUL or a lone surrogate is a 500 on PostgreSQL (jsonb refuses them).


@pytest.mark.parametrize("user_field", ["[" * 5000, '{"":' * 2000])
def test_a_form_post_of_any_shape_is_a_redirect_never_a_500(
    db: None, fake: FakeProvider, user_field: str
) -> None:
    anyone = Client(raise_request_exception=False)
    response = anyone.post(
        f"{AUTH}/providers/fake/callback/", {"state": "A" * 43, "code": "c", "user": user_field}
    )
    assert response.status_code == 303, response.status_code


# P15: an ID token with a header member or claim of the wrong JSON type is a 500, not
# provider_error (P15; threat 3 for the server's own tokens).


def _raw_token(header: dict[str, Any], body: dict[str, Any]) -> str:
    def b64(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{b64(header)}.{b64(body)}.{base64.urlsafe_b64encode(b'x' * 256).rstrip(b'=').decode()}"


@pytest.mark.parametrize("alg", [["RS256"], {"RS256": 1}])
def test_an_id_token_header_of_the_wrong_type_is_a_provider_error(
    db: None, fake: FakeProvider, alg: Any
) -> None:
    fake.forge = lambda body, header: _raw_token({**header, "alg": alg}, body)
    client = Client(raise_request_exception=False)
    response = sign_in(client, fake)
    assert response.status_code == 302, response.status_code
    assert error_of(response) == "provider_error"


def test_an_entra_tenant_of_the_wrong_type_is_a_provider_error(
    db: None, fake: FakeProvider
) -> None:
    client = Client(raise_request_exception=False)
    response = sign_in(client, fake, "entra", **person("e-list", tid=["trusted-tenant"]))
    assert response.status_code == 302, response.status_code
    assert error_of(response) == "provider_email_unverified"


def test_a_github_id_past_the_subject_column_is_refused() -> None:
    github = config.Provider("g", "G", "github", "https://github.com", CLIENT_ID, "s")
    try:
        found = identity.from_github(github, {"id": 10**300}, [])
    except ProviderError:
        return
    assert len(found.subject) <= 255, "a 301-digit subject: a DataError (500) on PostgreSQL"


# P14: connecting is not throttled: a free account with a fresh token fills the flow
# table in a loop (P14 throttles the sign-in start only).


def test_connection_starts_are_throttled(
    db: None, fake: FakeProvider, user: Any, clock: Any, settings: Any
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "ACCOUNT_REQUESTS_PER_IP": 5}
    client = Client()
    token = reauthenticated(client, clock)
    statuses = [connect(client, token).status_code for _ in range(12)]
    assert 429 in statuses, statuses
    assert ProviderFlow.objects.count() <= 5


# P24: a name from the provider (the ID token's name, Apple's form field) is stored
# with its control and bidirectional characters, which M20 keeps out of passkey names.


def test_a_name_from_the_provider_is_one_plain_line(db: None, fake: FakeProvider) -> None:
    client = Client()
    name = "Ada\u202eecalp\n\nYour account is safe\u200b"
    landing(sign_in(client, fake, **person("named", name=name)))
    account = ProviderIdentity.objects.get().user
    for value in (account.first_name, account.last_name):
        odd = [c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
        assert not odd, f"{value!r} keeps {odd!r}"


# P25: discovery is cached by issuer for every provider of that issuer, with the
# first provider's own endpoints: the second sends its code and client secret there.


def test_two_providers_of_one_issuer_keep_their_own_endpoints(
    db: None, fake: FakeProvider, settings: Any
) -> None:
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "PROVIDERS": [
            fake.config("fake"),
            fake.config("proxied", token_endpoint=f"{fake.issuer}/elsewhere"),
        ],
    }
    begin(Client(), "proxied")  # discovery is read for "proxied" first
    client = Client()
    response = sign_in(client, fake)
    assert ("POST", "/elsewhere") not in fake.requests, "fake's code went to proxied's endpoint"
    assert error_of(response) is None


# P13: endpoints named by an HTTPS provider's discovery document may be plain HTTP to
# a loopback host (a request to a local service from the server, in production).


def test_discovery_of_an_https_issuer_cannot_point_at_loopback() -> None:
    provider = config.Provider("p", "P", "oidc", "https://id.example", CLIENT_ID, "s")
    document = {
        "issuer": "https://id.example",
        "authorization_endpoint": "https://id.example/a",
        "token_endpoint": "https://id.example/t",
        "jwks_uri": "http://127.0.0.1:6379/",
    }
    with pytest.raises(ProviderError):
        remote.parse_metadata(document, provider)


# P26: the search for a free username has no bound: an attacker who holds the base
# and the suffixes (sign-ups are cheap) makes every later provider sign-up with that local
# part spin a worker forever. The random suffix is pinned here to make the loop visible.


def test_the_search_for_a_free_username_ends(
    db: None, fake: FakeProvider, user_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import secrets as real_secrets

    from spa_auth.internal.providers import links

    calls = [0]

    class Pinned:
        def __getattr__(self, name: str) -> Any:
            return getattr(real_secrets, name)

        def randbelow(self, n: int) -> int:
            calls[0] += 1
            if calls[0] > 500:
                raise RuntimeError("still looking for a free username")
            return 7

    monkeypatch.setattr(links, "secrets", Pinned())
    user_factory(username="loop", email="a@example.com")
    user_factory(username="loop-0007", email="b@example.com")
    client = Client(raise_request_exception=False)
    response = sign_in(client, fake, **person("loopy", email="loop@mail.example"))
    assert response.status_code == 302, response.status_code
    assert calls[0] <= 100


# Doors that hold.


def test_holds_a_connection_finished_in_another_browser_connects_nothing(
    db: None, fake: FakeProvider, user: Any, clock: Any, user_factory: Any
) -> None:
    """An attacker begins a connection to their own account and gets the victim to open
    the authorization URL: the victim's browser lacks the flow cookie."""
    user_factory(username="mallory")
    attacker = Client()
    token = reauthenticated(attacker, clock, "mallory")
    url = connect(attacker, token).json()["authorization_url"]
    victim = Client()
    params = fake.authorize(url, **person("victim-idp"))
    assert error_of(come_back(victim, params)) == "provider_state_invalid"
    assert not ProviderIdentity.objects.exists()
    assert error_of(come_back(attacker, params)) == "provider_state_invalid"  # spent


def test_holds_a_nonce_of_another_type_or_a_second_audience_signs_no_one_in(
    db: None, fake: FakeProvider
) -> None:
    for overrides in (
        {"nonce": ["x"]},
        {"nonce": 5},
        {"aud": [CLIENT_ID, "other"], "azp": CLIENT_ID, "iat": 4_000_000_000},
        {"aud": []},
    ):
        fake.forge = lambda body, header, o=overrides: jwt.encode(
            {**body, **o}, fake.key, "RS256", header
        )
        client = Client()
        assert error_of(sign_in(client, fake)) == "provider_error", overrides
    assert not ProviderIdentity.objects.exists()


def test_holds_the_pending_second_step_cannot_be_read_from_another_site(
    db: None, fake: FakeProvider
) -> None:
    client = Client()
    client.cookies["spa_auth_pending"] = "whatever"
    for headers in (
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_ORIGIN": "https://evil.example"},
    ):
        response = client.post(
            f"{AUTH}/providers/pending/", content_type="application/json", **headers
        )
        assert response.status_code == 403
    assert client.cookies["spa_auth_pending"].value == "whatever"  # not spent either
