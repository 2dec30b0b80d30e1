"""Which account an identity at a provider belongs to: the linking policy.

- A known identity (issuer, subject) is its account's, whatever address it claims now
  (nOAuth); the claim never changes the account's address.
- A new identity makes an account only when sign-up is open, the provider vouches for
  the address, and no account has that address, proven or not. Otherwise it signs in no
  one and links nothing: never a link by address, which is the pre-account takeover
  (an attacker's account made first with the victim's address, or an attacker's
  provider account that claims it). There is no setting for one.
- An identity is connected to an account only by its signed-in owner (after step-up,
  checked by the view), never if another account has it; disconnected only if the
  account keeps a way in. Both are audited and mailed to the owner.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from ...conf import get_settings
from ...errors import (
    IdentityInUseError,
    LastWayInError,
    ProviderAccountExistsError,
    ProviderEmailUnverifiedError,
    SignupDisabledError,
)
from ...models import AccountEmail, AuditEvent, ProviderIdentity
from .. import clock
from ..accounts import mail, tasks
from ..accounts import services as accounts
from ..accounts.keys import fold
from ..mfa import services as mfa
from ..sessions import store
from .config import Provider, providers
from .identity import Identity

Kind = AuditEvent.Kind
_USERNAME_JUNK = re.compile(r"[^\w.@+-]")


def find(identity: Identity) -> ProviderIdentity | None:
    return (
        ProviderIdentity.objects.select_related("user")
        .filter(issuer=identity.issuer, subject=identity.subject)
        .first()
    )


def _shown_address(identity: Identity) -> str:
    """The address shown for an identity (account page, mails): only one its provider
    vouches for. An unproven claim (Entra ID's ``email``) could be the owner's own
    address, and make a thief's connection look like the owner's."""
    return identity.email if identity.email_verified else ""


def seen(row: ProviderIdentity, identity: Identity) -> None:
    """A known identity signed in again: note when, and the address it claims now (shown
    on the account page only; the account's own address stays)."""
    ProviderIdentity.objects.filter(pk=row.pk).update(
        last_used_at=clock.now(), email=_shown_address(identity)
    )


def account_for_new(provider: Provider, identity: Identity, *, ip: str | None) -> Any:
    """The account a first sign-in of ``identity`` makes, under the policy above."""
    if not identity.email or not identity.email_verified:
        raise ProviderEmailUnverifiedError(f"{provider.id}: no verified address")
    if accounts.email_taken(identity.email):
        raise ProviderAccountExistsError(f"{provider.id}: the address has an account")
    if not get_settings().signup_enabled:
        raise SignupDisabledError("sign-up is closed")
    user_model = get_user_model()
    address = accounts.normalize_email(identity.email)
    now = clock.now()
    try:
        with transaction.atomic():
            if accounts.email_taken(address):
                raise ProviderAccountExistsError(f"{provider.id}: the address has an account")
            user = user_model(
                **{user_model.USERNAME_FIELD: _username(address), accounts.email_field(): address}
            )
            _set_names(user, identity.name)
            user.set_unusable_password()
            user.save()
            AccountEmail.objects.create(user=user, address=fold(address), verified_at=now)
            _link(user, provider, identity, now)
            store.record_event(
                Kind.REGISTERED, now=now, user=user, ip=ip, detail=f"provider {provider.id}"
            )
    except IntegrityError:  # the address, username or identity was taken at this moment
        raise ProviderAccountExistsError(f"{provider.id}: taken at this moment") from None
    return user


def _username(address: str) -> str:
    """A free username: the address itself where the address is the username, else its
    local part, with a random suffix while that is taken."""
    user_model = get_user_model()
    field = user_model.USERNAME_FIELD
    if field == accounts.email_field():
        return address
    limit = getattr(user_model._meta.get_field(field), "max_length", None) or 150
    base = _USERNAME_JUNK.sub("", address.split("@")[0])[: limit - 17] or "user"
    candidate = base
    for attempt in range(20):
        if not user_model._default_manager.filter(**{f"{field}__iexact": candidate}).exists():
            return candidate
        # Four digits first; then 64 random bits, which no one holds in advance.
        suffix = f"{secrets.randbelow(10_000):04d}" if attempt < 10 else secrets.token_hex(8)
        candidate = f"{base}-{suffix}"
    raise ProviderAccountExistsError("no free username")


def _set_names(user: Any, name: str) -> None:
    if not name or not hasattr(user, "first_name"):
        return
    first, _, last = name.partition(" ")
    user.first_name, user.last_name = first[:150], last[:150]


def _link(user: Any, provider: Provider, identity: Identity, now: datetime) -> ProviderIdentity:
    return ProviderIdentity.objects.create(
        user=user,
        provider=provider.id,
        issuer=identity.issuer,
        subject=identity.subject,
        email=_shown_address(identity),
        created_at=now,
        last_used_at=now,
    )


def connect(user: Any, provider: Provider, identity: Identity, *, ip: str | None) -> None:
    """Link ``identity`` to the signed-in ``user``; again is a no-op."""
    existing = find(identity)
    if existing is not None:
        if existing.user_id != user.pk:
            raise IdentityInUseError(f"{provider.id}: the identity is another account's")
        seen(existing, identity)
        return
    now = clock.now()
    try:
        with transaction.atomic():
            _link(user, provider, identity, now)
    except IntegrityError:
        raise IdentityInUseError(f"{provider.id}: linked at this moment") from None
    store.record_event(
        Kind.PROVIDER_CONNECTED,
        now=now,
        user=user,
        ip=ip,
        detail=f"{provider.id} {identity.email}"[:200],
    )
    notify_owner(user, "connected", provider.name, _shown_address(identity))


def identities(user: Any) -> list[ProviderIdentity]:
    return list(ProviderIdentity.objects.filter(user=user).order_by("created_at"))


def disconnect(user: Any, identity_id: Any, *, ip: str | None) -> bool:
    """Unlink one of the user's identities; False if there is no such identity. Refused
    (``LastWayInError``) when the account would keep no way in."""
    with transaction.atomic():
        rows = list(ProviderIdentity.objects.select_for_update().filter(user=user))
        row = next((r for r in rows if str(r.pk) == str(identity_id)), None)
        if row is None:
            return False
        if len(rows) == 1 and not user.has_usable_password() and not mfa.has_passkey(user):
            raise LastWayInError("the account's only way in")
        row.delete()
    name = getattr(providers().get(row.provider), "name", row.provider)
    store.record_event(
        Kind.PROVIDER_DISCONNECTED, now=clock.now(), user=user, ip=ip, detail=row.provider
    )
    notify_owner(user, "disconnected", name, row.email)
    return True


_CHANGES = {
    "connected": gettext_lazy("Signing in with {provider} ({email}) was turned on."),
    "disconnected": gettext_lazy("Signing in with {provider} ({email}) was turned off."),
}


def notify_owner(user: Any, change: str, provider_name: str, email: str) -> None:
    tasks.enqueue(
        "provider_changed",
        user_id=str(user.pk),
        change=change,
        provider=provider_name,
        email=email,
        at=clock.now().isoformat(),
    )


@accounts.first_proof_rule
def forget_identities_on_first_proof(user: Any) -> None:
    """Whoever set up the account before its address was proven (a sign-up with someone
    else's address, under optional or no verification) may have connected their own
    provider account: none survives the owner's first proof, as no factor does (``mfa``)."""
    removed = ProviderIdentity.objects.filter(user=user).delete()[0]
    if removed:
        store.record_event(
            Kind.PROVIDER_DISCONNECTED,
            now=clock.now(),
            user=user,
            detail="every identity: first proof of the address",
        )


@tasks.handles("provider_changed")
def _mail_change(payload: dict[str, Any]) -> None:
    user = get_user_model()._default_manager.filter(pk=payload["user_id"]).first()
    address = getattr(user, user.get_email_field_name(), "") if user is not None else ""
    if not address:
        return
    change = str(_CHANGES[payload["change"]]).format(
        provider=payload["provider"], email=payload["email"] or "—"
    )
    context = {"user": user, "change": change, "at": datetime.fromisoformat(payload["at"])}
    mail.send("provider_changed", str(address), context, get_settings())
