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
    MfaRequiredError,
    ProviderError,
)
from ...models import AuditEvent, ProviderFlow
from .. import clock
from ..accounts import services as accounts
from ..mfa import services as mfa
from ..providers import flows, links
from ..providers.config import Provider
from ..sessions import store
from ..sessions.services import FEDERATED, Client, IssuedTokens, is_active, open_session
from ..throttling import limits as throttling
from ..throttling import network
from . import second_step

logger = logging.getLogger("spa_auth.providers")


@dataclass(frozen=True)
class Outcome:
    """What a callback came to, for the app: a session (``tokens``), a pending second
    step (``mfa_token``), a connection, or an error's ``code``; and where the app goes
    next (a connection goes back to the page that began it, even on failure)."""

    next_path: str = "/"
    tokens: IssuedTokens | None = None
    mfa_token: str = ""
    connected: bool = False
    connecting: bool = False
    error: str = ""


def callback(request: HttpRequest, provider: Provider, params: Any, client: Client) -> Outcome:
    """Spend the flow, read the provider's answer, and sign in or connect. Every refusal
    is an ``Outcome`` with its code, logged; none is an exception."""
    flow: ProviderFlow | None = None
    try:
        with _login_budget(request, provider, client):
            flow = flows.spend(request, provider, params.get("state"))
            found = flows.identity_of(provider, flow, params)
        if flow.intent == ProviderFlow.Intent.CONNECT:
            if flow.user is None or not is_active(flow.user):
                raise AccountInactiveError("the account that began the connection is inactive")
            links.connect(flow.user, provider, found, ip=client.ip)
            return Outcome(flow.next, connected=True, connecting=True)
        return Outcome(flow.next, tokens=_sign_in(request, provider, found, client))
    except MfaRequiredError as pending:
        return Outcome(flow.next if flow else "/", mfa_token=pending.mfa_token)
    except AuthError as error:
        logger.info("provider %s callback refused: %s (%s)", provider.id, error.code, error)
        connecting = flow is not None and flow.intent == ProviderFlow.Intent.CONNECT
        return Outcome(flow.next if flow else "/", connecting=connecting, error=error.code)


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
            second_step.start_pending_login(user, [FEDERATED]), mfa.methods(user)
        )
    return open_session(request, user, client, amr=[FEDERATED], provider=provider.id)
