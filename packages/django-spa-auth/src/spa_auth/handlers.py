"""DRF's exception handler: every error is JSON ``{detail, code}``, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import (
    AuthError,
    BreachCheckUnavailableError,
    InvalidCredentialsError,
    ReauthenticationRequiredError,
    ThrottledError,
    authenticate_header,
    to_public,
)

logger = logging.getLogger("spa_auth")


def _first_code(codes: Any) -> str:
    while isinstance(codes, (list, dict)) and codes:
        codes = codes[0] if isinstance(codes, list) else next(iter(codes.values()))
    return str(codes) if isinstance(codes, str) else "invalid"


def _auth_error_response(error: AuthError) -> Response:
    public = to_public(error)
    body = {"detail": str(public.detail), "code": public.code, **error.extra()}
    response = Response(body, status=public.status)
    if isinstance(error, ThrottledError):
        response["Retry-After"] = str(error.retry_after)
    elif isinstance(error, BreachCheckUnavailableError):
        response["Retry-After"] = "60"  # the message says "in a minute"
    elif isinstance(error, ReauthenticationRequiredError):
        # RFC 9470 §3: the step-up challenge, with the age the action accepts.
        response["WWW-Authenticate"] = (
            'Bearer realm="api", error="insufficient_user_authentication", '
            f'error_description="A more recent authentication is required", '
            f"max_age={error.max_age}"
        )
    elif public.status == 401:
        response["WWW-Authenticate"] = authenticate_header(
            token_failed=not isinstance(error, InvalidCredentialsError)
        )
    return response


def is_unavailable(exc: Exception) -> bool:
    """A database that cannot be reached, as opposed to a query that is wrong: only the
    first is a 503; the second is a bug and must show as one (a 500, logged)."""
    return isinstance(exc, (OperationalError, InterfaceError))


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, AuthError):
        return _auth_error_response(exc)
    if is_unavailable(exc):
        logger.error("database unavailable: %s", exc)
        return Response(
            {"detail": _("The service is temporarily unavailable."), "code": "service_unavailable"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response: Response | None = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        # ``errors`` holds the messages, as it always has; ``codes`` mirrors it member for
        # member with each message's stable code, for clients that branch on them.
        response.data = {
            "detail": _("Some fields are not valid."),
            "code": _first_code(exc.get_codes()) if isinstance(exc.detail, list) else "invalid",
            "errors": exc.detail,
            "codes": exc.get_codes(),
        }
    else:
        response.data = {"detail": str(exc.detail), "code": _first_code(exc.get_codes())}
    return response
