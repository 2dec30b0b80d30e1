"""The sign-in providers of ``SPA_AUTH["PROVIDERS"]``, read, checked and completed by
their preset (``kind``).

A provider is any OpenID Connect issuer (found by discovery), or a preset that knows one
provider's quirks: Google; Microsoft Entra ID (a tenant-templated issuer, an ``email``
claim that proves nothing unless ``xms_edov`` says so or the tenant is trusted); Apple
(the callback is a form post, the name comes once, outside the ID token); GitHub, which
is OAuth 2.0 without an ID token (its user API names the account). Every URL is HTTPS;
plain HTTP only on a loopback host, for development and tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from ...conf import get_settings
from ...errors import UnknownProviderError

KINDS = ("oidc", "google", "microsoft", "apple", "github")
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

GITHUB_ISSUER = "https://github.com"
_PRESETS: dict[str, dict[str, Any]] = {
    "google": {"name": "Google", "issuer": "https://accounts.google.com"},
    "microsoft": {"name": "Microsoft"},
    "apple": {
        "name": "Apple",
        "issuer": "https://appleid.apple.com",
        "scopes": ("openid", "email", "name"),
        "response_mode": "form_post",
    },
    "github": {
        "name": "GitHub",
        "issuer": GITHUB_ISSUER,
        "scopes": ("read:user", "user:email"),
        "authorization_endpoint": "https://github.com/login/oauth/authorize",
        "token_endpoint": "https://github.com/login/oauth/access_token",
        "userinfo_endpoint": "https://api.github.com/user",
        "emails_endpoint": "https://api.github.com/user/emails",
    },
}
_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "emails_endpoint")
# Apple signs its client secret itself: a short-lived ES256 JWT made with the team's key.
_APPLE_KEYS = ("team_id", "key_id", "private_key")
_KEYS = frozenset(
    {"id", "name", "kind", "issuer", "client_id", "client_secret", "scopes", "tenant"}
    | {"trusted_tenants", "response_mode", *_ENDPOINTS, *_APPLE_KEYS}
)


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    kind: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    response_mode: str | None = None
    # Microsoft: tenants whose ``email`` claim is trusted as verified.
    trusted_tenants: frozenset[str] = frozenset()
    # Set for GitHub (no discovery); for an OpenID provider, discovery's win unless set.
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    emails_endpoint: str | None = None
    # Apple: the team, key id and PEM private key its client secret is signed with.
    team_id: str | None = None
    key_id: str | None = None
    private_key: str | None = field(default=None, repr=False)

    @property
    def is_oidc(self) -> bool:
        return self.kind != "github"


def providers() -> dict[str, Provider]:
    """Every configured provider by id, in the order of the setting."""
    source = get_settings().providers
    cached = _cache.get("parsed")
    if cached is not None and cached[0] is source:
        return cached[1]  # type: ignore[no-any-return]
    parsed = parse(source)
    _cache["parsed"] = (source, parsed)
    return parsed


_cache: dict[str, tuple[object, dict[str, Provider]]] = {}


def get(provider_id: Any) -> Provider:
    found = providers().get(provider_id) if isinstance(provider_id, str) else None
    if found is None:
        raise UnknownProviderError(f"no provider {provider_id!r}")
    return found


def parse(source: Any) -> dict[str, Provider]:
    """The providers of a ``PROVIDERS`` value; ``ImproperlyConfigured`` names what is wrong."""
    if not isinstance(source, (list, tuple)):
        raise ImproperlyConfigured('SPA_AUTH["PROVIDERS"] must be a list of dicts')
    found: dict[str, Provider] = {}
    for entry in source:
        provider = _provider(entry)
        if provider.id in found:
            raise ImproperlyConfigured(f"Two providers have the id {provider.id!r}")
        found[provider.id] = provider
    return found


def _provider(entry: Any) -> Provider:
    if not isinstance(entry, dict):
        raise ImproperlyConfigured(f"A provider must be a dict, not {type(entry).__name__}")
    unknown = set(entry) - _KEYS
    if unknown:
        raise ImproperlyConfigured(f"Unknown provider keys: {', '.join(sorted(unknown))}")
    kind = entry.get("kind", "oidc")
    if kind not in KINDS:
        raise ImproperlyConfigured(f"Provider kind {kind!r} is not one of {', '.join(KINDS)}")
    values = {**_PRESETS.get(kind, {}), **entry, "kind": kind}
    if kind == "microsoft" and "issuer" not in entry:
        tenant = values.get("tenant", "common")
        values["issuer"] = f"https://login.microsoftonline.com/{tenant}/v2.0"
    values.pop("tenant", None)
    provider_id = values.get("id")
    if not isinstance(provider_id, str) or not _ID.fullmatch(provider_id):
        raise ImproperlyConfigured(
            f"Provider id {provider_id!r}: 1 to 32 of a-z, 0-9, _ and -, starting alphanumeric"
        )
    signs_secret = kind == "apple" and "client_secret" not in values
    if signs_secret:
        values["client_secret"] = "-"  # made at each token request (``secrets``)
    needed = (
        "name",
        "issuer",
        "client_id",
        "client_secret",
        *(_APPLE_KEYS if signs_secret else ()),
    )
    for key in needed:
        if not isinstance(values.get(key), str) or not values[key]:
            raise ImproperlyConfigured(f"Provider {provider_id!r} needs a {key!r} string")
    for key in ("issuer", *_ENDPOINTS):
        if values.get(key) is not None:
            require_safe_url(values[key], f"Provider {provider_id!r} {key}")
    if kind == "github" and not all(values.get(key) for key in _ENDPOINTS):
        raise ImproperlyConfigured(f"Provider {provider_id!r} lacks an endpoint")
    if signs_secret:
        _require_apple_key(provider_id, values["private_key"])
    if (
        kind == "github"
        and "issuer" not in entry
        and any(values[key] != _PRESETS["github"][key] for key in _ENDPOINTS)
    ):
        # The identity is (issuer, user id): a GitHub Enterprise server under github.com's
        # issuer would sign its user 4 in as github.com's user 4.
        raise ImproperlyConfigured(
            f"Provider {provider_id!r}: a GitHub server other than github.com needs its own "
            "'issuer' (its URL, e.g. https://github.example.com)"
        )
    scopes = values.get("scopes", Provider.scopes)
    if isinstance(scopes, str):
        scopes = scopes.split()
    tenants = values.get("trusted_tenants", ())
    if not all(isinstance(scope, str) for scope in scopes) or not all(
        isinstance(tenant, str) for tenant in tenants
    ):
        raise ImproperlyConfigured(f"Provider {provider_id!r}: scopes and tenants are strings")
    endpoints: dict[str, Any] = {key: values.get(key) for key in (*_ENDPOINTS, *_APPLE_KEYS)}
    return Provider(
        **{key: values[key] for key in ("id", "name", "kind", "issuer", "client_id")},
        client_secret=values["client_secret"],
        scopes=tuple(scopes),
        response_mode=values.get("response_mode"),
        trusted_tenants=frozenset(tenants),
        **endpoints,
    )


def _require_apple_key(provider_id: str, pem: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            f"Provider {provider_id!r}: private_key is not a PEM key"
        ) from error
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ImproperlyConfigured(f"Provider {provider_id!r}: private_key must be a P-256 key")


def is_safe_url(url: Any) -> bool:
    """HTTPS, or plain HTTP to a loopback host (development and tests)."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS)


def require_safe_url(url: Any, what: str) -> None:
    if not is_safe_url(url):
        raise ImproperlyConfigured(f"{what} must be an https URL (http only on loopback)")
