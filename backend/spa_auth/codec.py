"""Access-token codec: encode and strictly verify JWTs (RFC 8725, RFC 9068).

Pure: no ORM, no request, no Django settings. Callers pass the settings, the keys and
the time. PyJWT does the JWS work; this module adds the checks PyJWT leaves to its
callers: a size cap, the compact shape, canonical base64url, duplicate members,
``typ``, forbidden key-carrying headers, and the type of every required claim.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

import jwt

from .conf import AuthSettings
from .errors import TokenExpiredError, TokenInvalidError

ACCESS_TOKEN_TYPE = "at+jwt"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "sid", "jti", "iat", "exp")
# Headers that would let a token name its own verification key (RFC 8725 §3.1, §3.10).
FORBIDDEN_HEADERS = frozenset({"crit", "jku", "x5u", "jwk", "x5c"})
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


class AccessClaims(TypedDict):
    iss: str
    aud: str
    sub: str
    sid: str
    jti: str
    iat: int
    exp: int


@dataclass(frozen=True)
class Key:
    """A key for one algorithm; ``kid`` names it in the token header when set."""

    algorithm: str
    signing: Any
    verifying: Any
    kid: str | None = None


def encode_access_token(
    *, user_id: str, session_id: str, now: datetime, key: Key, conf: AuthSettings
) -> tuple[str, AccessClaims]:
    issued = int(now.timestamp())
    claims: AccessClaims = {
        "iss": conf.issuer,
        "aud": conf.audience,
        "sub": user_id,
        "sid": session_id,
        "jti": uuid.uuid4().hex,
        "iat": issued,
        "exp": issued + int(conf.access_token_lifetime.total_seconds()),
    }
    headers: dict[str, Any] = {"typ": ACCESS_TOKEN_TYPE}
    if key.kid:
        headers["kid"] = key.kid
    token = jwt.encode(dict(claims), key.signing, algorithm=key.algorithm, headers=headers)
    return token, claims


def decode_access_token(
    token: str, *, keys: Sequence[Key], now: datetime, conf: AuthSettings
) -> AccessClaims:
    """Verify ``token`` and return its claims, or raise ``TokenInvalidError``."""
    header, payload = _parse_compact(token, conf.max_token_bytes)
    _check_header(header, keys)
    candidates = [k for k in keys if k.algorithm == header["alg"]]
    if "kid" in header:
        candidates = [k for k in candidates if k.kid == header["kid"]]
    if not candidates:
        raise TokenInvalidError("no key for this token")
    expired = False
    for key in candidates:
        try:
            claims = jwt.decode(
                token,
                key.verifying,
                algorithms=[key.algorithm],
                audience=conf.audience,
                issuer=conf.issuer,
                leeway=conf.leeway,
                # Times are checked below against the injected clock.
                options={
                    "require": list(REQUIRED_CLAIMS),
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as exc:
            raise TokenInvalidError(str(exc)) from exc
        _check_claims(claims, payload)
        leeway = int(conf.leeway.total_seconds())
        timestamp = now.timestamp()
        if claims["iat"] > timestamp + leeway or claims.get("nbf", 0) > timestamp + leeway:
            raise TokenInvalidError("not yet valid")
        if claims["exp"] <= timestamp - leeway:
            expired = True
            break
        return claims  # type: ignore[return-value]
    if expired:
        raise TokenExpiredError("expired")
    raise TokenInvalidError("bad signature")


def _b64decode_canonical(segment: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenInvalidError("bad base64url") from exc
    # Reject encodings with non-zero padding bits: one token, one spelling.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != segment:
        raise TokenInvalidError("non-canonical base64url")
    return raw


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise TokenInvalidError(f"duplicate member {name!r}")
        result[name] = value
    return result


def _parse_json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw, object_pairs_hook=_reject_duplicates)
    except (ValueError, RecursionError) as exc:
        raise TokenInvalidError("bad JSON") from exc
    if not isinstance(value, dict):
        raise TokenInvalidError("not a JSON object")
    return value


def _parse_compact(token: str, max_bytes: int) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(token, str) or len(token) > max_bytes:
        raise TokenInvalidError("too large")
    if not _COMPACT_JWS.fullmatch(token):
        raise TokenInvalidError("not a compact JWS")
    header_b64, payload_b64, signature_b64 = token.split(".")
    _b64decode_canonical(signature_b64)
    header = _parse_json_object(_b64decode_canonical(header_b64))
    payload = _parse_json_object(_b64decode_canonical(payload_b64))
    return header, payload


def _check_header(header: dict[str, Any], keys: Sequence[Key]) -> None:
    allowed = {k.algorithm for k in keys}
    if header.get("alg") not in allowed:
        raise TokenInvalidError(f"algorithm {header.get('alg')!r} not allowed")
    if header.get("typ") != ACCESS_TOKEN_TYPE:
        raise TokenInvalidError("wrong typ")
    if FORBIDDEN_HEADERS & header.keys():
        raise TokenInvalidError("forbidden header")
    if "kid" in header and not isinstance(header["kid"], str):
        raise TokenInvalidError("bad kid")


def _check_claims(claims: dict[str, Any], payload: dict[str, Any]) -> None:
    if claims != payload:
        raise TokenInvalidError("payload mismatch")
    for name in ("iss", "aud", "sub", "sid", "jti"):
        if not isinstance(claims[name], str) or not claims[name]:
            raise TokenInvalidError(f"claim {name} must be a non-empty string")
    for name in ("iat", "exp", "nbf"):
        if name in claims and type(claims[name]) is not int:
            raise TokenInvalidError(f"claim {name} must be an integer")
    try:
        uuid.UUID(claims["sid"])
    except ValueError as exc:
        raise TokenInvalidError("bad sid") from exc
