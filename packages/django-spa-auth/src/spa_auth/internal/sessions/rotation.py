"""Refresh-token rotation (RFC 9700 §4.14.2): the compare-and-swap, the grace window for
races, and reuse detection.

The common case is one statement (``store.rotate_session``); a refresh that does not win
the swap reads the session once to tell a race of the same client (the same newest token
again, within the grace window), a replay (the session ends) and an ended session apart.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from django.utils.crypto import constant_time_compare

from ... import signals
from ...conf import AuthSettings, get_settings
from ...errors import (
    RefreshInvalidError,
    RefreshReusedError,
    SessionExpiredError,
    SessionRevokedError,
)
from ...models import AuditEvent, Session
from .. import clock
from ..throttling import network
from ..tokens import keys
from . import store
from .services import (
    Client,
    IssuedTokens,
    _issue,
    _issue_current,
    is_user_unchanged,
    session_expires_at,
)

logger = logging.getLogger("spa_auth")
Kind = AuditEvent.Kind


def refresh(token: str, client: Client) -> IssuedTokens:
    """Rotate the refresh token (RFC 9700 §4.14.2), with a grace window for races."""
    conf = get_settings()
    now = clock.now()
    session_id, generation = keys.parse_refresh_token(token)
    rotated_by = keys.client_digest(network.throttle_key(client.ip), client.user_agent)
    # The common case is one statement: rotate a live session whose user is active.
    rotated = store.rotate_session(
        session_id, generation, now=now, conf=conf, rotated_by=rotated_by
    )
    if rotated is not None:
        return _after_rotation(session_id, generation + 1, rotated, client, now=now, conf=conf)
    # Otherwise read the session to tell a race, a replay, an ended session apart.
    for _ in range(2):
        session = store.get_session(session_id)
        if session is None:
            raise RefreshInvalidError("unknown session")
        _require_live(session, now)
        if session.kind != Session.Kind.TOKEN:
            raise RefreshInvalidError(f"session {session.pk} has no refresh tokens")
        if generation == session.generation:
            rotated = store.rotate_session(
                session_id, generation, now=now, conf=conf, rotated_by=rotated_by
            )
            if rotated is not None:
                return _after_rotation(
                    session_id, generation + 1, rotated, client, now=now, conf=conf
                )
            continue  # a concurrent refresh won the swap: look again
        if generation == session.generation - 1 and _within_grace(session, now, conf):
            if constant_time_compare(session.rotated_by, rotated_by):
                # Two tabs or a retried request of the client that rotated: the same
                # newest token again, and on the record.
                _record_grace(session, client, now)
                signals.session_refreshed.send(
                    sender=Session,
                    session_id=session.pk,
                    user_id=session.user_id,
                    generation=session.generation,
                    grace=True,
                )
                return _issue_current(session, now=now, conf=conf)
            # The previous token from anyone else is a copy: a stolen token's only chance
            # to ride along is exactly this, so it ends the session (DESIGN.md, revisions).
            _revoke_for_reuse(session, generation, client, now, why="from another client")
        if generation < session.generation:
            _revoke_for_reuse(session, generation, client, now)
        raise RefreshInvalidError("generation from the future")
    raise RefreshInvalidError("session changed twice during one refresh")


def _after_rotation(
    session_id: uuid.UUID,
    generation: int,
    rotated: Any,
    client: Client,
    *,
    now: datetime,
    conf: AuthSettings,
) -> IssuedTokens:
    if not keys.matches_credential(
        rotated.credential_digest, rotated.user_id, rotated.password_hash
    ):
        store.revoke_session(session_id, reason="user_changed", now=now)
        raise SessionRevokedError(f"password of the user of session {session_id} changed")
    logger.info("refresh session=%s generation=%s", session_id, generation)
    signals.session_refreshed.send(
        sender=Session,
        session_id=session_id,
        user_id=rotated.user_id,
        generation=generation,
        grace=False,
    )
    if conf.audit_refresh_events:
        store.record_event(
            Kind.REFRESH,
            now=now,
            user_id=rotated.user_id,
            session_id=session_id,
            ip=client.ip,
            user_agent=client.user_agent,
        )
    expires = min(now + conf.refresh_idle_lifetime, rotated.absolute_expires_at)
    return _issue(
        session_id,
        rotated.user_id,
        generation,
        expires,
        now=now,
        conf=conf,
        auth_time=rotated.auth_time,
        amr=rotated.amr,
        password_breached=rotated.password_breached,
    )


def _within_grace(session: Session, now: datetime, conf: AuthSettings) -> bool:
    """Within the grace window of the last rotation. Instances' clocks differ: a rotation
    stamped by a clock ahead of this one may look as if from the future, and is allowed
    only up to the leeway, so skew never lengthens the window by more than that."""
    if session.rotated_at is None:
        return False
    elapsed = now - session.rotated_at
    return -conf.leeway <= elapsed <= conf.refresh_grace


def _record_grace(session: Session, client: Client, now: datetime) -> None:
    logger.info("refresh grace answer: session=%s", session.pk)
    store.record_event(
        Kind.REFRESH_GRACE,
        now=now,
        user_id=session.user_id,
        session_id=session.pk,
        ip=client.ip,
        user_agent=client.user_agent,
        detail=f"generation {session.generation - 1} presented again",
    )


def _require_live(session: Session, now: datetime) -> None:
    if session.revoked_at is not None:
        raise SessionRevokedError(f"session {session.pk} revoked ({session.revoke_reason})")
    if session_expires_at(session) <= now:
        raise SessionExpiredError(f"session {session.pk} expired")
    if not is_user_unchanged(session.user, session.credential_digest):
        store.revoke_session(session.pk, reason="user_changed", now=now)
        raise SessionRevokedError(f"user of session {session.pk} deactivated or password changed")


def _revoke_for_reuse(
    session: Session, generation: int, client: Client, now: datetime, *, why: str = ""
) -> None:
    store.revoke_session(session.pk, reason="refresh_reused", now=now)
    logger.warning(
        "refresh token reuse: session=%s presented generation %s %s, current %s; revoked",
        session.pk,
        generation,
        why,
        session.generation,
    )
    store.record_event(
        Kind.REFRESH_REUSED,
        now=now,
        user=session.user,
        session_id=session.pk,
        ip=client.ip,
        user_agent=client.user_agent,
        detail=f"generation {generation} presented {why}, current {session.generation}",
    )
    signals.refresh_reused.send(
        sender=Session,
        session_id=session.pk,
        user_id=session.user_id,
        ip=client.ip,
        user_agent=client.user_agent,
    )
    raise RefreshReusedError(f"session {session.pk} revoked for reuse")
