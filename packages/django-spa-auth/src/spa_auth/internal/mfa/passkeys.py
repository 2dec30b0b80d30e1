"""WebAuthn passkeys (py_webauthn): the relying party, the challenges, and the assertions
of the login's second step, passwordless login and re-authentication (registration:
``passkey_registration``). No HTTP here; raises domain errors from ``errors``.

The relying party comes from settings only, never from the request's Host or Origin
(WebAuthn §13.4.9: an RP ID a client chooses is a phishing origin it chooses). Every
challenge is a ``Challenge`` row kept as a keyed digest, bound to its purpose and user,
short-lived, and spent by one conditional UPDATE before anything is verified, so it
answers at most one ceremony, successful or not.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.crypto import salted_hmac
from webauthn import (
    generate_authentication_options,
    verify_authentication_response,
)
from webauthn.helpers import (
    bytes_to_base64url,
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_client_data_json,
)
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    UserVerificationRequirement,
)

from ...conf import AuthSettings, get_settings
from ...errors import (
    CodeInvalidError,
    EmailUnverifiedError,
    NoPasskeyError,
    PasskeyInvalidError,
    PasskeysNotConfiguredError,
)
from ...models import AuditEvent, Challenge, Passkey
from .. import clock
from ..accounts import services as accounts
from ..sessions import store
from . import services as mfa

logger = logging.getLogger("spa_auth")
Kind = AuditEvent.Kind
Purpose = Challenge.Purpose

_HANDLE_SALT = "spa_auth.passkeys.user-handle"
_MAX_CREDENTIAL_ID = 1023  # WebAuthn §5.1: credential ids are at most 1023 bytes
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origins: tuple[str, ...]


class Login(NamedTuple):
    """A passwordless login: its user, and what it proved (RFC 8176)."""

    user: Any
    amr: list[str]


class _Refused(Exception):  # noqa: N818 (private: each caller turns it into its error)
    """A well-formed response that does not verify; the reason is for the log only."""


# The relying party.


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return None
    port = parts.port
    suffix = "" if port is None or _DEFAULT_PORTS.get(parts.scheme) == port else f":{port}"
    return f"{parts.scheme}://{parts.hostname}{suffix}"


def relying_party(conf: AuthSettings | None = None) -> RelyingParty:
    """``WEBAUTHN_RP_ID`` / ``WEBAUTHN_ORIGINS``; unset, ``FRONTEND_URL``'s host and origin."""
    conf = conf or get_settings()
    frontend = urlsplit(conf.frontend_url) if conf.frontend_url else None
    rp_id = conf.webauthn_rp_id or (frontend.hostname if frontend else None)
    if not rp_id:
        raise PasskeysNotConfiguredError("neither WEBAUTHN_RP_ID nor FRONTEND_URL is set")
    configured = conf.webauthn_origins
    origins = (configured,) if isinstance(configured, str) else tuple(configured)
    if not origins:
        origin = _origin_of(conf.frontend_url) if conf.frontend_url else f"https://{rp_id}"
        origins = (origin,) if origin else ()
    if not origins:
        raise PasskeysNotConfiguredError("no WebAuthn origin: set WEBAUTHN_ORIGINS")
    return RelyingParty(id=rp_id, name=conf.webauthn_rp_name or conf.site_name, origins=origins)


def _timeout_ms(conf: AuthSettings) -> int:
    return int(conf.webauthn_challenge_lifetime.total_seconds() * 1000)


# The user handle (WebAuthn §14.6.1: no personal data, and not the primary key).


def user_handle(user: Any, secret: str | None = None) -> bytes:
    """32 opaque bytes, stable per user: a keyed digest of the primary key."""
    return salted_hmac(
        _HANDLE_SALT, str(user.pk), secret=secret or settings.SECRET_KEY, algorithm="sha256"
    ).digest()


def _is_handle_of(user: Any, handle: bytes) -> bool:
    """Also under the fallback keys: passkeys registered before a key rotation still work."""
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(hmac.compare_digest(handle, user_handle(user, s)) for s in secrets_)


# Challenges.


# A user's live challenges of one purpose; asking for more options drops the oldest, so
# a script calling an options endpoint in a loop adds no rows (passwordless login, with
# no user, is throttled per address instead).
_LIVE_PER_USER = 5


