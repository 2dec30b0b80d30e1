"""``SPA_AUTH["CAPTCHA"]``, read and checked: the provider, its keys, where to verify, and
which doors ask. Unset (or None), the CAPTCHA is off and no door asks for one.

The keys (any case): ``PROVIDER`` ("turnstile", "hcaptcha", "recaptcha_v2",
"recaptcha_v3", or the dotted path of a ``CaptchaProvider`` subclass), ``SITE_KEY``,
``SECRET_KEY``, and optionally ``VERIFY_URL`` (the provider's own by default),
``TIMEOUT`` (seconds, 5), ``MIN_SCORE`` (reCAPTCHA v3, 0.5), ``DOORS`` (all of
``DOORS`` by default) and ``HOSTNAMES`` (FRONTEND_URL's host by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from ...conf import AuthSettings, get_settings
from .providers import BUILT_IN, CaptchaProvider

# Every door a bot would use: sign-up, the reset and verification mails, the mailed
# login code, and the password login of an account or address that has failed before.
DOORS = ("signup", "password_reset", "verification_resend", "login_code", "login")
_KEYS = frozenset(
    {"provider", "site_key", "secret_key", "verify_url", "timeout", "min_score", "doors"}
    | {"hostnames"}
)
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_TIMEOUT = 30.0


@dataclass(frozen=True)
class CaptchaConfig:
    provider: CaptchaProvider
    site_key: str
    secret_key: str
    verify_url: str
    timeout: float
    min_score: float
    doors: frozenset[str]
    hostnames: frozenset[str]


_parsed: tuple[object, CaptchaConfig | None] | None = None


def captcha_config() -> CaptchaConfig | None:
    """The CAPTCHA of the current settings, or None when it is off; parsed once per
    settings object. Raises ``ImproperlyConfigured`` (the system check says why)."""
    global _parsed
    conf = get_settings()
    if _parsed is not None and _parsed[0] is conf:
        return _parsed[1]
    parsed = parse(conf.captcha, conf)
    _parsed = (conf, parsed)
    return parsed


def parse(source: Any, conf: AuthSettings) -> CaptchaConfig | None:
    if source is None:
        return None
    if not isinstance(source, dict):
        raise ImproperlyConfigured("CAPTCHA must be a dict")
    entry = {str(key).lower(): value for key, value in source.items()}
    unknown = set(entry) - _KEYS
    if unknown:
        raise ImproperlyConfigured(f"unknown CAPTCHA keys: {', '.join(sorted(unknown))}")
    provider = _provider(entry.get("provider"))
    for key in ("site_key", "secret_key"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ImproperlyConfigured(f"CAPTCHA {key.upper()} must be a non-empty string")
    verify_url = entry.get("verify_url") or provider.verify_url
    if not _is_safe_url(verify_url):
        raise ImproperlyConfigured("CAPTCHA VERIFY_URL must be https (http only on loopback)")
    timeout = _number(entry.get("timeout", 5.0), "TIMEOUT")
    if not 0 < timeout <= MAX_TIMEOUT:
        raise ImproperlyConfigured(f"CAPTCHA TIMEOUT must be over 0 and at most {MAX_TIMEOUT}")
    min_score = _number(entry.get("min_score", 0.5), "MIN_SCORE")
    if not 0 <= min_score <= 1:
        raise ImproperlyConfigured("CAPTCHA MIN_SCORE must be between 0 and 1")
    doors = entry.get("doors", DOORS)
    if isinstance(doors, str) or not all(door in DOORS for door in doors):
        raise ImproperlyConfigured(f"CAPTCHA DOORS must be a list of {', '.join(DOORS)}")
    return CaptchaConfig(
        provider=provider,
        site_key=entry["site_key"],
        secret_key=entry["secret_key"],
        verify_url=verify_url,
        timeout=timeout,
        min_score=min_score,
        doors=frozenset(doors),
        hostnames=_hostnames(entry.get("hostnames"), conf),
    )


def _provider(name: Any) -> CaptchaProvider:
    if not isinstance(name, str) or not name:
        raise ImproperlyConfigured(f"CAPTCHA PROVIDER must be one of {', '.join(BUILT_IN)}")
    if name in BUILT_IN:
        return BUILT_IN[name]()
    try:
        cls = import_string(name)
    except ImportError as error:
        raise ImproperlyConfigured(f"CAPTCHA PROVIDER {name!r} cannot be imported") from error
    if not (isinstance(cls, type) and issubclass(cls, CaptchaProvider)):
        raise ImproperlyConfigured(f"CAPTCHA PROVIDER {name!r} is not a CaptchaProvider")
    provider = cls()
    if not provider.name:
        raise ImproperlyConfigured(f"CAPTCHA PROVIDER {name!r} has no name")
    return provider


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ImproperlyConfigured(f"CAPTCHA {key} must be a number")
    return float(value)


def _hostnames(value: Any, conf: AuthSettings) -> frozenset[str]:
    if value is None:
        host = urlsplit(conf.frontend_url).hostname if conf.frontend_url else None
        return frozenset({host}) if host else frozenset()
    if isinstance(value, str) or not all(isinstance(host, str) and host for host in value):
        raise ImproperlyConfigured("CAPTCHA HOSTNAMES must be a list of host names")
    return frozenset(value)


def _is_safe_url(url: Any) -> bool:
    """HTTPS, or plain HTTP to a loopback host (development and tests)."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS)
