"""The passkey endpoints. (Being written.)"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from ..schema import ERROR
from .views import PublicAuthView


class _NotYet(PublicAuthView):
    @extend_schema(request=None, responses={404: ERROR})
    def post(self, request: Request, **kwargs: object) -> Response:
        raise exceptions.NotFound()


RegisterOptionsView = RegisterView = SecondFactorOptionsView = SecondFactorView = _NotYet
PasskeyDetailView = LoginOptionsView = LoginView = ReauthenticateOptionsView = _NotYet
