"""OpenAPI (drf-spectacular) descriptions of the auth scheme, the refresh cookie and CSRF."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Every error: a message for people and a stable code for programs."""

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        # Built here because a declared `errors` field would hide Serializer.errors.
        return {
            "detail": serializers.CharField(help_text="For people; do not branch on it."),
            "code": serializers.CharField(help_text="For programs, e.g. `token_expired`."),
            "errors": serializers.DictField(
                child=serializers.ListField(child=serializers.CharField()),
                required=False,
                help_text="Per-field messages, on validation errors only.",
            ),
        }


ERROR = OpenApiResponse(ErrorSerializer, description="JSON `{detail, code}`.")
NO_CONTENT = OpenApiResponse(description="Done.")

CSRF_HEADER = OpenApiParameter(
    name="X-CSRFToken",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Required with the refresh cookie: the value of the `csrftoken` cookie.",
)
REFRESH_COOKIE = OpenApiParameter(
    name="refresh_token",
    location=OpenApiParameter.COOKIE,
    required=False,
    description="The httpOnly refresh cookie set by `obtain_token` (browsers send it themselves).",
)


class JWTSessionAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "spa_auth.authentication.JWTSessionAuthentication"
    name = "accessToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "`Authorization: Bearer <token>`; the classic `JWT <token>` works too.",
        }
