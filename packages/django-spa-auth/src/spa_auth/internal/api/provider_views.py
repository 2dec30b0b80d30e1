"""Sign-in with a provider: the list, the two navigations (begin, callback), the pending
second step, and the signed-in user's identities (connect, list, disconnect).

The begin and the callback are top-level navigations, not API calls: they answer with
redirects, to the provider or back to the app (``FRONTEND_URL``), never with a token or a
code in the app's URL. A failure lands on the app's login page (``LOGIN_PATH``) with
``provider_error=<code>``; a connection's failure on the page it began from. A sign-in
that needs a second factor lands there with ``provider_step=mfa``, its pending login in
an httpOnly cookie that ``providers/pending/`` turns into the usual ``mfa_required``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import rotate_token
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ...conf import get_settings
from ...errors import AuthError, MfaRequiredError, MfaTokenInvalidError, to_public
from ...models import ProviderFlow
from ...schema import ERROR, NO_CONTENT
from .. import clock
from ..login import provider as provider_login
from ..login import second_step
from ..mfa import services as mfa
from ..mfa import step_up
from ..providers import config, flows, links
from ..sessions import cookies
from ..throttling import limits as throttling
from ..throttling import network
from .base import (
    AuthAPIView,
    PublicAuthView,
    StepUpMixin,
    client_of,
    current_session_id,
    refuse_foreign_origin,
    validated,
)

logger = logging.getLogger("spa_auth.providers")
PENDING_COOKIE = "spa_auth_pending"


class ProviderSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class IdentitySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    provider = serializers.CharField()
    name = serializers.SerializerMethodField()
    email = serializers.CharField()
    created = serializers.DateTimeField(source="created_at")
    last_used = serializers.DateTimeField(source="last_used_at", allow_null=True)

    def get_name(self, row: Any) -> str:
        found = config.providers().get(row.provider)
        return found.name if found else row.provider


class ConnectSerializer(serializers.Serializer):
    next = serializers.CharField(max_length=512, required=False, default="/")


class AuthorizationUrlSerializer(serializers.Serializer):
    authorization_url = serializers.URLField()


def _app_url(path: str, **query: str) -> str:
    base = (get_settings().frontend_url or "").rstrip("/")
    path = flows.safe_next(path)
    if not query:
        return f"{base}{path}"
    separator = "&" if "?" in path else "?"
    return f"{base}{path}{separator}{urlencode(query)}"


def _failure(code: str, *, back_to: str | None = None) -> HttpResponse:
    """Back to the app with the error's code: the login page, or where a connection began."""
    return HttpResponseRedirect(_app_url(back_to or get_settings().login_path, provider_error=code))


def _navigation_error(error: AuthError) -> HttpResponse:
    if not get_settings().frontend_url:
        return _not_configured()
    return _failure(error.code)


def _start_limit() -> throttling.Limit:
    conf = get_settings()
    return throttling.Limit("provider-ip", conf.account_requests_per_ip, conf.account_ip_window)


def _is_navigation(request: HttpRequest) -> bool:
    """A top-level navigation, or a browser that does not say (no Fetch Metadata): an
    image, a script or a frame of another site begins no flow and spends no budget."""
    mode = request.META.get("HTTP_SEC_FETCH_MODE", "navigate")
    dest = request.META.get("HTTP_SEC_FETCH_DEST", "document")
    return mode == "navigate" and dest == "document"


def _not_configured() -> HttpResponse:
    """No app to send the browser back to: a clear 503, as for mail without FRONTEND_URL."""
    return JsonResponse(
        {
            "detail": "Sign-in providers need SPA_AUTH['FRONTEND_URL'].",
            "code": "providers_not_configured",
        },
        status=503,
    )


class ProviderListView(PublicAuthView):
    @extend_schema(responses={200: ProviderSerializer(many=True)}, summary="Sign-in providers")
    def get(self, request: Request) -> Response:
        """The configured providers, for the login page's buttons."""
        return Response([{"id": p.id, "name": p.name} for p in config.providers().values()])


_NAVIGATION = {302: OpenApiResponse(description="A redirect (Location)."), 503: ERROR}


