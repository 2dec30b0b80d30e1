"""Request and response shapes of the auth endpoints."""

from __future__ import annotations

from django.contrib.auth import get_user_model, password_validation
from rest_framework import serializers

from .models import Session


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254, trim_whitespace=False)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=512, required=False)


class VerifySerializer(serializers.Serializer):
    token = serializers.CharField(max_length=16384)


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "first_name", "last_name", "is_staff"]
        read_only_fields = fields


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


class SessionSerializer(serializers.ModelSerializer):
    created = serializers.DateTimeField(source="created_at")
    last_used = serializers.DateTimeField(source="last_used_at")
    expires = serializers.SerializerMethodField()
    current = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = ["id", "created", "last_used", "expires", "user_agent", "ip", "current"]
        read_only_fields = fields

    def get_expires(self, session: Session) -> str:
        expires = min(session.idle_expires_at, session.absolute_expires_at)
        return serializers.DateTimeField().to_representation(expires)

    def get_current(self, session: Session) -> bool:
        return str(session.pk) == self.context.get("current_session_id")


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=4096, trim_whitespace=False)
    new_password = serializers.CharField(max_length=4096, trim_whitespace=False)

    def validate_old_password(self, value: str) -> str:
        if not self.context["user"].check_password(value):
            raise serializers.ValidationError(
                "Your current password is not correct.", code="password_incorrect"
            )
        return value

    def validate_new_password(self, value: str) -> str:
        password_validation.validate_password(value, self.context["user"])
        return value
