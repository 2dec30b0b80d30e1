"""The account endpoints: sign-up, verification, password reset, email change, deletion.

Thin HTTP edges over ``accounts``. The endpoints that name an address answer one fixed
body whatever the address, after the same work (throttles, one queued task).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from ...conf import AuthSettings, get_settings
from ...errors import (
    KeyInvalidError,
    MailNotConfiguredError,
    PasswordIncorrectError,
    SignupDisabledError,
)
from ...schema import ERROR, NO_CONTENT
from ...serializers import validate_new_password
from ..accounts import services as accounts
from ..accounts.keys import fold
from ..captcha.services import require_captcha
from ..sessions import cookies
from ..throttling import limits as throttling
from ..throttling import network
from .account_serializers import (
    AcceptedSerializer,
    AccountDeleteSerializer,
    ConfirmKeySerializer,
    EmailChangedSerializer,
    EmailChangeSerializer,
    EmailSerializer,
    PasswordResetConfirmSerializer,
    RegisterSerializer,
)
from .base import (
    AuthAPIView,
    PublicAuthView,
    StepUpMixin,
    client_of,
    refuse_foreign_origin,
    validated,
)


class _SignedInAccountView(StepUpMixin, AuthAPIView):
    permission_classes = [permissions.IsAuthenticated]


# 400 also captcha_required / captcha_invalid, 503 also captcha_unavailable.
_ACCEPTED = {202: AcceptedSerializer, 400: ERROR, 415: ERROR, 429: ERROR, 503: ERROR}


def _ip_limit(conf: AuthSettings) -> throttling.Limit:
    return throttling.Limit("account-ip", conf.account_requests_per_ip, conf.account_ip_window)


def _address_limit(conf: AuthSettings) -> throttling.Limit:
    return throttling.Limit("mail-address", conf.mails_per_address, conf.mail_address_window)


def _address_key(address: str) -> str:
    return hashlib.sha256(fold(address).encode()).hexdigest()


def count_request(request: Request, conf: AuthSettings) -> None:
    """Every request to an account endpoint counts against its client's address."""
    ip = network.client_ip(request, conf)
    throttled = throttling.count_failure(_ip_limit(conf), throttling.ip_key(ip))
    if throttled is not None:
        raise throttled


def count_mail(address: str, conf: AuthSettings) -> None:
    """A mail asked for ``address`` counts against it, whether it has an account or not:
    a cooldown only known addresses had would tell them apart."""
    throttled = throttling.count_failure(_address_limit(conf), _address_key(address))
    if throttled is not None:
        raise throttled


def require_mail(conf: AuthSettings) -> None:
    if not conf.frontend_url:
        raise MailNotConfiguredError("SPA_AUTH['FRONTEND_URL'] is not set")


def _accepted(detail: str, code: str, http_status: int = status.HTTP_202_ACCEPTED) -> Response:
    return Response({"detail": detail, "code": code}, status=http_status)


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class RegisterView(PublicAuthView):
    @extend_schema(
        request=RegisterSerializer,
        responses={201: AcceptedSerializer, **_ACCEPTED, 403: ERROR},
        summary="Sign up; the same answer whether the address already has an account.",
    )
    def post(self, request: Request) -> Response:
        conf = get_settings()
        refuse_foreign_origin(request)
        if not conf.signup_enabled:
            raise SignupDisabledError("sign-up is off")
        require_mail(conf)
        count_request(request, conf)
        data = validated(RegisterSerializer, request)
        require_captcha(request, "signup")
        RegisterSerializer.check_breaches(data)
        count_mail(data["email"], conf)
        # Hashed here, for every sign-up alike, so that the task stores no password.
        accounts.request_signup(data["username"], data["email"], make_password(data["password"]))
        if conf.email_verification == "none":
            return _accepted(_("Your account is ready."), "registered", status.HTTP_201_CREATED)
        return _accepted(
            _("Check your inbox: we sent you a link to confirm your address."),
            "verification_sent",
            status.HTTP_201_CREATED,
        )


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class VerifyEmailView(PublicAuthView):
    @extend_schema(
        request=ConfirmKeySerializer,
        responses={200: AcceptedSerializer, 400: ERROR, 429: ERROR},
        summary="Confirm an address with the mailed key and the account's password; the key "
        "alone spends nothing and answers 400 confirmation_required naming the account.",
    )
    def post(self, request: Request) -> Response:
        conf = get_settings()
        data = validated(ConfirmKeySerializer, request)
        spend_throttled(
            request, conf, lambda: accounts.verify_email(data["key"], data.get("password"))
        )
        return _accepted(
            _("Your email address is confirmed."), "email_verified", status.HTTP_200_OK
        )


