"""The device cookie: a random id, httpOnly, ``SameSite=Lax``, for the whole site, long
lived. ``__Host-`` prefixed over HTTPS, so that a sibling subdomain cannot plant one (a
planted known id would hide a sign-in); the plain name on loopback HTTP development.

The sign-in (``receivers``) leaves the value to set on the request; the answer of every
auth endpoint (``api.base.AuthAPIView``) sets it, so any way in gets it.
"""

from __future__ import annotations

import re
import secrets

from django.http import HttpRequest, HttpResponseBase

from ...conf import get_settings
from ..sessions.cookies import is_secure_cookie

_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")
# Where the sign-in leaves the value the answer sets.
_TO_SET = "_spa_auth_device"


def name(request: HttpRequest) -> str:
    secure = is_secure_cookie(request, get_settings())
    return "__Host-spa_auth_device" if secure else "spa_auth_device"


def read(request: HttpRequest) -> str | None:
    """The device id this browser sent, or None: a value of any other shape (forged,
    oversized, truncated) is no device at all, so the sign-in makes a new one."""
    value = request.COOKIES.get(name(request), "")
    return value if _VALUE.fullmatch(value) else None


def new_value() -> str:
    return secrets.token_urlsafe(32)  # 256 bits: 43 characters


def to_set(request: HttpRequest, value: str) -> None:
    setattr(request, _TO_SET, value)


def attach(request: HttpRequest, response: HttpResponseBase) -> None:
    """Set the cookie a sign-in on this request left, if any (one attribute read else)."""
    value = getattr(request, _TO_SET, None)
    if value is None:
        return
    response.set_cookie(
        name(request),
        value,
        max_age=int(get_settings().device_cookie_lifetime.total_seconds()),
        path="/",
        secure=is_secure_cookie(request, get_settings()),
        httponly=True,
        samesite="Lax",
    )
