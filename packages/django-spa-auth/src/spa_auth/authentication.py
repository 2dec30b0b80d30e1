"""DRF adapter: ``Authorization: Bearer <jwt>`` or the classic ``Authorization: JWT <jwt>``."""

from __future__ import annotations

import functools
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .conf import get_settings
from .errors import AuthError, authenticate_header, to_public
from .internal.sessions import services


class JWTSessionAuthentication(BaseAuthentication):
    """Returns ``None`` for other schemes, ``(user, claims)`` or raises 401."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in _schemes(get_settings().header_prefixes):
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("The Authorization header must be '<scheme> <token>'."), code="token_invalid"
            )
        try:
            token = parts[1].decode("ascii")
            return services.authenticate_access_token(token)
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                _("The access token is not valid."), code="token_invalid"
            ) from None
        except AuthError as error:
            public = to_public(error)
            raise exceptions.AuthenticationFailed(public.detail, code=public.code) from error

    def authenticate_header(self, request: Request) -> str:
        # Without this DRF turns every 401 into a 403 (RFC 6750 §3). DRF asks only after a
        # 401, so a request that carried this scheme had its token refused.
        return authenticate_header(token_failed=self._has_scheme(request))

    def _has_scheme(self, request: Request) -> bool:
        parts = get_authorization_header(request).split()
        return bool(parts) and parts[0].lower() in _schemes(get_settings().header_prefixes)


@functools.lru_cache(maxsize=8)
def _schemes(prefixes: tuple[str, ...]) -> frozenset[bytes]:
    """The header's schemes as DRF hands them over (bytes), compared case-insensitively
    (RFC 9110 §11.1); built once per setting, not per request."""
    return frozenset(p.lower().encode() for p in prefixes)
