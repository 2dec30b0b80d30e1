"""Asymmetric access-token keys: signing, JWKS, and rotation that logs nobody out."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command

from tests.conftest import bearer, login

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["RS256", "ES256", "EdDSA"])
def asymmetric(request, settings, tmp_path):
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "ALGORITHM": request.param,
        "KEYSET_FILE": str(tmp_path / "keys.json"),
    }
    call_command("jwt_keys", "rotate")
    return request.param


def header_of(token: str) -> dict:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def test_tokens_are_signed_with_the_active_key_and_verify_against_the_jwks(
    client, user, asymmetric
):
    token = login(client).json()["token"]
    header = header_of(token)
    assert header["alg"] == asymmetric and header["typ"] == "at+jwt" and header["kid"]
    published = client.get("/api/v1/auth/jwks/").json()["keys"]
    assert [k["kid"] for k in published] == [header["kid"]]
    assert all("d" not in k for k in published)  # never the private part
    public = jwt.PyJWK(published[0]).key
    claims = jwt.decode(token, public, algorithms=[asymmetric], audience="spa-auth-api")
    assert claims["sub"] == str(user.pk)
    assert client.get("/api/v1/user/", **bearer(token)).status_code == 200


def test_rotation_keeps_everyone_signed_in(client, user, asymmetric, capsys):
    response = login(client)
    old_token, refresh = response.json()["token"], response.cookies["refresh_token"].value
    old_kid = header_of(old_token)["kid"]
    call_command("jwt_keys", "rotate")
    # The old key still verifies the tokens it signed; new tokens carry the new key.
    assert client.get("/api/v1/user/", **bearer(old_token)).status_code == 200
    client.cookies.clear()
    renewed = client.post(
        "/api/v1/auth/refresh_token/", {"refresh": refresh}, content_type="application/json"
    ).json()
    assert header_of(renewed["token"])["kid"] != old_kid
    assert len(client.get("/api/v1/auth/jwks/").json()["keys"]) == 2
    # Once an access lifetime has passed, the old key is retired; the session lives on.
    call_command("jwt_keys", "retire", old_kid)
    assert client.get("/api/v1/user/", **bearer(old_token)).status_code == 401
    assert client.get("/api/v1/user/", **bearer(renewed["token"])).status_code == 200
    assert (
        client.post(
            "/api/v1/auth/refresh_token/",
            {"refresh": renewed["refresh"]},
            content_type="application/json",
        ).status_code
        == 200
    )


def test_the_active_key_cannot_be_retired(asymmetric, settings):
    from django.core.management.base import CommandError

    from spa_auth import keyset

    active = keyset.read(__import__("pathlib").Path(settings.SPA_AUTH["KEYSET_FILE"]))[0]
    with pytest.raises(CommandError, match="rotate to another key first"):
        call_command("jwt_keys", "retire", active.kid)


def test_algorithm_confusion_with_the_public_key_as_an_hmac_secret_is_refused(
    client, user, settings, tmp_path
):
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "ALGORITHM": "RS256",
        "KEYSET_FILE": str(tmp_path / "keys.json"),
    }
    call_command("jwt_keys", "rotate")
    token = login(client).json()["token"]
    header = header_of(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    public_pem = jwt.PyJWK(client.get("/api/v1/auth/jwks/").json()["keys"][0]).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import hashlib
    import hmac

    signing_input = (
        base64.urlsafe_b64encode(
            json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": header["kid"]}).encode()
        ).rstrip(b"=")
        + b"."
        + base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    )
    signature = base64.urlsafe_b64encode(
        hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    ).rstrip(b"=")
    forged = (signing_input + b"." + signature).decode()
    response = client.get("/api/v1/user/", **bearer(forged))
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"


def test_the_jwks_is_empty_with_a_shared_secret(client, db):
    assert client.get("/api/v1/auth/jwks/").json() == {"keys": []}


def test_a_missing_key_set_fails_the_system_checks(settings, tmp_path):
    from spa_auth.checks import check_configuration

    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "ALGORITHM": "ES256",
        "KEYSET_FILE": str(tmp_path / "absent.json"),
    }
    assert [e.id for e in check_configuration()] == ["spa_auth.E014"]
