"""System checks: refuse unsafe production settings, and configuration that cannot work.

Two levels, on purpose. The checks every command runs refuse only what breaks every
command; a missing asymmetric key set is merely a warning there, because ``migrate`` and
``jwt_keys rotate`` (which creates the key set) must run before one exists. The deploy
checks (``manage.py check --deploy``, which ``make run`` runs before serving) refuse it.
"""

from __future__ import annotations

from sqlite3 import dbapi2 as sqlite  # the module Django's SQLite backend runs on
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError, connections, router

from .conf import SYMMETRIC_ALGORITHMS, AuthSettings, get_settings
from .internal.sessions import pooler
from .internal.tokens.keys import access_keys
from .internal.tokens.keyset import ASYMMETRIC_ALGORITHMS, KeysetError
from .models import Session

_LOOPBACK = {"localhost", "127.0.0.1", "[::1]", "::1"}
_KEYSET_HINT = "Run `manage.py jwt_keys rotate` (see docs/deployment.md)."
# UPDATE … RETURNING, which the refresh rotation is built on (sessions_sql).
_MIN_SQLITE = (3, 35)


@register(Tags.security, deploy=True)
def check_production_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    if settings.DEBUG:
        errors.append(Error("DEBUG is on.", hint="Set DEBUG=false.", id="spa_auth.E001"))
    if len(set(settings.SECRET_KEY)) < 5 or len(settings.SECRET_KEY) < 50:
        errors.append(
            Error(
                "SECRET_KEY is weak.", hint="Use 50 or more random characters.", id="spa_auth.E002"
            )
        )
    try:
        conf = get_settings()
    except (TypeError, ValueError):
        return errors  # check_configuration reports it (E010)
    only_loopback = set(settings.ALLOWED_HOSTS) <= _LOOPBACK
    if conf.refresh_cookie_secure is False and not only_loopback:
        errors.append(
            Error(
                "The refresh cookie is not Secure on a non-loopback host.",
                hint="Remove REFRESH_COOKIE_SECURE=false and serve over HTTPS.",
                id="spa_auth.E003",
            )
        )
    problem = _keyset_problem(conf)
    if problem:
        # Serving without a key would fail every login with a 500: refuse to start instead.
        errors.append(Error(problem, hint=_KEYSET_HINT, id="spa_auth.E014"))
    return errors


