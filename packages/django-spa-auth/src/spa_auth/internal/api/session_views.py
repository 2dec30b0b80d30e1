"""The auth endpoints: thin HTTP edges over ``services``.

Each view checks the request, calls one service, and shapes the response and cookies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.middleware.csrf import get_token, rotate_token
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.authentication import CSRFCheck, SessionAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.mediatypes import media_type_matches
from rest_framework.views import APIView

from ...authentication import JWTSessionAuthentication
from ...conf import SYMMETRIC_ALGORITHMS, get_settings
from ...errors import AuthError, RefreshMissingError, ThrottledError
from ...handlers import api_exception_handler
from ...pagination import BoundedLimitOffsetPagination
from ...parsers import StrictJSONParser
from ...schema import CSRF_HEADER, ERROR, NO_CONTENT, REFRESH_COOKIE
from ...serializers import (
    LoginResponseSerializer,
    LoginSerializer,
    PasswordChangeSerializer,
    RefreshResponseSerializer,
    RefreshSerializer,
    SessionSerializer,
    VerifySerializer,
    serialize_user,
)
from .. import clock
from ..mfa import step_up
from ..sessions import cookies, services
from ..throttling import limits as throttling
from ..throttling import network
from ..tokens import keys, keyset


def optional_string(data: Any, name: str, *, max_length: int) -> str | None:
    """One optional string field of a JSON body, with DRF's error shape.

    Used on refresh and verify instead of a serializer, which deep-copies its fields on
    every request; ``RefreshSerializer`` and ``VerifySerializer`` still describe the shape.
    """
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise exceptions.ValidationError({name: [_("Must be a non-empty string.")]})
    if len(value) > max_length:
        raise exceptions.ValidationError(
            {
                name: [
                    _("Ensure this field has no more than %(max_length)d characters.")
                    % {"max_length": max_length}
                ]
            }
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


def _token_response(
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
        "user": serialize_user(issued.user),
    }
    return _token_response(request, issued, body, set_cookie=True)


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


def _count_token_failure(conf: Any, ip: str | None) -> ThrottledError | None:
    """Count a failed refresh or verify; past the limit, the answer becomes a 429.

    Counted on failures only: a valid token carries a 256-bit MAC or signature and cannot
    be guessed, so the success path costs nothing, while guessing gets throttled.
    """
    return throttling.count_failure(throttling.refresh_ip_limit(conf), throttling.ip_key(ip))


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
        # Set here rather than with never_cache, which also formats an Expires date.
        if "Cache-Control" not in response:  # the JWKS sets its own, public one
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response


class PublicAuthView(AuthAPIView):
    """Open to anyone; must not fall back to session authentication (and its CSRF rules)."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class ObtainTokenView(PublicAuthView):
    @extend_schema(
        request=LoginSerializer,
        responses={200: LoginResponseSerializer, 400: ERROR, 401: ERROR, 415: ERROR, 429: ERROR},
        summary="Log in: access token in the body, refresh token in an httpOnly cookie.",
    )
    def post(self, request: Request) -> Response:
        refuse_foreign_origin(request)  # login CSRF: no logging a victim into our account
        form = LoginSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        username, password = form.validated_data["username"], form.validated_data["password"]
        # Throttled, padded and audited inside authenticate() (backends, signals).
        issued = services.login(request._request, username, password, client_of(request))
        return login_response(request, issued)


class RefreshTokenView(PublicAuthView):
    @extend_schema(
        request=RefreshSerializer,
        parameters=[CSRF_HEADER, REFRESH_COOKIE],
        responses={200: RefreshResponseSerializer, 401: ERROR, 403: ERROR, 429: ERROR},
        summary="Rotate the refresh token (cookie + X-CSRFToken, or `refresh` in the body).",
    )
    def post(self, request: Request) -> Response:
        conf = get_settings()
        from_body = optional_string(request.data, "refresh", max_length=512)
        token = from_body or cookies.read_refresh_cookie(request, conf)
        if not from_body and token:
            enforce_csrf(request)
        client = client_of(request)
        try:
            if not token:
                raise RefreshMissingError("no refresh token")
            issued = services.refresh(token, client)
        except AuthError as error:
            failure: Exception = error
            if not isinstance(error, RefreshMissingError):
                failure = _count_token_failure(conf, client.ip) or error
            response = self.handle_exception(failure)
            if not from_body:
                cookies.clear_refresh_cookie(response, request, conf)
            return response
        body: dict[str, Any] = {
            "token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
        }
        if from_body:
            body["refresh"] = issued.refresh_token
        return _token_response(request, issued, body, set_cookie=not from_body)


class VerifyTokenView(PublicAuthView):
    @extend_schema(request=VerifySerializer, responses={200: NO_CONTENT, 401: ERROR, 429: ERROR})
    def post(self, request: Request) -> Response:
        conf = get_settings()
        token = optional_string(request.data, "token", max_length=16384)
        if token is None:
            raise exceptions.ValidationError({"token": [_("This field is required.")]})
        try:
            services.authenticate_access_token(token)
        except AuthError as error:
            raise _count_token_failure(conf, client_of(request).ip) or error from None
        return Response({})


