"""Who the provider says signed in: the ID token verified and read (OpenID Connect Core
§3.1.3.7), or GitHub's user API read, into one ``Identity``.

The identity is the pair (issuer, subject). The address and whether the provider
vouches for it are read for a first sign-in only, by each provider's rule: a boolean
``email_verified`` (Apple's string "true" too); for Entra ID only ``xms_edov`` or a
trusted tenant, since its ``email`` claim is whatever a tenant's admin typed (nOAuth);
for GitHub, the verified primary address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
from django.utils.crypto import constant_time_compare

from ...conf import get_settings
from ...errors import ProviderError
from ..accounts import mail
from . import remote
from .config import Provider


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    email: str = ""
    email_verified: bool = False
    name: str = ""
    # When the person last signed in at the provider (OIDC ``auth_time``), if it says.
    auth_time: int | None = None


def _text(value: Any, limit: int) -> str:
    """One plain line: control, format (bidirectional overrides), surrogate and separator
    characters become one space, as in a passkey's name (M20); NUL never reaches the
    database."""
    if not isinstance(value, str):
        return ""
    return mail.one_line(value)[:limit]


def _is_true(value: Any) -> bool:
    return value is True or value == "true"


def _address(value: Any) -> str:
    """An address-shaped string, or ""."""
    if not isinstance(value, str) or len(value) > 254 or value.count("@") != 1:
        return ""
    local, domain = value.strip().split("@")
    return value.strip() if local and "." in domain and not any(c.isspace() for c in value) else ""


def verify_id_token(
    token: Any, *, provider: Provider, metadata: remote.Metadata, nonce: str
) -> dict[str, Any]:
    """The claims of a valid ID token for this client and this flow."""
    if not isinstance(token, str) or len(token) > 16384:
        raise ProviderError("the token answer has no ID token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise ProviderError(f"the ID token is malformed: {error}") from error
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in metadata.algorithms:
        raise ProviderError(f"ID token algorithm {algorithm!r} is not accepted")
    key = remote.signing_key(metadata.jwks_uri, header.get("kid"))
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[algorithm],
            audience=provider.client_id,
            leeway=get_settings().leeway,
            options={"require": ["iss", "sub", "aud", "exp", "iat"], "verify_iss": False},
        )
    except jwt.PyJWTError as error:
        raise ProviderError(f"the ID token does not verify: {error}") from error
    if claims.get("iss") != expected_issuer(provider, metadata, claims):
        raise ProviderError(f"ID token issuer {claims.get('iss')!r} is not the provider's")
    if not isinstance(claims.get("nonce"), str) or not constant_time_compare(
        claims["nonce"], nonce
    ):
        raise ProviderError("the ID token's nonce is not this flow's")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != provider.client_id:
        raise ProviderError(f"the ID token was issued to {azp!r}")
    return claims


def expected_issuer(provider: Provider, metadata: remote.Metadata, claims: dict[str, Any]) -> str:
    """The issuer the token must name: discovery's, with Entra ID's ``{tenantid}``
    replaced by the token's own tenant, which the signature covers."""
    if provider.kind == "microsoft" and "{tenantid}" in metadata.issuer:
        tenant = claims.get("tid")
        if not isinstance(tenant, str) or not tenant or "/" in tenant:
            raise ProviderError("an Entra ID token without a tenant")
        return metadata.issuer.replace("{tenantid}", tenant)
    return metadata.issuer


def from_claims(provider: Provider, claims: dict[str, Any], extra: dict[str, Any]) -> Identity:
    """The identity of verified ID token claims (``extra``: what a form-post callback
    carried besides, Apple's ``user``)."""
    subject, issuer = claims.get("sub"), claims.get("iss")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise ProviderError("the ID token has no usable subject")
    if not isinstance(issuer, str) or not issuer or len(issuer) > 255:
        raise ProviderError("the ID token has no usable issuer")
    email = _address(claims.get("email"))
    if provider.kind == "microsoft":
        tenant = claims.get("tid")
        verified = _is_true(claims.get("xms_edov")) or (
            isinstance(tenant, str) and tenant in provider.trusted_tenants
        )
    else:
        verified = _is_true(claims.get("email_verified"))
    name = _text(claims.get("name"), 150) or " ".join(
        part
        for part in (_text(claims.get("given_name"), 75), _text(claims.get("family_name"), 75))
        if part
    )
    if provider.kind == "apple" and not name:
        name = _text(extra.get("name"), 150)
    auth_time = claims.get("auth_time")
    if not isinstance(auth_time, int) or isinstance(auth_time, bool):
        auth_time = None
    return Identity(issuer, subject, email, bool(email) and verified, name, auth_time)


def apple_name(user: Any) -> str:
    """Apple's ``user`` form field (JSON, sent on the first sign-in only): the name."""
    if not isinstance(user, dict) or not isinstance(user.get("name"), dict):
        return ""
    parts = (_text(user["name"].get(key), 75) for key in ("firstName", "lastName"))
    return " ".join(part for part in parts if part)


def from_github(provider: Provider, user: Any, emails: Any) -> Identity:
    """GitHub's user API (its numeric ``id`` is the subject; the login can be renamed and
    taken by someone else) and its verified primary address."""
    if not isinstance(user, dict):
        raise ProviderError("GitHub's user answer is not an object")
    user_id = user.get("id")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not 0 < user_id < 2**63:
        raise ProviderError("GitHub's user answer has no numeric id")
    if not isinstance(emails, list):
        raise ProviderError("GitHub's address answer is not a list")
    primary = next(
        (entry for entry in emails if isinstance(entry, dict) and entry.get("primary") is True),
        None,
    )
    email = _address(primary.get("email")) if primary else ""
    verified = bool(primary) and primary.get("verified") is True  # type: ignore[union-attr]
    name = _text(user.get("name"), 150) or _text(user.get("login"), 150)
    return Identity(provider.issuer, str(user_id), email, bool(email) and verified, name)
