"""Rate limits on failures: login per account and per address, refresh, verify, password.

Counters live in Django's cache (the database cache on one machine, Redis on many), so
every worker and instance agrees. Each check runs before any password is hashed or
token verified, and costs one cache read; only failures write. Fixed windows keyed by
the window's index, so a counter never needs resetting and expires by itself.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.cache import caches

from . import clock
from .conf import AuthSettings
from .errors import ThrottledError

logger = logging.getLogger("spa_auth")
_PREFIX = "spa_auth:throttle"
_MAX_LOCK = timedelta(hours=24)


@dataclass(frozen=True)
class Limit:
    """At most ``count`` failures per ``window`` for one key of one kind.

    With ``backoff``, reaching the limit locks the key for ``window``, doubling with each
    further failure; the count survives window boundaries until a whole window is quiet.
    """

    kind: str
    count: int
    window: timedelta
    backoff: bool = False


def login_account_limit(conf: AuthSettings) -> Limit:
    return Limit(
        "login-account", conf.login_failures_per_account, conf.login_failure_window, backoff=True
    )


def login_ip_limit(conf: AuthSettings) -> Limit:
    return Limit("login-ip", conf.login_failures_per_ip, conf.login_ip_window)


def refresh_ip_limit(conf: AuthSettings) -> Limit:
    return Limit("refresh-ip", conf.refresh_failures_per_ip, conf.refresh_ip_window)


def password_limit(conf: AuthSettings) -> Limit:
    return Limit("password-user", conf.login_failures_per_account, conf.login_failure_window)


def account_key(username: str) -> str:
    # Hashed and folded: usernames are user input of any length, case and alphabet.
    return hashlib.sha256(username.strip().casefold().encode()).hexdigest()


@contextmanager
def _tolerating_outage() -> Iterator[None]:
    """While the shared cache is down, limits are not enforced (logged), and nothing fails:
    logins keep working on the database alone and limits resume when the cache returns."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001  (every backend has its own connection errors)
        logger.error("throttle cache unavailable, limits not enforced: %s", exc)


def _cache(conf: AuthSettings) -> Any:
    return caches[conf.throttle_cache_alias]


def _window(window: timedelta) -> tuple[int, int]:
    """The current window's index and the whole seconds left in it."""
    seconds = max(1, int(window.total_seconds()))
    now = clock.now().timestamp()
    index = int(now // seconds)
    return index, max(1, math.ceil((index + 1) * seconds - now))


def _counter_key(limit: Limit, key: str) -> tuple[str, int]:
    """The counter's cache key and how long it must live."""
    if limit.backoff:
        return f"{_PREFIX}:{limit.kind}:{key}", int(limit.window.total_seconds())
    index, left = _window(limit.window)
    return f"{_PREFIX}:{limit.kind}:{key}:{index}", left


def _lock_key(limit: Limit, key: str) -> str:
    return f"{_PREFIX}:{limit.kind}:{key}:lock"


def check(conf: AuthSettings, *checks: tuple[Limit, str | None]) -> None:
    """Raise ``ThrottledError`` if any (limit, key) is over its limit or locked; one read."""
    wanted: dict[str, tuple[Limit, int]] = {}
    for limit, key in checks:
        if key is None:
            continue
        if not limit.backoff:  # a back-off limit is enforced by its lock alone
            counter, left = _counter_key(limit, key)
            wanted[counter] = (limit, left)
        wanted[_lock_key(limit, key)] = (limit, 0)
    found: dict[str, Any] = {}
    with _tolerating_outage():
        found = _cache(conf).get_many(list(wanted))
    now = clock.now().timestamp()
    waits = []
    for name, value in found.items():
        limit, left = wanted[name]
        if name.endswith(":lock") and value > now:
            waits.append(math.ceil(value - now))
        elif not name.endswith(":lock") and value >= limit.count:
            waits.append(left)
    if waits:
        raise ThrottledError(max(1, max(waits)))


def record_failure(conf: AuthSettings, limit: Limit, key: str | None) -> None:
    """Count one failure; past a back-off limit, lock the key for a doubling time."""
    if key is None:
        return
    with _tolerating_outage():
        _count_failure(conf, limit, key)


def _count_failure(conf: AuthSettings, limit: Limit, key: str) -> None:
    counter, left = _counter_key(limit, key)
    cache = _cache(conf)
    cache.add(counter, 0, left + 1)
    try:
        failures = cache.incr(counter)
    except ValueError:  # the counter expired between add and incr
        cache.set(counter, 1, left + 1)
        failures = 1
    if limit.backoff and failures >= limit.count:
        excess = failures - limit.count
        lock = min(limit.window * (2 ** min(excess, 16)), _MAX_LOCK)
        until = clock.now().timestamp() + lock.total_seconds()
        cache.set(_lock_key(limit, key), until, int(lock.total_seconds()) + 1)
        # Keep counting through the lock and one quiet window after it.
        cache.touch(counter, int((lock + limit.window).total_seconds()))


def clear(conf: AuthSettings, limit: Limit, key: str) -> None:
    counter, _ = _counter_key(limit, key)
    with _tolerating_outage():
        _cache(conf).delete_many([counter, _lock_key(limit, key)])
