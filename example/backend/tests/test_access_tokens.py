"""Access tokens: strict verification on every authenticated request."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from django.utils import timezone
from spa_auth.conf import get_settings
from spa_auth.internal.tokens import codec, keys

from tests.conftest import bearer, login

pytestmark = pytest.mark.django_db


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(header))),
        json.loads(base64.urlsafe_b64decode(pad(payload))),
        signature,
    )


def resign(header: dict, claims: dict, *, key: bytes | None = None, alg: str = "HS256") -> str:
    signing = key if key is not None else keys.access_keys(get_settings())[0].signing
    return jwt.encode(claims, signing, algorithm=alg, headers=header)


@pytest.fixture
def token(client, user) -> str:
    return login(client).json()["token"]


def get_user(client, token: str, scheme: str = "Bearer"):
    return client.get("/api/v1/user/", **bearer(token, scheme))


def test_bearer_and_jwt_prefixes_both_authenticate(client, token):
    assert get_user(client, token).status_code == 200
    assert get_user(client, token, "JWT").status_code == 200
    assert get_user(client, token, "jwt").status_code == 200


def test_the_token_has_the_rfc_9068_header_and_claims(token, user):
    header, claims, _ = segments(token)
    assert header == {"alg": "HS256", "typ": "at+jwt"}
    assert set(claims) == {"iss", "aud", "sub", "sid", "jti", "iat", "exp", "auth_time", "amr"}
    assert claims["amr"] == ["pwd"] and claims["auth_time"] == claims["iat"]
    assert claims["sub"] == str(user.pk)
    assert claims["exp"] - claims["iat"] == 300


def test_the_signing_key_is_derived_and_not_the_raw_secret_key(token, settings):
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, settings.SECRET_KEY, algorithms=["HS256"], options={"verify_aud": False})


def test_no_token_is_a_401_with_www_authenticate(client, db):
    response = client.get("/api/v1/user/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_expired_token_is_refused_with_token_expired(client, token, clock):
    clock.advance(seconds=300 + 6)
    response = get_user(client, token)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


def test_a_token_within_the_clock_skew_leeway_is_accepted(client, token, clock):
    clock.advance(seconds=302)
    assert get_user(client, token).status_code == 200


def test_alg_none_is_refused(client, token):
    _header, claims, _ = segments(token)
    header = b64(json.dumps({"alg": "none", "typ": "at+jwt"}).encode())
    forged = f"{header}.{b64(json.dumps(claims).encode())}."
    assert get_user(client, forged).json()["code"] == "token_invalid"


def test_a_wrong_algorithm_is_refused_even_with_the_right_key(client, token):
    _header, claims, _ = segments(token)
    key = keys.access_keys(get_settings())[0].signing
    forged = resign({"typ": "at+jwt"}, claims, key=key * 2, alg="HS512")
    assert get_user(client, forged).status_code == 401


def test_a_tampered_payload_is_refused(client, token, clock):
    """A claim no other check looks at: the token stays well formed, names its own user and
    live session, and only the signature tells that its lifetime was stretched."""
    header, _claims, signature = token.split(".")
    _, payload, _ = segments(token)
    payload["exp"] += 3600
    tampered = f"{header}.{b64(json.dumps(payload).encode())}.{signature}"
    clock.advance(seconds=300 + 6)
    assert get_user(client, token).json()["code"] == "token_expired"
    response = get_user(client, tampered)
    assert (response.status_code, response.json().get("code")) == (401, "token_invalid")


def test_a_wrong_typ_is_refused(client, token):
    _, claims, _ = segments(token)
    assert get_user(client, resign({"typ": "JWT"}, claims)).json()["code"] == "token_invalid"


@pytest.mark.parametrize("claim", ["iss", "aud", "sub", "sid", "jti", "iat", "exp"])
def test_a_missing_claim_is_refused(client, token, claim):
    _, claims, _ = segments(token)
    del claims[claim]
    assert get_user(client, resign({"typ": "at+jwt"}, claims)).status_code == 401


@pytest.mark.parametrize(("claim", "value"), [("iss", "someone-else"), ("aud", "other-api")])
def test_a_foreign_issuer_or_audience_is_refused(client, token, claim, value):
    _, claims, _ = segments(token)
    claims[claim] = value
    assert get_user(client, resign({"typ": "at+jwt"}, claims)).status_code == 401


def test_a_token_whose_sub_does_not_own_its_session_is_refused(client, token, user_factory):
    _, claims, _ = segments(token)
    claims["sub"] = str(user_factory().pk)
    assert get_user(client, resign({"typ": "at+jwt"}, claims)).status_code == 401


@pytest.mark.parametrize("garbage", ["abc", "a.b", "a.b.c.d", "é.é.é", "x" * 9000, "...", "a.b.c"])
def test_garbage_tokens_are_a_401_not_a_500(client, db, garbage):
    response = get_user(client, garbage)
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_a_refresh_token_is_not_an_access_token(client, user):
    refresh = login(client).cookies["refresh_token"].value
    assert get_user(client, refresh).status_code == 401


def test_an_access_token_is_not_a_refresh_token(client, token):
    client.cookies.clear()
    response = client.post(
        "/api/v1/auth/refresh_token/", {"refresh": token}, content_type="application/json"
    )
    assert response.status_code in (400, 401)


def test_verify_token_accepts_a_live_token_and_refuses_others(client, token):
    ok = client.post(
        "/api/v1/auth/verify_token/", {"token": token}, content_type="application/json"
    )
    bad = client.post(
        "/api/v1/auth/verify_token/", {"token": "x.y.z"}, content_type="application/json"
    )
    assert ok.status_code == 200
    assert bad.status_code == 401 and bad.json()["code"] == "token_invalid"


def test_failed_verify_calls_are_throttled_per_client_address(client, token, settings):
    settings.SPA_AUTH = {**settings.SPA_AUTH, "REFRESH_FAILURES_PER_IP": 3}

    def verify(value: str, address: str = "127.0.0.1"):
        return client.post(
            "/api/v1/auth/verify_token/",
            {"token": value},
            content_type="application/json",
            REMOTE_ADDR=address,
        )

    for _ in range(3):
        assert verify("x.y.z").json()["code"] == "token_invalid"
    refused = verify("x.y.z")
    assert (refused.status_code, refused.json()["code"]) == (429, "throttled")
    assert int(refused["Retry-After"]) >= 1
    assert verify("x.y.z", "198.51.100.7").json()["code"] == "token_invalid"  # its own budget
    # A genuine token cannot be guessed, so it is never held up by others' failures.
    assert verify(token).status_code == 200


def test_the_hot_path_costs_one_query(client, token, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert get_user(client, token).status_code == 200


def test_a_deactivated_user_is_refused_on_the_next_request(client, token, user):
    user.is_active = False
    user.save()
    assert get_user(client, token).json()["code"] == "session_revoked"


def test_a_password_set_anywhere_ends_existing_sessions(client, token, user):
    assert get_user(client, token).status_code == 200  # checked once, and remembered
    user.set_password("a-brand-new-passphrase")
    user.save()
    assert get_user(client, token).json()["code"] == "session_revoked"


# A verified token is remembered (``codec._verified_payload``): what is remembered must not
# outlive what made it valid. Each test uses the token first, so the answer is cached.


def test_a_remembered_token_is_refused_once_it_expires(client, token, clock):
    assert get_user(client, token).status_code == 200
    clock.advance(seconds=300 + 6)
    assert get_user(client, token).json()["code"] == "token_expired"


def test_a_remembered_token_is_refused_once_its_key_is_gone(client, token, settings):
    assert get_user(client, token).status_code == 200
    settings.SECRET_KEY = "a-new-secret-key-without-fallbacks-" + "y" * 30
    # Refused by its signature, not by the session check the new secret also fails.
    assert get_user(client, token).json()["code"] == "token_invalid"


def test_a_remembered_token_is_refused_once_the_issuer_or_audience_changes(client, token, settings):
    assert get_user(client, token).status_code == 200
    settings.SPA_AUTH = {**settings.SPA_AUTH, "ISSUER": "another-issuer"}
    assert get_user(client, token).json()["code"] == "token_invalid"
    settings.SPA_AUTH = {**settings.SPA_AUTH, "ISSUER": get_settings().issuer}
    settings.SPA_AUTH = {**settings.SPA_AUTH, "AUDIENCE": "another-api"}
    assert get_user(client, token).json()["code"] == "token_invalid"


def test_a_remembered_token_is_refused_once_its_session_ends(client, token):
    assert get_user(client, token).status_code == 200
    assert client.post("/api/v1/auth/logout/", **bearer(token)).status_code == 204
    assert get_user(client, token).json()["code"] == "session_revoked"


def test_claims_changed_by_one_request_are_not_seen_by_the_next(token):
    conf = get_settings()
    verifying = keys.access_keys(conf)
    first = codec.decode_access_token(token, keys=verifying, now=timezone.now(), conf=conf)
    first["sub"] = "someone else"
    first["amr"].append("hwk")
    again = codec.decode_access_token(token, keys=verifying, now=timezone.now(), conf=conf)
    assert again["sub"] != "someone else" and again["amr"] == ["pwd"]


def test_a_deleted_user_is_refused(client, token, user):
    user.delete()
    assert get_user(client, token).status_code == 401


def test_a_rotated_secret_key_still_verifies_tokens_and_refresh_tokens(client, user, settings):
    response = login(client)
    access, refresh = response.json()["token"], response.cookies["refresh_token"].value
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert get_user(client, access).status_code == 200
    client.cookies.clear()
    response = client.post(
        "/api/v1/auth/refresh_token/", {"refresh": refresh}, content_type="application/json"
    )
    assert response.status_code == 200
