"""A software WebAuthn authenticator for API tests: an EC P-256 key (ES256, COSE -7), a
credential id and a sign counter. It answers the options the server sends with the JSON
``@simplewebauthn/browser`` would post (RegistrationResponseJSON with attestation
``none``, AuthenticationResponseJSON), for any origin, RP ID, challenge, counter, flags
and user handle a test chooses, so that tests can also forge what a browser never would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

# Authenticator data flags (WebAuthn §6.1).
UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    def __init__(self, *, origin: str, rp_id: str, sign_count: int = 0) -> None:
        self.origin, self.rp_id = origin, rp_id
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = sign_count
        self.user_handle: bytes | None = None

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()

    def _auth_data(self, rp_id: str | None, flags: int, sign_count: int, extra: bytes) -> bytes:
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        return rp_hash + bytes([flags]) + sign_count.to_bytes(4, "big") + extra

    def register(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: str | None = None,
        user_verified: bool = True,
        user_present: bool = True,
        backed_up: bool = False,
    ) -> dict[str, Any]:
        """RegistrationResponseJSON for ``options`` (PublicKeyCredentialCreationOptionsJSON)."""
        self.user_handle = unb64url(options["user"]["id"])
        flags = AT | (UP if user_present else 0) | (UV if user_verified else 0)
        flags |= (BE | BS) if backed_up else 0
        attested = (
            bytes(16)  # AAGUID: zeros, as "none" attestation allows
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + self._cose_key()
        )
        auth_data = self._auth_data(rp_id, flags, self.sign_count, attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data(
            "webauthn.create", challenge or options["challenge"], origin
        )
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def assertion(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: str | None = None,
        sign_count: int | None = None,
        user_verified: bool = True,
        user_present: bool = True,
        user_handle: bytes | str | None = "registered",
    ) -> dict[str, Any]:
        """AuthenticationResponseJSON for ``options`` (PublicKeyCredentialRequestOptionsJSON).

        The counter goes up by one per assertion unless ``sign_count`` says otherwise
        (pass 0 to act as a passkey without a counter). ``user_handle``: the one from
        registration by default, ``None`` to send none, or any bytes."""
        if sign_count is None:
            self.sign_count += 1
            sign_count = self.sign_count
        flags = (UP if user_present else 0) | (UV if user_verified else 0)
        auth_data = self._auth_data(rp_id, flags, sign_count, b"")
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))  # DER, as WebAuthn wants
        handle = self.user_handle if isinstance(user_handle, str) else user_handle
        response: dict[str, Any] = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
        }
        if handle is not None:
            response["userHandle"] = b64url(handle)
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
