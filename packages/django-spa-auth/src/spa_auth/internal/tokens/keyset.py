"""Asymmetric signing keys for access tokens: a JSON key set on disk, and its JWKS.

One key is ``active`` (signs); ``verify`` keys still verify tokens they signed before a
rotation; ``next`` keys are published ahead of use. The file is re-read when it changes,
so every worker and instance sharing it picks up a rotation without a restart.
Key generation and serialisation are the ``cryptography`` package's; nothing is hand-made.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import get_default_algorithms

from . import codec
from .codec import Key

ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "ES256", "EdDSA"})
STATUSES = ("active", "verify", "next")


class KeysetError(Exception):
    """The key set is missing, unreadable or inconsistent."""


@dataclass(frozen=True)
class StoredKey:
    kid: str
    alg: str
    status: str
    private_pem: str

    def load(self) -> Key:
        private = serialization.load_pem_private_key(self.private_pem.encode(), password=None)
        return Key(
            algorithm=self.alg, signing=private, verifying=private.public_key(), kid=self.kid
        )


def generate(alg: str) -> StoredKey:
    if alg == "RS256":
        private: Any = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    elif alg == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    elif alg == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        raise KeysetError(
            f"Unsupported algorithm {alg!r}; use one of {sorted(ASYMMETRIC_ALGORITHMS)}"
        )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    # Hex, not urlsafe base64: a kid starting with "-" would read as an option in
    # `jwt_keys retire KID`.
    return StoredKey(kid=secrets.token_hex(12), alg=alg, status="next", private_pem=pem)


def read(path: Path) -> list[StoredKey]:
    if not path.exists():
        return []
    try:
        entries = json.loads(path.read_text())["keys"]
        return [StoredKey(**entry) for entry in entries]
    except (ValueError, KeyError, TypeError) as exc:
        raise KeysetError(f"{path} is not a valid key set: {exc}") from exc


def write(path: Path, keys: list[StoredKey]) -> None:
    """Replace the file atomically, readable by its owner only (it holds private keys)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".keyset-")
    with os.fdopen(fd, "w") as handle:
        json.dump({"keys": [key.__dict__ for key in keys]}, handle, indent=2)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


_loaded: dict[Path, tuple[tuple[int, ...], list[Key]]] = {}


def load_keys(path: Path) -> list[Key]:
    """The usable keys, active first; cached until the file changes. A change is told by
    the file's modification time, size, inode and status-change time together: a copy that
    keeps the old modification time (``cp -p``, ``rsync -t``, a restore) still changes the
    inode or the status-change time, which no one can set back."""
    try:
        found = path.stat()
    except FileNotFoundError:
        raise KeysetError(f"No key set at {path}: run `manage.py jwt_keys rotate`") from None
    stamp = (found.st_mtime_ns, found.st_size, found.st_ino, found.st_ctime_ns)
    cached = _loaded.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    stored = read(path)
    try:
        ordered = sorted(stored, key=lambda key: STATUSES.index(key.status))
        keys = [key.load() for key in ordered]
    except (ValueError, TypeError) as exc:  # an unknown status, or a PEM that is not a key
        raise KeysetError(f"{path} is not a valid key set: {exc}") from exc
    if not stored or ordered[0].status != "active":
        raise KeysetError(f"{path} has no active key")
    _loaded[path] = (stamp, keys)
    codec.forget_verified()  # nothing verified under the old set is kept alive
    return keys


def jwks(keys: list[Key]) -> dict[str, Any]:
    """The public half of every key, as a JWK Set (RFC 7517)."""
    algorithms = get_default_algorithms()
    published = []
    for key in keys:
        jwk = algorithms[key.algorithm].to_jwk(key.verifying, as_dict=True)
        published.append({**jwk, "kid": key.kid, "alg": key.algorithm, "use": "sig"})
    return {"keys": published}
