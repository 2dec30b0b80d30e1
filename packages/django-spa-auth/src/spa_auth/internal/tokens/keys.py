"""Keys derived from the server secret, and the refresh-token MAC.

Nothing here uses ``SECRET_KEY`` directly as a key: each purpose derives its own with
Django's ``salted_hmac`` (HKDF-like domain separation), so an access-token key can never
be replayed as a signing key elsewhere in Django. ``SECRET_KEY_FALLBACKS`` verify, so the
secret can rotate without logging anyone out.
"""

from __future__ import annotations

import base64
import functools
import re
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from ...conf import SYMMETRIC_ALGORITHMS, AuthSettings
from ...errors import RefreshInvalidError
from . import codec, keyset
from .codec import Key
from .keyset import KeysetError

_ACCESS_SALT = "spa_auth.keys.access-token"
_REFRESH_SALT = "spa_auth.keys.refresh-token"
_CREDENTIAL_SALT = "spa_auth.keys.credential"
_CLIENT_SALT = "spa_auth.keys.client"
_HASHES = {"HS256": "sha256", "HS384": "sha384", "HS512": "sha512"}
# One token, one spelling: no leading zeros in the generation, lower-case hex, and a MAC
# compared as the exact text this server writes.
_REFRESH_SHAPE = re.compile(r"^([0-9a-f]{32})\.(0|[1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})$")


def _secrets() -> list[str]:
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def access_keys(conf: AuthSettings) -> list[Key]:
    """The verification keys, the signing key first."""
    if conf.algorithm not in SYMMETRIC_ALGORITHMS:
        if not conf.keyset_file:
            raise KeysetError("An asymmetric algorithm needs SPA_AUTH['KEYSET_FILE']")
        return keyset.load_keys(Path(conf.keyset_file))
    return _derived_keys(conf.algorithm, tuple(_secrets()))


@functools.lru_cache(maxsize=8)
def _derived_keys(algorithm: str, secrets: tuple[str, ...]) -> list[Key]:
    codec.forget_verified()  # a new key set: nothing verified under another is kept
    keys = []
    for secret in secrets:
        material = salted_hmac(
            _ACCESS_SALT, algorithm, secret=secret, algorithm=_HASHES[algorithm]
        ).digest()
        keys.append(Key(algorithm=algorithm, signing=material, verifying=material))
    return keys


def _refresh_mac(session_id: str, generation: int, secret: str) -> str:
    # Django's salted_hmac keyed once per (purpose, secret), copied per use, so the key
    # derivation runs once per secret instead of once per token.
    mac = _mac_start(_REFRESH_SALT, secret).copy()
    mac.update(f"{session_id}.{generation}".encode())
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


@functools.lru_cache(maxsize=16)
def _mac_start(salt: str, secret: str) -> Any:
    return salted_hmac(salt, b"", secret=secret, algorithm="sha256")


def _digest(salt: str, message: str, secret: str) -> str:
    mac = _mac_start(salt, secret).copy()
    mac.update(message.encode())
    return mac.hexdigest()[:32]


def keyed_digest(salt: str, value: str, *, secret: str | None = None) -> str:
    """A keyed digest (HMAC-SHA256 of the server secret, salted per purpose) of a value the
    server only ever compares: mailed keys and codes, recovery codes, device ids."""
    return salted_hmac(
        salt, value, secret=secret or settings.SECRET_KEY, algorithm="sha256"
    ).hexdigest()


def keyed_digests(salt: str, value: str) -> list[str]:
    """``keyed_digest`` under the current secret and every fallback, so that what was
    stored before a ``SECRET_KEY`` rotation is still recognised."""
    return [keyed_digest(salt, value, secret=secret) for secret in _secrets()]


def credential_digest(user_id: Any, password_hash: str, *, secret: str | None = None) -> str:
    """A keyed digest of the user's id and password hash, stored with each session: it moves
    with every new password (a new salt), and without the server secret it says nothing
    about the hash."""
    return _digest(_CREDENTIAL_SALT, f"{user_id}:{password_hash}", secret or settings.SECRET_KEY)


def credential_digests(user_id: Any, password_hash: str) -> list[str]:
    """The digest under the current secret and every fallback (sessions made before a
    ``SECRET_KEY`` rotation keep theirs)."""
    return [credential_digest(user_id, password_hash, secret=s) for s in _secrets()]


def matches_credential(digest: str, user_id: Any, password_hash: str) -> bool:
    """Whether a session's digest is that of the user's id and current password hash."""
    return _matches_credential(digest, str(user_id), password_hash, tuple(_secrets()))


@functools.lru_cache(maxsize=4096)
def _matches_credential(
    digest: str, user_id: str, password_hash: str, secrets: tuple[str, ...]
) -> bool:
    # Every authenticated request asks this of the same few values: a pure function of
    # them, kept per process (bounded, least recently used first out).
    return any(
        constant_time_compare(digest, credential_digest(user_id, password_hash, secret=secret))
        for secret in secrets
    )


def client_digest(address: str | None, user_agent: str) -> str:
    """A keyed digest of a client's address and user agent (the grace window's binding)."""
    return _digest(_CLIENT_SALT, f"{address or ''}|{user_agent}", settings.SECRET_KEY)


def make_refresh_token(session_id: uuid.UUID, generation: int) -> str:
    """Session id, generation and a MAC over both: nothing per token is stored."""
    sid = session_id.hex
    return f"{sid}.{generation}.{_refresh_mac(sid, generation, settings.SECRET_KEY)}"


def parse_refresh_token(token: str) -> tuple[uuid.UUID, int]:
    """Return (session id, generation) of a token this server issued, else raise."""
    match = _REFRESH_SHAPE.fullmatch(token) if isinstance(token, str) else None
    if not match:
        raise RefreshInvalidError("malformed refresh token")
    sid, generation, mac = match.group(1), int(match.group(2)), match.group(3)
    if not any(constant_time_compare(mac, _refresh_mac(sid, generation, s)) for s in _secrets()):
        raise RefreshInvalidError("bad refresh MAC")
    return uuid.UUID(sid), generation
