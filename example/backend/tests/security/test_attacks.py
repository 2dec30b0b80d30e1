"""One test per attack (RFC 8725, RFC 9700 §4.14, OWASP JWT, CSRF and auth cheat sheets).

docs/security.md maps each threat to its defence and to the test here that proves it.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
from django.test import Client
from spa_auth.conf import get_settings
from spa_auth.internal.tokens import keys

from tests.conftest import PASSWORD, bearer, login

pytestmark = pytest.mark.django_db


def b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def hs_key() -> bytes:
    return keys.access_keys(get_settings())[0].signing


def forge(header: dict, claims: dict | str, key: bytes | None = None) -> str:
    """Sign raw header and payload JSON with the real key: only the checks can refuse it."""
    import hashlib
    import hmac

    payload = claims if isinstance(claims, str) else json.dumps(claims)
    signing_input = f"{b64(json.dumps(header))}.{b64(payload)}"
    digest = hmac.new(key or hs_key(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(digest)}"


@pytest.fixture
def token(client: Client, user) -> str:
    return login(client).json()["token"]


def refused(client: Client, token: str) -> str:
    response = client.get("/api/v1/user/", **bearer(token))
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")
    return response.json()["code"]


# --- tokens ---------------------------------------------------------------------------


def test_the_forge_helper_makes_tokens_the_server_accepts(client, token):
    # Guards every test below: a refusal there is the check under test, not a bad forgery.
    assert (
        client.get(
            "/api/v1/user/", **bearer(forge({"alg": "HS256", "typ": "at+jwt"}, claims_of(token)))
        ).status_code
        == 200
    )


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_in_any_case_is_refused(client, token, alg):
    unsigned = (
        f"{b64(json.dumps({'alg': alg, 'typ': 'at+jwt'}))}.{b64(json.dumps(claims_of(token)))}."
    )
    assert refused(client, unsigned) == "token_invalid"


@pytest.mark.parametrize("alg", ["HS999", "RS256", "ES256", "PS256", "", None, 7])
def test_an_unknown_or_unconfigured_algorithm_is_refused(client, token, alg):
    assert (
        refused(client, forge({"alg": alg, "typ": "at+jwt"}, claims_of(token))) == "token_invalid"
    )


def test_a_tampered_signature_is_refused(client, token):
    head, body, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert refused(client, f"{head}.{body}.{flipped}") == "token_invalid"


def test_a_non_canonical_base64_spelling_is_refused(client, token):
    head, body, signature = token.split(".")
    # The last character of a 43-char SHA-256 signature carries 2 unused bits: set them.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet[alphabet.index(signature[-1]) | 1]
    assert last != signature[-1]
    assert refused(client, f"{head}.{body}.{signature[:-1]}{last}") == "token_invalid"


def test_padding_in_a_token_is_refused(client, token):
    head, body, signature = token.split(".")
    assert refused(client, f"{head}=.{body}.{signature}") == "token_invalid"


@pytest.mark.parametrize("kid", ["../../../../dev/null", "' OR '1'='1", "0", {"x": 1}])
def test_kid_injection_is_refused(client, token, kid):
    assert (
        refused(client, forge({"alg": "HS256", "typ": "at+jwt", "kid": kid}, claims_of(token)))
        == "token_invalid"
    )


@pytest.mark.parametrize(
    "extra",
    [
        {"jwk": {"kty": "oct", "k": b64(b"attacker-key")}},
        {"jku": "https://evil.example/jwks.json"},
        {"x5u": "https://evil.example/cert.pem"},
        {"x5c": ["MIIB..."]},
        {"crit": ["exp"]},
    ],
    ids=["jwk", "jku", "x5u", "x5c", "crit"],
)
def test_headers_that_bring_their_own_key_or_rules_are_refused(client, token, extra):
    header = {"alg": "HS256", "typ": "at+jwt", **extra}
    assert refused(client, forge(header, claims_of(token))) == "token_invalid"


def test_an_embedded_jwk_signed_with_the_attackers_key_is_refused(client, token):
    attacker = b"attacker-key-attacker-key-attacker-key"
    header = {"alg": "HS256", "typ": "at+jwt", "jwk": {"kty": "oct", "k": b64(attacker)}}
    assert refused(client, forge(header, claims_of(token), key=attacker)) == "token_invalid"


def test_an_oversized_token_is_refused_before_decoding(client, token):
    claims = {**claims_of(token), "pad": "x" * 9000}
    assert refused(client, forge({"alg": "HS256", "typ": "at+jwt"}, claims)) == "token_invalid"


@pytest.mark.parametrize(
    "garbage", ["", "....", "a.b.c", "e30.e30.e30", "eyJ" * 50, "\x00.\x01.\x02"]
)
def test_garbage_tokens_are_refused(client, db, garbage):
    response = client.get("/api/v1/user/", HTTP_AUTHORIZATION=f"Bearer {garbage}")
    assert response.status_code == 401


def test_duplicate_claims_are_refused(client, token, user_factory):
    other = user_factory(is_staff=True)
    claims = claims_of(token)
    body = json.dumps(claims)[:-1] + f', "sub": "{other.pk}"}}'
    assert refused(client, forge({"alg": "HS256", "typ": "at+jwt"}, body)) == "token_invalid"


def test_duplicate_header_members_are_refused(client, token):
    header_json = '{"alg": "HS256", "typ": "at+jwt", "alg": "none"}'
    signing_input = f"{b64(header_json)}.{b64(json.dumps(claims_of(token)))}"
    import hashlib
    import hmac

    sig = b64(hmac.new(hs_key(), signing_input.encode(), hashlib.sha256).digest())
    assert refused(client, f"{signing_input}.{sig}") == "token_invalid"


def test_a_deeply_nested_header_is_a_401_not_a_500(client, token):
    header = "[" * 3000 + "]" * 3000
    signing_input = f"{b64(header)}.{b64(json.dumps(claims_of(token)))}"
    assert refused(client, f"{signing_input}.{b64(b'x' * 32)}") == "token_invalid"


def test_an_expired_token_is_refused(client, token, clock):
    clock.advance(seconds=306)
    assert refused(client, token) == "token_expired"


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_a_token_from_the_future_is_refused(client, token, claim):
    claims = {**claims_of(token), claim: claims_of(token)["iat"] + 3600}
    assert refused(client, forge({"alg": "HS256", "typ": "at+jwt"}, claims)) == "token_invalid"


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("exp", "9999999999"),
        ("iat", 1.5),
        ("sub", 1),
        ("sid", "not-a-uuid"),
        ("aud", ["spa-auth-api"]),
    ],
)
def test_claims_of_the_wrong_type_are_refused(client, token, claim, value):
    claims = {**claims_of(token), claim: value}
    assert refused(client, forge({"alg": "HS256", "typ": "at+jwt"}, claims)) == "token_invalid"


@pytest.mark.parametrize(("field", "value"), [("iss", "evil"), ("aud", "other"), ("typ", "JWT")])
def test_a_wrong_issuer_audience_or_type_is_refused(client, token, field, value):
    header, claims = {"alg": "HS256", "typ": "at+jwt"}, claims_of(token)
    (header if field == "typ" else claims)[field] = value
    assert refused(client, forge(header, claims)) == "token_invalid"


def test_a_refresh_token_is_refused_as_an_access_token(client, user):
    refresh = login(client).cookies["refresh_token"].value
    assert refused(client, refresh) == "token_invalid"


def test_an_access_token_is_refused_as_a_refresh_token(client, token):
    client.cookies.clear()
    response = client.post(
        "/api/v1/auth/refresh_token/", {"refresh": token}, content_type="application/json"
    )
    assert response.status_code == 401 and response.json()["code"] == "refresh_invalid"


# --- browsers: CSRF, Origin, CORS, cookies, headers -------------------------------------


def browser_login() -> Client:
    client = Client(enforce_csrf_checks=True)
    login(client)
    return client


@pytest.mark.parametrize("path", ["/api/v1/auth/refresh_token/", "/api/v1/auth/logout/"])
def test_cookie_calls_without_the_csrf_header_are_refused(user, path):
    client = browser_login()
    response = client.post(path, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"


@pytest.mark.parametrize("path", ["/api/v1/auth/refresh_token/", "/api/v1/auth/logout/"])
def test_cookie_calls_from_a_foreign_origin_are_refused_even_with_the_token(user, path):
    client = browser_login()
    response = client.post(
        path,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"


@pytest.mark.parametrize("path", ["/api/v1/auth/refresh_token/", "/api/v1/auth/logout/"])
def test_cookie_calls_marked_cross_site_by_the_browser_are_refused(user, path):
    client = browser_login()
    response = client.post(
        path,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
        HTTP_SEC_FETCH_SITE="cross-site",
    )
    assert response.status_code == 403


def test_cookie_calls_from_the_same_origin_with_the_token_pass(user):
    client = browser_login()
    response = client.post(
        "/api/v1/auth/refresh_token/",
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
        HTTP_ORIGIN="http://testserver",
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 200


def test_login_from_a_foreign_origin_is_refused(client, user):
    response = client.post(
        "/api/v1/auth/obtain_token/",
        {"username": "alice", "password": PASSWORD},
        content_type="application/json",
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403 and "refresh_token" not in response.cookies


def test_cors_answers_only_configured_origins(client, db, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    preflight = {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST"}
    evil = client.options(
        "/api/v1/auth/refresh_token/", HTTP_ORIGIN="https://evil.example", **preflight
    )
    assert "Access-Control-Allow-Origin" not in evil
    good = client.options(
        "/api/v1/auth/refresh_token/", HTTP_ORIGIN="https://app.example.com", **preflight
    )
    assert good["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert good["Access-Control-Allow-Credentials"] == "true"


def test_wildcard_cors_with_credentials_fails_the_checks(settings):
    from spa_auth.checks import check_configuration

    settings.CORS_ALLOW_ALL_ORIGINS = True
    assert "spa_auth.E012" in [e.id for e in check_configuration()]


def test_the_refresh_cookie_is_httponly_strict_scoped_and_secure(client, user):
    cookie = login(client).cookies["refresh_token"]
    assert (cookie["httponly"], cookie["samesite"], cookie["path"], cookie["secure"]) == (
        True,
        "Strict",
        "/api/v1/auth/",
        True,
    )


def test_security_headers_and_hsts_over_tls(client, db):
    response = client.get("/api/v1/health/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "Strict-Transport-Security" not in client.get("/api/v1/health/")


@pytest.mark.parametrize("path", ["/api/v1/auth/obtain_token/", "/api/v1/auth/refresh_token/"])
def test_token_responses_are_never_stored(client, user, path):
    response = (
        login(client)
        if "obtain" in path
        else client.post(
            path,
            {"refresh": login(client).cookies["refresh_token"].value},
            content_type="application/json",
        )
    )
    assert "no-store" in response["Cache-Control"]


# --- enumeration ----------------------------------------------------------------------


def _failure(client: Client, username: str, password: str):
    response = client.post(
        "/api/v1/auth/obtain_token/",
        {"username": username, "password": password},
        content_type="application/json",
    )
    headers = {k: v for k, v in response.items() if k not in ("Date",)}
    return response.status_code, response.content, headers


def test_unknown_user_wrong_password_and_inactive_user_look_identical(client, user_factory):
    user_factory(username="inactive", is_active=False)
    user_factory(username="active")
    answers = {
        _failure(Client(), "nobody", PASSWORD)[:2],
        _failure(Client(), "active", "wrong-password")[:2],
        _failure(Client(), "inactive", PASSWORD)[:2],
    }
    assert len(answers) == 1
    headers = [_failure(Client(), name, "x")[2] for name in ("nobody2", "active", "inactive")]
    assert headers[0] == headers[1] == headers[2]


@pytest.mark.real_hasher
def test_every_login_failure_costs_exactly_one_password_hash(client, user_factory, monkeypatch):
    """Timing parity by construction: count the hash computations instead of timing them."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    user_factory(username="inactive", is_active=False)
    user_factory(username="active")
    calls: list[str] = []
    original_encode, original_verify = Argon2PasswordHasher.encode, Argon2PasswordHasher.verify
    monkeypatch.setattr(
        Argon2PasswordHasher,
        "encode",
        lambda self, *a, **k: calls.append("hash") or original_encode(self, *a, **k),
    )
    monkeypatch.setattr(
        Argon2PasswordHasher,
        "verify",
        lambda self, *a, **k: calls.append("hash") or original_verify(self, *a, **k),
    )
    from spa_auth.backends import failure_floor

    failure_floor()  # measured once per process, before any login: not part of a failure
    counts = {}
    for name, password in [("nobody", PASSWORD), ("active", "wrong"), ("inactive", PASSWORD)]:
        calls.clear()
        _failure(Client(), name, password)
        counts[name] = len(calls)
    assert counts == {"nobody": 1, "active": 1, "inactive": 1}


