"""The mailed sign-in code: its alphabet and parser, its flow row, and its mail.

A request writes one ``LoginCode`` row whatever the address: the keyed digest of a random
``flow`` (returned to the requester) and of a random code nobody sees. Only the task run
after the response (``tasks``) looks the address up; for a proven, active account it
draws the code that is mailed, and binds the row to the account and to the state of its
password and address (``keys.state_of``). Any other address keeps a row that can never
succeed, spent and expiring exactly as a real one, so no answer tells them apart.

The code is 8 characters of RFC 8628 §6.1's base-20 consonants (no vowels, so no words;
no look-alikes such as 0/O, 1/I), shown grouped ``WDJB-MJHT`` and read back case- and
dash-insensitively: 20^8 ≈ 2.6e10 values, against 3 attempts per flow. Stored as keyed
digests, so a copy of the table opens nothing; each flow's attempts are spent by one
conditional UPDATE (``take_attempt``) before the code is compared in constant time.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils.crypto import constant_time_compare
from django.utils.timesince import timesince

from ...conf import get_settings
from ...errors import LoginCodeExpiredError, LoginCodeMalformedError
from ...models import AccountEmail, AuditEvent, LoginCode
from .. import clock
from ..sessions import store
from ..throttling import limits as throttling
from ..tokens.keys import keyed_digest
from . import mail, tasks
from .keys import email_of, fold, state_of

ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
LENGTH = 8
_FLOW_LENGTH = 43  # token_urlsafe(32)
_FLOW_SALT = "spa_auth.login_code.flow"
_CODE_SALT = "spa_auth.login_code.code"
# Characters a person may type between the code's letters: the group's dash (any of the
# dashes a phone keyboard substitutes) and spaces.
_SEPARATORS = dict.fromkeys(map(ord, " \t-\u2010\u2011\u2012\u2013\u2014\u2212"))


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def grouped(code: str) -> str:
    """``WDJBMJHT`` as it is shown: ``WDJB-MJHT``."""
    half = LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def parse(typed: Any) -> str:
    """The code a person typed, as stored: separators dropped, upper case, exactly
    ``LENGTH`` letters of ``ALPHABET``; ``LoginCodeMalformedError`` for anything else."""
    if not isinstance(typed, str) or len(typed) > 64:
        raise LoginCodeMalformedError("not a string of a sensible length")
    # ASCII only: upper() would map ß to SS and other letters to ASCII look-alikes.
    code = typed.translate(_SEPARATORS)
    if not code.isascii():
        raise LoginCodeMalformedError("not ASCII")
    code = code.upper()
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        raise LoginCodeMalformedError("not 8 letters of the alphabet")
    return code


def open_flow(address: str) -> str:
    """Write a flow for ``address`` and queue its mail; the ``flow`` for the requester.
    The same two rows, whatever the address."""
    conf = get_settings()
    flow = secrets.token_urlsafe(32)
    now = clock.now()
    digest = keyed_digest(_FLOW_SALT, flow)
    LoginCode.objects.create(
        digest=digest,
        code_digest=keyed_digest(_CODE_SALT, new_code()),  # a code nobody sees, replaced if mailed
        # The login's per-account budget, keyed by the address as a password login keys
        # it by the name typed: alike whether the address has an account, and shared
        # with the password login of an account whose username is its address.
        throttle_key=throttling.account_key(address),
        created_at=now,
        expires_at=now + conf.login_code_lifetime,
    )
    tasks.enqueue("login_code", flow=digest, email=address)
    return flow


def live_flow(flow: Any) -> LoginCode:
    """The live row of ``flow``, with its user; ``LoginCodeExpiredError`` if none."""
    if not isinstance(flow, str) or len(flow) != _FLOW_LENGTH:
        raise LoginCodeExpiredError("malformed flow")
    row = (
        LoginCode.objects.select_related("user")
        .filter(
            digest=keyed_digest(_FLOW_SALT, flow),
            used_at=None,
            expires_at__gt=clock.now(),
            attempts__lt=get_settings().login_code_attempts,
        )
        .first()
    )
    if row is None:
        raise LoginCodeExpiredError("no live flow")
    return row


def take_attempt(row: LoginCode) -> None:
    """Spend one attempt in one conditional UPDATE, before the code is compared: parallel
    guesses with one flow get at most ``LOGIN_CODE_ATTEMPTS`` comparisons between them."""
    taken = LoginCode.objects.filter(
        pk=row.pk,
        used_at=None,
        expires_at__gt=clock.now(),
        attempts__lt=get_settings().login_code_attempts,
    ).update(attempts=F("attempts") + 1)
    if taken != 1:
        raise LoginCodeExpiredError("no attempt left, or used or expired meanwhile")


def matches(row: LoginCode, code: str) -> bool:
    return constant_time_compare(row.code_digest, keyed_digest(_CODE_SALT, code))


def is_current(row: LoginCode) -> bool:
    """The account is still active, still proven, and has the password and address the
    code was mailed for."""
    user: Any = row.user
    return (
        user is not None
        and getattr(user, "is_active", True)
        and _is_proven(user)
        and constant_time_compare(row.state, state_of(user))
    )


def spend(row: LoginCode) -> None:
    """Mark the flow used; ``LoginCodeExpiredError`` if a concurrent request did."""
    if not LoginCode.objects.filter(pk=row.pk, used_at=None).update(used_at=clock.now()):
        raise LoginCodeExpiredError("used by a concurrent request")


def prune(*, now: datetime) -> int:
    deleted, _ = LoginCode.objects.filter(expires_at__lte=now).delete()
    return deleted


def _is_proven(user: Any) -> bool:
    """An account without an address row (made in the admin or the shell) counts as
    proven, as everywhere; one with a row only once its owner proved it."""
    return not AccountEmail.objects.filter(user=user, verified_at=None).exists()


def _account_of(address: str) -> Any:
    """The one active, proven account with ``address``, or None (none, or several)."""
    field = get_user_model().get_email_field_name()
    owners = list(
        get_user_model()
        ._default_manager.filter(
            Q(**{f"{field}__iexact": fold(address)})
            | Q(pk__in=AccountEmail.objects.filter(address=fold(address)).values("user"))
        )
        .distinct()[:2]
    )
    if len(owners) != 1:
        return None
    user = owners[0]
    if not getattr(user, "is_active", True) or not _is_proven(user):
        return None
    if fold(email_of(user)) != fold(address):
        return None  # an address row left behind by a change in progress
    return user


@tasks.handles("login_code")
def _mail_code(payload: dict[str, Any]) -> None:
    """After the response: mail a fresh code to a proven, active account, and bind the
    flow to it. Run again after a failed mail, it draws and mails a new code."""
    conf = get_settings()
    user = _account_of(payload["email"])
    if user is None:
        return  # the flow keeps its unseen code and no account: it can never succeed
    code = new_code()
    bound = LoginCode.objects.filter(
        digest=payload["flow"], used_at=None, expires_at__gt=clock.now()
    ).update(user=user, state=state_of(user), code_digest=keyed_digest(_CODE_SALT, code))
    if not bound:
        return  # expired or spent before its mail went out: nothing to send
    now = clock.now()
    context = {
        "username": user.get_username(),
        "code": grouped(code),
        "expires_in": timesince(now - conf.login_code_lifetime, now),
    }
    mail.send("login_code", email_of(user), context, conf)
    store.record_event(AuditEvent.Kind.LOGIN_CODE_SENT, now=now, user=user)
