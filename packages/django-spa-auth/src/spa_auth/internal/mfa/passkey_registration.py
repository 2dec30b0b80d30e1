"""Passkey registration (py_webauthn), rename and removal.

The ceremony's plumbing (the relying party, the user handle, the challenge rows) is
``passkeys``'; a registration verifies a discoverable credential with user verification
and no attestation, against a challenge spent before anything is verified. A first
factor brings recovery codes, as TOTP's confirmation does; removing the last one takes
them away.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from webauthn import (
    generate_registration_options,
    verify_registration_response,
)
from webauthn.helpers import (
    options_to_json_dict,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ...conf import get_settings
from ...errors import (
    PasskeyInvalidError,
)
from ...models import AuditEvent, Challenge, Passkey
from .. import clock
from ..sessions import store
from . import passkeys
from . import services as mfa

Kind = AuditEvent.Kind
Purpose = Challenge.Purpose


def registration_options(user: Any) -> dict[str, Any]:
    """Options for ``navigator.credentials.create()``: a discoverable credential with user
    verification, no attestation, none of the user's existing authenticators again."""
    mfa.require_proven_address(user)
    conf = get_settings()
    rp = passkeys.relying_party(conf)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user.get_username(),
        user_id=passkeys.user_handle(user),
        user_display_name=(getattr(user, "get_full_name", lambda: "")() or user.get_username()),
        timeout=passkeys._timeout_ms(conf),
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[passkeys._descriptor(p) for p in Passkey.objects.filter(user=user)],
    )
    passkeys._store_challenge(options.challenge, Purpose.PASSKEY_REGISTER, user, conf)
    return options_to_json_dict(options)


def register(user: Any, credential: Any, name: str) -> tuple[Passkey, list[str]]:
    """Verify a registration response and store the passkey; the new recovery codes when
    the user had none (a first factor), as TOTP's confirmation does."""
    rp = passkeys.relying_party()
    if not isinstance(credential, dict):
        raise PasskeyInvalidError("credential is not a JSON object")
    try:
        parsed = parse_registration_credential_json(credential)
        challenge = parse_client_data_json(parsed.response.client_data_json).challenge
    except Exception as exc:  # noqa: BLE001 (see Parsing in passkeys)
        raise PasskeyInvalidError(f"malformed registration: {exc!r}"[:200]) from None
    try:
        expected = passkeys._take_challenge(challenge, Purpose.PASSKEY_REGISTER, user)
    except passkeys._Refused as refused:
        raise PasskeyInvalidError(str(refused)) from None
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=expected,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            require_user_verification=True,
        )
    except Exception as exc:  # noqa: BLE001 (see Parsing in passkeys)
        raise PasskeyInvalidError(f"registration refused: {exc!r}"[:200]) from None
    credential_id = verified.credential_id
    if credential_id != parsed.raw_id or not 1 <= len(credential_id) <= passkeys._MAX_CREDENTIAL_ID:
        raise PasskeyInvalidError("credential id differs from the attested one, or is too long")
    transports = [t.value for t in parsed.response.transports or []]
    now = clock.now()
    try:
        with transaction.atomic():
            passkey = Passkey.objects.create(
                user=user,
                credential_id=credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=transports,
                name=name,
                backed_up=verified.credential_backed_up,
                created_at=now,
            )
            store.record_event(Kind.PASSKEY_ADDED, now=now, user=user, detail=name)
            mfa.notify_owner(user, "passkey_added", name)
            codes = [] if mfa.recovery_codes_left(user) else mfa.new_recovery_codes(user)
    except IntegrityError:
        raise PasskeyInvalidError("credential already registered") from None
    return passkey, codes


def rename(user: Any, passkey_id: Any, name: str) -> Passkey | None:
    passkey = Passkey.objects.filter(user=user, pk=passkey_id).first()
    if passkey is None:
        return None
    passkey.name = name
    passkey.save(update_fields=["name"])
    return passkey


def remove(user: Any, passkey_id: Any) -> bool:
    """Delete one of the user's passkeys; with no factor left, the recovery codes go too."""
    passkey = Passkey.objects.filter(user=user, pk=passkey_id).first()
    if passkey is None:
        return False
    with transaction.atomic():
        deleted, _ = Passkey.objects.filter(pk=passkey.pk).delete()
        if deleted:
            store.record_event(
                Kind.PASSKEY_REMOVED, now=clock.now(), user=user, detail=passkey.name
            )
            mfa.notify_owner(user, "passkey_removed", passkey.name)
        mfa._forget_codes_without_factor(user)
    return bool(deleted)
