"""The login waiting for its second step (``mfa_token``), and that step.

After the right password, an account with a second factor gets a pending login: a
``Challenge`` row kept as a keyed digest, bound to the user's password and address of
that moment, with a few attempts. The second step spends one attempt before its code or
assertion is checked (``mfa``), and a success spends the pending login and opens the
session (``sessions``) with the methods of both steps.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.db.models import F
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from ...conf import get_settings
from ...errors import CodeInvalidError, MfaTokenInvalidError, PasskeyInvalidError
from ...models import AuditEvent, Challenge
from .. import clock
from ..accounts import keys as account_keys
from ..mfa import services as mfa
from ..sessions import store
from ..sessions.services import Client, IssuedTokens, open_session

Kind = AuditEvent.Kind


def start_pending_login(
    user: Any, amr: list[str], *, provider: str = "", password_breached: bool = False
) -> str:
    conf = get_settings()
    token = secrets.token_urlsafe(32)
    now = clock.now()
    Challenge.objects.create(
        digest=mfa.digest(token),
        purpose=Challenge.Purpose.MFA_LOGIN,
        user=user,
        amr=" ".join(amr),
        provider=provider,
        password_breached=password_breached,
        state=account_keys.state_of(user),
        created_at=now,
        expires_at=now + conf.mfa_token_lifetime,
    )
    return token


def pending_login(token: Any) -> Challenge:
    """The live pending login of ``token``, with its user, attempts left or not (the
    second step takes one with ``take_attempt``)."""
    if not isinstance(token, str) or len(token) != 43:
        raise MfaTokenInvalidError("malformed mfa_token")
    row = (
        Challenge.objects.select_related("user")
        .filter(
            digest=mfa.digest(token),
            purpose=Challenge.Purpose.MFA_LOGIN,
            used_at=None,
            expires_at__gt=clock.now(),
            attempts__lt=get_settings().mfa_token_attempts,
        )
        .first()
    )
    if row is None or row.user is None or not getattr(row.user, "is_active", True):
        raise MfaTokenInvalidError("no live pending login")
    # The first step proved the password of that moment: a password (or address) changed
    # since, by the owner locking a thief out, ends the pending login too.
    if not constant_time_compare(row.state, account_keys.state_of(row.user)):
        raise MfaTokenInvalidError("the password or address changed since the first step")
    return row


def take_attempt(row: Challenge) -> None:
    """Spend one of the pending login's attempts before its code or assertion is checked,
    in one conditional UPDATE: parallel requests with one ``mfa_token`` get at most
    ``MFA_TOKEN_ATTEMPTS`` checks between them, where a read first and an increment after
    the check would let each pass the read. ``MfaTokenInvalidError`` when none is left."""
    taken = Challenge.objects.filter(
        pk=row.pk,
        used_at=None,
        attempts__lt=get_settings().mfa_token_attempts,
        expires_at__gt=clock.now(),
    ).update(attempts=F("attempts") + 1)
    if taken != 1:
        raise MfaTokenInvalidError("no attempt left, or spent or expired meanwhile")


def record_failure(row: Challenge) -> None:
    """A refused code or assertion; its attempt was taken before the check."""
    store.record_event(Kind.MFA_FAILED, now=clock.now(), user=row.user)


def spend(row: Challenge) -> None:
    """Mark the challenge used; ``MfaTokenInvalidError`` if a concurrent request did."""
    if not Challenge.objects.filter(pk=row.pk, used_at=None).update(used_at=clock.now()):
        raise MfaTokenInvalidError("spent by a concurrent request")


def combined(first: list[str], second: list[str]) -> list[str]:
    """The amr of a login that passed both steps."""
    return [*dict.fromkeys([*first, *second, mfa.MULTIPLE])]


def finish(
    request: HttpRequest, pending: Challenge, client: Client, check: Callable[[], list[str]]
) -> IssuedTokens:
    """Finish a login waiting for its second factor: behind the throttles, take one of the
    pending login's attempts, then run ``check``; a success spends the login and opens its
    session. The attempt is taken first so that parallel guesses cannot outnumber the
    attempts (``take_attempt``); with none left, no guess is made nor counted."""

    def attempt() -> list[str]:
        take_attempt(pending)
        return check()

    try:
        second = mfa.check_throttled(request, pending.user, attempt)
    except (CodeInvalidError, PasskeyInvalidError):
        record_failure(pending)
        raise
    spend(pending)
    return open_session(
        request,
        pending.user,
        client,
        amr=combined(pending.amr.split(), second),
        provider=pending.provider,
        password_breached=pending.password_breached,
    )
