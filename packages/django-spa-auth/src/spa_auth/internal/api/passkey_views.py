"""The passkey endpoints: registration, rename and removal, the login's second step,
passwordless login, and the options of a re-authentication. Thin edges over ``passkeys``;
the code-based second step and ``reauthenticate/`` itself live in ``mfa_views``."""

from __future__ import annotations

from typing import Any

from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ...conf import get_settings
from ...schema import ERROR, NO_CONTENT
from ...serializers import LoginResponseSerializer
from ..accounts import mail
from ..login import passkey as passkey_login
from ..login import second_step as second_step_login
from ..mfa import passkey_registration, passkeys
from ..throttling import limits as throttling
from ..throttling import network
from .base import (
    AuthAPIView,
    PublicAuthView,
    client_of,
    login_response,
    refuse_foreign_origin,
    validated,
)
from .mfa_views import PasskeySerializer, _FactorChangeView, passkey_payload, second_step

# Each options request writes a challenge row: from one address, this many times the
# login failures it may make (a page offering passkey autofill asks on every load).
_OPTIONS_PER_LOGIN_FAILURE = 10


def _credential_field() -> serializers.DictField:
    return serializers.DictField(
        help_text="The JSON of `@simplewebauthn/browser`'s startRegistration / "
        "startAuthentication (RegistrationResponseJSON / AuthenticationResponseJSON)."
    )


