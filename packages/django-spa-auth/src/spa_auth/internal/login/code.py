"""Signing in with a code mailed to the account's proven address.

The request (``request_code``) answers a ``flow`` whatever the address; the mail goes out
after the response (``accounts.login_codes``). The code opens nothing alone: it is
checked only with the flow its request returned, so a code read from the mailbox, or by
a mail scanner, or by a second client without the flow, signs nobody in.

Each check takes one of the flow's attempts first, behind the login budgets of the
client's address and of the address the code was asked for: a wrong code counts as a
wrong password does, a success gives its place back. A right code is a first step like a
password: an account with a second factor gives it (``second_step``), else the session
opens (``sessions.services.open_session``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ...conf import get_settings
from ...errors import CodeInvalidError, LoginCodeExpiredError, MfaRequiredError
from ...models import AuditEvent
from .. import clock
from ..accounts import login_codes
from ..mfa import services as mfa
from ..sessions import store
from ..sessions.services import MAILED_CODE, Client, IssuedTokens, open_session
from ..throttling import limits as throttling
from ..throttling import network
from . import second_step


def request_code(address: str) -> str:
    """A new flow for ``address``; its code is mailed after the response if the address
    is an active account's proven one."""
    return login_codes.open_flow(address)


def login(request: HttpRequest, flow: Any, typed: Any, client: Client) -> IssuedTokens:
    """Check ``typed`` against the code of ``flow`` and sign in. A malformed code is
    refused before anything is spent (``login_codes.parse``); a wrong one spends an
    attempt (the last ends the flow) and counts against the login budgets."""
    code = login_codes.parse(typed)
    conf = get_settings()
    ip_key = throttling.ip_key(network.client_ip(request, conf))
    try:
        row = login_codes.live_flow(flow)
    except LoginCodeExpiredError as error:
        # A flow is 256 random bits: not worth guessing, yet each try counts as a failure.
        raise throttling.count_failure(throttling.login_ip_limit(conf), ip_key) or error from None
    reservation = throttling.reserve(
        (throttling.login_ip_limit(conf), ip_key),
        (throttling.login_account_limit(conf), row.throttle_key),
    )
    try:
        login_codes.take_attempt(row)
        if not login_codes.matches(row, code) or row.user is None:
            raise CodeInvalidError("wrong login code")
        if not login_codes.is_current(row):
            raise LoginCodeExpiredError("inactive, unproven, or a new password or address")
        login_codes.spend(row)
    except CodeInvalidError:
        reservation.failed()
        store.record_event(
            AuditEvent.Kind.LOGIN_CODE_FAILED,
            now=clock.now(),
            user=row.user,
            ip=client.ip,
            user_agent=client.user_agent,
        )
        raise
    except BaseException:
        reservation.succeeded()  # not a guess: the place goes back
        raise
    reservation.succeeded()
    user = row.user
    if mfa.has_mfa(user):
        raise MfaRequiredError(
            second_step.start_pending_login(user, [MAILED_CODE]), mfa.methods(user)
        )
    return open_session(request, user, client, amr=[MAILED_CODE])
