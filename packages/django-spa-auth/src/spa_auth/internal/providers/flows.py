"""A flow at a provider: begun here, answered at the callback (authorization code with
PKCE S256, ``state`` and ``nonce``, RFC 9700 §2.1).

The flow's secrets stay on the server, in a ``ProviderFlow`` row found by a keyed digest
of its ``state``; the browser that began it holds only an httpOnly cookie (a random
value whose digest the row keeps), which the callback must bring back. The cookie is
``SameSite=Lax``, so that it comes back on the provider's top-level redirect; a form-post
callback (Apple), which no Lax cookie follows, is turned into such a redirect first. Over
HTTPS its name has the ``__Host-`` prefix: no sibling subdomain can plant one. The
callback spends the flow (one conditional UPDATE) before it redeems the code.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme

from ...conf import get_settings
from ...errors import (
    ProviderCancelledError,
    ProviderError,
    ProviderStateError,
    ProviderUnavailableError,
)
from ...models import ProviderFlow
from .. import clock
from ..mfa import services as mfa
from ..sessions.cookies import is_secure_cookie
from . import identity, remote
from .config import Provider

logger = logging.getLogger("spa_auth.providers")

APPLE_AUDIENCE = "https://appleid.apple.com"
_BROWSER_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")
Intent = ProviderFlow.Intent


def cookie_name(request: HttpRequest) -> str:
    secure = is_secure_cookie(request, get_settings())
    return "__Host-spa_auth_flow" if secure else "spa_auth_flow"


def safe_next(value: Any) -> str:
    """A path on the app's own origin, or "/": never another site (an open redirect)."""
    if (
        not isinstance(value, str)
        or len(value) > 512
        or not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or any(ord(c) < 0x21 or c in "\\\x7f" for c in value)
        or not url_has_allowed_host_and_scheme(value, allowed_hosts=None)
    ):
        return "/"
    return value


def redirect_uri(provider: Provider) -> str:
    conf = get_settings()
    base = conf.api_url or conf.frontend_url or ""
    parts = urlsplit(base)
    path = reverse("spa_auth:provider_callback", kwargs={"provider_id": provider.id})
    return f"{parts.scheme}://{parts.netloc}{path}"


def _client(provider: Provider, metadata: remote.Metadata | None) -> OAuth2Session:
    methods = metadata.token_auth_methods if metadata else ()
    method = (
        "client_secret_post"
        if provider.kind in ("github", "apple")
        or (methods and "client_secret_basic" not in methods)
        else "client_secret_basic"
    )
    return OAuth2Session(
        client_id=provider.client_id,
        client_secret=client_secret(provider),
        token_endpoint_auth_method=method,
        scope=" ".join(provider.scopes),
        redirect_uri=redirect_uri(provider),
        code_challenge_method="S256",
    )


def client_secret(provider: Provider) -> str:
    """The client's secret; for Apple with a team key, an ES256 JWT that Apple verifies
    with the key it issued (Sign in with Apple, "Creating a client secret"), made for
    five minutes at each use so that no long-lived secret exists."""
    if provider.private_key is None:
        return provider.client_secret
    now = int(clock.now().timestamp())
    claims = {
        "iss": provider.team_id,
        "iat": now,
        "exp": now + 300,
        "aud": APPLE_AUDIENCE,
        "sub": provider.client_id,
    }
    try:
        return jwt.encode(
            claims, provider.private_key, algorithm="ES256", headers={"kid": provider.key_id}
        )
    except (ValueError, TypeError, jwt.PyJWTError) as error:
        raise ProviderError(f"{provider.id}: the Apple private key is unusable: {error}") from error


def start(
    request: HttpRequest,
    response: HttpResponse,
    provider: Provider,
    *,
    intent: str,
    user: Any = None,
    session_id: Any = None,
    next_path: Any = "/",
) -> str:
    """Store a new flow, set the browser's flow cookie on ``response``, and return the
    provider's authorization URL."""
    conf = get_settings()
    metadata = remote.metadata(provider) if provider.is_oidc else None
    endpoint = provider.authorization_endpoint or (
        metadata.authorization_endpoint if metadata else None
    )
    # One value per browser, kept while it has one: two tabs signing in at once each
    # finish their own flow (the flow is told by its state, the browser by this value).
    browser = request.COOKIES.get(cookie_name(request), "")
    if not _BROWSER_VALUE.fullmatch(browser):
        browser = secrets.token_urlsafe(32)
    state, nonce, verifier = (
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(64),
    )
    now = clock.now()
    ProviderFlow.objects.create(
        digest=mfa.digest(state),
        browser=mfa.digest(browser),
        provider=provider.id,
        intent=intent,
        user=user,
        session_id=session_id,
        code_verifier=verifier,
        nonce=nonce,
        next=safe_next(next_path),
        created_at=now,
        expires_at=now + conf.provider_flow_lifetime,
    )
    response.set_cookie(
        cookie_name(request),
        browser,
        max_age=int(conf.provider_flow_lifetime.total_seconds()),
        path="/",
        secure=is_secure_cookie(request, conf),
        httponly=True,
        samesite="Lax",
    )
    extra: dict[str, str] = {}
    if provider.is_oidc:
        extra["nonce"] = nonce
    if provider.response_mode:
        extra["response_mode"] = provider.response_mode
    if intent == Intent.REAUTHENTICATE:
        # OpenID Connect Core §3.1.2.1: sign in again now, whatever session the provider
        # has; the ID token's auth_time must then be this flow's (``login.provider``).
        extra.update(prompt="login", max_age="0")
    url, _state = _client(provider, metadata).create_authorization_url(
        endpoint, state=state, code_verifier=verifier, **extra
    )
    return str(url)


