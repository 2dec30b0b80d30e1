"""Known devices: recognising the browser of a sign-in, listing, forgetting, pruning.

A device's id is known to the server only as a keyed digest (HMAC from the server
secret, the fallbacks recognised too, so a key rotation makes no device new). Every
account that ever signed in keeps at least one row, a marker if need be (see
``models.Device``): "the first sign-in after sign-up" is then the sign-in of an account
with no row at all, whatever was forgotten or pruned since.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q

from ...conf import AuthSettings
from ...models import AuditEvent, Device
from ..sessions import store
from ..tokens.keys import keyed_digest, keyed_digests

_DIGEST_SALT = "spa_auth.devices.id"


def digest(value: str) -> str:
    return keyed_digest(_DIGEST_SALT, value)


def _digests(value: str) -> list[str]:
    return keyed_digests(_DIGEST_SALT, value)


@dataclass(frozen=True)
class Seen:
    """What a sign-in's device was: ``is_new`` (not known to the account), ``is_first``
    (the account had never signed in), and the device's row."""

    device: Device
    is_new: bool
    is_first: bool


def see(user: Any, value: str, user_agent: str, *, now: datetime, conf: AuthSettings) -> Seen:
    """The sign-in of ``user`` from the browser whose device id is ``value``: the known
    device is seen again, an unknown one is recorded (the oldest beyond the bound go)."""
    known = Device.objects.filter(user=user, digest__in=_digests(value)).first()
    if known is not None:
        _seen_again(known, user_agent, now=now)
        return Seen(known, is_new=False, is_first=False)
    is_first = not Device.objects.filter(user=user).exists()
    device = Device(
        user=user,
        digest=digest(value),
        user_agent=user_agent,
        created_at=now,
        last_seen_at=now,
    )
    try:
        with transaction.atomic():
            device.save(force_insert=True)
    except IntegrityError:  # the same new browser signing in twice at once: one is new
        raced = Device.objects.get(user=user, digest=digest(value))
        return Seen(raced, is_new=False, is_first=False)
    _keep_newest(user, conf.devices_per_user)
    return Seen(device, is_new=True, is_first=is_first)


def _seen_again(device: Device, user_agent: str, *, now: datetime) -> None:
    Device.objects.filter(pk=device.pk).update(last_seen_at=now, user_agent=user_agent)
    device.last_seen_at, device.user_agent = now, user_agent


def _keep_newest(user: Any, count: int) -> None:
    """At most ``count`` rows per account: markers first, then the ones seen longest ago."""
    rows = Device.objects.filter(user=user).order_by("-last_seen_at", "-created_at")
    extra = list(rows.values_list("pk", flat=True)[max(1, count) :])
    if extra:
        Device.objects.filter(pk__in=extra).delete()


def known_devices(user: Any) -> list[Device]:
    return list(Device.objects.filter(user=user).exclude(digest="").order_by("-last_seen_at"))


def is_current(device: Device, value: str | None) -> bool:
    return value is not None and device.digest in _digests(value)


def forget(user: Any, device_id: Any, *, ip: str | None, now: datetime) -> bool:
    """Forget one of the user's devices, so that its next sign-in mails again; False if
    the user has no such device. The account's last row stays as a marker."""
    try:
        device_id = uuid.UUID(str(device_id))
    except ValueError:
        return False
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(user=user, pk=device_id).first()
        if device is None or not device.digest:
            return False
        if Device.objects.filter(user=user).exclude(pk=device.pk).exists():
            device.delete()
        else:
            Device.objects.filter(pk=device.pk).update(digest="")
    store.record_event(
        AuditEvent.Kind.DEVICE_FORGOTTEN, now=now, user=user, ip=ip, user_agent=device.user_agent
    )
    return True


def prune(*, now: datetime, conf: AuthSettings) -> int:
    """Devices unseen for longer than the cookie lives (their browsers dropped it): gone,
    but an account's newest row stays, as a marker; the number deleted."""
    stale = Device.objects.filter(last_seen_at__lt=now - conf.device_cookie_lifetime)
    newer = Device.objects.filter(user_id=OuterRef("user_id")).filter(
        Q(last_seen_at__gt=OuterRef("last_seen_at"))
        | Q(last_seen_at=OuterRef("last_seen_at"), pk__gt=OuterRef("pk"))
    )
    deleted = stale.filter(Exists(newer)).delete()[0]
    stale.exclude(digest="").update(digest="")
    return deleted
