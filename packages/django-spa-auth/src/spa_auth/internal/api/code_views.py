"""Sign-in with a mailed code: ask for a code, then sign in with it and its flow.

Thin HTTP edges over ``login.code``. The request answers one body, status and work
whatever the address (the lookup and the mail come after the response).
"""

from __future__ import annotations

from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ...conf import AuthSettings, get_settings
from ...errors import LoginByCodeDisabledError
from ...schema import ERROR
from ...serializers import LoginResponseSerializer
from ..captcha.services import require_captcha
from ..login import code as code_login
from .account_serializers import EmailSerializer
from .account_views import count_mail, count_request, require_mail
from .base import PublicAuthView, client_of, login_response, refuse_foreign_origin, validated


class LoginCodeSentSerializer(serializers.Serializer):
    flow = serializers.CharField(
        help_text="Send it back with the code: the code alone signs nobody in."
    )
    detail = serializers.CharField()
    code = serializers.CharField(help_text="`login_code_sent`.")


class _String(serializers.CharField):
    """A JSON string and nothing else: DRF's own field would read 7 as "7"."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class LoginWithCodeSerializer(serializers.Serializer):
    flow = _String(max_length=64, trim_whitespace=False)
    code = _String(
        max_length=64,
        allow_blank=True,  # the parser's login_code_malformed, as any other typo
        trim_whitespace=False,
        help_text="The 8 letters of the mail, e.g. `WDJB-MJHT`; case, spaces and dashes "
        "do not matter.",
    )


def _require_enabled(conf: AuthSettings) -> None:
    if not conf.login_by_code:
        raise LoginByCodeDisabledError("LOGIN_BY_CODE is off")


class LoginCodeRequestView(PublicAuthView):
    @extend_schema(
        request=EmailSerializer,
        responses={
            202: LoginCodeSentSerializer,
            400: ERROR,
            403: ERROR,
            415: ERROR,
            429: ERROR,
            503: ERROR,
        },
        summary="Mail a sign-in code; the same answer, status and work whatever the address.",
    )
    def post(self, request: Request) -> Response:
        conf = get_settings()
        refuse_foreign_origin(request)
        _require_enabled(conf)
        require_mail(conf)
        count_request(request, conf)
        email = validated(EmailSerializer, request)["email"]
        # Every request alike, before the address is counted or looked up.
        require_captcha(request, "login_code")
        count_mail(email, conf)
        flow = code_login.request_code(email)
        return Response(
            {
                "flow": flow,
                "detail": _("If that address has an account, a sign-in code is on its way."),
                "code": "login_code_sent",
            },
            status=status.HTTP_202_ACCEPTED,
        )


@method_decorator(sensitive_post_parameters("code"), name="dispatch")
class LoginWithCodeView(PublicAuthView):
    @extend_schema(
        request=LoginWithCodeSerializer,
        responses={
            200: LoginResponseSerializer,
            400: ERROR,
            401: ERROR,
            403: ERROR,
            415: ERROR,
            429: ERROR,
        },
        summary="Sign in with a mailed code and its flow: the same answer as obtain_token "
        "(401 mfa_required for an account with a second factor).",
    )
    def post(self, request: Request) -> Response:
        refuse_foreign_origin(request)  # login CSRF, as for a password login
        _require_enabled(get_settings())
        data = validated(LoginWithCodeSerializer, request)
        issued = code_login.login(request._request, data["flow"], data["code"], client_of(request))
        return login_response(request, issued)
