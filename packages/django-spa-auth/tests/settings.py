"""A minimal project with the README's settings snippet applied; nothing else of note.

``DATABASE_URL`` picks the database (SQLite in a temporary file by default, or
``postgres://…``); ``SPA_AUTH_TEST_USER_MODEL`` the user model (``auth.User`` by default,
or ``accounts.EmailUser``: a UUID key and ``USERNAME_FIELD = "email"``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


def parse_database_url(url: str) -> dict[str, Any]:
    """``sqlite:///<path>`` or ``postgres://user:password@host:port/name``, as Django wants it."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path[1:])}
    if parts.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path[1:]),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
        }
    raise ValueError(f"DATABASE_URL: unsupported scheme {parts.scheme!r}")


_DEFAULT_DATABASE = f"sqlite:///{Path(tempfile.gettempdir()) / 'spa-auth-tests.sqlite3'}"

SECRET_KEY = "spa-auth-tests-0c4f7e2b9a1d8e6f3b5a7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f"
DEBUG = False
ALLOWED_HOSTS: list[str] = []
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = os.environ.get("SPA_AUTH_TEST_USER_MODEL") or "auth.User"
DATABASES = {"default": parse_database_url(os.environ.get("DATABASE_URL") or _DEFAULT_DATABASE)}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "tests.accounts",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The README's snippet, as a project would paste it (only the hasher differs: see below).
INSTALLED_APPS += ["rest_framework", "spa_auth"]

MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "spa_auth.middleware.SpaAuthMiddleware",
)
AUTHENTICATION_BACKENDS = ["spa_auth.backends.ThrottledModelBackend"]
# MD5 instead of the README's Argon2: these tests are about sessions, not hashing.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["spa_auth.authentication.JWTSessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["spa_auth.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "spa_auth.handlers.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "spa_auth.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 20,
}
CSRF_COOKIE_NAME = "csrftoken"  # the SPA echoes it in X-CSRFToken
# Links in account mail (password reset, sign-up, email change) point at the app's
# address, never at a request's Host header. Every other setting has a safe default.
SPA_AUTH: dict[str, Any] = {"FRONTEND_URL": "http://localhost:5173"}
