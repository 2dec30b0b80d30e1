"""What the server reads from a provider over HTTP: JSON documents behind a timeout and
a size cap, the discovery document, and the key set (JWKS) with its cache.

Every answer is read strictly: the wrong status, content, size or JSON type is a
``ProviderError`` (logged with its detail, shown as ``provider_error``), no answer in
time a ``ProviderUnavailableError``. Nothing here trusts a URL that is not HTTPS (or
plain HTTP to a loopback host).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
import requests

from ...conf import get_settings
from ...errors import ProviderError, ProviderUnavailableError
from .config import Provider, is_safe_url

logger = logging.getLogger("spa_auth.providers")

MAX_BYTES = 256 * 1024
DISCOVERY_TTL = 3600.0
# An ID token naming a key the cached set lacks fetches the set again, at most this often:
# a stream of made-up ``kid``s must not make every callback fetch it.
JWKS_REFETCH_INTERVAL = 60.0
JWKS_TTL = 3600.0
# Asymmetric only: ``none`` and HMAC (keyed, by confusion, with a public key) never verify.
SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


def request_json(
    method: str, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any
) -> Any:
    """The JSON of a 200 answer at ``url``, read up to ``MAX_BYTES``."""
    if not is_safe_url(url):
        raise ProviderError(f"refusing a URL that is not https: {url!r}")
    try:
        with requests.request(
            method,
            url,
            headers={"Accept": "application/json", **(headers or {})},
            timeout=get_settings().provider_timeout,
            stream=True,
            allow_redirects=False,
            **kwargs,
        ) as response:
            body = response.raw.read(MAX_BYTES + 1, decode_content=True)
            status = response.status_code
    except requests.RequestException as error:
        raise ProviderUnavailableError(f"{url}: {error}") from error
    if len(body) > MAX_BYTES:
        raise ProviderError(f"{url}: answer over {MAX_BYTES} bytes")
    try:
        document = json.loads(body)
    except ValueError as error:
        raise ProviderError(f"{url}: {status} answer is not JSON") from error
    if status != 200:
        raise ProviderError(f"{url}: status {status}: {str(document)[:200]}")
    return document


@dataclass(frozen=True)
class Metadata:
    """What discovery says of an OpenID provider, checked."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: frozenset[str]
    token_auth_methods: tuple[str, ...]


def _string_list(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def parse_metadata(document: Any, provider: Provider) -> Metadata:
    """The discovery document of ``provider``: an object whose ``issuer`` is the one
    configured (OpenID Connect Discovery §4.3; Entra ID's multi-tenant documents say
    ``{tenantid}`` in its place) and whose endpoints are HTTPS."""
    if not isinstance(document, dict):
        raise ProviderError("the discovery document is not an object")
    issuer = document.get("issuer")
    if issuer != provider.issuer and not (
        provider.kind == "microsoft" and is_tenant_template(issuer, provider.issuer)
    ):
        raise ProviderError(f"discovery names issuer {issuer!r}, not {provider.issuer!r}")
    urls: dict[str, Any] = {}
    # Plain HTTP to loopback is for a loopback issuer (development): the document of an
    # HTTPS issuer must not send the server to a service on its own host.
    https_only = provider.issuer.startswith("https://")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        configured = getattr(provider, key, None)
        value = configured or document.get(key)
        if not is_safe_url(value) or (
            not configured and https_only and not str(value).startswith("https://")
        ):
            raise ProviderError(f"discovery's {key} is not an https URL: {value!r}")
        urls[key] = value
    algorithms = frozenset(
        _string_list(document.get("id_token_signing_alg_values_supported")) or ["RS256"]
    )
    return Metadata(
        issuer=str(issuer),
        algorithms=algorithms & SIGNING_ALGORITHMS,
        token_auth_methods=tuple(
            _string_list(document.get("token_endpoint_auth_methods_supported"))
        ),
        **urls,
    )


def is_tenant_template(issuer: Any, configured: str) -> bool:
    """Entra ID's common and organizations endpoints: the issuer is a template."""
    return (
        isinstance(issuer, str)
        and "{tenantid}" in issuer
        and configured.startswith("https://login.microsoftonline.com/")
    )


_lock = threading.Lock()
# The discovery documents as fetched, by URL: two providers of one issuer share the
# document, never each other's endpoints (each is read with its own settings).
_discovered: dict[str, tuple[float, Any]] = {}
_key_sets: dict[str, tuple[float, jwt.PyJWKSet | None]] = {}


def metadata(provider: Provider) -> Metadata:
    """The provider's discovery document, fetched once an hour per process."""
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    now = time.monotonic()
    with _lock:
        cached = _discovered.get(url)
    if cached is not None and now - cached[0] < DISCOVERY_TTL:
        return parse_metadata(cached[1], provider)
    document = request_json("GET", url)
    found = parse_metadata(document, provider)
    with _lock:
        _discovered[url] = (now, document)
    return found


def signing_key(jwks_uri: str, kid: Any) -> jwt.PyJWK:
    """The key ``kid`` of the set at ``jwks_uri``. The set is cached; a ``kid`` it lacks
    fetches it again, at most once per ``JWKS_REFETCH_INTERVAL``."""
    now = time.monotonic()
    with _lock:
        fetched_at, key_set = _key_sets.get(jwks_uri, (-JWKS_TTL, None))
    key = _find(key_set, kid)
    stale = now - fetched_at >= JWKS_TTL
    if key is not None and not stale:
        return key
    if stale or now - fetched_at >= JWKS_REFETCH_INTERVAL:
        key_set = parse_key_set(request_json("GET", jwks_uri))
        with _lock:
            _key_sets[jwks_uri] = (now, key_set)
        key = _find(key_set, kid)
    if key is None:
        raise ProviderError(f"no key {kid!r} in the provider's key set")
    return key


def parse_key_set(document: Any) -> jwt.PyJWKSet:
    """A JWKS; keys of types this server cannot use are skipped (PyJWT's rule)."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ProviderError("the key set is not an object with a list of keys")
    try:
        return jwt.PyJWKSet.from_dict(document)
    except (jwt.PyJWKSetError, jwt.PyJWKError, TypeError, ValueError, KeyError) as error:
        raise ProviderError(f"the key set is unusable: {error}") from error


def _find(key_set: jwt.PyJWKSet | None, kid: Any) -> jwt.PyJWK | None:
    if key_set is None:
        return None
    keys = [key for key in key_set.keys if getattr(key, "public_key_use", "sig") in (None, "sig")]
    if kid is None:
        return keys[0] if len(keys) == 1 else None
    return next((key for key in keys if key.key_id == kid), None)


def forget() -> None:
    """Drop every cached document (tests, and a provider that rotated in a hurry)."""
    with _lock:
        _discovered.clear()
        _key_sets.clear()