class ResendVerificationView(PublicAuthView):
    @extend_schema(request=EmailSerializer, responses=_ACCEPTED)
    def post(self, request: Request) -> Response:
        conf = get_settings()
        refuse_foreign_origin(request)
        require_mail(conf)
        count_request(request, conf)
        email = validated(EmailSerializer, request)["email"]
        require_captcha(request, "verification_resend")
        count_mail(email, conf)
        if conf.email_verification != "none":
            accounts.request_verification(email)
        return _accepted(
            _("If that address has an account waiting for confirmation, a new link is on its way."),
            "verification_sent",
        )


class PasswordResetView(PublicAuthView):
    @extend_schema(
        request=EmailSerializer,
        responses=_ACCEPTED,
        summary="Mail a reset link; the same answer whether the address has an account.",
    )
    def post(self, request: Request) -> Response:
        conf = get_settings()
        refuse_foreign_origin(request)
        require_mail(conf)
        count_request(request, conf)
        email = validated(EmailSerializer, request)["email"]
        require_captcha(request, "password_reset")
        count_mail(email, conf)
        accounts.request_reset(email)
        return _accepted(
            _("If that address has an account, a link to reset its password is on its way."),
            "reset_sent",
        )


@method_decorator(sensitive_post_parameters("new_password"), name="dispatch")
class PasswordResetConfirmView(PublicAuthView):
    @extend_schema(
        request=PasswordResetConfirmSerializer,
        responses={204: NO_CONTENT, 400: ERROR, 429: ERROR, 503: ERROR},
        summary="Set a new password with a mailed key; every session of the user ends.",
    )
    def post(self, request: Request) -> Response:
        conf = get_settings()
        data = validated(PasswordResetConfirmSerializer, request)
        row = spend_throttled(request, conf, lambda: accounts.reset_key(data["key"]))
        try:
            validate_new_password(data["new_password"], row.user)
        except ValidationError as error:
            raise ValidationError({"new_password": error.detail}) from None
        client = client_of(request)
        spend_throttled(
            request,
            conf,
            lambda: accounts.reset_password(
                row, data["new_password"], ip=client.ip, user_agent=client.user_agent
            ),
        )
        response = Response(status=status.HTTP_204_NO_CONTENT)
        cookies.clear_refresh_cookie(response, request, conf)
        return response


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class EmailChangeView(_SignedInAccountView):
    @extend_schema(
        request=EmailChangeSerializer,
        responses={**_ACCEPTED, 401: ERROR},
        summary="Mail a confirmation link to the new address, and a notice to the old.",
    )
    def post(self, request: Request) -> Response:
        conf = get_settings()
        accounts.require_movable_address(request.user)
        require_mail(conf)
        count_request(request, conf)
        data = validated(EmailChangeSerializer, request, user=request.user)
        count_mail(data["new_email"], conf)
        accounts.request_email_change(request.user, data["new_email"])
        return _accepted(
            _("Check the new address's inbox: the change is made when you follow the link."),
            "email_change_sent",
        )


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class EmailChangeConfirmView(PublicAuthView):
    @extend_schema(
        request=ConfirmKeySerializer,
        responses={200: EmailChangedSerializer, 400: ERROR, 429: ERROR},
        summary="Move the account to its new address with the mailed key and the account's "
        "password; the key alone spends nothing and answers 400 confirmation_required.",
    )
    def post(self, request: Request) -> Response:
        conf = get_settings()
        data = validated(ConfirmKeySerializer, request)
        user = spend_throttled(
            request, conf, lambda: accounts.change_email(data["key"], data.get("password"))
        )
        return Response(
            {
                "detail": _("Your email address is changed."),
                "code": "email_changed",
                "email": accounts.email_of(user),
            }
        )


class AccountStateSerializer(serializers.Serializer):
    has_password = serializers.BooleanField()


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class AccountView(_SignedInAccountView):
    @extend_schema(
        responses={200: AccountStateSerializer, 401: ERROR}, summary="The account's ways in"
    )
    def get(self, request: Request) -> Response:
        """``has_password``: false for an account made by a provider sign-in, whose page
        offers "Set a password" (a reset link mailed to its proven address)."""
        user: Any = request.user  # IsAuthenticated
        return Response({"has_password": user.has_usable_password()})

    @extend_schema(
        request=AccountDeleteSerializer,
        responses={204: NO_CONTENT, 400: ERROR, 401: ERROR, 429: ERROR},
        summary="Delete the account: every session ends, the audit trail keeps no personal data.",
    )
    def delete(self, request: Request) -> Response:
        conf = get_settings()
        count_request(request, conf)
        validated(AccountDeleteSerializer, request, user=request.user)
        accounts.delete_account(request.user)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        cookies.clear_refresh_cookie(response, request, conf)
        return response


def spend_throttled(request: Request, conf: AuthSettings, attempt: Any) -> Any:
    """Run a key check or spend; a failure (a wrong key, or a wrong password with a right
    one) counts against the client's address, so neither can be guessed at speed."""
    try:
        return attempt()
    except (KeyInvalidError, PasswordIncorrectError) as error:
        ip = network.client_ip(request, conf)
        raise throttling.count_failure(_ip_limit(conf), throttling.ip_key(ip)) or error from None
