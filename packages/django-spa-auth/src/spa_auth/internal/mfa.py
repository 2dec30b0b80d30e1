"""Second factors: TOTP and recovery codes, the login waiting for its second step
(``mfa_token``), the methods of proof a session carries (RFC 8176 ``amr``), and step-up.

Passkeys live in ``passkeys``; this module only asks whether a user has one.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.crypto import constant_time_compare, salted_hmac

from ..conf import AuthSettings, get_settings
from ..errors import (
    CodeInvalidError,
    MfaTokenInvalidError,
    PasskeyInvalidError,
    ReauthenticationRequiredError,
)
from ..models import AuditEvent, Challenge, Passkey, RecoveryCode, TotpDevice
from . import clock, network, store, throttling

Kind = AuditEvent.Kind

# RFC 8176 values.
PASSWORD, OTP, HARDWARE_KEY, MULTIPLE = "pwd", "otp", "hwk", "mfa"

_SECRET_SALT = "spa_auth.mfa.totp-secret"
_DIGEST_SALT = "spa_auth.mfa.digest"
_RECOVERY_CODES = 10
_TOTP_WINDOW = 1  # ±1 step of 30 s: clocks drift, codes are typed slowly


def digest(value: str) -> str:
    """A keyed digest for secrets the server only ever compares (codes, tokens)."""
    return salted_hmac(
        _DIGEST_SALT, value, secret=settings.SECRET_KEY, algorithm="sha256"
    ).hexdigest()


def _fernet() -> MultiFernet:
    """Fernet (AES-128-CBC + HMAC) keyed from the server secret; fallbacks still decrypt."""
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    keys = [
        Fernet(
            base64.urlsafe_b64encode(
                salted_hmac(_SECRET_SALT, "", secret=s, algorithm="sha256").digest()
            )
        )
        for s in secrets_
    ]
    return MultiFernet(keys)


# Which factors a user has.


def confirmed_totp(user: Any) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def has_passkey(user: Any) -> bool:
    return Passkey.objects.filter(user=user).exists()


def has_mfa(user: Any) -> bool:
    """A second factor is on: a confirmed TOTP or a passkey. Recovery codes alone are not."""
    return confirmed_totp(user) is not None or has_passkey(user)


def recovery_codes_left(user: Any) -> int:
    return RecoveryCode.objects.filter(user=user, used_at=None).count()


def methods(user: Any) -> list[str]:
    """The second steps this user can take, in the order an app should offer them."""
    found = []
    if confirmed_totp(user) is not None:
        found.append("totp")
    if has_passkey(user):
        found.append("webauthn")
    if recovery_codes_left(user):
        found.append("recovery_code")
    return found


# TOTP.


def _issuer(conf: AuthSettings) -> str:
    return conf.site_name


def begin_totp(user: Any) -> dict[str, str]:
    """A new secret waiting for its first code; replaces one not yet confirmed. The secret
    is shown once, here, and stored encrypted."""
    conf = get_settings()
    secret = pyotp.random_base32()
    TotpDevice.objects.update_or_create(
        user=user,
        defaults={
            "encrypted_secret": _fernet().encrypt(secret.encode()).decode(),
            "created_at": clock.now(),
            "confirmed_at": None,
            "last_step": 0,
        },
    )
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=_issuer(conf))
    svg = segno.make(uri, error="m").svg_inline(scale=4, title="TOTP QR code")
    return {"secret": secret, "otpauth_url": uri, "qr_svg": svg}


def _secret_of(device: TotpDevice) -> str | None:
    try:
        return _fernet().decrypt(device.encrypted_secret.encode()).decode()
    except InvalidToken:  # encrypted under a secret no longer configured
        return None


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // totp.interval
    for step in range(current - _TOTP_WINDOW, current + _TOTP_WINDOW + 1):
        if constant_time_compare(totp.generate_otp(step), code):
            return step
    return None


def _accept_totp(device: TotpDevice, code: str) -> bool:
    """The code is right and newer than any accepted before: raise ``last_step`` to its
    step in one conditional UPDATE, so a replay (or a racing twin) finds it taken."""
    secret = _secret_of(device)
    if secret is None or not code.isdigit():
        return False
    step = _matching_step(secret, code, clock.now())
    if step is None:
        return False
    return bool(TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step))


def confirm_totp(user: Any, code: str) -> list[str]:
    """Turn TOTP on with its first code; the new recovery codes when the user had none."""
    device = TotpDevice.objects.filter(user=user, confirmed_at=None).first()
    if device is None or not _accept_totp(device, _digits(code)):
        raise CodeInvalidError("totp confirmation failed")
    now = clock.now()
    with transaction.atomic():
        TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=now)
        store.record_event(Kind.TOTP_ENABLED, now=now, user=user)
        return [] if recovery_codes_left(user) else new_recovery_codes(user)


def disable_totp(user: Any) -> bool:
    deleted, _ = TotpDevice.objects.filter(user=user).delete()
    if deleted:
        store.record_event(Kind.TOTP_DISABLED, now=clock.now(), user=user)
    _forget_codes_without_factor(user)
    return bool(deleted)


def _forget_codes_without_factor(user: Any) -> None:
    """Recovery codes recover a second factor; with none left, they would be one."""
    if not has_mfa(user):
        RecoveryCode.objects.filter(user=user).delete()


def _digits(code: Any) -> str:
    return "".join(str(code).split()) if isinstance(code, str) else ""


# Recovery codes.


def _normal(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new_recovery_codes(user: Any) -> list[str]:
    """Ten new codes, replacing every earlier one; only their digests are kept."""
    now = clock.now()
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(_RECOVERY_CODES)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, digest=digest(_normal(code)), created_at=now) for code in codes
        )
        store.record_event(Kind.RECOVERY_CODES, now=now, user=user)
    return codes


def _use_recovery_code(user: Any, code: str) -> bool:
    normal = _normal(code)
    if len(normal) != 12:
        return False
    used = RecoveryCode.objects.filter(user=user, digest=digest(normal), used_at=None).update(
        used_at=clock.now()
    )
    if used:
        store.record_event(
            Kind.RECOVERY_CODE_USED,
            now=clock.now(),
            user=user,
            detail=f"{recovery_codes_left(user)} left",
        )
    return bool(used)


def check_throttled(request: Any, user: Any, check: Callable[[], list[str]]) -> list[str]:
    """Run a second-factor ``check`` (a code, a passkey assertion) behind the login
    throttles of the user and of the client's address: a guess at a factor spends the
    same budget as a guess at the password. The amr the check proves."""
    conf = get_settings()
    ip = network.client_ip(request, conf) if request is not None else None
    reservation = throttling.reserve(
        (throttling.login_ip_limit(conf), throttling.ip_key(ip)),
        (throttling.login_account_limit(conf), throttling.account_key(user.get_username())),
    )
    try:
        amr = check()
    except (CodeInvalidError, PasskeyInvalidError):
        reservation.failed()
        raise
    except BaseException:
        reservation.succeeded()  # not a guess (a fault): the place goes back
        raise
    reservation.succeeded()
    return amr


def check_code_throttled(request: Any, user: Any, code: Any) -> list[str]:
    return check_throttled(request, user, lambda: check_code(user, code))


def check_code(user: Any, code: Any) -> list[str]:
    """A TOTP code or a recovery code: the amr it proves, or ``CodeInvalidError``."""
    if not isinstance(code, str) or not 1 <= len(code) <= 64:
        raise CodeInvalidError("not a code")
    device = confirmed_totp(user)
    if device is not None and _accept_totp(device, _digits(code)):
        return [OTP]
    if _use_recovery_code(user, code):
        return [OTP]
    raise CodeInvalidError("wrong or used code")


# The login waiting for its second step.


def start_pending_login(user: Any, amr: list[str]) -> str:
    conf = get_settings()
    token = secrets.token_urlsafe(32)
    now = clock.now()
    Challenge.objects.create(
        digest=digest(token),
        purpose=Challenge.Purpose.MFA_LOGIN,
        user=user,
        amr=" ".join(amr),
        created_at=now,
        expires_at=now + conf.mfa_token_lifetime,
    )
    return token


def pending_login(token: Any) -> Challenge:
    """The live pending login of ``token``, with its user; a few wrong codes end it."""
    if not isinstance(token, str) or len(token) != 43:
        raise MfaTokenInvalidError("malformed mfa_token")
    row = (
        Challenge.objects.select_related("user")
        .filter(
            digest=digest(token),
            purpose=Challenge.Purpose.MFA_LOGIN,
            used_at=None,
            expires_at__gt=clock.now(),
            attempts__lt=get_settings().mfa_token_attempts,
        )
        .first()
    )
    if row is None or row.user is None or not getattr(row.user, "is_active", True):
        raise MfaTokenInvalidError("no live pending login")
    return row


def count_failure(row: Challenge) -> None:
    Challenge.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
    store.record_event(Kind.MFA_FAILED, now=clock.now(), user=row.user)


def spend(row: Challenge) -> None:
    """Mark the challenge used; ``MfaTokenInvalidError`` if a concurrent request did."""
    if not Challenge.objects.filter(pk=row.pk, used_at=None).update(used_at=clock.now()):
        raise MfaTokenInvalidError("spent by a concurrent request")


def combined(first: list[str], second: list[str]) -> list[str]:
    """The amr of a login that passed both steps."""
    return [*dict.fromkeys([*first, *second, MULTIPLE])]


# Step-up.


def authenticated_at(claims: Any) -> int | None:
    value = claims.get("auth_time") if isinstance(claims, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def require_recent(user: Any, claims: Any) -> None:
    """Sensitive actions: the request's authentication must be at most
    ``REAUTHENTICATION_MAX_AGE`` old (its access token's ``auth_time``)."""
    conf = get_settings()
    max_age = int(conf.reauthentication_max_age.total_seconds())
    at = authenticated_at(claims)
    if at is not None and clock.now().timestamp() - at <= max_age:
        return
    raise ReauthenticationRequiredError(max_age, ["password", *methods(user)])


def staff_needs_mfa(user: Any) -> bool:
    """Under ``MFA_POLICY = "required_for_staff"``: a staff account without a factor."""
    required = get_settings().mfa_policy == "required_for_staff"
    return required and bool(getattr(user, "is_staff", False)) and not has_mfa(user)


def reset(user: Any, *, by: str) -> None:
    """Turn every factor off (an admin's action: a user who lost them), audited."""
    with transaction.atomic():
        TotpDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        Passkey.objects.filter(user=user).delete()
        store.record_event(Kind.MFA_RESET, now=clock.now(), user=user, detail=f"by {by}"[:200])
