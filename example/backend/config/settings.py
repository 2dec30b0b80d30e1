"""Project settings, all from the environment with safe defaults (see README)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from .env import (
    email_settings,
    env_bool,
    env_int,
    env_json_list,
    env_list,
    env_str,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
EXAMPLE_DIR = BASE_DIR.parent
# The repository's var/, the same folder `make run` serves from, so that a command run by
# hand (`cd example/backend && python manage.py createsuperuser`) sees the same database.
VAR_DIR = Path(env_str("VAR_DIR", str(EXAMPLE_DIR.parent / "var")))
FRONTEND_DIST = Path(env_str("FRONTEND_DIST", str(EXAMPLE_DIR / "frontend" / "dist")))

SECRET_KEY = secret_key(VAR_DIR)
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "spa_auth",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "api.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # Accept-Language: the messages, not the codes
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "spa_auth.middleware.SpaAuthMiddleware",
    "api.middleware.LazyMessageMiddleware",  # Django's, storage built on first use
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
        conn_health_checks=True,
        # Django's switch for a transaction pooler (PgBouncer's pool_mode = transaction):
        # no server-side cursors for .iterator(), which would not outlive the transaction.
        disable_server_side_cursors=env_bool("DB_DISABLE_SERVER_SIDE_CURSORS", False),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside a writer; IMMEDIATE takes the write lock up front
    # so concurrent writers wait (timeout) instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "app_cache"}
    )
}

# Every password login (the API, the admin) goes through the login throttles.
AUTHENTICATION_BACKENDS = ["spa_auth.backends.ThrottledModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Known breaches (SPA_AUTH["PWNED_PASSWORDS"] below); listed, it also checks logins.
    {"NAME": "spa_auth.validators.PwnedPasswordValidator"},
]
# Argon2 only: every hasher listed here can verify a stored hash, and every failed login is
# padded to the slowest one's cost (timing parity, see docs/security.md). A project that
# brings legacy hashes lists their hashers after Argon2 and pays that cost on failures
# until the last legacy hash is re-hashed at its owner's next login.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]

LANGUAGE_CODE = "en-us"
# The languages spa_auth ships catalogs for; a request picks one with Accept-Language, which
# the example app sets to the language it shows (the client's `language` option).
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("de", _("German"))]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on a missing root
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}


def _is_hashed_asset(path: str, url: str) -> bool:
    return "/assets/" in url  # Vite puts a content hash in every name under assets/


WHITENOISE_IMMUTABLE_FILE_TEST = _is_hashed_asset
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Browser-facing cookie and header policy.
CSRF_COOKIE_NAME = "csrftoken"
CSRF_HEADER_NAME = "HTTP_X_CSRFTOKEN"
CSRF_COOKIE_HTTPONLY = False  # the SPA echoes it in X-CSRFToken, as Django's docs describe
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "api.views.csrf_failure"  # JSON {detail, code} under /api/
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/api/.*$"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sent on HTTPS responses only, so plain-HTTP development is unaffected.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BYTES", 64 * 1024)
# Served on loopback only (`make run`): Django's HTTPS-deployment warnings are not the
# user's to fix there. A deployment with a host of its own gets every one of them.
if set(ALLOWED_HOSTS) <= {"127.0.0.1", "localhost", "[::1]", "::1"}:
    SILENCED_SYSTEM_CHECKS = [
        "security.W005",  # HSTS for subdomains
        "security.W008",  # SECURE_SSL_REDIRECT
        "security.W012",  # SESSION_COOKIE_SECURE
        "security.W016",  # CSRF_COOKIE_SECURE
        "security.W021",  # HSTS preload
    ]

# Mail: printed to the console unless EMAIL_URL names a server (see README).
_EMAIL = email_settings(env_str("EMAIL_URL", "console://"))
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
EMAIL_HOST = _EMAIL.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _EMAIL.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _EMAIL.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _EMAIL.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _EMAIL.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _EMAIL.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "spa-auth <no-reply@localhost>")

_TRUSTED_PROXIES = env_str("TRUSTED_PROXIES")
# A CAPTCHA at sign-up, the reset and verification mails and a login after a failure:
# off unless CAPTCHA_PROVIDER is set (turnstile, hcaptcha, recaptcha_v2, recaptcha_v3).
_CAPTCHA = (
    {
        "PROVIDER": env_str("CAPTCHA_PROVIDER"),
        "SITE_KEY": env_str("CAPTCHA_SITE_KEY"),
        "SECRET_KEY": env_str("CAPTCHA_SECRET_KEY"),
        **({"VERIFY_URL": env_str("CAPTCHA_VERIFY_URL")} if env_str("CAPTCHA_VERIFY_URL") else {}),
    }
    if env_str("CAPTCHA_PROVIDER")
    else None
)
SPA_AUTH = {
    "ACCESS_TOKEN_LIFETIME": env_int("ACCESS_TOKEN_LIFETIME", 300),
    "REFRESH_IDLE_LIFETIME": env_int("REFRESH_IDLE_LIFETIME", 7 * 24 * 3600),
    "REFRESH_ABSOLUTE_LIFETIME": env_int("REFRESH_ABSOLUTE_LIFETIME", 30 * 24 * 3600),
    "REFRESH_GRACE": env_int("REFRESH_GRACE", 10),
    "REFRESH_COOKIE_SECURE": (
        env_bool("REFRESH_COOKIE_SECURE") if env_str("REFRESH_COOKIE_SECURE") else "auto"
    ),
    "TRUSTED_PROXY_COUNT": int(_TRUSTED_PROXIES) if _TRUSTED_PROXIES.isdigit() else 0,
    "TRUSTED_PROXIES": () if _TRUSTED_PROXIES.isdigit() else tuple(env_list("TRUSTED_PROXIES")),
    "ALGORITHM": env_str("JWT_ALGORITHM", "HS256"),
    "KEYSET_FILE": env_str("JWT_KEYSET_FILE", str(VAR_DIR / "jwt_keys.json")),
    "LOGIN_FAILURES_PER_ACCOUNT": env_int("LOGIN_FAILURES_PER_ACCOUNT", 5),
    "LOGIN_FAILURES_PER_IP": env_int("LOGIN_FAILURES_PER_IP", 30),
    "REFRESH_FAILURES_PER_IP": env_int("REFRESH_FAILURES_PER_IP", 30),
    "LOGIN_FAILURE_FLOOR": float(env_str("LOGIN_FAILURE_FLOOR"))
    if env_str("LOGIN_FAILURE_FLOOR")
    else None,
    # Accounts. The links in mail point at FRONTEND_URL, never at the request's Host.
    "SIGNUP_ENABLED": env_bool("SIGNUP_ENABLED", True),
    "EMAIL_VERIFICATION": env_str("EMAIL_VERIFICATION", "mandatory"),
    # localhost, not 127.0.0.1: passkeys need a host name as their relying party.
    "FRONTEND_URL": env_str("FRONTEND_URL", "http://localhost:8000"),
    "RESET_KEY_LIFETIME": env_int("RESET_KEY_LIFETIME", 3600),
    "VERIFICATION_KEY_LIFETIME": env_int("VERIFICATION_KEY_LIFETIME", 3 * 24 * 3600),
    "EMAIL_CHANGE_KEY_LIFETIME": env_int("EMAIL_CHANGE_KEY_LIFETIME", 24 * 3600),
    "MAILS_PER_ADDRESS": env_int("MAILS_PER_ADDRESS", 5),
    "ACCOUNT_REQUESTS_PER_IP": env_int("ACCOUNT_REQUESTS_PER_IP", 30),
    # Sign-in with a code mailed to the account's proven address.
    "LOGIN_BY_CODE": env_bool("LOGIN_BY_CODE", True),
    "LOGIN_CODE_LIFETIME": env_int("LOGIN_CODE_LIFETIME", 180),
    "LOGIN_CODE_ATTEMPTS": env_int("LOGIN_CODE_ATTEMPTS", 3),
    # Multi-factor. The WebAuthn relying party defaults to FRONTEND_URL's host and origin.
    "MFA_POLICY": env_str("MFA_POLICY", "optional"),
    "REAUTHENTICATION_MAX_AGE": env_int("REAUTHENTICATION_MAX_AGE", 600),
    "WEBAUTHN_RP_ID": env_str("WEBAUTHN_RP_ID") or None,
    "WEBAUTHN_ORIGINS": tuple(env_list("WEBAUTHN_ORIGINS")),
    # Sign-in providers: a JSON list of {"id", "name", "issuer", "client_id",
    # "client_secret"} (and "kind": google, microsoft, apple, github). The redirect URI to
    # register at each is API_URL (else FRONTEND_URL) + /api/v1/auth/providers/<id>/callback/.
    "PROVIDERS": env_json_list("OIDC_PROVIDERS"),
    "API_URL": env_str("API_URL") or None,
    "CAPTCHA": _CAPTCHA,
    # Breached passwords, by Have I Been Pwned's range API (only five hex digits of each
    # password's SHA-1 are sent). An empty PWNED_PASSWORDS_URL turns the check off.
    "PWNED_PASSWORDS": {
        "url": env_str("PWNED_PASSWORDS_URL", "https://api.pwnedpasswords.com/range/"),
        "timeout": 2,
        "fail_closed": env_bool("PWNED_PASSWORDS_FAIL_CLOSED", False),
    },
    # New-device notices: a sign-in from a browser the account has not used mails it.
    "NEW_DEVICE_NOTICE": env_bool("NEW_DEVICE_NOTICE", True),
    "DEVICE_NOTICES_PER_ACCOUNT": env_int("DEVICE_NOTICES_PER_ACCOUNT", 3),
}

REST_FRAMEWORK = {
    # DRF's IsAdminUser, which under MFA_POLICY=required_for_staff also wants a second factor.
    "DEFAULT_PERMISSION_CLASSES": ["spa_auth.permissions.IsStaff"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "spa_auth.authentication.JWTSessionAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PAGINATION_CLASS": "spa_auth.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 20,
    # The Browsable API only with DEBUG: production answers JSON and nothing else.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    "DEFAULT_PARSER_CLASSES": ["spa_auth.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "spa_auth.handlers.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "spa-auth API",
    "DESCRIPTION": "Session-backed JWT authentication for DRF and single-page apps.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # The docs page loads Swagger UI from this server: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