# --- malformed input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/auth/obtain_token/", "/api/v1/auth/refresh_token/", "/api/v1/auth/verify_token/"],
)
def test_a_json_bomb_is_a_400(client, db, path):
    bomb = '{"a":' * 10_000 + "1" + "}" * 10_000  # 60 KB: the nesting, not the size, refuses it
    assert len(bomb) < 64 * 1024
    response = client.post(path, bomb, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/auth/obtain_token/", "/api/v1/auth/refresh_token/", "/api/v1/auth/verify_token/"],
)
def test_a_json_bomb_over_the_size_limit_is_a_413(client, db, path):
    response = client.post(path, "[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (413, "request_too_large")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/auth/obtain_token/", "/api/v1/auth/refresh_token/", "/api/v1/auth/verify_token/"],
)
def test_deeply_nested_json_within_the_size_limit_is_a_400(client, db, path):
    response = client.post(path, "[" * 20_000 + "]" * 20_000, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_a_body_over_the_limit_is_a_413(client, db):
    body = json.dumps({"username": "a" * 70_000, "password": "x"})
    response = client.post("/api/v1/auth/obtain_token/", body, content_type="application/json")
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
    ],
)
def test_a_wrong_content_type_is_a_415(client, db, content_type):
    response = client.post(
        "/api/v1/auth/obtain_token/", "username=a&password=b", content_type=content_type
    )
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "body",
    ["[]", '"text"', "1", "null", '{"username": ["a"], "password": {}}', '{"username": null}'],
)
def test_json_of_the_wrong_shape_is_a_400(client, db, body):
    response = client.post("/api/v1/auth/obtain_token/", body, content_type="application/json")
    assert response.status_code == 400 and set(response.json()) >= {"detail", "code"}


def settings_as_production_reads_them(var_dir: Path) -> dict:
    """DEBUG and the renderers from config/settings.py in a fresh interpreter, with no DEBUG
    in the environment: here pytest-django turns DEBUG off whatever the module says."""
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
    script = (
        "import json, config.settings as s; print(json.dumps("
        "{'DEBUG': s.DEBUG, 'renderers': s.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        env={**env, "VAR_DIR": str(var_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_production_settings_serve_no_debug_pages_or_browsable_api(client, db, tmp_path):
    assert settings_as_production_reads_them(tmp_path) == {
        "DEBUG": False,
        "renderers": ["rest_framework.renderers.JSONRenderer"],
    }
    response = client.get("/api/v1/does-not-exist/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