@register(Tags.security)
def check_configuration(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    try:
        conf = get_settings()
    except (TypeError, ValueError) as exc:
        return [Error(f"SPA_AUTH is invalid: {exc}", id="spa_auth.E010")]
    if conf.algorithm in ASYMMETRIC_ALGORITHMS:
        problem = _keyset_problem(conf)
        if problem:
            # Only a warning here: nothing signs with another key meanwhile, since every
            # request that needs the key fails (a logged 500), and the deploy check refuses.
            errors.append(Warning(problem, hint=_KEYSET_HINT, id="spa_auth.W014"))
        else:
            active = access_keys(conf)[0]
            if active.algorithm != conf.algorithm:
                # The active key would sign with an algorithm nobody configured.
                errors.append(
                    Error(
                        f"The active key is {active.algorithm}, not {conf.algorithm}.",
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
    allows_origins = getattr(settings, "CORS_ALLOWED_ORIGINS", None) or getattr(
        settings, "CORS_ALLOWED_ORIGIN_REGEXES", None
    )
    if allows_origins and not getattr(settings, "CORS_ALLOW_CREDENTIALS", False):
        # The app on another origin then never gets its refresh cookie set or sent: every
        # login fails with nothing but a network error in the app and a line in the console.
        errors.append(
            Warning(
                "CORS allows origins, but without credentials: an app on one of them cannot "
                "keep a session.",
                hint="Set CORS_ALLOW_CREDENTIALS = True (the refresh cookie and the CSRF "
                "cookie must cross origins; see the README's cross-origin recipe).",
                id="spa_auth.W018",
            )
        )
    if conf.refresh_cookie_samesite not in ("Strict", "Lax"):
        errors.append(
            Error(
                "REFRESH_COOKIE_SAMESITE must be 'Strict' (the default) or 'Lax'.",
                hint="SameSite=None would send the refresh cookie with cross-site requests.",
                id="spa_auth.E017",
            )
        )
    if conf.refresh_grace.total_seconds() > 60:
        errors.append(
            Warning("A refresh grace window over 60 s weakens reuse detection.", id="spa_auth.W013")
        )
    return errors


# Not tagged ``database``: Django runs those only when asked (``--database``); this one
# reads the backend's name and its library's version and never connects.
@register(Tags.compatibility)
def check_database(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Refuse a database the session SQL cannot run on, at start instead of at the first
    refresh: it rotates with ``UPDATE … RETURNING`` (PostgreSQL, SQLite 3.35+)."""
    errors: list[Any] = []
    for alias in sorted({router.db_for_read(Session), router.db_for_write(Session)}):
        connection = connections[alias]
        if connection.vendor == "postgresql":
            continue
        if connection.vendor == "sqlite":
            if tuple(sqlite.sqlite_version_info[:2]) >= _MIN_SQLITE:
                continue
            found = f"SQLite {sqlite.sqlite_version}"
        else:
            found = connection.vendor
        errors.append(
            Error(
                f"Database {alias!r} is {found}; spa_auth supports PostgreSQL and SQLite 3.35 "
                "or later only (its session SQL uses UPDATE … RETURNING).",
                hint="Use PostgreSQL (DATABASE_URL=postgres://…), or a Python whose sqlite3 "
                "module links SQLite 3.35 or later.",
                id="spa_auth.E016",
            )
        )
    return errors


# Tagged ``database``: it connects, so Django runs it only when asked (``migrate``,
# ``check --database``).
@register(Tags.database)
def check_pooler(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[Any]:
    """Warn about a PostgreSQL database that answers through a connection pooler while its
    settings do not say so: spa_auth copes by itself (``internal.sessions.pooler``), but Django's
    ``QuerySet.iterator()`` opens server-side cursors that a transaction pooler loses."""
    warnings: list[Any] = []
    for alias in sorted(databases or ()):
        connection = connections[alias]
        if connection.vendor != "postgresql" or pooler.is_declared(connection):
            continue
        try:
            connection.ensure_connection()
            pooled = pooler.is_pooled(connection)
        except DatabaseError:
            continue  # unreachable: the command that asked for checks will say so itself
        if pooled:
            warnings.append(
                Warning(
                    f"Database {alias!r} answers through a connection pooler (such as "
                    "PgBouncer), and DISABLE_SERVER_SIDE_CURSORS is not set.",
                    hint="With a transaction pooler (PgBouncer's pool_mode = transaction) "
                    f"set DATABASES[{alias!r}]['DISABLE_SERVER_SIDE_CURSORS'] = True, or "
                    "every QuerySet.iterator() outside a transaction fails.",
                    id="spa_auth.W019",
                )
            )
    return warnings


def _keyset_problem(conf: AuthSettings) -> str | None:
    """Why the configured asymmetric key set cannot sign (None with a shared secret)."""
    if conf.algorithm not in ASYMMETRIC_ALGORITHMS:
        return None
    try:
        access_keys(conf)
    except KeysetError as exc:
        return str(exc)
    return None


_MIDDLEWARE = "spa_auth.middleware.SpaAuthMiddleware"


@register(Tags.security)
def check_integration(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """The pieces the README's snippet puts in place, each closing a side door."""
    from django.utils.module_loading import import_string

    from .backends import ThrottledModelBackend

    warnings: list[Any] = []
    if _MIDDLEWARE not in settings.MIDDLEWARE:
        warnings.append(
            Warning(
                f"{_MIDDLEWARE} is not in MIDDLEWARE.",
                hint="Add it right after AuthenticationMiddleware: without it a Django session "
                "(the admin's) outlives logout-everywhere and revocation.",
                id="spa_auth.W020",
            )
        )
    backends = [import_string(path) for path in settings.AUTHENTICATION_BACKENDS]
    from django.contrib.auth.backends import ModelBackend

    for path, backend in zip(settings.AUTHENTICATION_BACKENDS, backends, strict=True):
        if issubclass(backend, ModelBackend) and not issubclass(backend, ThrottledModelBackend):
            warnings.append(
                Error(
                    f"AUTHENTICATION_BACKENDS lists {path}.",
                    hint="It checks passwords again outside spa_auth.backends."
                    "ThrottledModelBackend: without the throttles, the even failure timing "
                    "and the second factor. Remove it.",
                    id="spa_auth.E022",
                )
            )
    if not any(issubclass(backend, ThrottledModelBackend) for backend in backends):
        warnings.append(
            Warning(
                "No AUTHENTICATION_BACKENDS entry is spa_auth.backends.ThrottledModelBackend.",
                hint="Password logins outside the API (the admin's) would skip the throttles "
                "and the even failure timing.",
                id="spa_auth.W021",
            )
        )
    return warnings


@register(Tags.security)
def check_accounts(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Sign-up, verification, reset and email change: settings that cannot work."""
    from django.contrib.auth import get_user_model

    try:
        conf = get_settings()
    except (TypeError, ValueError):
        return []  # check_configuration reports it (E010)
    found: list[Any] = []
    if conf.email_verification not in ("mandatory", "optional", "none"):
        found.append(
            Error(
                f"EMAIL_VERIFICATION is {conf.email_verification!r}.",
                hint="Use 'mandatory' (the default), 'optional' or 'none'.",
                id="spa_auth.E030",
            )
        )
    if conf.mail_queue not in ("thread", "inline"):
        found.append(
            Error(
                f"MAIL_QUEUE is {conf.mail_queue!r}.",
                hint="Use 'thread' or 'inline'.",
                id="spa_auth.E031",
            )
        )
    user_model = get_user_model()
    has_email = any(
        field.name == user_model.get_email_field_name() for field in user_model._meta.fields
    )
    if conf.signup_enabled and not has_email:
        found.append(
            Error(
                f"SIGNUP_ENABLED, but {user_model.__name__} has no email field.",
                hint="Sign-up mails a link: the user model needs an email field (EMAIL_FIELD).",
                id="spa_auth.E032",
            )
        )
    if not conf.frontend_url:
        found.append(
            Warning(
                "FRONTEND_URL is not set: password reset, sign-up and email change answer 503.",
                hint="Set SPA_AUTH['FRONTEND_URL'] to the app's address; the links in mail "
                "point there (never at the request's Host header).",
                id="spa_auth.W030",
            )
        )
    return found


@register(Tags.security)
def check_providers(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Sign-in providers: each entry complete, every URL HTTPS (plain HTTP on loopback
    only), and an app to come back to."""
    from django.core.exceptions import ImproperlyConfigured

    from .internal.providers import config

    try:
        conf = get_settings()
    except (TypeError, ValueError):
        return []  # check_configuration reports it (E010)
    try:
        found = config.parse(conf.providers)
    except ImproperlyConfigured as error:
        return [
            Error(
                f"PROVIDERS: {error}",
                hint="See the package README's providers section for each key.",
                id="spa_auth.E040",
            )
        ]
    if found and not conf.frontend_url:
        return [
            Error(
                "PROVIDERS are set but FRONTEND_URL is not.",
                hint="A provider sign-in comes back to the app at FRONTEND_URL, and the "
                "redirect URI is built from API_URL or FRONTEND_URL, never the request.",
                id="spa_auth.E041",
            )
        ]
    return []


@register(Tags.security)
def check_captcha(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """The CAPTCHA: a provider that can be found, both keys, an HTTPS verify URL."""
    from django.core.exceptions import ImproperlyConfigured

    from .internal.captcha import config

    try:
        conf = get_settings()
    except (TypeError, ValueError):
        return []  # check_configuration reports it (E010)
    try:
        config.parse(conf.captcha, conf)
    except ImproperlyConfigured as error:
        return [
            Error(
                f"CAPTCHA: {error}",
                hint="See the package README's CAPTCHA section for each key.",
                id="spa_auth.E050",
            )
        ]
    return []
