"""Asymmetric access-token keys: signing, JWKS, and rotation that logs nobody out."""

from __future__ import annotations

import base64
import gc
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from spa_auth.internal.tokens import codec

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


def test_a_retired_key_is_not_kept_in_memory_for_the_tokens_it_verified(client, user, asymmetric):
    token = login(client).json()["token"]
    old_kid = header_of(token)["kid"]
    assert client.get("/api/v1/user/", **bearer(token)).status_code == 200  # remembered
    call_command("jwt_keys", "rotate")
    call_command("jwt_keys", "retire", old_kid)
    assert client.get("/api/v1/user/", **bearer(token)).status_code == 401
    del token
    gc.collect()
    # type(), not isinstance(): the heap holds dead weak proxies, which raise when asked
    assert not [o for o in gc.get_objects() if type(o) is codec.Key and o.kid == old_kid]


def test_the_active_key_cannot_be_retired(asymmetric, settings):
    from django.core.management.base import CommandError
    from spa_auth.internal.tokens import keyset

    active = keyset.read(__import__("pathlib").Path(settings.SPA_AUTH["KEYSET_FILE"]))[0]
    with pytest.raises(CommandError, match="rotate to another key first"):
        call_command("jwt_keys", "retire", active.kid)


def test_key_ids_can_be_passed_on_the_command_line():
    from spa_auth.internal.tokens import keyset

    kids = [keyset.generate("EdDSA").kid for _ in range(300)]
    assert not any(kid.startswith("-") for kid in kids) and len(set(kids)) == 300


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


@pytest.fixture
def no_key_set(settings, tmp_path):
    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "ALGORITHM": "ES256",
        "KEYSET_FILE": str(tmp_path / "absent.json"),
    }


def test_a_missing_key_set_fails_the_system_checks(no_key_set):
    """`check --deploy` (which `make run` runs before serving) refuses to start without it."""
    from spa_auth.checks import check_production_settings

    assert [e.id for e in check_production_settings()] == ["spa_auth.E014"]


def test_a_missing_key_set_only_warns_in_the_checks_every_command_runs(no_key_set):
    """`migrate`, and `jwt_keys rotate` that creates the key set, must run without one."""
    from django.core.checks import ERROR
    from spa_auth.checks import check_configuration

    found = check_configuration()
    assert [e.id for e in found] == ["spa_auth.W014"]
    assert all(e.level < ERROR for e in found)


def test_the_jwt_keys_command_is_not_blocked_by_the_checks_it_cures():
    from spa_auth.management.commands.jwt_keys import Command

    assert Command.requires_system_checks == []


def test_without_a_key_set_a_login_fails_loudly_and_signs_nothing(user, no_key_set, caplog):
    from django.test import Client

    client = Client(raise_request_exception=False)
    response = login(client)
    assert response.status_code == 500 and response.json()["code"] == "server_error"
    assert "token" not in response.json() and "refresh_token" not in response.cookies
    assert "No key set at" in caplog.text
    assert client.get("/api/v1/auth/jwks/").status_code == 500


def test_the_active_key_must_be_of_the_configured_algorithm(settings, tmp_path):
    """An ES256 key would otherwise sign while EdDSA is configured: refused everywhere."""
    from spa_auth.checks import check_configuration

    settings.SPA_AUTH = {
        **settings.SPA_AUTH,
        "ALGORITHM": "ES256",
        "KEYSET_FILE": str(tmp_path / "keys.json"),
    }
    call_command("jwt_keys", "rotate")
    settings.SPA_AUTH = {**settings.SPA_AUTH, "ALGORITHM": "EdDSA"}
    assert [e.id for e in check_configuration()] == ["spa_auth.E015"]