def _store_challenge(challenge: bytes, purpose: str, user: Any, conf: AuthSettings) -> None:
    now = clock.now()
    if user is not None:
        older = Challenge.objects.filter(purpose=purpose, user=user, used_at=None).order_by(
            "-created_at"
        )
        Challenge.objects.filter(
            pk__in=list(older.values_list("pk", flat=True)[_LIVE_PER_USER - 1 :])
        ).delete()
    Challenge.objects.create(
        digest=mfa.digest(bytes_to_base64url(challenge)),
        purpose=purpose,
        user=user,
        challenge=challenge,
        created_at=now,
        expires_at=now + conf.webauthn_challenge_lifetime,
    )


def _take_challenge(challenge: bytes, purpose: str, user: Any) -> bytes:
    """The stored challenge the response answers, spent now; ``_Refused`` if it is unknown,
    expired, spent, of another purpose or of another user (``user`` None: of nobody)."""
    now = clock.now()
    row = Challenge.objects.filter(
        digest=mfa.digest(bytes_to_base64url(challenge)),
        purpose=purpose,
        used_at=None,
        expires_at__gt=now,
    ).first()
    if row is None:
        raise _Refused("unknown, expired or spent challenge, or one of another purpose")
    if row.user_id != (user.pk if user is not None else None):
        raise _Refused("challenge issued to another user")
    # Spent before verification: a replayed or racing twin finds it taken.
    if Challenge.objects.filter(pk=row.pk, used_at=None).update(used_at=now) != 1:
        raise _Refused("challenge spent by a concurrent request")
    return bytes(row.challenge)


# Parsing. py_webauthn parses attacker-chosen base64, JSON and CBOR and lets many exception
# types escape on junk (binascii, UnicodeDecodeError, KeyError, cbor2's, RecursionError).
# It touches no database, so anything it raises means the input is bad: a 400, not a 500.


def _parse_assertion(credential: Any) -> tuple[AuthenticationCredential, bytes]:
    if not isinstance(credential, dict):
        raise PasskeyInvalidError("credential is not a JSON object")
    try:
        parsed = parse_authentication_credential_json(credential)
        challenge = parse_client_data_json(parsed.response.client_data_json).challenge
    except Exception as exc:  # noqa: BLE001 (see above)
        raise PasskeyInvalidError(f"malformed assertion: {exc!r}"[:200]) from None
    return parsed, challenge


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    known = {t.value for t in AuthenticatorTransport}
    transports = [AuthenticatorTransport(t) for t in passkey.transports or [] if t in known]
    return PublicKeyCredentialDescriptor(id=bytes(passkey.credential_id), transports=transports)


# Assertions: the second factor, passwordless login, re-authentication.


def _request_options(
    user: Any, purpose: str, user_verification: UserVerificationRequirement
) -> dict[str, Any]:
    conf = get_settings()
    rp = relying_party(conf)
    allowed: list[PublicKeyCredentialDescriptor] = []
    if user is not None:
        allowed = [_descriptor(p) for p in Passkey.objects.filter(user=user)]
        if not allowed:
            raise NoPasskeyError("the user has no passkey")
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=_timeout_ms(conf),
        allow_credentials=allowed,
        user_verification=user_verification,
    )
    _store_challenge(options.challenge, purpose, user, conf)
    return options_to_json_dict(options)


def second_factor_options(user: Any) -> dict[str, Any]:
    """Request options for the login's second step: the user's passkeys, UV preferred."""
    return _request_options(
        user, Purpose.PASSKEY_SECOND_FACTOR, UserVerificationRequirement.PREFERRED
    )


def login_options() -> dict[str, Any]:
    """Request options for a discoverable-credential login: no allowCredentials, UV required."""
    return _request_options(None, Purpose.PASSKEY_LOGIN, UserVerificationRequirement.REQUIRED)


def reauthentication_options(user: Any) -> dict[str, Any]:
    return _request_options(user, Purpose.PASSKEY_REAUTH, UserVerificationRequirement.REQUIRED)


