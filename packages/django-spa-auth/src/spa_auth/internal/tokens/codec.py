"""Access-token codec: encode and strictly verify JWTs (RFC 8725, RFC 9068).

Pure: no ORM, no request, no Django settings. Callers pass the settings, the keys and
the time. PyJWT does the cryptography (signing, and each algorithm's signature check);
this module parses the token once, strictly: a size cap, the compact shape, canonical
base64url, duplicate members, ``typ``, forbidden key-carrying headers, and the presence,
type and value of every required claim.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from jwt.algorithms import get_default_algorithms

from ...conf import AuthSettings
from ...errors import TokenExpiredError, TokenInvalidError

ACCESS_TOKEN_TYPE = "at+jwt"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "sid", "jti", "iat", "exp")
RESERVED_CLAIMS = frozenset({*REQUIRED_CLAIMS, "nbf", "typ", "client_id", "scope"})
# Present (true) only in the access tokens of a session whose password was found in
# known breaches at login.
PASSWORD_BREACHED_CLAIM = "password_breached"
# Headers that would let a token name its own verification key (RFC 8725 §3.1, §3.10).
# And "b64" (RFC 7797): an unencoded payload would be read differently by the signer's
# verifier and by the claims parser.
FORBIDDEN_HEADERS = frozenset({"crit", "jku", "x5u", "jwk", "x5c", "b64"})
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


class AccessClaims(TypedDict):
    iss: str
    aud: str
    sub: str
    sid: str
    jti: str
    iat: int
    exp: int
    nbf: NotRequired[int]


_ALGORITHMS = get_default_algorithms()


@dataclass(frozen=True, eq=False)
class Key:
    """A key for one algorithm; ``kid`` names it in the token header when set.

    Equal only to itself: a key set that changes is new objects, so what was verified
    under the old keys (``_verified_payload``) is not taken for the new.
    """

    algorithm: str
    signing: Any
    verifying: Any
    kid: str | None = None
    # PyJWT's algorithm object and its prepared verification key, made once per key.
    _verifier: Any = field(init=False, repr=False, compare=False)
    _prepared: Any = field(init=False, repr=False, compare=False)
    _prepared_signing: Any = field(init=False, repr=False, compare=False)
    # The encoded JOSE header of the tokens this key signs: the same for every token.
    _header: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        verifier = _ALGORITHMS[self.algorithm]
        object.__setattr__(self, "_verifier", verifier)
        object.__setattr__(self, "_prepared", verifier.prepare_key(self.verifying))
        signing = verifier.prepare_key(self.signing) if self.signing is not None else None
        object.__setattr__(self, "_prepared_signing", signing)
        header: dict[str, Any] = {"alg": self.algorithm, "typ": ACCESS_TOKEN_TYPE}
        if self.kid:
            header["kid"] = self.kid
        object.__setattr__(self, "_header", _b64encode(_compact_json(header)))

    def sign(self, signing_input: bytes) -> bytes:
        """PyJWT's signature for this algorithm, with the key prepared once."""
        return bytes(self._verifier.sign(signing_input, self._prepared_signing))

    def verifies(self, signing_input: bytes, signature: bytes) -> bool:
        """PyJWT's signature check for this algorithm (constant-time for HMAC)."""
        return bool(self._verifier.verify(signing_input, self._prepared, signature))


def encode_access_token(
    *,
    user_id: str,
    session_id: str,
    now: datetime,
    key: Key,
    conf: AuthSettings,
    extra: dict[str, Any] | None = None,
) -> tuple[str, AccessClaims]:
    """A signed access token; ``extra`` claims are added beside the registered ones, which
    they may not replace (RFC 9068 §2.2)."""
    issued = int(now.timestamp())
    clash = RESERVED_CLAIMS & set(extra or ())
    if clash:
        raise ValueError(f"extra claims may not replace {sorted(clash)}")
    claims: AccessClaims = {
        **(extra or {}),  # type: ignore[typeddict-item]
        "iss": conf.issuer,
        "aud": conf.audience,
        "sub": user_id,
        "sid": session_id,
        "jti": uuid.uuid4().hex,
        "iat": issued,
        "exp": issued + int(conf.access_token_lifetime.total_seconds()),
    }
    signing_input = f"{key._header}.{_b64encode(_compact_json(claims))}"
    signature = key.sign(signing_input.encode())
    return f"{signing_input}.{_b64encode(signature)}", claims


