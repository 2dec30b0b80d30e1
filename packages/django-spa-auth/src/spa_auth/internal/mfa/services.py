"""Second factors: TOTP and recovery codes, checking a code behind the login throttles,
the methods of proof a session carries (RFC 8176 ``amr``), the staff policy, and the
mail that tells the owner of every factor added or removed.

Passkeys live in ``passkeys``; this module only asks whether a user has one. The login
waiting for its second step is ``login.second_step``'s.
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
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy

from ...conf import AuthSettings, get_settings
from ...errors import (
    CodeInvalidError,
    EmailUnverifiedError,
    PasskeyInvalidError,
)
from ...models import AccountEmail, AuditEvent, Passkey, RecoveryCode, TotpDevice
from .. import clock
from ..accounts import mail, tasks
from ..accounts import services as accounts
from ..sessions import store
from ..throttling import limits as throttling
from ..throttling import network
from ..tokens.keys import keyed_digest, keyed_digests

Kind = AuditEvent.Kind

# RFC 8176 values.
OTP, HARDWARE_KEY, MULTIPLE = "otp", "hwk", "mfa"

_SECRET_SALT = "spa_auth.mfa.totp-secret"
_DIGEST_SALT = "spa_auth.mfa.digest"
_RECOVERY_CODES = 10
_TOTP_WINDOW = 1  # ±1 step of 30 s: clocks drift, codes are typed slowly


def digest(value: str) -> str:
    """A keyed digest for secrets the server only ever compares (codes, tokens)."""
    return keyed_digest(_DIGEST_SALT, value)


def _digests(value: str) -> list[str]:
    """Under the current secret and each fallback: recovery codes outlive a rotation of
    ``SECRET_KEY`` for as long as the old secret stays a fallback."""
    return keyed_digests(_DIGEST_SALT, value)


def _fernet_for(secret: str) -> Fernet:
    key = salted_hmac(_SECRET_SALT, "", secret=secret, algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _fernet() -> MultiFernet:
    """Fernet (AES-128-CBC + HMAC) keyed from the server secret; fallbacks still decrypt."""
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(s) for s in secrets_])


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


def require_proven_address(user: Any) -> None:
    """No new factor on an account whose address is not proven yet (optional
    verification): whoever signed up with someone else's address must not plant one.
    Under ``EMAIL_VERIFICATION = "none"`` no link proves an address, so factors are
    allowed, and the first reset (which proves it) removes them (``accounts``)."""
    if get_settings().email_verification == "none":
        return
    if AccountEmail.objects.filter(user=user, verified_at=None).exists():
        raise EmailUnverifiedError("a factor for an unverified account")


def begin_totp(user: Any) -> dict[str, str]:
    """A new secret waiting for its first code; replaces one not yet confirmed. The secret
    is shown once, here, and stored encrypted."""
    require_proven_address(user)
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
    accepted = TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step)
    if accepted:
        _encrypt_under_current_secret(device)
    return bool(accepted)


def _encrypt_under_current_secret(device: TotpDevice) -> None:
    """A secret still encrypted under a fallback of ``SECRET_KEY`` is encrypted again under
    the current one at its next use, so that the fallback can go once every user has
    used it since the rotation."""
    token = device.encrypted_secret.encode()
    try:
        _fernet_for(settings.SECRET_KEY).decrypt(token)
    except InvalidToken:
        rotated = _fernet().rotate(token).decode()
        TotpDevice.objects.filter(pk=device.pk).update(encrypted_secret=rotated)


def confirm_totp(user: Any, code: str) -> list[str]:
    """Turn TOTP on with its first code; the new recovery codes when the user had none."""
    device = TotpDevice.objects.filter(user=user, confirmed_at=None).first()
    if device is None or not _accept_totp(device, _digits(code)):
        raise CodeInvalidError("totp confirmation failed")
    now = clock.now()
    with transaction.atomic():
        TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=now)
        store.record_event(Kind.TOTP_ENABLED, now=now, user=user)
        notify_owner(user, "totp_enabled")
        return [] if recovery_codes_left(user) else new_recovery_codes(user)


def disable_totp(user: Any) -> bool:
    """Turn TOTP off, or drop a setup never confirmed (which mails nobody: nothing was on)."""
    devices = TotpDevice.objects.filter(user=user)
    was_on = devices.filter(confirmed_at__isnull=False).exists()
    deleted, _ = devices.delete()
    if deleted:
        store.record_event(Kind.TOTP_DISABLED, now=clock.now(), user=user)
    if was_on:
        notify_owner(user, "totp_disabled")
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


def regenerate_recovery_codes(user: Any) -> list[str]:
    """The user asked for new codes (not the first ones, which come with a first factor)."""
    with transaction.atomic():
        codes = new_recovery_codes(user)
        notify_owner(user, "recovery_codes")
    return codes


def _use_recovery_code(user: Any, code: str) -> bool:
    normal = _normal(code)
    if len(normal) != 12:
        return False
    used = RecoveryCode.objects.filter(user=user, digest__in=_digests(normal), used_at=None).update(
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


def staff_needs_mfa(user: Any) -> bool:
    """Under ``MFA_POLICY = "required_for_staff"``: a staff account without a factor."""
    required = get_settings().mfa_policy == "required_for_staff"
    return required and bool(getattr(user, "is_staff", False)) and not has_mfa(user)


@accounts.first_proof_rule
def reset_on_first_proof(user: Any) -> None:
    """Whoever set up the account before its address was proven (a sign-up with someone
    else's address, under optional verification) may have added second factors."""
    reset(user, by="first proof of the address")


def reset(user: Any, *, by: str) -> None:
    """Turn every factor off (an admin's action: a user who lost them), audited; the owner
    is told when there was one. Every session ends: one that passed a factor must not go
    on as if the account still had it (the person locked out signs in again)."""
    with transaction.atomic():
        removed = TotpDevice.objects.filter(user=user).delete()[0]
        removed += RecoveryCode.objects.filter(user=user).delete()[0]
        removed += Passkey.objects.filter(user=user).delete()[0]
        store.revoke_user_sessions(user.pk, reason="mfa_reset", now=clock.now())
        store.record_event(Kind.MFA_RESET, now=clock.now(), user=user, detail=f"by {by}"[:200])
        if removed:
            notify_owner(user, "reset")


# Telling the owner: a factor added with a stolen session, or one removed, is a change the
# user must hear of. A mail after the response (``tasks``), retried until it is sent.

_CHANGES = {
    "totp_enabled": gettext_lazy("An authenticator app was turned on as a second factor."),
    "totp_disabled": gettext_lazy("The authenticator app was turned off as a second factor."),
    "passkey_added": gettext_lazy("A passkey named “{name}” was added."),
    "passkey_removed": gettext_lazy("The passkey named “{name}” was removed."),
    "recovery_codes": gettext_lazy(
        "New recovery codes were made; the earlier ones no longer work."
    ),
    "reset": gettext_lazy(
        "Every second factor was turned off: a sign-in now asks for the password alone."
    ),
}


def notify_owner(user: Any, change: str, name: str = "") -> None:
    """Queue the ``mfa_changed`` mail for ``change`` (a key of ``_CHANGES``)."""
    tasks.enqueue(
        "mfa_changed", user_id=str(user.pk), change=change, name=name, at=clock.now().isoformat()
    )


@tasks.handles("mfa_changed")
def _mail_change(payload: dict[str, Any]) -> None:
    user = get_user_model()._default_manager.filter(pk=payload["user_id"]).first()
    address = getattr(user, user.get_email_field_name(), "") if user is not None else ""
    if not address:
        return  # the account is gone, or has no address to tell
    context = {
        "user": user,
        # One line: a name stored before names were cleaned must not shape the mail.
        "change": str(_CHANGES[payload["change"]]).format(name=" ".join(payload["name"].split())),
        "at": datetime.fromisoformat(payload["at"]),
    }
    mail.send("mfa_changed", str(address), context, get_settings())
