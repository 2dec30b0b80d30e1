"""Request and response shapes of the account endpoints, with the server's validators."""

from __future__ import annotations

from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from ...conf import get_settings
from ...serializers import CaptchaAnswerField, field_errors, validate_new_password
from ..accounts import services as accounts
from ..throttling import limits as throttling


def _password() -> serializers.CharField:
    return serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)


def _email() -> serializers.EmailField:
    return serializers.EmailField(max_length=254)


class ConfirmKeySerializer(serializers.Serializer):
    key = serializers.CharField(max_length=64, trim_whitespace=False)
    password = serializers.CharField(
        max_length=4096,
        trim_whitespace=False,
        write_only=True,
        required=False,
        help_text="The password chosen at sign-up, or the account's. Without it the key "
        "is not spent: the answer says what it would do.",
    )


class EmailSerializer(serializers.Serializer):
    email = _email()
    captcha = CaptchaAnswerField()

    def validate_email(self, value: str) -> str:
        return accounts.normalize_email(value)


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254, required=False, trim_whitespace=False)
    email = _email()
    password = _password()
    captcha = CaptchaAnswerField()

    def validate_email(self, value: str) -> str:
        return accounts.normalize_email(value)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        user_model = get_user_model()
        username_field = user_model.USERNAME_FIELD
        if username_field == accounts.email_field():
            # The address is the username: whether it is taken is never said here.
            data["username"] = data["email"]
        else:
            data["username"] = self._username(user_model, data.get("username"))
        user = user_model(
            **{username_field: data["username"], accounts.email_field(): data["email"]}
        )
        # The breach check calls the range server: it comes after the CAPTCHA
        # (``check_breaches``), so that a bot without an answer costs no call.
        _check_password(data["password"], user, breaches="without")
        data["user"] = user
        return data

    @staticmethod
    def check_breaches(data: dict[str, Any]) -> None:
        """The password of ``data`` (as ``validate`` returned it) against known breaches."""
        _check_password(data["password"], data["user"], breaches="only")

    @staticmethod
    def _username(user_model: Any, value: str | None) -> str:
        if not value:
            raise serializers.ValidationError(
                {"username": [_("This field is required.")]}, code="required"
            )
        field = user_model._meta.get_field(user_model.USERNAME_FIELD)
        username = user_model.normalize_username(value)
        try:
            field.clean(username, None)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"username": field_errors(error)}) from None
        # Usernames are public handles, so a taken one is said; case-insensitively, so no
        # look-alike account can be made.
        taken = user_model._default_manager.filter(
            **{f"{user_model.USERNAME_FIELD}__iexact": username}
        ).exists()
        if taken:
            raise serializers.ValidationError(
                {"username": [_("A user with that username already exists.")]}, code="unique"
            )
        return str(username)


def _check_password(password: str, user: Any, *, breaches: Literal["without", "only"]) -> None:
    try:
        validate_new_password(password, user, breaches=breaches)
    except serializers.ValidationError as error:
        raise serializers.ValidationError({"password": error.detail}) from None


class PasswordResetConfirmSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=64, trim_whitespace=False)
    new_password = _password()


class CurrentPasswordMixin:
    """A ``password`` field checked behind the per-account login limit."""

    context: dict[str, Any]

    def validate_password(self, value: str) -> str:
        if not throttling.check_password(self.context["user"], value, get_settings()):
            raise serializers.ValidationError(
                _("Your current password is not correct."), code="password_incorrect"
            )
        return value


class EmailChangeSerializer(CurrentPasswordMixin, serializers.Serializer):
    new_email = _email()
    password = _password()

    def validate_new_email(self, value: str) -> str:
        return accounts.normalize_email(value)


class AccountDeleteSerializer(CurrentPasswordMixin, serializers.Serializer):
    password = _password()


class AcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()


class EmailChangedSerializer(AcceptedSerializer):
    email = serializers.EmailField()