class ProviderLoginView(PublicAuthView):
    @extend_schema(
        parameters=[OpenApiParameter("next", str, description="A path of the app, after sign-in.")],
        responses=_NAVIGATION,
        summary="Sign in with a provider (a top-level navigation)",
    )
    def get(self, request: Request, provider_id: str) -> HttpResponse:
        """Redirects to the provider; its answer comes back to ``callback/``, which
        redirects to the app. Errors redirect to the app's login page with
        ``provider_error``."""
        conf = get_settings()
        if not conf.frontend_url:
            return _not_configured()
        if not _is_navigation(request._request):
            return JsonResponse(
                {"detail": "Open this URL as a page.", "code": "navigation_required"}, status=400
            )
        try:
            provider = config.get(provider_id)
            throttled = throttling.count_failure(
                _start_limit(), throttling.ip_key(network.client_ip(request, conf))
            )
            if throttled is not None:
                raise throttled
            response = HttpResponseRedirect("/")
            url = flows.start(
                request._request,
                response,
                provider,
                intent=ProviderFlow.Intent.LOGIN,
                next_path=request.GET.get("next", "/"),
            )
        except AuthError as error:
            return _navigation_error(error)
        response["Location"] = url
        response["Cache-Control"] = "no-store"
        return response


class ProviderCallbackView(PublicAuthView):
    """``providers/<id>/callback/``: where the provider sends the browser back. No CSRF
    token: the provider's redirect and form post carry none; the flow is the check."""

    @extend_schema(
        request=None,
        responses={303: OpenApiResponse(description="To the GET.")},
        summary="A provider's form-post answer (Apple)",
    )
    def post(self, request: Request, provider_id: str) -> HttpResponse:
        """A form-post answer (Apple): keep what only it carries, then turn it into the
        redirect a Lax flow cookie follows (a 303 is a GET navigation)."""
        try:
            provider = config.get(provider_id)
        except AuthError as error:
            return _navigation_error(error)
        form = request._request.POST  # a form, which the JSON-only parsers would refuse
        flows.stash_form_post(provider, form)
        kept = {k: v for k, v in form.items() if k in ("code", "state", "error", "iss")}
        response = HttpResponseRedirect(f"{request.path}?{urlencode(kept)}")
        response.status_code = status.HTTP_303_SEE_OTHER
        return response

    @extend_schema(responses=_NAVIGATION, summary="A provider's answer (a top-level navigation)")
    def get(self, request: Request, provider_id: str) -> HttpResponse:
        """Signs in (or connects) and redirects to the app, with no token or code in its
        URL; see the module's docstring for the failures."""
        try:
            provider = config.get(provider_id)
        except AuthError as error:
            return _navigation_error(error)
        outcome = provider_login.callback(
            request._request, provider, request.query_params, client_of(request)
        )
        response = self._answer(request._request, outcome)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response

    def _answer(self, request: HttpRequest, outcome: provider_login.Outcome) -> HttpResponse:
        conf = get_settings()
        if outcome.error:
            return _failure(outcome.error, back_to=outcome.next_path if outcome.signed_in else None)
        if outcome.mfa_token:
            response = HttpResponseRedirect(
                _app_url(conf.login_path, provider_step="mfa", next=outcome.next_path)
            )
            response.set_cookie(
                PENDING_COOKIE,
                outcome.mfa_token,
                max_age=int(conf.mfa_token_lifetime.total_seconds()),
                path=conf.refresh_cookie_path,
                secure=cookies.is_secure_cookie(request, conf),
                httponly=True,
                samesite="Strict",
            )
            return response
        if outcome.done:
            return HttpResponseRedirect(_app_url(outcome.next_path, **{outcome.done: "1"}))
        issued = outcome.tokens
        assert issued is not None
        rotate_token(request)  # a new CSRF token with the new session, as Django's login
        response = HttpResponseRedirect(_app_url(outcome.next_path))
        cookies.set_refresh_cookie(
            response,
            request,
            issued.refresh_token,
            expires_at=issued.refresh_expires_at,
            now=clock.now(),
            conf=conf,
        )
        return response