class _NameField(serializers.CharField):
    """A string only: DRF's CharField would take ``7`` or ``true`` as the name "7". Runs
    of whitespace and control characters (newlines, tabs, bidirectional overrides) become
    one space: the name is copied into the owner's mail, where a newline could start a
    line of text that seems to come from the server."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(mail.one_line(data))


def _name_field() -> serializers.CharField:
    return _NameField(min_length=1, max_length=64, help_text="1 to 64 characters, trimmed.")


class PasskeyOptionsSerializer(serializers.Serializer):
    options = serializers.DictField(
        help_text="PublicKeyCredentialCreationOptionsJSON or PublicKeyCredentialRequestOptionsJSON"
        ": pass it as `optionsJSON` to startRegistration / startAuthentication."
    )


class MfaTokenSerializer(serializers.Serializer):
    mfa_token = serializers.CharField(max_length=64)


class PasskeySecondFactorSerializer(serializers.Serializer):
    mfa_token = serializers.CharField(max_length=64)
    credential = _credential_field()


class PasskeyCredentialSerializer(serializers.Serializer):
    credential = _credential_field()


class PasskeyNameSerializer(serializers.Serializer):
    name = _name_field()


class PasskeyRegistrationSerializer(serializers.Serializer):
    credential = _credential_field()
    name = _name_field()


class RegisteredPasskeySerializer(PasskeySerializer):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(), help_text="Shown once, when the user had none; else []."
    )


def _require_object(data: Any) -> None:
    if not isinstance(data, dict):
        raise exceptions.ValidationError(
            {"non_field_errors": [_("Expected a JSON object.")]}, code="not_an_object"
        )


class RegisterOptionsView(_FactorChangeView):
    @extend_schema(
        request=None,
        responses={200: PasskeyOptionsSerializer, 400: ERROR, 401: ERROR, 503: ERROR},
        summary="Options for registering a passkey (discoverable, user verification required).",
    )
    def post(self, request: Request) -> Response:
        _require_object(request.data)
        return Response({"options": passkey_registration.registration_options(request.user)})


class RegisterView(_FactorChangeView):
    @extend_schema(
        request=PasskeyRegistrationSerializer,
        responses={201: RegisteredPasskeySerializer, 400: ERROR, 401: ERROR, 503: ERROR},
        summary="Register a passkey; recovery codes, shown once, if it is the first factor.",
    )
    def post(self, request: Request) -> Response:
        data = validated(PasskeyRegistrationSerializer, request)
        passkey, codes = passkey_registration.register(
            request.user, data["credential"], data["name"]
        )
        body = {**passkey_payload(passkey), "recovery_codes": codes}
        return Response(body, status=status.HTTP_201_CREATED)


class PasskeyDetailView(_FactorChangeView):
    @extend_schema(
        request=PasskeyNameSerializer,
        responses={200: PasskeySerializer, 400: ERROR, 401: ERROR, 404: ERROR},
    )
    def patch(self, request: Request, passkey_id: Any) -> Response:
        """Rename one of your passkeys."""
        name = validated(PasskeyNameSerializer, request)["name"]
        passkey = passkey_registration.rename(request.user, passkey_id, name)
        if passkey is None:
            raise exceptions.NotFound()
        return Response(passkey_payload(passkey))

    @extend_schema(request=None, responses={204: NO_CONTENT, 401: ERROR, 404: ERROR})
    def delete(self, request: Request, passkey_id: Any) -> Response:
        """Remove one of your passkeys (the recovery codes too, if no factor is left)."""
        if not passkey_registration.remove(request.user, passkey_id):
            raise exceptions.NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(sensitive_post_parameters("mfa_token"), name="dispatch")
class SecondFactorOptionsView(PublicAuthView):
    @extend_schema(
        request=MfaTokenSerializer,
        responses={200: PasskeyOptionsSerializer, 400: ERROR, 401: ERROR, 503: ERROR},
        summary="Options for the login's second step with a passkey.",
    )
    def post(self, request: Request) -> Response:
        refuse_foreign_origin(request)
        pending = second_step_login.pending_login(
            validated(MfaTokenSerializer, request)["mfa_token"]
        )
        return Response({"options": passkeys.second_factor_options(pending.user)})


@method_decorator(sensitive_post_parameters("mfa_token"), name="dispatch")
class SecondFactorView(PublicAuthView):
    @extend_schema(
        request=PasskeySecondFactorSerializer,
        responses={200: LoginResponseSerializer, 400: ERROR, 401: ERROR, 429: ERROR, 503: ERROR},
        summary="The login's second step: a passkey assertion with the mfa_token.",
    )
    def post(self, request: Request) -> Response:
        refuse_foreign_origin(request)
        data = validated(PasskeySecondFactorSerializer, request)
        pending = second_step_login.pending_login(data["mfa_token"])
        return second_step(
            request,
            pending,
            lambda: passkeys.verify_second_factor(pending.user, data["credential"]),
        )


class LoginOptionsView(PublicAuthView):
    @extend_schema(
        request=None,
        responses={200: PasskeyOptionsSerializer, 400: ERROR, 429: ERROR, 503: ERROR},
        summary="Options for a passwordless login with a discoverable passkey.",
    )
    def post(self, request: Request) -> Response:
        refuse_foreign_origin(request)
        _require_object(request.data)
        conf = get_settings()
        limit = throttling.Limit(
            "passkey-options-ip",
            conf.login_failures_per_ip * _OPTIONS_PER_LOGIN_FAILURE,
            conf.login_ip_window,
        )
        ip = network.client_ip(request, conf)
        throttled = throttling.count_failure(limit, throttling.ip_key(ip))
        if throttled is not None:
            raise throttled
        return Response({"options": passkeys.login_options()})


class LoginView(PublicAuthView):
    @extend_schema(
        request=PasskeyCredentialSerializer,
        responses={
            200: LoginResponseSerializer,
            400: ERROR,
            401: ERROR,
            403: ERROR,
            429: ERROR,
            503: ERROR,
        },
        summary="Log in with a passkey alone: the same answer as obtain_token.",
    )
    def post(self, request: Request) -> Response:
        refuse_foreign_origin(request)  # login CSRF, as for a password login
        credential = validated(PasskeyCredentialSerializer, request)["credential"]
        issued = passkey_login.login(request._request, credential, client_of(request))
        return login_response(request, issued)


class ReauthenticateOptionsView(AuthAPIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: PasskeyOptionsSerializer, 400: ERROR, 401: ERROR, 503: ERROR},
        summary="Options for re-authenticating with one of your passkeys (step-up).",
    )
    def post(self, request: Request) -> Response:
        _require_object(request.data)
        return Response({"options": passkeys.reauthentication_options(request.user)})
