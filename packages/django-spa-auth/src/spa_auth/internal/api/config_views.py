"""``GET auth/config/``: what the app needs to know before it draws a page.

Public and the same for everyone, so a cache may keep it briefly: the CAPTCHA's provider
and site key (both public by design; never the secret), the sign-in providers, and
whether sign-up is open.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ...conf import get_settings
from ..captcha.services import public_config
from ..providers import config
from .base import PublicAuthView
from .provider_views import ProviderSerializer

# Short: a changed setting reaches every app within a minute.
MAX_AGE = 60


class CaptchaSerializer(serializers.Serializer):
    provider = serializers.CharField()
    site_key = serializers.CharField()


class ConfigSerializer(serializers.Serializer):
    captcha = CaptchaSerializer(allow_null=True)
    providers = ProviderSerializer(many=True)
    signup = serializers.BooleanField()


class ConfigView(PublicAuthView):
    @extend_schema(responses={200: ConfigSerializer}, summary="What the app needs to know")
    def get(self, request: Request) -> Response:
        """``captcha`` is null when no door asks for one."""
        body = {
            "captcha": public_config(),
            "providers": [{"id": p.id, "name": p.name} for p in config.providers().values()],
            "signup": get_settings().signup_enabled,
        }
        return Response(body, headers={"Cache-Control": f"public, max-age={MAX_AGE}"})
