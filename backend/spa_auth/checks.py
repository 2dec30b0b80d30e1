"""System checks: refuse to start in production with unsafe settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import SYMMETRIC_ALGORITHMS, get_settings
from .keys import access_keys
from .keyset import ASYMMETRIC_ALGORITHMS, KeysetError

_LOOPBACK = {"localhost", "127.0.0.1", "[::1]", "::1"}


@register(Tags.security, deploy=True)
def check_production_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    conf = get_settings()
    if settings.DEBUG:
        errors.append(Error("DEBUG is on.", hint="Set DEBUG=false.", id="spa_auth.E001"))
    if len(set(settings.SECRET_KEY)) < 5 or len(settings.SECRET_KEY) < 50:
        errors.append(
            Error(
                "SECRET_KEY is weak.", hint="Use 50 or more random characters.", id="spa_auth.E002"
            )
        )
    only_loopback = set(settings.ALLOWED_HOSTS) <= _LOOPBACK
    if conf.refresh_cookie_secure is False and not only_loopback:
        errors.append(
            Error(
                "The refresh cookie is not Secure on a non-loopback host.",
                hint="Remove REFRESH_COOKIE_SECURE=false and serve over HTTPS.",
                id="spa_auth.E003",
            )
        )
    return errors


@register(Tags.security)
def check_configuration(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    try:
        conf = get_settings()
    except (TypeError, ValueError) as exc:
        return [Error(f"SPA_AUTH is invalid: {exc}", id="spa_auth.E010")]
    if conf.algorithm in ASYMMETRIC_ALGORITHMS:
        try:
            keys = access_keys(conf)
        except KeysetError as exc:
            errors.append(Error(str(exc), hint="manage.py jwt_keys rotate", id="spa_auth.E014"))
        else:
            if keys[0].algorithm != conf.algorithm:
                errors.append(
                    Error(
                        f"The active key is {keys[0].algorithm}, not {conf.algorithm}.",
                        hint="manage.py jwt_keys rotate",
                        id="spa_auth.E015",
                    )
                )
    elif conf.algorithm not in SYMMETRIC_ALGORITHMS:
        errors.append(Error(f"Unsupported algorithm {conf.algorithm!r}.", id="spa_auth.E011"))
    if getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False) and getattr(
        settings, "CORS_ALLOW_CREDENTIALS", False
    ):
        errors.append(Error("CORS allows every origin with credentials.", id="spa_auth.E012"))
    if conf.refresh_grace.total_seconds() > 60:
        errors.append(
            Warning("A refresh grace window over 60 s weakens reuse detection.", id="spa_auth.W013")
        )
    return errors