class LogoutView(PublicAuthView):
    @extend_schema(
        request=None,
        parameters=[CSRF_HEADER, REFRESH_COOKIE],
        responses={204: NO_CONTENT, 403: ERROR},
    )
    def post(self, request: Request) -> Response:
        """End this session (refresh cookie + CSRF, or an access token). Idempotent."""
        conf = get_settings()
        client = client_of(request)
        cookie = cookies.read_refresh_cookie(request, conf)
        session_id: Any = None
        if cookie:
            enforce_csrf(request)
            try:
                session_id = services.session_id_of_refresh_token(cookie)
            except AuthError:
                session_id = None
        if session_id is None:
            session_id = self._session_of_access_token(request)
        if session_id is not None:
            services.logout(session_id, client)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        cookies.clear_refresh_cookie(response, request, conf)
        return response

    def _session_of_access_token(self, request: Request) -> Any:
        try:
            result = JWTSessionAuthentication().authenticate(request)
        except exceptions.AuthenticationFailed:
            return None  # already ended or never valid: logging out again is a no-op
        return result[1]["sid"] if result else None


class LogoutAllView(AuthAPIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={204: NO_CONTENT, 401: ERROR})
    def post(self, request: Request) -> Response:
        services.logout_all(request.user, client_of(request))
        response = Response(status=status.HTTP_204_NO_CONTENT)
        cookies.clear_refresh_cookie(response, request, get_settings())
        return response


class _SessionPage(BoundedLimitOffsetPagination):
    """20 a page whatever the project's ``PAGE_SIZE`` (read by DRF at import, and absent
    from a project that paginates nothing)."""

    default_limit = 20


@extend_schema_view(get=extend_schema(responses={200: SessionSerializer(many=True), 401: ERROR}))
class SessionListView(generics.ListAPIView, AuthAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = SessionSerializer
    pagination_class = _SessionPage

    def get_queryset(self) -> Any:
        from ..sessions import store

        return store.live_sessions(self.request.user.pk, now=clock.now())

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "current_session_id": current_session_id(self.request),
        }


class SessionDetailView(StepUpMixin, AuthAPIView):
    permission_classes = [permissions.IsAuthenticated]

    def needs_step_up(self, request: Request) -> bool:
        # Ending this very session is a logout; ending another one needs a recent login.
        return str(self.kwargs.get("session_id")) != current_session_id(request)

    @extend_schema(responses={204: NO_CONTENT, 401: ERROR, 404: ERROR})
    def delete(self, request: Request, session_id: Any) -> Response:
        if not services.revoke_user_session(request.user, session_id, client_of(request)):
            raise exceptions.NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(sensitive_post_parameters(), name="dispatch")
class PasswordChangeView(StepUpMixin, AuthAPIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=PasswordChangeSerializer,
        parameters=[REFRESH_COOKIE],
        responses={200: RefreshResponseSerializer, 400: ERROR, 401: ERROR, 429: ERROR},
        summary="Change the password: every session ends, this device goes on in a new one.",
    )
    def post(self, request: Request) -> Response:
        conf = get_settings()
        # The old password is checked behind the login throttles (throttling.check_password).
        form = PasswordChangeSerializer(data=request.data, context={"user": request.user})
        form.is_valid(raise_exception=True)
        issued = services.change_password(
            request.user, form.validated_data["new_password"], client=client_of(request)
        )
        # This device goes on in a new session: a cookie client gets the new refresh token
        # as a cookie, a body client in the body, as on refresh.
        by_cookie = cookies.read_refresh_cookie(request, conf) is not None
        body: dict[str, Any] = {
            "token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
        }
        if not by_cookie:
            body["refresh"] = issued.refresh_token
        return _token_response(request, issued, body, set_cookie=by_cookie)


@method_decorator(ensure_csrf_cookie, name="dispatch")
class CsrfView(PublicAuthView):
    @extend_schema(request=None, responses={204: NO_CONTENT})
    def get(self, request: Request) -> Response:
        """Set the CSRF cookie the SPA echoes in ``X-CSRFToken``."""
        return Response(status=status.HTTP_204_NO_CONTENT)


class RefreshCookieSerializer(serializers.Serializer):
    refresh_cookie = serializers.BooleanField()


@method_decorator(ensure_csrf_cookie, name="dispatch")
class RefreshCookieView(PublicAuthView):
    @extend_schema(
        request=None,
        responses={200: RefreshCookieSerializer},
        summary="Whether this browser sent a refresh cookie (not whether it is valid), and the "
        "CSRF cookie: an app checks before restoring a login, so that a first visit makes no "
        "refresh that can only fail.",
    )
    def get(self, request: Request) -> Response:
        present = cookies.read_refresh_cookie(request, get_settings()) is not None
        return Response({"refresh_cookie": present})


class JwksView(PublicAuthView):
    @extend_schema(request=None, responses={200: OpenApiResponse(description="A JWK Set.")})
    def get(self, request: Request) -> Response:
        """The public keys that verify access tokens (empty with a shared-secret algorithm)."""
        conf = get_settings()
        symmetric = conf.algorithm in SYMMETRIC_ALGORITHMS
        response = Response({"keys": []} if symmetric else keyset.jwks(keys.access_keys(conf)))
        # Public keys may be cached; a rotation publishes the next key before it signs.
        response["Cache-Control"] = "public, max-age=300"
        return response