class PendingLoginView(PublicAuthView):
    @extend_schema(
        request=None, responses={401: ERROR}, summary="The second step of a provider sign-in"
    )
    def post(self, request: Request) -> Response:
        """After a provider sign-in that needs a second factor: 401 ``mfa_required`` with
        its ``mfa_token``, read once from the httpOnly cookie the callback set; then the
        second step is ``mfa/authenticate/`` or a passkey, as after a password."""
        refuse_foreign_origin(request)
        token = request.COOKIES.get(PENDING_COOKIE, "")
        try:
            pending = second_step.pending_login(token)
            error: AuthError = MfaRequiredError(token, mfa.methods(pending.user))
        except MfaTokenInvalidError as invalid:
            error = invalid
        public = to_public(error)
        body = {
            "detail": str(public.detail),
            "code": public.code,
            **getattr(error, "extra", dict)(),
        }
        response = Response(body, status=public.status)
        response.delete_cookie(
            PENDING_COOKIE, path=get_settings().refresh_cookie_path, samesite="Strict"
        )
        return response


class ConnectView(AuthAPIView):
    permission_classes = [permissions.IsAuthenticated]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """A connected identity is a way in that outlives a password reset, as a passkey
        is: the account must have re-authenticated after its login (M7), with its
        password, a factor, or at one of its providers (``reauthenticate/``), so that a
        copy of a fresh login's token connects nothing."""
        super().initial(request, *args, **kwargs)
        step_up.require_reauthenticated(request.user, request.auth)

    @extend_schema(
        request=ConnectSerializer,
        responses={200: AuthorizationUrlSerializer, 401: ERROR, 404: ERROR},
        summary="Connect a provider",
    )
    def post(self, request: Request, provider_id: str) -> Response:
        """Begin connecting a provider to the signed-in account (step-up): the answer's
        ``authorization_url`` is where the app navigates; the callback comes back to
        ``next`` with ``provider_connected=1`` or ``provider_error``."""
        # As no factor is added: an account made with someone else's unproven address
        # must not get its maker's provider account (optional verification; under "none"
        # the first reset removes it, ``links``).
        mfa.require_proven_address(request.user)
        return _signed_in_flow(request, provider_id, ProviderFlow.Intent.CONNECT)


class ReauthenticateView(AuthAPIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=ConnectSerializer,
        responses={200: AuthorizationUrlSerializer, 401: ERROR, 404: ERROR},
        summary="Re-authenticate at a provider (step-up)",
    )
    def post(self, request: Request, provider_id: str) -> Response:
        """For an account without a second factor that has this provider: the answer's
        ``authorization_url`` asks the provider to sign in again now; the callback freshens
        this session's ``auth_time`` and comes back to ``next`` with
        ``provider_reauthenticated=1`` (then refresh for a token that carries it)."""
        return _signed_in_flow(request, provider_id, ProviderFlow.Intent.REAUTHENTICATE)


def _signed_in_flow(request: Request, provider_id: str, intent: str) -> Response:
    """Begin a flow of the signed-in user's session (a connection, a re-authentication),
    counted against the client's address as sign-ins are: ``{authorization_url}``."""
    provider = config.get(provider_id)
    body = validated(ConnectSerializer, request)
    throttled = throttling.count_failure(
        _start_limit(), throttling.ip_key(network.client_ip(request, get_settings()))
    )
    if throttled is not None:
        raise throttled
    response = Response()
    url = flows.start(
        request._request,
        response,
        provider,
        intent=intent,
        user=request.user,
        session_id=current_session_id(request),
        next_path=body["next"],
    )
    response.data = {"authorization_url": url}
    return response


class IdentityListView(AuthAPIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses={200: IdentitySerializer(many=True), 401: ERROR}, summary="Connected providers"
    )
    def get(self, request: Request) -> Response:
        return Response(IdentitySerializer(links.identities(request.user), many=True).data)


class IdentityDetailView(StepUpMixin, AuthAPIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("identity_id", str, OpenApiParameter.PATH)],
        responses={204: NO_CONTENT, 400: ERROR, 401: ERROR, 404: ERROR},
        summary="Disconnect a provider",
    )
    def delete(self, request: Request, identity_id: Any) -> Response:
        """Disconnect (step-up); 400 ``last_way_in`` if it is the account's only way in."""
        if not links.disconnect(request.user, identity_id, ip=client_of(request).ip):
            return Response(
                {"detail": "Not found.", "code": "not_found"}, status=status.HTTP_404_NOT_FOUND
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
