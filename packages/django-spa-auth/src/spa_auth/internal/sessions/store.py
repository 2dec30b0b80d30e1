"""Every database query of the auth app.

Imports models and settings only; no policy lives here beyond what a query must say
atomically (the rotation compare-and-swap). It sends ``session_opened`` and
``session_ended``, because every way a session starts or ends passes through here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from ... import signals
from ...conf import AuthSettings
from ...models import AuditEvent, Challenge, Session, ThrottleCounter
from ..tokens import keys
from . import sql as sessions_sql


def create_session(
    user: Any,
    *,
    now: datetime,
    conf: AuthSettings,
    user_agent: str,
    ip: str | None,
    kind: str = Session.Kind.TOKEN,
    amr: str = "pwd",
    provider: str = "",
    password_breached: bool = False,
) -> Session:
    absolute = now + conf.refresh_absolute_lifetime
    session = Session.objects.create(
        user=user,
        created_at=now,
        auth_time=now,
        amr=amr,
        provider=provider,
        last_used_at=now,
        idle_expires_at=now + conf.refresh_idle_lifetime,  # as every rotation sets it
        absolute_expires_at=absolute,
        credential_digest=keys.credential_digest(user.pk, user.password),
        kind=kind,
        password_breached=password_breached,
        user_agent=user_agent[:512],
        ip=ip,
    )
    signals.session_opened.send(sender=Session, session=session, user=user)
    return session


def reauthenticated(session_id: uuid.UUID | str, *, now: datetime, amr: str) -> bool:
    """The session's user proved who they are again, just now."""
    return bool(
        Session.objects.filter(pk=session_id, revoked_at=None).update(auth_time=now, amr=amr)
    )


def get_session(session_id: uuid.UUID) -> Session | None:
    """The session with its user, in one indexed statement (primary key + join)."""
    return sessions_sql.fetch_session(session_id)


def get_live_session_user(session_id: uuid.UUID, *, now: datetime) -> tuple[Any, str] | None:
    """The hot path: the user of a live session and the session's credential digest."""
    return sessions_sql.fetch_live_user(session_id, now=now)


def rotate_session(
    session_id: uuid.UUID, generation: int, *, now: datetime, conf: AuthSettings, rotated_by: str
) -> sessions_sql.Rotated | None:
    """Atomically advance the generation from ``generation`` if the session is live and
    its user active; what the caller needs to check the user's credential if so.

    One UPDATE with the expected generation in its WHERE clause: of two concurrent
    refreshes with the same token exactly one matches, on SQLite and PostgreSQL alike.
    """
    return sessions_sql.rotate(
        session_id,
        generation,
        now=now,
        idle_until=now + conf.refresh_idle_lifetime,
        rotated_by=rotated_by,
    )


def revoke_session(session_id: uuid.UUID | str, *, reason: str, now: datetime) -> bool:
    """Revoke one live session; False if it was already revoked or does not exist."""
    ended = bool(
        Session.objects.filter(pk=session_id, revoked_at__isnull=True).update(
            revoked_at=now, revoke_reason=reason
        )
    )
    if ended:
        signals.session_ended.send(sender=Session, session_ids=[session_id], reason=reason)
    return ended


def user_id_of_session(session_id: uuid.UUID | str) -> Any:
    return Session.objects.filter(pk=session_id).values_list("user_id", flat=True).first()


def revoke_user_sessions(
    user_id: Any, *, reason: str, now: datetime, keep: uuid.UUID | str | None = None
) -> list[uuid.UUID]:
    """Revoke every live session of a user except ``keep``; return the revoked ids."""
    live = Session.objects.filter(user_id=user_id, revoked_at__isnull=True)
    if keep is not None:
        live = live.exclude(pk=keep)
    ids = list(live.values_list("pk", flat=True))
    if ids:
        Session.objects.filter(pk__in=ids, revoked_at__isnull=True).update(
            revoked_at=now, revoke_reason=reason
        )
        signals.session_ended.send(sender=Session, session_ids=ids, reason=reason)
    return ids


def follow_rehash(user_id: Any, old_hash: str, new_hash: str) -> int:
    """Keep the user's sessions when Django re-hashes the same password (a hasher upgrade at
    login): the digests of the old hash become digests of the new one."""
    return Session.objects.filter(
        user_id=user_id,
        revoked_at__isnull=True,
        credential_digest__in=keys.credential_digests(user_id, old_hash),
    ).update(credential_digest=keys.credential_digest(user_id, new_hash))


def live_sessions(user_id: Any, *, now: datetime) -> QuerySet[Session]:
    return Session.objects.filter(
        user_id=user_id,
        revoked_at__isnull=True,
        idle_expires_at__gt=now,
        absolute_expires_at__gt=now,
    ).order_by("-last_used_at")


def record_event(
    kind: str,
    *,
    now: datetime,
    user: Any = None,
    user_id: Any = None,
    session_id: uuid.UUID | str | None = None,
    username: str = "",
    ip: str | None = None,
    user_agent: str = "",
    detail: str = "",
) -> None:
    AuditEvent.objects.create(
        created_at=now,
        kind=kind,
        user_id=user.pk if user is not None else user_id,
        session_id=session_id,
        username=username[:150],
        ip=ip,
        user_agent=user_agent[:512],
        detail=detail[:200],
    )


def _delete_in_batches(queryset: QuerySet[Any], batch_size: int) -> int:
    """Delete by primary-key batches so that no statement holds locks for long."""
    total = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return total
        deleted, _ = queryset.model.objects.filter(pk__in=ids).delete()
        total += deleted


def prune_sessions(*, now: datetime, batch_size: int) -> int:
    """Delete sessions that are revoked or expired."""
    dead = Session.objects.filter(
        Q(revoked_at__isnull=False) | Q(idle_expires_at__lte=now) | Q(absolute_expires_at__lte=now)
    )
    return _delete_in_batches(dead, batch_size)


def prune_throttle_counters(*, now: datetime, batch_size: int) -> int:
    """Delete counters whose window and lock are over (they would restart at zero)."""
    stale = ThrottleCounter.objects.filter(
        expires_at__lte=now.timestamp(), locked_until__lte=now.timestamp()
    )
    return _delete_in_batches(stale, batch_size)


def prune_challenges(*, now: datetime, batch_size: int) -> int:
    """Delete second-step challenges (mfa_token, WebAuthn) that have expired."""
    return _delete_in_batches(Challenge.objects.filter(expires_at__lte=now), batch_size)


def prune_events(*, before: datetime, batch_size: int) -> int:
    return _delete_in_batches(AuditEvent.objects.filter(created_at__lt=before), batch_size)
