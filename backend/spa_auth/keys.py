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

from . import keyset
from .codec import Key
from .conf import SYMMETRIC_ALGORITHMS, AuthSettings
from .errors import RefreshInvalidError
from .keyset import KeysetError

_ACCESS_SALT = "spa_auth.keys.access-token"
_REFRESH_SALT = "spa_auth.keys.refresh-token"
_HASHES = {"HS256": "sha256", "HS384": "sha384", "HS512": "sha512"}
_REFRESH_SHAPE = re.compile(r"^([0-9a-f]{32})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")


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
    keys = []
    for secret in secrets:
        material = salted_hmac(
            _ACCESS_SALT, algorithm, secret=secret, algorithm=_HASHES[algorithm]
        ).digest()
        keys.append(Key(algorithm=algorithm, signing=material, verifying=material))
    return keys


@functools.lru_cache(maxsize=8)
def _refresh_mac_start(secret: str) -> Any:
    """Django's salted_hmac, keyed for refresh tokens, before any message: copied per use,
    so the key derivation runs once per secret instead of once per token."""
    return salted_hmac(_REFRESH_SALT, b"", secret=secret, algorithm="sha256")


def _refresh_mac(session_id: str, generation: int, secret: str) -> str:
    mac = _refresh_mac_start(secret).copy()
    mac.update(f"{session_id}.{generation}".encode())
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


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
