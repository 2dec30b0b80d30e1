"""Single-use keys mailed to users: verification, password reset, email change.

A key is 256 random bits; the table keeps only its keyed digest, so a copy of the
database opens nothing. Each key is bound to its purpose and to the state it was issued
for: a digest of the user's password hash and address. A password changed by any route
(the API, the admin, the shell) or a new address makes the key stale, with no hook to
forget. Spending is one conditional UPDATE: of two simultaneous confirmations, one wins.
"""

from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from django.utils.crypto import constant_time_compare

from ...errors import KeyInvalidError
from ...models import AccountKey
from .. import clock
from ..tokens.keys import keyed_digest

Purpose = AccountKey.Purpose
_DIGEST_SALT = "spa_auth.account_keys.key"
_STATE_SALT = "spa_auth.account_keys.state"
# token_urlsafe(32) gives 43 characters; anything else is refused before a query.
_KEY_LENGTH = 43


def fold(address: str) -> str:
    """An address as uniqueness sees it: ``Alice@Example.com`` and ``alice@example.com``
    are one address, and so is one spelled with compatibility characters (the Kelvin
    sign for a K), which NFKC maps to their plain form."""
    return unicodedata.normalize("NFKC", address.strip()).casefold()


def email_of(user: Any) -> str:
    field = user.get_email_field_name()
    return str(getattr(user, field, "") or "")


def state_of(user: Any) -> str:
    """What a key stays valid for: this user, this password, this address."""
    return _state(f"{user.pk}|{user.password}|{fold(email_of(user))}")


def _signup_state(address: str) -> str:
    return _state(f"sign-up|{fold(address)}")


def _state(message: str) -> str:
    return keyed_digest(_STATE_SALT, message)


def _digest(key: str) -> str:
    return keyed_digest(_DIGEST_SALT, key)


def issue(purpose: str, user: Any, *, lifetime: timedelta, new_email: str = "") -> str:
    """A new key for ``user``; the key itself goes into the mail and nowhere else."""
    key = secrets.token_urlsafe(32)
    now = clock.now()
    AccountKey.objects.create(
        digest=_digest(key),
        purpose=purpose,
        user=user,
        state=state_of(user),
        new_email=new_email,
        created_at=now,
        expires_at=now + lifetime,
    )
    return key


def issue_signup(address: str, *, username: str, password_hash: str, lifetime: timedelta) -> str:
    """A key for a sign-up: the account is made only when it is spent, by the owner of
    the address, so a sign-up never tells whether an address or a username is taken."""
    key = secrets.token_urlsafe(32)
    now = clock.now()
    AccountKey.objects.create(
        digest=_digest(key),
        purpose=Purpose.SIGN_UP,
        user=None,
        state=_signup_state(address),
        new_email=address,
        signup={"username": username, "password": password_hash},
        created_at=now,
        expires_at=now + lifetime,
    )
    return key


def forget(key: str) -> None:
    """Delete a key whose mail could not be sent."""
    AccountKey.objects.filter(digest=_digest(key)).delete()


def find(purposes: str | tuple[str, ...], key: Any) -> AccountKey:
    """The live key row of one of ``purposes``, with its user; ``KeyInvalidError`` for an
    unknown, spent, expired or stale key, or a value of the wrong type or shape."""
    if not isinstance(key, str) or len(key) != _KEY_LENGTH:
        raise KeyInvalidError("malformed key")
    wanted = (purposes,) if isinstance(purposes, str) else purposes
    row = (
        AccountKey.objects.select_related("user")
        .filter(digest=_digest(key), purpose__in=wanted, used_at=None, expires_at__gt=clock.now())
        .first()
    )
    if row is None:
        raise KeyInvalidError(f"no live {'/'.join(wanted)} key")
    current = state_of(row.user) if row.user is not None else _signup_state(row.new_email)
    if not constant_time_compare(row.state, current):
        raise KeyInvalidError(f"stale {row.purpose} key")
    return row


def spend(row: AccountKey, *, now: datetime) -> None:
    """Mark the key used; ``KeyInvalidError`` if another request spent it first. Call
    inside the transaction that does what the key allows, so both happen or neither."""
    won = AccountKey.objects.filter(pk=row.pk, used_at=None).update(used_at=now)
    if won != 1:
        raise KeyInvalidError("key spent by a concurrent request")


def prune(*, now: datetime) -> int:
    """Delete keys that have expired (spent ones expire too)."""
    deleted, _ = AccountKey.objects.filter(expires_at__lte=now).delete()
    return deleted
