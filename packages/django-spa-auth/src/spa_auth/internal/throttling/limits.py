"""Rate limits: login per account and per address, refresh and verify failures, password.

Counters live in a database table (``counters``), shared by every worker and instance,
and never evicted: a cache culls entries when it fills, and an attacker who can fill it
can wipe a lock. An expensive attempt (a password check) first *reserves* its place with
one atomic statement, so a burst of simultaneous guesses cannot all pass the check before
any of them is counted; a successful attempt gives its place back, so only failures count
against a client.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.http import HttpRequest

from ...conf import AuthSettings
from ...errors import ThrottledError
from .. import clock
from . import counters, network

_MAX_LOCK = timedelta(hours=24)
# Where ``backends.ThrottledModelBackend`` leaves the throttle that refused a login.
THROTTLED_ATTRIBUTE = "spa_auth_throttled"


@dataclass(frozen=True)
class Limit:
    """At most ``count`` failures per ``window`` for one key of one kind.

    With ``backoff``, reaching the limit locks the key for ``window``, doubling with each
    further failure; the count survives until a whole window after the last lock is quiet.
    """

    kind: str
    count: int
    window: timedelta
    backoff: bool = False

    @property
    def seconds(self) -> float:
        return max(1.0, self.window.total_seconds())


def login_account_limit(conf: AuthSettings) -> Limit:
    return Limit(
        "login-account", conf.login_failures_per_account, conf.login_failure_window, backoff=True
    )


def login_ip_limit(conf: AuthSettings) -> Limit:
    return Limit("login-ip", conf.login_failures_per_ip, conf.login_ip_window)


def refresh_ip_limit(conf: AuthSettings) -> Limit:
    return Limit("refresh-ip", conf.refresh_failures_per_ip, conf.refresh_ip_window)


def account_key(username: str) -> str:
    # Hashed and folded: usernames are user input of any length, case and alphabet.
    return hashlib.sha256(username.strip().casefold().encode()).hexdigest()


def ip_key(ip: str | None) -> str | None:
    """The key of a client address (IPv6 by its /64), or None when there is none."""
    return network.throttle_key(ip)


def _name(limit: Limit, key: str) -> str:
    return f"{limit.kind}:{key}"


@dataclass
class Reservation:
    """Places taken before an expensive check; settle with ``failed`` or ``succeeded``."""

    held: list[tuple[Limit, str, int]] = field(default_factory=list)

    def failed(self) -> None:
        """Keep the places as failures; a back-off limit reached locks its key."""
        now = clock.now().timestamp()
        for limit, name, number in self.held:
            if not limit.backoff:
                continue
            if number < limit.count:
                counters.extend(name, keep_until=now + limit.seconds)
                continue
            excess = number - limit.count
            seconds = min(limit.seconds * 2 ** min(excess, 16), _MAX_LOCK.total_seconds())
            counters.lock(
                name,
                until=now + seconds,
                keep_until=now + seconds + limit.seconds,
                allowed=number + 1,
            )
        self.held = []

    def succeeded(self) -> None:
        """Give the places back. Earlier failures stay until their window is quiet: account
        keys are case-folded, so ``Alice`` and ``alice`` share one count, and a success on
        one must not wipe the guesses against the other."""
        now = clock.now().timestamp()
        for _, name, _ in self.held:
            counters.decrement(name, now=now)
        self.held = []


def reserve(*checks: tuple[Limit, str | None]) -> Reservation:
    """Take one place under each (limit, key), or raise ``ThrottledError`` taking none.

    Pass the cheapest refusal first (the address): a client over its limit then leaves no
    row under the other keys it names."""
    now = clock.now().timestamp()
    reservation = Reservation()
    for limit, key in checks:
        if key is None:
            continue
        name = _name(limit, key)
        got = counters.increment(name, now=now, window=limit.seconds, allowed=limit.count)
        if got.locked_until <= now and got.count <= got.allowed:
            reservation.held.append((limit, name, got.count))
            continue
        if got.locked_until > now:
            wait = got.locked_until - now
        else:  # simultaneous attempts took every place: refused, and given back
            counters.decrement(name, now=now)
            wait = got.expires_at - now if not limit.backoff else limit.seconds
        for _, held, _ in reservation.held:
            counters.decrement(held, now=now)
        raise ThrottledError(max(1, math.ceil(wait)))
    return reservation


def check_password(user: Any, password: str, conf: AuthSettings) -> bool:
    """The user's password checked behind the per-account login limit: a guess at the
    current password (a password-change form) spends the same budget as a login, whatever
    the door. Raises ``ThrottledError`` while the account is locked."""
    reservation = reserve((login_account_limit(conf), account_key(user.get_username())))
    if user.check_password(password):
        reservation.succeeded()
        return True
    reservation.failed()
    return False


def count_failure(limit: Limit, key: str | None) -> ThrottledError | None:
    """Count a cheap failure (a bad refresh or access token); past the limit, the error
    the client should get instead of the failure's own."""
    if key is None:
        return None
    now = clock.now().timestamp()
    got = counters.increment(_name(limit, key), now=now, window=limit.seconds, allowed=limit.count)
    if got.count > got.allowed:
        return ThrottledError(max(1, math.ceil(got.expires_at - now)))
    return None


def has_failures(*checks: tuple[Limit, str | None]) -> bool:
    """Whether any (limit, key) holds a live failure; counts nothing. (A place reserved
    by an attempt still being checked counts too: it is a failure until it succeeds.)"""
    now = clock.now().timestamp()
    return any(counters.live_count(_name(limit, key), now=now) > 0 for limit, key in checks if key)


def throttled_error(request: HttpRequest | None) -> ThrottledError | None:
    """The throttle that refused the last ``authenticate()`` on this request, if any."""
    return getattr(request, THROTTLED_ATTRIBUTE, None)
