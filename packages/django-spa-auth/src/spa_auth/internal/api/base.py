"""The base of every auth endpoint, and the helpers the views share.

``AuthAPIView`` sets what every endpoint needs (JSON only, the authentication classes,
the exception handler, no caching); ``PublicAuthView`` is open to anyone. The helpers
read a request (its client, its session, its origin) and shape a login's answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.middleware.csrf import get_token, rotate_token
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions
from rest_framework.authentication import CSRFCheck, SessionAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.mediatypes import media_type_matches
from rest_framework.views import APIView

from ...authentication import JWTSessionAuthentication
from ...conf import get_settings
from ...handlers import api_exception_handler
from ...parsers import StrictJSONParser
from ...serializers import (
    serialize_user,
)
from .. import clock
from ..devices import cookie as device_cookie
from ..mfa import step_up
from ..sessions import cookies, services
from ..throttling import network


def optional_string(data: Any, name: str, *, max_length: int) -> str | None:
    """One optional string field of a JSON body, with DRF's error shape.

    Used on refresh and verify instead of a serializer, which deep-copies its fields on
    every request; ``RefreshSerializer`` and ``VerifySerializer`` still describe the shape.
    """
    if not isinstance(data, dict):
        raise exceptions.ValidationError(
            {"non_field_errors": [_("Expected a JSON object.")]}, code="not_an_object"
        )
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise exceptions.ValidationError(
            {name: [_("Must be a non-empty string.")]},
            code="blank" if isinstance(value, str) else "not_a_string",
        )
    if len(value) > max_length:
        raise exceptions.ValidationError(
            {
                name: [
                    _("Ensure this field has no more than %(max_length)d characters.")
                    % {"max_length": max_length}
                ]
            },
            code="max_length",
        )
    return value


def validated(serializer_class: type, request: Request, **context: Any) -> dict[str, Any]:
    """The body checked by ``serializer_class`` (DRF's 400 with per-field errors if not)."""
    form = serializer_class(data=request.data, context=context)
    form.is_valid(raise_exception=True)
    return dict(form.validated_data)


def client_of(request: Request) -> services.Client:
    return services.Client(
        ip=network.client_ip(request, get_settings()), user_agent=network.user_agent(request)
    )


def refuse_foreign_origin(request: Request) -> None:
    """Refuse browsers calling from another site or an origin not on the exact allowlist.

    Clients that send no ``Origin`` (curl, servers) are not browsers and carry no ambient
    credentials, so they pass; browsers always send it on POST.
    """
    if request.META.get("HTTP_SEC_FETCH_SITE") == "cross-site":
        raise exceptions.PermissionDenied(_("Cross-site request refused."), code="csrf_failed")
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        return
    allowed = {f"{request.scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}
    if origin not in allowed:
        raise exceptions.PermissionDenied(_("Origin not allowed."), code="csrf_failed")


def enforce_csrf(request: Request) -> None:
    """Origin allowlist, Fetch Metadata and Django's CSRF token check, for cookie-borne calls."""
    refuse_foreign_origin(request)
    check = CSRFCheck(lambda _request: None)  # type: ignore[arg-type,return-value]
    check.process_request(request._request)
    reason = check.process_view(request._request, None, (), {})  # type: ignore[arg-type]
    if reason:
        raise exceptions.PermissionDenied(f"CSRF Failed: {reason}", code="csrf_failed")


def current_session_id(request: Request) -> str | None:
    claims = request.auth
    return claims.get("sid") if isinstance(claims, dict) else None


def token_response(
    request: Request, issued: services.IssuedTokens, body: dict[str, Any], *, set_cookie: bool
) -> Response:
    response = Response(body)
    if set_cookie:
        cookies.set_refresh_cookie(
            response,
            request,
            issued.refresh_token,
            expires_at=issued.refresh_expires_at,
            now=clock.now(),
            conf=get_settings(),
        )
    return response


def login_response(request: Request, issued: services.IssuedTokens) -> Response:
    """The answer of every completed login: the access token and the user in the body, the
    refresh token in its cookie, and a new CSRF token (login CSRF, as Django's own login)."""
    rotate_token(request._request)
    get_token(request._request)
    body = {
        "token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "user": {**serialize_user(issued.user), "password_breached": issued.password_breached},
    }
    return token_response(request, issued, body, set_cookie=True)


def access_token_body(issued: services.IssuedTokens) -> dict[str, Any]:
    return {"token": issued.access_token, "token_type": "Bearer", "expires_in": issued.expires_in}


class StepUpMixin:
    """Sensitive actions: an authentication at most ``REAUTHENTICATION_MAX_AGE`` old (for
    an account with a second factor, a re-authentication with it after the login), or 401
    ``reauthentication_required`` with RFC 9470's challenge. Safe methods are exempt."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method not in permissions.SAFE_METHODS and self.needs_step_up(request):
            step_up.require_sensitive(request.user, request.auth)

    def needs_step_up(self, request: Request) -> bool:
        return True


class JSONOnlyNegotiation(BaseContentNegotiation):
    """The auth endpoints speak JSON and nothing else: no Accept header parsing."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> Any:
        return next(
            (p for p in parsers if media_type_matches(p.media_type, request.content_type)), None
        )

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class AuthAPIView(APIView):
    """Every auth endpoint: JSON only, and never stored by a cache (RFC 6749 §5.1).

    What the endpoints need is set here, not left to the project's ``REST_FRAMEWORK``, so
    that adopting the package changes nothing of the project's own API and the project's
    defaults change nothing of ours: the parser (a cross-site HTML form cannot send JSON
    without a CORS preflight, and DRF's own parser lets deeply nested JSON escape as a
    500), the renderer, the authentication (the access token, or the Django session that
    ``SpaAuthMiddleware`` links to a session row; never HTTP Basic) and the exception
    handler that gives every error its ``code``.
    """

    content_negotiation_class = JSONOnlyNegotiation
    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]
    authentication_classes = [JWTSessionAuthentication, SessionAuthentication]

    def get_exception_handler(self) -> Any:
        return api_exception_handler

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        # A sign-in on this request (any way in) left its device cookie to set.
        device_cookie.attach(request._request, response)
        # Set here rather than with never_cache, which also formats an Expires date.
        if "Cache-Control" not in response:  # the JWKS sets its own, public one
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response


class PublicAuthView(AuthAPIView):
    """Open to anyone; must not fall back to session authentication (and its CSRF rules)."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]
