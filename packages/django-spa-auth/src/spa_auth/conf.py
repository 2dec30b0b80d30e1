"""The one place the auth app reads settings.

Settings come from ``settings.SPA_AUTH`` (a dict) and are read at call time, so
pytest's ``settings`` fixture and ``override_settings`` just work. Imports nothing
else from this package.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from django.conf import settings

SYMMETRIC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
# Have I Been Pwned's range API: ``GET <url><first five hex digits of the SHA-1>``.
PWNED_PASSWORDS_API = "https://api.pwnedpasswords.com/range/"
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class PwnedPasswords:
    """Where and how passwords are checked against known breaches (k-anonymity), for
    ``spa_auth.validators.PwnedPasswordValidator`` and the password login. ``url`` None
    (an empty string) turns the check off."""

    url: str | None = PWNED_PASSWORDS_API
    # Seconds a wait may last, and the answer as a whole.
    timeout: float = 2.0
    # True: a password being set is refused (503 breach_check_unavailable) while the range
    # server cannot say; False: it is accepted, and the failure logged and audited.
    fail_closed: bool = False


@dataclass(frozen=True)
class AuthSettings:
    access_token_lifetime: timedelta = timedelta(minutes=5)
    refresh_idle_lifetime: timedelta = timedelta(days=7)
    refresh_absolute_lifetime: timedelta = timedelta(days=30)
    refresh_grace: timedelta = timedelta(seconds=10)
    # Clock skew tolerated when verifying exp/iat between instances (RFC 8725 §3.10).
    leeway: timedelta = timedelta(seconds=5)
    # HS256 (a key derived from SECRET_KEY) or RS256 / ES256 / EdDSA from KEYSET_FILE.
    algorithm: str = "HS256"
    keyset_file: str | None = None
    issuer: str = "spa-auth"
    audience: str = "spa-auth-api"
    header_prefixes: tuple[str, ...] = ("Bearer", "JWT")
    max_token_bytes: int = 8192
    refresh_cookie_name: str = "refresh_token"
    refresh_cookie_path: str = "/api/v1/auth/"
    refresh_cookie_samesite: Literal["Strict", "Lax", "None"] = "Strict"
    # "auto": Secure, except on plain-HTTP requests to a loopback host (local development).
    refresh_cookie_secure: bool | str = "auto"
    refresh_cookie_domain: str | None = None
    # Rows per refresh would make storage grow without bound; refreshes go to the logger only.
    audit_refresh_events: bool = False
    audit_retention: timedelta = timedelta(days=90)
    login_failures_per_account: int = 5
    login_failure_window: timedelta = timedelta(minutes=15)
    login_failures_per_ip: int = 30
    login_ip_window: timedelta = timedelta(minutes=10)
    refresh_failures_per_ip: int = 30
    refresh_ip_window: timedelta = timedelta(minutes=5)
    # Seconds every failed password login takes at least; None: measured, the slowest
    # configured hasher's check plus a margin (see ``backends``). 0 turns padding off.
    login_failure_floor: float | None = None
    # Extension points, as dotted paths: a callable (user) -> dict, or a DRF serializer
    # class, for the user in the login answer and ``GET user/``; a callable (user) -> dict
    # of extra access-token claims (the registered ones cannot be replaced).
    user_payload: str | None = None
    access_token_claims: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    trusted_proxy_count: int = 0
    # Accounts: sign-up, verification, password reset, email change, deletion.
    signup_enabled: bool = False
    email_verification: Literal["mandatory", "optional", "none"] = "mandatory"
    # Where the links in mail point, e.g. "https://app.example.com": never the request's
    # Host header, which a client chooses (reset-link poisoning). Unset: no account mail.
    frontend_url: str | None = None
    verify_email_path: str = "/verify-email"
    reset_password_path: str = "/reset-password"
    confirm_email_path: str = "/confirm-email"
    # The enrolment link of a staff account's first factor (required_for_staff).
    enrol_factor_path: str = "/enrol-factor"
    site_name: str = "spa-auth"
    verification_key_lifetime: timedelta = timedelta(days=3)
    reset_key_lifetime: timedelta = timedelta(hours=1)
    email_change_key_lifetime: timedelta = timedelta(days=1)
    # Mails asked for one address (sign-up, resend, reset, a new address), known or not.
    mails_per_address: int = 5
    mail_address_window: timedelta = timedelta(hours=1)
    # Requests to the account endpoints from one address (IPv6: its /64).
    account_requests_per_ip: int = 30
    account_ip_window: timedelta = timedelta(minutes=10)
    # "thread": a worker thread per process sends after the response; "inline": the
    # request's own thread does, once the response is sent (tests, gthread workers).
    mail_queue: Literal["thread", "inline"] = "thread"
    # Sign-in with a mailed code (``login/code/request/``, ``login/code/``): valid for
    # LOGIN_CODE_LIFETIME, for LOGIN_CODE_ATTEMPTS guesses, with the flow its request gave.
    login_by_code: bool = True
    login_code_lifetime: timedelta = timedelta(minutes=3)
    login_code_attempts: int = 3
    # Multi-factor. "required_for_staff": staff powers (spa_auth.permissions.IsStaff, the
    # admin) need a session that passed a second factor.
    mfa_policy: Literal["optional", "required_for_staff"] = "optional"
    # Sensitive actions need an authentication at most this old (RFC 9470 max_age).
    reauthentication_max_age: timedelta = timedelta(minutes=10)
    mfa_token_lifetime: timedelta = timedelta(minutes=5)
    mfa_token_attempts: int = 5
    # WebAuthn: the relying party, from settings only (never the request's Host). Unset,
    # the RP ID is FRONTEND_URL's host and the allowed origin FRONTEND_URL's origin.
    webauthn_rp_id: str | None = None
    webauthn_rp_name: str | None = None
    webauthn_origins: tuple[str, ...] = ()
    webauthn_challenge_lifetime: timedelta = timedelta(minutes=5)
    # Sign-in providers: a list of dicts, each {"id", "name", "issuer", "client_id",
    # "client_secret"} and optionally "kind" (a preset: "google", "microsoft", "apple",
    # "github"); see the package README. Read and checked by ``internal.providers.config``.
    providers: tuple[dict[str, Any], ...] = ()
    # The public origin of the API, for the providers' redirect URI, when it is not
    # FRONTEND_URL's (the separate-origin recipe); never the request's Host header.
    api_url: str | None = None
    # The app's login page, where a provider sign-in that failed or needs a second
    # factor comes back.
    login_path: str = "/login"
    provider_flow_lifetime: timedelta = timedelta(minutes=10)
    provider_timeout: float = 10.0
    # The CAPTCHA at the doors bots use: a dict {"provider", "site_key", "secret_key"} and
    # optionally "verify_url", "timeout", "min_score", "doors", "hostnames"; None: off.
    # Read and checked by ``internal.captcha.config``.
    captcha: dict[str, Any] | None = None
    # Breached passwords: a dict {"url", "timeout", "fail_closed"} in SPA_AUTH, any key
    # optional (see ``PwnedPasswords``).
    pwned_passwords: PwnedPasswords = PwnedPasswords()
    # New-device notices: a sign-in from a browser the account has not used before mails
    # the account's address. A device is a long-lived httpOnly cookie holding a random id.
    new_device_notice: bool = True
    device_cookie_lifetime: timedelta = timedelta(days=365)
    # At most this many notices per account in a window; past it a new device is still
    # recorded, and its notice audited as suppressed (no mail storm).
    device_notices_per_account: int = 3
    device_notice_window: timedelta = timedelta(hours=1)
    # Devices kept per account; the one seen longest ago goes first.
    devices_per_user: int = 20
    # The app's page of sessions and devices, which a notice links to.
    sessions_path: str = "/sessions"


_FIELD_NAMES = frozenset(f.name for f in fields(AuthSettings))


_built: tuple[object, AuthSettings] | None = None


def get_settings() -> AuthSettings:
    """The settings from ``settings.SPA_AUTH``, rebuilt whenever that dict is replaced
    (``override_settings``, pytest's ``settings`` fixture), so they are never stale."""
    global _built
    source = getattr(settings, "SPA_AUTH", {})
    if _built is not None and _built[0] is source:
        return _built[1]
    built = _build(source)
    _built = (source, built)
    return built


def _build(source: dict[str, Any]) -> AuthSettings:
    overrides: dict[str, Any] = {key.lower(): value for key, value in source.items()}
    unknown = set(overrides) - _FIELD_NAMES
    if unknown:
        raise ValueError(f"Unknown SPA_AUTH settings: {', '.join(sorted(unknown))}")
    for key, value in overrides.items():
        if isinstance(getattr(AuthSettings, key, None), timedelta) and isinstance(
            value, (int, float)
        ):
            overrides[key] = timedelta(seconds=value)
    if isinstance(overrides.get("providers"), list):
        overrides["providers"] = tuple(overrides["providers"])
    if "pwned_passwords" in overrides:
        overrides["pwned_passwords"] = _pwned_passwords(overrides["pwned_passwords"])
    for key in ("issuer", "audience"):
        if key in overrides and not (isinstance(overrides[key], str) and overrides[key]):
            raise ValueError(f"SPA_AUTH {key.upper()} must be a non-empty string")
    return AuthSettings(**overrides)


def _pwned_passwords(value: Any) -> PwnedPasswords:
    """``SPA_AUTH["PWNED_PASSWORDS"]``, checked: a wrong key or type is a startup error
    (spa_auth.E010), never a surprise at someone's sign-up."""
    if isinstance(value, PwnedPasswords):
        return value
    if not isinstance(value, dict):
        raise ValueError("SPA_AUTH PWNED_PASSWORDS must be a dict")
    options = {str(key).lower(): item for key, item in value.items()}
    unknown = set(options) - {"url", "timeout", "fail_closed"}
    if unknown:
        raise ValueError(f"Unknown SPA_AUTH PWNED_PASSWORDS keys: {', '.join(sorted(unknown))}")
    url = options.get("url", PWNED_PASSWORDS_API) or None
    if url is not None and not (isinstance(url, str) and _is_range_url(url)):
        raise ValueError(
            "SPA_AUTH PWNED_PASSWORDS url must be an https URL (plain http on loopback only)"
        )
    timeout = options.get("timeout", PwnedPasswords.timeout)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 60:
        raise ValueError("SPA_AUTH PWNED_PASSWORDS timeout must be seconds, above 0, at most 60")
    fail_closed = options.get("fail_closed", False)
    if not isinstance(fail_closed, bool):
        raise ValueError("SPA_AUTH PWNED_PASSWORDS fail_closed must be true or false")
    return PwnedPasswords(url=url, timeout=float(timeout), fail_closed=fail_closed)


def _is_range_url(url: str) -> bool:
    """HTTPS, or plain HTTP to a loopback host (a local mirror, a test's fake)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