def stash_form_post(provider: Provider, params: Any) -> None:
    """A form-post callback (Apple) carries the name once, beside the code: keep it on
    the flow; the redirect that follows brings the flow cookie (Lax) and the code. Anyone
    can post here, so only a provider that answers by form post is heard, only a live
    flow is written, and only the name is kept, as one plain line."""
    if provider.response_mode != "form_post":
        return
    state = params.get("state")
    user = params.get("user")
    if not isinstance(state, str) or len(state) != 43 or not isinstance(user, str):
        return
    if len(user) > 4096:
        return
    try:
        parsed = json.loads(user)
    except (ValueError, RecursionError):
        return
    name = identity.apple_name(parsed)
    if not name:
        return
    ProviderFlow.objects.filter(
        digest=mfa.digest(state), provider=provider.id, used_at=None, expires_at__gt=clock.now()
    ).update(extra={"name": name})


def identity_of(provider: Provider, flow: ProviderFlow, params: Any) -> identity.Identity:
    """Who the provider says signed in, from the callback of ``flow`` (already spent)."""
    error = params.get("error")
    if error is not None:
        if error == "access_denied":
            raise ProviderCancelledError(f"{provider.id}: cancelled")
        raise ProviderError(f"{provider.id} answered error {str(error)[:100]!r}")
    code = params.get("code")
    if not isinstance(code, str) or not code or len(code) > 2048:
        raise ProviderError(f"{provider.id}: a callback without a code")
    metadata = remote.metadata(provider) if provider.is_oidc else None
    issuer = params.get("iss")
    if issuer is not None and metadata is not None and issuer != metadata.issuer:
        # RFC 9207: the answer names the issuer that made it; another one is a mix-up.
        raise ProviderStateError(f"{provider.id}: a callback from issuer {issuer!r}")
    token = _redeem(provider, metadata, code, flow.code_verifier)
    if metadata is None:
        return _github_identity(provider, token)
    claims = identity.verify_id_token(
        token.get("id_token"), provider=provider, metadata=metadata, nonce=flow.nonce
    )
    return identity.from_claims(provider, claims, flow.extra or {})


def spend(request: HttpRequest, provider: Provider, state: Any) -> ProviderFlow:
    """The live flow of ``state``, spent before anything else is done with it, whatever
    follows. ``ProviderStateError`` for anything but a live flow of this provider begun
    by this browser."""
    flow = live_flow(state)
    if flow is None:
        raise ProviderStateError("no live flow for this state")
    take(flow)
    browser = request.COOKIES.get(cookie_name(request), "")
    if not constant_time_compare(mfa.digest(browser), flow.browser):
        raise ProviderStateError("the flow was begun by another browser")
    if flow.provider != provider.id:
        raise ProviderStateError(f"a flow of {flow.provider!r} called back to {provider.id!r}")
    return flow


def live_flow(state: Any) -> ProviderFlow | None:
    if not isinstance(state, str) or len(state) != 43:
        return None
    return (
        ProviderFlow.objects.select_related("user")
        .filter(digest=mfa.digest(state), used_at=None, expires_at__gt=clock.now())
        .first()
    )


def take(flow: ProviderFlow) -> None:
    """Spend the flow in one conditional UPDATE: of two callbacks that both read it live,
    one spends it and the other is refused."""
    if not ProviderFlow.objects.filter(pk=flow.pk, used_at=None).update(used_at=clock.now()):
        raise ProviderStateError("spent by a concurrent callback")


def prune(*, now: datetime) -> int:
    """Delete the flows that have expired, finished or not."""
    return int(ProviderFlow.objects.filter(expires_at__lte=now).delete()[0])


def _redeem(
    provider: Provider, metadata: remote.Metadata | None, code: str, verifier: str
) -> dict[str, Any]:
    """The token answer for ``code``, with the flow's PKCE verifier and the client's secret."""
    endpoint = provider.token_endpoint or (metadata.token_endpoint if metadata else "")
    if not remote.is_safe_url(endpoint):
        raise ProviderError(f"{provider.id}: the token endpoint is not https")
    try:
        token = _client(provider, metadata).fetch_token(
            endpoint,
            code=code,
            code_verifier=verifier,
            timeout=get_settings().provider_timeout,
            headers={"Accept": "application/json"},
            allow_redirects=False,
        )
    except requests.RequestException as error:
        raise ProviderUnavailableError(f"{provider.id}: token endpoint: {error}") from error
    except Exception as error:  # an answer Authlib could not read, of any shape
        raise ProviderError(f"{provider.id}: token answer unusable: {error!r}"[:300]) from error
    if not isinstance(token, dict) or not isinstance(token.get("access_token"), str):
        raise ProviderError(f"{provider.id}: the token answer has no access token")
    return dict(token)


def _github_identity(provider: Provider, token: dict[str, Any]) -> identity.Identity:
    headers = {
        "Authorization": f"Bearer {token['access_token']}",
        "Accept": "application/vnd.github+json",
    }
    user = remote.request_json("GET", str(provider.userinfo_endpoint), headers=headers)
    emails = remote.request_json("GET", str(provider.emails_endpoint), headers=headers)
    return identity.from_github(provider, user, emails)
