"""Signing in (or connecting) with a provider: the callback's answer decides the login.

The provider's answer is a first step like a password: the account it names (by the
linking policy of ``providers.links``) must be active and proven, gives its second
factor if it has one, and only then gets a session. Failures spend the login budget of
the client's address, as wrong passwords do; a success gives its place back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from ...conf import get_settings
from ...errors import (
    AccountInactiveError,
    AuthError,
    EmailUnverifiedError,
    FactorRequiredError,
    IdentityNotConnectedError,
    MfaRequiredError,
    ProviderError,
    ProviderStateError,
)
from ...models import AuditEvent, ProviderFlow, Session
from .. import clock
from ..accounts import services as accounts
from ..mfa import services as mfa
from ..providers import flows, links
from ..providers.config import Provider
from ..providers.identity import Identity
from ..sessions import store
from ..sessions.services import (
    FEDERATED,
    Client,
    IssuedTokens,
    is_active,
    open_session,
    reauthenticate,
)
from ..throttling import limits as throttling
from ..throttling import network
from . import second_step

logger = logging.getLogger("spa_auth.providers")
Intent = ProviderFlow.Intent


@dataclass(frozen=True)
class Outcome:
    """What a callback came to, for the app: a session (``tokens``), a pending second
    step (``mfa_token``), what a signed-in user's flow did (``done``: a connection or a
    re-authentication), or an error's ``code``; and where the app goes next (a signed-in
    user's flow goes back to the page that began it, even on failure)."""

    next_path: str = "/"
    tokens: IssuedTokens | None = None
    mfa_token: str = ""
    done: str = ""
    signed_in: bool = False
    error: str = ""


def callback(request: HttpRequest, provider: Provider, params: Any, client: Client) -> Outcome:
    """Spend the flow, read the provider's answer, and sign in, connect or re-authenticate.
    Every refusal is an ``Outcome`` with its code, logged; none is an exception."""
    flow: ProviderFlow | None = None
    try:
        # A state that is no live flow of this browser costs nothing: any site can send a
        # visitor's browser here (an image, a frame), and must not spend the login budget
        # that the visitor's address shares with password logins.
        flow = flows.spend(request, provider, params.get("state"))
        with _login_budget(request, provider, client):
            found = flows.identity_of(provider, flow, params)
        if flow.intent == Intent.LOGIN:
            return Outcome(flow.next, tokens=_sign_in(request, provider, found, client))
        if flow.user is None or not is_active(flow.user):
            raise AccountInactiveError("the account that began the flow is inactive")
        if not _session_live(flow):
            # Logged out, out everywhere, a new password: what the session began ends too.
            raise ProviderStateError("the session that began the flow has ended")
        if flow.intent == Intent.CONNECT:
            links.connect(flow.user, provider, found, ip=client.ip)
            return Outcome(flow.next, done="provider_connected", signed_in=True)
        _reauthenticate(provider, flow, found)
        return Outcome(flow.next, done="provider_reauthenticated", signed_in=True)
    except MfaRequiredError as pending:
        return Outcome(flow.next if flow else "/", mfa_token=pending.mfa_token)
    except AuthError as error:
        logger.info("provider %s callback refused: %s (%s)", provider.id, error.code, error)
        signed_in = flow is not None and flow.intent != Intent.LOGIN
        return Outcome(flow.next if flow else "/", signed_in=signed_in, error=error.code)


def _reauthenticate(provider: Provider, flow: ProviderFlow, found: Identity) -> None:
    """Step-up at the provider: the signed-in user's own identity, signed in there just
    now (``prompt=login``; the ID token's ``auth_time`` is after the flow began). Not for
    an account with a second factor, which re-authenticates with it (as a password does
    not), nor GitHub, which cannot say when its user signed in."""
    user = flow.user
    known = links.find(found)
    if known is None or user is None or known.user_id != user.pk:
        raise IdentityNotConnectedError(f"{provider.id}: not this account's identity")
    if mfa.has_mfa(user):
        raise FactorRequiredError("an account with a second factor re-authenticates with it")
    earliest = int(flow.created_at.timestamp() - get_settings().leeway.total_seconds())
    if not provider.is_oidc or found.auth_time is None or found.auth_time < earliest:
        raise ProviderError(f"{provider.id}: no sign-in at the provider since the flow began")
    links.seen(known, found)
    reauthenticate(user, flow.session_id, [FEDERATED])


def _session_live(flow: ProviderFlow) -> bool:
    if flow.session_id is None or flow.user_id is None:
        return False
    now = clock.now()
    return Session.objects.filter(
        pk=flow.session_id,
        user_id=flow.user_id,
        revoked_at__isnull=True,
        idle_expires_at__gt=now,
        absolute_expires_at__gt=now,
    ).exists()


@contextmanager
def _login_budget(request: HttpRequest, provider: Provider, client: Client) -> Iterator[None]:
    """The login budget of the client's address: a refused answer counts against it (and
    is audited), anything else gives its place back."""
    conf = get_settings()
    ip = network.client_ip(request, conf)
    reservation = throttling.reserve((throttling.login_ip_limit(conf), throttling.ip_key(ip)))
    try:
        yield
    except ProviderError as error:
        reservation.failed()
        store.record_event(
            AuditEvent.Kind.PROVIDER_LOGIN_FAILED,
            now=clock.now(),
            ip=client.ip,
            user_agent=client.user_agent,
            detail=f"{provider.id} {error.code}",
        )
        raise
    except BaseException:
        reservation.succeeded()
        raise
    reservation.succeeded()


def _sign_in(
    request: HttpRequest, provider: Provider, identity: Any, client: Client
) -> IssuedTokens:
    known = links.find(identity)
    if known is not None:
        user = known.user
        links.seen(known, identity)
    else:
        user = links.account_for_new(provider, identity, ip=client.ip)
    if not is_active(user):
        raise AccountInactiveError(f"{user.pk} is inactive")
    if accounts.must_verify(user):
        raise EmailUnverifiedError(f"{user.pk} has not confirmed the address")
    if mfa.has_mfa(user):
        raise MfaRequiredError(
            second_step.start_pending_login(user, [FEDERATED], provider=provider.id),
            mfa.methods(user),
        )
    return open_session(request, user, client, amr=[FEDERATED], provider=provider.id)