def _verify_assertion(
    rp: RelyingParty,
    parsed: AuthenticationCredential,
    expected: bytes,
    passkey: Passkey,
    *,
    require_user_verification: bool,
) -> None:
    """Check the signature, then the sign counter, and record the use."""
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=expected,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            credential_public_key=bytes(passkey.public_key),
            # The counter is checked below, after the signature, so that only a signed
            # assertion can raise the cloned-authenticator alarm.
            credential_current_sign_count=0,
            require_user_verification=require_user_verification,
        )
    except Exception as exc:  # noqa: BLE001 (see Parsing)
        raise _Refused(f"assertion refused: {exc!r}"[:200]) from None
    stored, new = passkey.sign_count, verified.new_sign_count
    now = clock.now()
    # WebAuthn §6.1.1: a counter that does not grow (when either is non-zero) may mean
    # the private key was copied to a second authenticator.
    if (stored or new) and new <= stored:
        detail = f"{passkey.name}: counter {new} after {stored}"
        logger.warning("passkey counter did not increase: %s (user %s)", detail, passkey.user_id)
        store.record_event(Kind.PASSKEY_COUNTER, now=now, user_id=passkey.user_id, detail=detail)
        raise _Refused("sign counter did not increase")
    used = Passkey.objects.filter(pk=passkey.pk, sign_count=stored).update(
        sign_count=new, backed_up=verified.credential_backed_up, last_used_at=now
    )
    if not used:
        raise _Refused("passkey used by a concurrent request")


def _verify_for_user(
    user: Any, credential: Any, purpose: str, *, require_user_verification: bool
) -> None:
    rp = relying_party()
    parsed, challenge = _parse_assertion(credential)
    expected = _take_challenge(challenge, purpose, user)
    passkey = Passkey.objects.filter(user=user, credential_id=parsed.raw_id).first()
    if passkey is None:
        raise _Refused("not a passkey of this user")
    handle = parsed.response.user_handle
    if handle is not None and not _is_handle_of(user, handle):
        raise _Refused("user handle of another user")
    _verify_assertion(
        rp, parsed, expected, passkey, require_user_verification=require_user_verification
    )


def verify_second_factor(user: Any, credential: Any) -> list[str]:
    """The login's second step: the amr it adds, or ``CodeInvalidError``."""
    try:
        _verify_for_user(
            user, credential, Purpose.PASSKEY_SECOND_FACTOR, require_user_verification=False
        )
    except _Refused as refused:
        raise CodeInvalidError(f"passkey second factor: {refused}") from None
    return [mfa.HARDWARE_KEY]


def verify_reauthentication(user: Any, credential: Any) -> list[str]:
    """Step-up with a passkey (user verification required); ``PasskeyInvalidError``, a 400:
    the session is fine."""
    try:
        _verify_for_user(user, credential, Purpose.PASSKEY_REAUTH, require_user_verification=True)
    except _Refused as refused:
        raise PasskeyInvalidError(f"passkey re-authentication: {refused}") from None
    return [mfa.HARDWARE_KEY]


def authenticate(credential: Any) -> Login:
    """A passwordless login: the credential is found by its id, and its owner must be the
    user the authenticator names (WebAuthn §7.2 step 6). ``CodeInvalidError`` otherwise."""
    rp = relying_party()
    parsed, challenge = _parse_assertion(credential)
    try:
        expected = _take_challenge(challenge, Purpose.PASSKEY_LOGIN, None)
        passkey = Passkey.objects.select_related("user").filter(credential_id=parsed.raw_id).first()
        if passkey is None:
            raise _Refused("unknown credential")
        user = passkey.user
        handle = parsed.response.user_handle
        if handle is None or not _is_handle_of(user, handle):
            raise _Refused("user handle missing or of another user")
        if not getattr(user, "is_active", True):
            raise _Refused("inactive user")
        _verify_assertion(rp, parsed, expected, passkey, require_user_verification=True)
    except _Refused as refused:
        raise CodeInvalidError(f"passwordless login: {refused}") from None
    # Said only after the proof, as for a password login.
    if accounts.must_verify(user):
        raise EmailUnverifiedError(f"{user.get_username()!r} has not confirmed the address")
    # Possession of the key and the authenticator's user verification: two factors.
    return Login(user, [mfa.HARDWARE_KEY, mfa.MULTIPLE])
