"""Request and response shapes of the auth endpoints."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .conf import get_settings
from .internal.throttling import limits as throttling
from .models import Session


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254, trim_whitespace=False)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=512, required=False)


class VerifySerializer(serializers.Serializer):
    token = serializers.CharField(max_length=16384)


@extend_schema_field(OpenApiTypes.INT)
class _PrimaryKey(serializers.ReadOnlyField):
    """Passes the key through as it is (an integer with Django's User)."""


USER_FIELDS = ("id", "username", "email", "first_name", "last_name", "is_staff")


def user_payload(user: Any) -> dict[str, Any]:
    """A user as the API shows it, without a serializer instance.

    On the hottest endpoints (``user/``, login) a DRF serializer costs more than the whole
    authentication: it deep-copies its fields for every object. ``UserSerializer``
    describes the same shape for the schema and the paginated list.
    """
    return {name: getattr(user, name, "") for name in USER_FIELDS}


def serialize_user(user: Any) -> dict[str, Any]:
    """The user as the API shows it: ``SPA_AUTH["USER_PAYLOAD"]`` (a callable or a DRF
    serializer class) when set, else ``user_payload``."""
    configured = get_settings().user_payload
    if configured is None:
        return user_payload(user)
    shape = import_string(configured)
    if isinstance(shape, type) and issubclass(shape, serializers.BaseSerializer):
        return dict(shape(user).data)
    return dict(shape(user))


class UserSerializer(serializers.Serializer):
    """The user as the API shows it (see ``user_payload``)."""

    id = _PrimaryKey()
    username = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    is_staff = serializers.BooleanField(read_only=True)


class LoginResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    user = UserSerializer()


class RefreshResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    refresh = serializers.CharField(required=False, help_text="Only for body clients.")


class MinuteField(serializers.DateTimeField):
    """A time shown to the minute: ``last_used`` and ``expires`` move with every rotation,
    and to the second they would tell the holder of a copied refresh token when the real
    client rotates (and so when the previous token is worth presenting)."""

    def to_representation(self, value: Any) -> Any:
        return super().to_representation(value.replace(second=0, microsecond=0))


class SessionSerializer(serializers.ModelSerializer):
    created = serializers.DateTimeField(source="created_at")
    last_used = MinuteField(source="last_used_at")
    expires = serializers.SerializerMethodField()
    kind = serializers.CharField(read_only=True)
    current = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id",
            "kind",
            "provider",
            "created",
            "last_used",
            "expires",
            "user_agent",
            "ip",
            "current",
        ]
        read_only_fields = fields

    def get_expires(self, session: Session) -> str:
        expires = min(session.idle_expires_at, session.absolute_expires_at)
        return MinuteField().to_representation(expires)  # type: ignore[no-any-return]

    def get_current(self, session: Session) -> bool:
        return str(session.pk) == self.context.get("current_session_id")


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=4096, trim_whitespace=False)
    new_password = serializers.CharField(max_length=4096, trim_whitespace=False)

    def validate_old_password(self, value: str) -> str:
        if not throttling.check_password(self.context["user"], value, get_settings()):
            raise serializers.ValidationError(
                _("Your current password is not correct."), code="password_incorrect"
            )
        return value

    def validate_new_password(self, value: str) -> str:
        password_validation.validate_password(value, self.context["user"])
        return value
