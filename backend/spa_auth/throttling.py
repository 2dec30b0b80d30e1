"""Rate limits for login, refresh and password change, counted in the shared cache.

Counters live in Django's cache (the database cache on one machine, Redis on many),
so every worker and instance agrees. Checks run before any password is hashed.
Fixed windows: ``add`` then ``incr`` is atomic on every shared backend.
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from django.core.cache import caches

from . import clock
from .conf import AuthSettings
from .errors import ThrottledError

_PREFIX = "spa_auth:throttle"
_MAX_LOCK = timedelta(hours=24)


def _cache(conf: AuthSettings):  # type: ignore[no-untyped-def]
    return caches[conf.throttle_cache_alias]


def _window(window: timedelta) -> tuple[int, int]:
    """The current window's index and the seconds left in it."""
    seconds = max(1, int(window.total_seconds()))
    now = clock.now().timestamp()
    index = int(now // seconds)
    return index, max(1, math.ceil((index + 1) * seconds - now))


def _account_key(username: str) -> str:
    # Hashed: usernames are user input of any length and alphabet.
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()


def _count(key: str, window: timedelta, conf: AuthSettings) -> tuple[int, int]:
    index, left = _window(window)
    full_key = f"{key}:{index}"
    cache = _cache(conf)
    cache.add(full_key, 0, left + 1)
    try:
        return cache.incr(full_key), left
    except ValueError:  # expired between add and incr
        cache.set(full_key, 1, left + 1)
        return 1, left


def _peek(key: str, window: timedelta, conf: AuthSettings) -> tuple[int, int]:
    index, left = _window(window)
    return int(_cache(conf).get(f"{key}:{index}", 0)), left


def check_login(username: str, ip: str | None, conf: AuthSettings) -> None:
    """Count this attempt against the client's address; refuse if it or the account is locked."""
    locked_until = _cache(conf).get(f"{_PREFIX}:lock:{_account_key(username)}")
    now = clock.now().timestamp()
    if locked_until and locked_until > now:
        raise ThrottledError(max(1, math.ceil(locked_until - now)))
    if ip:
        attempts, left = _count(f"{_PREFIX}:login-ip:{ip}", conf.login_ip_window, conf)
        if attempts > conf.login_attempts_per_ip:
            raise ThrottledError(left)


def record_login_failure(username: str, conf: AuthSettings) -> None:
    """Count a failure; from the limit on, lock the account with a doubling back-off."""
    account = _account_key(username)
    failures, _ = _count(f"{_PREFIX}:login-fail:{account}", conf.login_failure_window, conf)
    if failures >= conf.login_failures_per_account:
        excess = failures - conf.login_failures_per_account
        lock = min(conf.login_failure_window * (2 ** min(excess, 16)), _MAX_LOCK)
        until = clock.now().timestamp() + lock.total_seconds()
        _cache(conf).set(f"{_PREFIX}:lock:{account}", until, int(lock.total_seconds()) + 1)


def clear_login_failures(username: str, conf: AuthSettings) -> None:
    index, _ = _window(conf.login_failure_window)
    account = _account_key(username)
    _cache(conf).delete_many(
        [f"{_PREFIX}:login-fail:{account}:{index}", f"{_PREFIX}:lock:{account}"]
    )


def check_refresh(ip: str | None, conf: AuthSettings) -> None:
    if ip:
        attempts, left = _count(f"{_PREFIX}:refresh-ip:{ip}", conf.refresh_ip_window, conf)
        if attempts > conf.refresh_attempts_per_ip:
            raise ThrottledError(left)


def check_password_change(user_id: object, conf: AuthSettings) -> None:
    """Password changes verify the old password: limit them like login failures."""
    failures, left = _peek(f"{_PREFIX}:password-fail:{user_id}", conf.login_failure_window, conf)
    if failures >= conf.login_failures_per_account:
        raise ThrottledError(left)


def record_password_failure(user_id: object, conf: AuthSettings) -> None:
    _count(f"{_PREFIX}:password-fail:{user_id}", conf.login_failure_window, conf)
