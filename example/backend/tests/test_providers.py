"""Sign-in providers: their configuration, the parsers of their answers, the key set's
cache, the presets' quirks (Apple's form post), the list the app shows, and the schema.
The attacks are in ``security/test_provider_doors.py``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from spa_auth.errors import ProviderError
from spa_auth.internal.providers import config, identity, remote
from spa_auth.models import ProviderFlow, ProviderIdentity

from .provider_fake import CLIENT_ID, FakeProvider
from .security.test_provider_doors import APP, AUTH, begin, come_back, landing, person

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=12,
)
# Objects with the members the parsers look for, of any JSON type.
MEMBERS = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "keys",
    "sub",
    "email",
    "email_verified",
    "name",
    "id",
    "primary",
    "verified",
    "login",
    "tid",
    "xms_edov",
    "given_name",
    "family_name",
    "iss",
    "firstName",
    "lastName",
]
shaped = st.dictionaries(st.sampled_from(MEMBERS), json_values, max_size=8)
answers = json_values | shaped | st.lists(shaped, max_size=3)

OIDC = config.Provider("p", "P", "oidc", "https://id.example", CLIENT_ID, "s")
ENTRA = config.Provider(
    "m", "M", "microsoft", "https://login.microsoftonline.com/common/v2.0", CLIENT_ID, "s"
)
APPLE = config.Provider("a", "A", "apple", "https://appleid.apple.com", CLIENT_ID, "s")
GITHUB = config.Provider("g", "G", "github", "https://github.com", CLIENT_ID, "s")


@hypothesis_settings(max_examples=300, deadline=None)
@given(document=answers, claims=shaped, user=answers, emails=answers, extra=answers)
def test_no_provider_answer_breaks_the_parsers(
    document: Any, claims: Any, user: Any, emails: Any, extra: Any
) -> None:
    """Whatever JSON a provider sends, each parser gives its value or a ProviderError."""
    for parse in (
        lambda: remote.parse_metadata(document, OIDC),
        lambda: remote.parse_metadata(document, ENTRA),
        lambda: remote.parse_key_set(document),
        lambda: identity.from_github(GITHUB, user, emails),
        lambda: [identity.from_claims(p, claims, {"user": extra}) for p in (OIDC, ENTRA, APPLE)],
        lambda: identity.apple_name(extra),
    ):
        try:
            parse()
        except ProviderError:
            pass
    found = None
    try:
        found = identity.from_claims(OIDC, claims, {})
    except ProviderError:
        usable = [claims.get(key) for key in ("sub", "iss")]
        assert not all(isinstance(v, str) and 0 < len(v) <= 255 for v in usable)
    if found is not None:
        # A vouched address is one the provider said, with a boolean true.
        assert not found.email_verified or claims.get("email_verified") in (True, "true")
        assert found.subject == claims["sub"]


def test_a_plain_http_issuer_is_refused_off_loopback() -> None:
    entry = {
        "id": "p",
        "name": "P",
        "issuer": "http://id.example",
        "client_id": "c",
        "client_secret": "s",
    }
    with pytest.raises(ImproperlyConfigured, match="https"):
        config.parse([entry])
    for issuer in (
        "http://127.0.0.1:9000",
        "http://localhost:9000",
        "http://[::1]:9000",
        "https://id.example",
    ):
        assert config.parse([{**entry, "issuer": issuer}])["p"].issuer == issuer
    for url in ("http://id.example/token", "ftp://id.example", "https://", "javascript:x"):
        with pytest.raises(ImproperlyConfigured):
            config.parse([{**entry, "issuer": "https://id.example", "token_endpoint": url}])
    # Discovery that points at plain HTTP off loopback is refused too.
    document = {
        "issuer": "https://id.example",
        "authorization_endpoint": "https://id.example/a",
        "token_endpoint": "http://id.example/t",
        "jwks_uri": "https://id.example/j",
    }
    with pytest.raises(ProviderError, match="token_endpoint"):
        remote.parse_metadata(document, OIDC)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"kind": "facebook"}, "kind"),
        ({"id": "Has Space"}, "id"),
        ({"client_secret": ""}, "client_secret"),
        ({"colour": "red"}, "Unknown provider keys"),
        ({"scopes": [1]}, "strings"),
    ],
)
def test_a_provider_entry_that_cannot_work_is_named_at_startup(
    entry: dict[str, Any], message: str, settings: Any
) -> None:
    base = {
        "id": "p",
        "name": "P",
        "issuer": "https://id.example",
        "client_id": "c",
        "client_secret": "s",
    }
    with pytest.raises(ImproperlyConfigured, match=message):
        config.parse([{**base, **entry}])
    settings.SPA_AUTH = {**settings.SPA_AUTH, "PROVIDERS": [{**base, **entry}]}
    from spa_auth.checks import check_providers

    assert [error.id for error in check_providers()] == ["spa_auth.E040"]


def test_providers_without_frontend_url_fail_the_check(settings: Any) -> None:
    from spa_auth.checks import check_providers

    base = {
        "id": "p",
        "name": "P",
        "issuer": "https://id.example",
        "client_id": "c",
        "client_secret": "s",
    }
    settings.SPA_AUTH = {**settings.SPA_AUTH, "PROVIDERS": [base], "FRONTEND_URL": None}
    assert [error.id for error in check_providers()] == ["spa_auth.E041"]
    settings.SPA_AUTH = {**settings.SPA_AUTH, "FRONTEND_URL": "https://app.example"}
    assert check_providers() == []


def test_the_presets_fill_in_what_each_provider_needs() -> None:
    parsed = config.parse(
        [
            {"id": "google", "kind": "google", "client_id": "c", "client_secret": "s"},
            {
                "id": "ms",
                "kind": "microsoft",
                "tenant": "organizations",
                "client_id": "c",
                "client_secret": "s",
            },
            {"id": "apple", "kind": "apple", "client_id": "c", "client_secret": "s"},
            {"id": "github", "kind": "github", "client_id": "c", "client_secret": "s"},
        ]
    )
    assert (
        parsed["google"].issuer == "https://accounts.google.com"
        and parsed["google"].name == "Google"
    )
    assert parsed["ms"].issuer == "https://login.microsoftonline.com/organizations/v2.0"
    assert parsed["apple"].response_mode == "form_post" and "name" in parsed["apple"].scopes
    assert not parsed["github"].is_oidc and parsed["github"].token_endpoint.startswith(
        "https://github.com/"
    )


def test_an_entra_multi_tenant_issuer_is_the_tokens_own_tenant() -> None:
    metadata = remote.parse_metadata(
        {
            "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0",
            "authorization_endpoint": "https://login.microsoftonline.com/a",
            "token_endpoint": "https://login.microsoftonline.com/t",
            "jwks_uri": "https://login.microsoftonline.com/k",
        },
        ENTRA,
    )
    claims = {"tid": "9188040d-6c67-4c5b-b112-36a304b66dad"}
    expected = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
    assert identity.expected_issuer(ENTRA, metadata, claims) == expected
    for tid in (None, "", "a/../b", 5):
        with pytest.raises(ProviderError):
            identity.expected_issuer(ENTRA, metadata, {"tid": tid})
    # A plain OpenID provider whose discovery says a template is refused.
    with pytest.raises(ProviderError):
        remote.parse_metadata({"issuer": "{tenantid}"}, OIDC)


# The key set's cache.


@pytest.fixture
def fake(settings: Any) -> Iterator[FakeProvider]:
    provider = FakeProvider().start()
    remote.forget()
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "SIGNUP_ENABLED": True,
        "FRONTEND_URL": APP,
        "PROVIDERS": [
            provider.config("fake"),
            provider.config("apple", kind="apple", issuer=provider.issuer),
        ],
    }
    yield provider
    provider.stop()
    remote.forget()


def test_an_unknown_key_id_fetches_the_key_set_at_most_once_a_minute(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(remote.time, "monotonic", lambda: now[0])
    jwks_uri = f"{fake.issuer}/jwks"
    assert remote.signing_key(jwks_uri, "key-1").key_id == "key-1"
    for _ in range(20):
        with pytest.raises(ProviderError):
            remote.signing_key(jwks_uri, "made-up")
    assert fake.requests.count(("GET", "/jwks")) == 1
    now[0] += 61
    with pytest.raises(ProviderError):
        remote.signing_key(jwks_uri, "made-up")
    assert fake.requests.count(("GET", "/jwks")) == 2
    # A rotated key is found at the next allowed fetch.
    fake.kid = "key-2"
    now[0] += 61
    assert remote.signing_key(jwks_uri, "key-2").key_id == "key-2"


def test_an_apple_form_post_becomes_a_redirect_that_brings_the_flow_cookie(
    db: None, client: Client, fake: FakeProvider
) -> None:
    url = begin(client, "apple")
    assert parse_qs(urlsplit(url).query)["response_mode"] == ["form_post"]
    params = fake.authorize(
        url, sub="apple-1", email="a1@privaterelay.example", email_verified="true"
    )
    user = (
        '{"name": {"firstName": "Ada", "lastName": "Lovelace"}, "email": "a1@privaterelay.example"}'
    )
    # The cross-site form post carries no Lax cookie: a fresh client stands for it.
    posted = Client().post(f"{AUTH}/providers/apple/callback/", {**params, "user": user})
    assert posted.status_code == 303
    assert "user=" not in posted["Location"] and "Ada" not in posted["Location"]
    assert ProviderFlow.objects.get().extra == {"name": "Ada Lovelace"}
    query = {k: v[0] for k, v in parse_qs(urlsplit(posted["Location"]).query).items()}
    response = come_back(client, query, "apple")
    assert landing(response)[1] == {}
    account = ProviderIdentity.objects.get().user
    assert (account.first_name, account.last_name) == ("Ada", "Lovelace")


def test_the_providers_are_listed_for_the_app(client: Client, fake: FakeProvider) -> None:
    response = client.get(f"{AUTH}/providers/")
    assert response.status_code == 200
    assert response.json() == [{"id": "fake", "name": "Fake"}, {"id": "apple", "name": "Apple"}]
    assert "client_secret" not in response.content.decode()


def test_without_frontend_url_the_navigations_are_a_clear_503(
    client: Client, fake: FakeProvider, settings: Any
) -> None:
    settings.SPA_AUTH = {**settings.SPA_AUTH, "FRONTEND_URL": None}
    response = client.get(f"{AUTH}/providers/fake/login/")
    assert response.status_code == 503 and response.json()["code"] == "providers_not_configured"


def test_prune_deletes_expired_flows(
    db: None, client: Client, fake: FakeProvider, clock: Any
) -> None:
    begin(client)
    clock.advance(minutes=11)
    begin(client)
    call_command("prune_auth", verbosity=0)
    assert ProviderFlow.objects.count() == 1


def test_a_cancelled_sign_in_comes_back_with_its_code(
    db: None, client: Client, fake: FakeProvider
) -> None:
    url = begin(client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    response = come_back(client, {"error": "access_denied", "state": state})
    assert landing(response) == ("/login", {"provider_error": "provider_cancelled"})
    assert jwt and person


def test_apple_signs_its_client_secret_with_the_teams_key(
    db: None, client: Client, fake: FakeProvider, settings: Any
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    apple = {
        "id": "apple",
        "kind": "apple",
        "issuer": fake.issuer,
        "client_id": CLIENT_ID,
        "team_id": "TEAM123456",
        "key_id": "KEY1",
        "private_key": pem,
    }
    settings.SPA_AUTH = {**settings.SPA_AUTH, "PROVIDERS": [apple]}
    fake.apple_key = key.public_key()
    url = begin(client, "apple")
    params = fake.authorize(url, sub="apple-2", email="a2@mail.example", email_verified="true")
    assert landing(come_back(client, params, "apple"))[1] == {}
    # A wrong team key is refused by the provider, and said as the provider's error.
    fake.apple_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    client.cookies.clear()
    url = begin(client, "apple")
    params = fake.authorize(url, sub="apple-3", email="a3@mail.example", email_verified="true")
    assert landing(come_back(client, params, "apple"))[1] == {"provider_error": "provider_error"}
    # A key that is not P-256 PEM is named at startup.
    with pytest.raises(ImproperlyConfigured, match="private_key"):
        config.parse([{**apple, "private_key": "not a key"}])


def test_the_readme_settings_for_each_preset_pass_the_checks(settings: Any) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from spa_auth.checks import check_providers

    from .snippets import snippet

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    namespace: dict[str, Any] = {
        "SPA_AUTH": {"FRONTEND_URL": "https://app.example.com"},
        "APPLE_KEY_PEM": pem.decode(),
    }
    exec(snippet("providers-settings"), namespace)
    settings.SPA_AUTH = namespace["SPA_AUTH"]
    assert check_providers() == []
    kinds = {p.id: p.kind for p in config.providers().values()}
    assert kinds == {
        "google": "google",
        "microsoft": "microsoft",
        "apple": "apple",
        "github": "github",
        "corp": "oidc",
    }
