"""The enrolment link of a staff account's first factor (``enrolment``): asking for one
by mail, and opening it in the signed-in session that may then set up the factor."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ...conf import get_settings
from ...schema import ERROR
from ..accounts.keys import email_of
from ..mfa import enrolment
from .account_serializers import AcceptedSerializer
from .account_views import count_mail, count_request, require_mail, spend_throttled
from .base import AuthAPIView, current_session_id, validated


class EnrolmentKeySerializer(serializers.Serializer):
    key = serializers.CharField(max_length=64, trim_whitespace=False)


class _SignedInView(AuthAPIView):
    permission_classes = [permissions.IsAuthenticated]


def _answer(detail: str, code: str, http_status: int) -> Response:
    return Response({"detail": detail, "code": code}, status=http_status)


class EnrolmentView(_SignedInView):
    @extend_schema(
        request=None,
        responses={202: AcceptedSerializer, 400: AcceptedSerializer, 401: ERROR, 429: ERROR},
        summary="Mail an enrolment link for a staff account's first factor "
        "(MFA_POLICY required_for_staff) to the account's verified address.",
    )
    def post(self, request: Request) -> Response:
        conf = get_settings()
        user = request.user
        if not enrolment.is_needed(user):
            return _answer(
                _("This account can set up a second factor without a link."),
                "enrolment_not_needed",
                status.HTTP_400_BAD_REQUEST,
            )
        require_mail(conf)
        count_request(request, conf)
        count_mail(email_of(user), conf)
        enrolment.request_link(user)
        return _answer(
            _("If your address is verified, a link to set up your second factor is on its way."),
            "enrolment_sent",
            status.HTTP_202_ACCEPTED,
        )


class EnrolmentConfirmView(_SignedInView):
    @extend_schema(
        request=EnrolmentKeySerializer,
        responses={200: AcceptedSerializer, 400: ERROR, 401: ERROR, 429: ERROR},
        summary="Open an enrolment link: this session may set up the account's first factor "
        "for 15 minutes.",
    )
    def post(self, request: Request) -> Response:
        conf = get_settings()
        key = validated(EnrolmentKeySerializer, request)["key"]
        session_id = current_session_id(request)
        spend_throttled(request, conf, lambda: enrolment.grant(request.user, session_id, key))
        return _answer(
            _("You can set up your second factor now."), "enrolment_granted", status.HTTP_200_OK
        )
