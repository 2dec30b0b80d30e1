"""Request and response shapes of the auth endpoints."""

from __future__ import annotations

from typing import Any, Literal

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from .conf import get_settings
from .errors import BreachCheckUnavailableError
from .internal.accounts.breaches import PwnedPasswordValidator
from .internal.throttling import limits as throttling
from .internal.tokens.codec import PASSWORD_BREACHED_CLAIM
from .models import Session


@extend_schema_field(OpenApiTypes.STR)
class CaptchaAnswerField(serializers.Field):
    """The CAPTCHA widget's answer, ``captcha``: passed through as sent, for
    ``spa_auth.captcha.require_captcha`` to check (a value of the wrong JSON type gets its
    own code there, ``captcha_invalid``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("write_only", True)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault(
            "help_text",
            "The CAPTCHA widget's answer, when the server asked for one (`captcha_required`).",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        return data


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254, trim_whitespace=False)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    captcha = CaptchaAnswerField()


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


def serialize_user(user: Any, auth: Any = None) -> dict[str, Any]:
    """The signed-in user as the API shows it: ``SPA_AUTH["USER_PAYLOAD"]`` (a callable or
    a DRF serializer class) when set, else ``user_payload``; with ``password_breached``,
    read from ``auth`` (the request's ``request.auth``, an access token's claims): whether
    this session logged in with a password found in known breaches."""
    configured = get_settings().user_payload
    if configured is None:
        payload = user_payload(user)
    else:
        shape = import_string(configured)
        if isinstance(shape, type) and issubclass(shape, serializers.BaseSerializer):
            payload = dict(shape(user).data)
        else:
            payload = dict(shape(user))
    payload["password_breached"] = is_password_breached(auth)
    return payload


def is_password_breached(auth: Any) -> bool:
    """Whether ``auth`` (``request.auth``) is the access token of a session that logged in
    with a password found in known breaches: read from the token, at no cost."""
    return isinstance(auth, dict) and auth.get(PASSWORD_BREACHED_CLAIM) is True


class UserSerializer(serializers.Serializer):
    """The user as the API shows it (see ``user_payload``)."""

    id = _PrimaryKey()
    username = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    is_staff = serializers.BooleanField(read_only=True)


class CurrentUserSerializer(UserSerializer):
    """The signed-in user (``user/``, the login answer): ``serialize_user``'s shape."""

    password_breached = serializers.BooleanField(
        read_only=True,
        help_text="This session logged in with a password found in known data breaches: "
        "ask the person to change it.",
    )


class LoginResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    user = CurrentUserSerializer()


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
        validate_new_password(value, self.context["user"])
        return value


def validate_new_password(
    password: str, user: Any, *, breaches: Literal["with", "without", "only"] = "with"
) -> None:
    """Django's password validators (``AUTH_PASSWORD_VALIDATORS``) on a password being set
    through the API: DRF's field errors, each with its validator's code
    (``password_too_short``, ``password_too_common``, ``password_breached``, …). A breach
    check that could not be made under ``fail_closed`` is a 503 ``breach_check_unavailable``
    when it is the only objection; with others, those come first, since the person must
    meet them anyway.

    ``breaches="without"`` runs every validator but the breach check (its call to the range
    server), ``"only"`` that check alone: a door that asks for a CAPTCHA checks the rest
    first, then the CAPTCHA, then the breach."""
    validators = [
        validator
        for validator in password_validation.get_default_password_validators()
        if breaches == "with"
        or isinstance(validator, PwnedPasswordValidator) == (breaches == "only")
    ]
    try:
        password_validation.validate_password(password, user, validators)
    except DjangoValidationError as error:
        unavailable = BreachCheckUnavailableError.code
        objections = [item for item in error.error_list if item.code != unavailable]
        if not objections:
            raise BreachCheckUnavailableError("breached-password check unavailable") from None
        raise serializers.ValidationError(field_errors(DjangoValidationError(objections))) from None


def field_errors(error: DjangoValidationError) -> list[ErrorDetail]:
    """A Django ``ValidationError``'s messages as DRF's field errors, each keeping its code
    (``invalid`` for one that has none)."""
    return [ErrorDetail(item.messages[0], code=item.code or "invalid") for item in error.error_list]
