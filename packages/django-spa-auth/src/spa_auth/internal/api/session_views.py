"""The token and session endpoints: thin HTTP edges over ``login`` and ``sessions``.

Each view checks the request, calls one service, and shapes the response and cookies.
"""

from __future__ import annotations

from typing import Any

from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ...authentication import JWTSessionAuthentication
from ...conf import SYMMETRIC_ALGORITHMS, get_settings
from ...errors import AuthError, RefreshMissingError, ThrottledError
from ...pagination import BoundedLimitOffsetPagination
from ...schema import CSRF_HEADER, ERROR, NO_CONTENT, REFRESH_COOKIE
from ...serializers import (
    LoginResponseSerializer,
    LoginSerializer,
    PasswordChangeSerializer,
    RefreshResponseSerializer,
    RefreshSerializer,
    SessionSerializer,
    VerifySerializer,
)
from .. import clock
from ..captcha.services import require_captcha
from ..login import password as password_login
from ..sessions import cookies, rotation, services
from ..throttling import limits as throttling
from ..tokens import keys, keyset
from .base import (
    AuthAPIView,
    PublicAuthView,
    StepUpMixin,
    client_of,
    current_session_id,
    enforce_csrf,
    login_response,
    optional_string,
    refuse_foreign_origin,
    token_response,
)


def _count_token_failure(conf: Any, ip: str | None) -> ThrottledError | None:
    """Count a failed refresh or verify; past the limit, the answer becomes a 429.

    Counted on failures only: a valid token carries a 256-bit MAC or signature and cannot
    be guessed, so the success path costs nothing, while guessing gets throttled.
    """
    return throttling.count_failure(throttling.refresh_ip_limit(conf), throttling.ip_key(ip))


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class ObtainTokenView(PublicAuthView):
    @extend_schema(
        request=LoginSerializer,
        responses={
            200: LoginResponseSerializer,
            **dict.fromkeys((400, 401, 415, 429, 503), ERROR),
        },
        summary="Log in: access token in the body, refresh token in an httpOnly cookie.",
    )
    def post(self, request: Request) -> Response:
        refuse_foreign_origin(request)  # login CSRF: no logging a victim into our account
        form = LoginSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        username, password = form.validated_data["username"], form.validated_data["password"]
        # After a failure of this name or this address, a CAPTCHA first (before any hashing).
        require_captcha(request, "login", username=username)
        # Throttled, padded and audited inside authenticate() (backends, signals).
        issued = password_login.login(request._request, username, password, client_of(request))
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
            issued = rotation.refresh(token, client)
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
        return token_response(request, issued, body, set_cookie=not from_body)


class VerifyTokenView(PublicAuthView):
    @extend_schema(request=VerifySerializer, responses={200: NO_CONTENT, 401: ERROR, 429: ERROR})
    def post(self, request: Request) -> Response:
        conf = get_settings()
        token = optional_string(request.data, "token", max_length=16384)
        if token is None:
            raise exceptions.ValidationError(
                {"token": [_("This field is required.")]}, code="required"
            )
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
        responses={
            200: RefreshResponseSerializer,
            400: ERROR,
            401: ERROR,
            429: ERROR,
            503: ERROR,
        },
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
        return token_response(request, issued, body, set_cookie=by_cookie)


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
