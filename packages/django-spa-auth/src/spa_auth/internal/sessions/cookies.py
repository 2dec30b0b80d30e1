"""The refresh-token cookie: httpOnly, SameSite=Strict, scoped to the auth routes."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port

from ...conf import AuthSettings

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


def is_secure_cookie(request: HttpRequest, conf: AuthSettings) -> bool:
    """Secure always, except for plain-HTTP development on a loopback host in "auto" mode."""
    if conf.refresh_cookie_secure != "auto":
        return bool(conf.refresh_cookie_secure)
    if request.is_secure():
        return True
    host, _port = split_domain_port(request.get_host())
    return host not in _LOOPBACK_HOSTS


def read_refresh_cookie(request: HttpRequest, conf: AuthSettings) -> str | None:
    return request.COOKIES.get(conf.refresh_cookie_name) or None


def set_refresh_cookie(
    response: HttpResponse,
    request: HttpRequest,
    token: str,
    *,
    expires_at: datetime,
    now: datetime,
    conf: AuthSettings,
) -> None:
    # Max-Age never outlives the session, so the browser drops it when the server would.
    response.set_cookie(
        conf.refresh_cookie_name,
        token,
        max_age=max(0, int((expires_at - now).total_seconds())),
        path=conf.refresh_cookie_path,
        domain=conf.refresh_cookie_domain,
        secure=is_secure_cookie(request, conf),
        httponly=True,
        samesite=conf.refresh_cookie_samesite,
    )


def clear_refresh_cookie(response: HttpResponse, request: HttpRequest, conf: AuthSettings) -> None:
    response.delete_cookie(
        conf.refresh_cookie_name,
        path=conf.refresh_cookie_path,
        domain=conf.refresh_cookie_domain,
        samesite=conf.refresh_cookie_samesite,
    )
