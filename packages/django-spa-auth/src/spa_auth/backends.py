"""The authentication backend every password login goes through, the admin's included.

Django's ``authenticate()`` is the one door for passwords: the API's login, the admin's
login form, DRF's Browsable API login and any view of the project all call it. So the
throttles and the even failure timing live here, in front of ``ModelBackend``, and no
way in can skip them. Audit events for every way in come from Django's signals
(``signals.py``).
"""

from __future__ import annotations

import functools
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import get_hashers
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .conf import get_settings
from .errors import ThrottledError
from .internal.mfa import services as mfa
from .internal.throttling import limits as throttling
from .internal.throttling import network
from .internal.throttling.limits import THROTTLED_ATTRIBUTE, throttled_error

# Passed to authenticate() by callers that ask for the second factor themselves.
MFA_ARGUMENT = "spa_auth_mfa"
_FLOOR_MARGIN = 1.25
__all__ = ["MFA_ARGUMENT", "THROTTLED_ATTRIBUTE", "ThrottledModelBackend", "throttled_error"]


class ThrottledModelBackend(ModelBackend):
    """``ModelBackend`` behind the login throttles, with every failure taking one time.

    Throttled attempts raise ``PermissionDenied``, which makes ``authenticate()`` stop at
    once (no other backend is asked) and return None; the API reads the reason back with
    ``throttled_error(request)`` to answer 429 with ``Retry-After``.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        conf = get_settings()
        ip = network.client_ip(request, conf) if request is not None else None
        try:
            reservation = throttling.reserve(
                (throttling.login_ip_limit(conf), throttling.ip_key(ip)),
                (throttling.login_account_limit(conf), throttling.account_key(str(username))),
            )
        except ThrottledError as error:
            if request is not None:
                setattr(request, THROTTLED_ATTRIBUTE, error)
            raise PermissionDenied("throttled") from error
        started = time.monotonic()
        second_step = kwargs.pop(MFA_ARGUMENT, None)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and second_step != "deferred" and mfa.has_mfa(user):
            # A password alone never opens an account with a second factor, and a caller
            # that does not ask for one (the admin's form, any other password form) gets
            # the answer of a wrong password, in its time, so nothing tells them apart.
            user = None
            refuse = True
        else:
            refuse = False
        if user is None:
            reservation.failed()
            _pad_failure(started, conf.login_failure_floor)
            if refuse:
                raise PermissionDenied("second factor required")
        else:
            reservation.succeeded()
        return user


def _pad_failure(started: float, floor: float | None) -> None:
    """Make every failed login take as long as the slowest hasher the project accepts.

    Unknown users are checked against one hash of the preferred hasher (Django's own
    dummy); a user whose stored hash is older (PBKDF2 at a million iterations, say) costs
    more, which would tell that the account exists. Sleeping up to a common floor closes
    that gap without hashing anything twice.
    """
    target = failure_floor() if floor is None else floor
    remaining = target - (time.monotonic() - started)
    if remaining > 0:
        sleep(remaining)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def failure_floor() -> float:
    """The time of one check with the slowest configured hasher, with a margin."""
    return _measured_floor(tuple(settings.PASSWORD_HASHERS))


@functools.lru_cache(maxsize=4)
def _measured_floor(hashers: tuple[str, ...]) -> float:
    slowest = 0.0
    for hasher in get_hashers():
        # verify() is encode() with the stored salt and parameters, then a comparison.
        started = time.monotonic()
        try:
            hasher.encode("measure", hasher.salt())
        except ValueError:
            continue  # its library is not installed (bcrypt): it verifies no stored hash either
        slowest = max(slowest, time.monotonic() - started)
    return slowest * _FLOOR_MARGIN