def _compact_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_access_token(
    token: str, *, keys: Sequence[Key], now: datetime, conf: AuthSettings
) -> AccessClaims:
    """Verify ``token`` and return its claims, or raise ``TokenInvalidError``."""
    if not isinstance(token, str) or len(token) > conf.max_token_bytes:
        raise TokenInvalidError("too large")
    verify = _verified_payload if len(token) <= _REMEMBERED_LENGTH else _verify_payload
    verified = verify(token, tuple(keys), conf.issuer, conf.audience)
    # A new dict per call: the caller may change it (DRF hands it on as request.auth).
    claims: AccessClaims = json.loads(verified)
    leeway = int(conf.leeway.total_seconds())
    timestamp = now.timestamp()
    if claims["iat"] > timestamp + leeway or claims.get("nbf", 0) > timestamp + leeway:
        raise TokenInvalidError("not yet valid")
    if claims["exp"] <= timestamp - leeway:
        raise TokenExpiredError("expired")
    return claims


def _verify_payload(token: str, keys: tuple[Key, ...], issuer: str, audience: str) -> str:
    """The claims of a token whose shape, header, signature and claims are valid, as JSON;
    everything but the time, which the caller checks on every use."""
    header, payload, signature = _parse_compact(token)
    _check_header(header, keys)
    candidates = [k for k in keys if k.algorithm == header["alg"]]
    if "kid" in header:
        candidates = [k for k in candidates if k.kid == header["kid"]]
    if not candidates:
        raise TokenInvalidError("no key for this token")
    signing_input = token.rsplit(".", 1)[0].encode()
    if not any(key.verifies(signing_input, signature) for key in candidates):
        raise TokenInvalidError("bad signature")
    _check_claims(payload, issuer, audience)
    return json.dumps(payload)


# ``_verify_payload`` is a pure function of its arguments, so its answers are kept
# (bounded, the least recently used out): a client sends the same access token until it
# expires, and verifying it is most of the work. A token that fails is not kept and is
# checked in full every time; one that verified is kept whatever its time, which is
# checked on every use. A changed key set is new key objects (``Key`` is equal only to
# itself), so a new argument. This server's tokens are about 500 characters; a longer
# one (claims added by ACCESS_TOKEN_CLAIMS) is verified every time, so what is kept
# stays a few MiB per process.
_verified_payload = functools.lru_cache(maxsize=2048)(_verify_payload)
_REMEMBERED_LENGTH = 2048


def forget_verified() -> None:
    """Drop every remembered verification: called when a key set is replaced, so that a
    retired key does not stay in memory for the tokens it once verified."""
    _verified_payload.cache_clear()


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
    result = dict(pairs)  # built in C; a shorter dict means a name came twice
    if len(result) != len(pairs):
        names = [name for name, _ in pairs]
        twice = next(name for name in names if names.count(name) > 1)
        raise TokenInvalidError(f"duplicate member {twice!r}")
    return result


# One decoder for the process: json.loads with a hook would build a new one per call.
_DECODER = json.JSONDecoder(object_pairs_hook=_reject_duplicates)


def _parse_json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = _DECODER.decode(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise TokenInvalidError("bad JSON") from exc
    if not isinstance(value, dict):
        raise TokenInvalidError("not a JSON object")
    return value


def _parse_compact(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    if not _COMPACT_JWS.fullmatch(token):
        raise TokenInvalidError("not a compact JWS")
    header_b64, payload_b64, signature_b64 = token.split(".")
    signature = _b64decode_canonical(signature_b64)
    header = _parse_json_object(_b64decode_canonical(header_b64))
    payload = _parse_json_object(_b64decode_canonical(payload_b64))
    return header, payload, signature


def _check_header(header: dict[str, Any], keys: Sequence[Key]) -> None:
    # Types first: a JSON array or object is unhashable and must not reach the set test.
    alg, typ = header.get("alg"), header.get("typ")
    if not isinstance(alg, str) or alg not in {k.algorithm for k in keys}:
        raise TokenInvalidError("algorithm not allowed")
    if not isinstance(typ, str) or typ != ACCESS_TOKEN_TYPE:
        raise TokenInvalidError("wrong typ")
    if FORBIDDEN_HEADERS & header.keys():
        raise TokenInvalidError("forbidden header")
    if "kid" in header and not isinstance(header["kid"], str):
        raise TokenInvalidError("bad kid")


def _check_claims(payload: dict[str, Any], issuer: str, audience: str) -> None:
    """Every required claim present and well typed; issuer and audience exact (RFC 8725 §3.8-9)."""
    missing = [name for name in REQUIRED_CLAIMS if name not in payload]
    if missing:
        raise TokenInvalidError(f"missing claims {missing}")
    for name in ("iss", "aud", "sub", "sid", "jti"):
        if not isinstance(payload[name], str) or not payload[name]:
            raise TokenInvalidError(f"claim {name} must be a non-empty string")
    for name in ("iat", "exp", "nbf"):
        if name in payload and type(payload[name]) is not int:
            raise TokenInvalidError(f"claim {name} must be an integer")
    if payload["iss"] != issuer or payload["aud"] != audience:
        raise TokenInvalidError("wrong issuer or audience")
    try:
        uuid.UUID(payload["sid"])
    except ValueError as exc:
        raise TokenInvalidError("bad sid") from exc
