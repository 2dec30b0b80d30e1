"""The multi-factor endpoints: the login's second step with a code, the user's factors,
TOTP and recovery codes, and re-authentication for step-up. Passkeys: ``passkey_views``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ...errors import CodeInvalidError
from ...models import Passkey
from ...schema import ERROR, NO_CONTENT
from ...serializers import LoginResponseSerializer, RefreshResponseSerializer
from ..login import reauthentication
from ..login import second_step as second_step_login
from ..mfa import enrolment, step_up
from ..mfa import services as mfa
from .base import (
    AuthAPIView,
    PublicAuthView,
    access_token_body,
    client_of,
    current_session_id,
    login_response,
    refuse_foreign_origin,
    validated,
)


class MfaCodeSerializer(serializers.Serializer):
    mfa_token = serializers.CharField(max_length=64)
    code = serializers.CharField(max_length=64, trim_whitespace=False)


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, trim_whitespace=False)


class ReauthenticateSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=4096, trim_whitespace=False, required=False)
    code = serializers.CharField(max_length=64, trim_whitespace=False, required=False)
    credential = serializers.JSONField(required=False, help_text="A WebAuthn assertion.")


class TotpSetupSerializer(serializers.Serializer):
    secret = serializers.CharField()
    otpauth_url = serializers.CharField()
    qr_svg = serializers.CharField()


class RecoveryCodesSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField())


class PasskeySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    created = serializers.DateTimeField()
    last_used = serializers.DateTimeField(allow_null=True)


class FactorsSerializer(serializers.Serializer):
    totp = serializers.DictField()
    recovery_codes = serializers.DictField()
    passkeys = PasskeySerializer(many=True)


class _Refused(exceptions.APIException):
    """A wrong password or code from a signed-in user: a 400, since a 401 would read to the
    app as the end of its session."""

    status_code = status.HTTP_400_BAD_REQUEST


def _refused(code: str, detail: str) -> _Refused:
    return _Refused(detail=detail, code=code)


_PROOF_REFUSED = {
    "password_incorrect": gettext_lazy("Your password is not correct."),
    "code_invalid": gettext_lazy("That code is not valid."),
}


def second_step(request: Request, pending: Any, check: Callable[[], list[str]]) -> Response:
    """Finish a login waiting for its second factor (``login.second_step.finish``) and
    answer as a login does."""
    issued = second_step_login.finish(request._request, pending, client_of(request), check)
    return login_response(request, issued)


def passkey_payload(passkey: Passkey) -> dict[str, Any]:
    return {
        "id": str(passkey.pk),
        "name": passkey.name,
        "created": passkey.created_at,
        "last_used": passkey.last_used_at,
    }


@method_decorator(sensitive_post_parameters("code", "mfa_token"), name="dispatch")
class MfaAuthenticateView(PublicAuthView):
    @extend_schema(
        request=MfaCodeSerializer,
        responses={200: LoginResponseSerializer, 400: ERROR, 401: ERROR, 429: ERROR},
        summary="The login's second step: a TOTP or recovery code with the mfa_token.",
    )
    def post(self, request: Request) -> Response:
        refuse_foreign_origin(request)
        data = validated(MfaCodeSerializer, request)
        pending = second_step_login.pending_login(data["mfa_token"])
        return second_step(request, pending, lambda: mfa.check_code(pending.user, data["code"]))


class MfaOverviewView(AuthAPIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: FactorsSerializer, 401: ERROR})
    def get(self, request: Request) -> Response:
        """The user's factors: TOTP on or off, recovery codes left, passkeys."""
        user: Any = request.user
        owned = Passkey.objects.filter(user=user).order_by("created_at")
        return Response(
            {
                "totp": {"enabled": mfa.confirmed_totp(user) is not None},
                "recovery_codes": {"remaining": mfa.recovery_codes_left(user)},
                "passkeys": [passkey_payload(passkey) for passkey in owned],
            }
        )


class _FactorChangeView(AuthAPIView):
    """Adding, changing or removing a second factor: a request that changes something needs
    a re-authentication made after the login (``step_up.require_reauthenticated``), or gets 401
    ``reauthentication_required`` with RFC 9470's challenge; the app asks and retries. The
    first factor of a staff account under ``required_for_staff`` also needs an enrolment
    link opened in this session (``enrolment``), or gets 403 ``mfa_enrolment_required``."""

    permission_classes = [permissions.IsAuthenticated]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method not in permissions.SAFE_METHODS:
            step_up.require_reauthenticated(request.user, request.auth)
            enrolment.require_grant(request.user, current_session_id(request))


class TotpSetupView(_FactorChangeView):
    @extend_schema(request=None, responses={200: TotpSetupSerializer, 401: ERROR})
    def post(self, request: Request) -> Response:
        """A new TOTP secret, its otpauth:// URI and a QR code (SVG); on after one code."""
        if mfa.confirmed_totp(request.user) is not None:
            # A new secret would turn the working one off until it is confirmed.
            raise _refused("totp_enabled", _("Turn off the authenticator app first."))
        return Response(mfa.begin_totp(request.user))


@method_decorator(sensitive_post_parameters("code"), name="dispatch")
class TotpConfirmView(_FactorChangeView):
    @extend_schema(
        request=CodeSerializer, responses={200: RecoveryCodesSerializer, 400: ERROR, 401: ERROR}
    )
    def post(self, request: Request) -> Response:
        """Turn TOTP on with its first code; recovery codes, shown once, if there were none."""
        code = validated(CodeSerializer, request)["code"]
        try:
            codes = mfa.confirm_totp(request.user, code)
        except CodeInvalidError:
            raise _refused("code_invalid", _("That code is not valid.")) from None
        return Response({"recovery_codes": codes})


class TotpView(_FactorChangeView):
    @extend_schema(request=None, responses={204: NO_CONTENT, 401: ERROR, 404: ERROR})
    def delete(self, request: Request) -> Response:
        """Turn TOTP off."""
        if not mfa.disable_totp(request.user):
            raise exceptions.NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecoveryCodesView(_FactorChangeView):
    @extend_schema(request=None, responses={200: RecoveryCodesSerializer, 400: ERROR, 401: ERROR})
    def post(self, request: Request) -> Response:
        """Ten new recovery codes, shown once; every earlier one stops working."""
        if not mfa.has_mfa(request.user):
            raise _refused("mfa_not_enabled", _("Turn on a second factor first."))
        return Response({"recovery_codes": mfa.regenerate_recovery_codes(request.user)})


@method_decorator(sensitive_post_parameters("password", "code"), name="dispatch")
class ReauthenticateView(AuthAPIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=ReauthenticateSerializer,
        responses={200: RefreshResponseSerializer, 400: ERROR, 401: ERROR, 429: ERROR},
        summary="Prove it is you again (password, code or passkey): a fresh auth_time.",
    )
    def post(self, request: Request) -> Response:
        data = validated(ReauthenticateSerializer, request)
        user = request.user
        given = [name for name in reauthentication.PROOFS if name in data]
        if len(given) != 1:
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Send exactly one of password, code or credential.")]},
                code="one_proof_required",
            )
        try:
            issued = reauthentication.reauthenticate(
                request._request, user, current_session_id(request), given[0], data[given[0]]
            )
        except reauthentication.ProofRefusedError as refused:
            raise _refused(refused.code, str(_PROOF_REFUSED[refused.code])) from None
        return Response(access_token_body(issued))
