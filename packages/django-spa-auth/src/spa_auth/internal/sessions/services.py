"""Login, refresh, logout and revocation: the session policy, with no HTTP in it.

Raises domain errors from ``errors``; never builds a response. Every query goes
through ``store``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import authenticate, get_user_model, user_logged_in
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string

from ... import signals
from ...backends import throttled_error
from ...conf import AuthSettings, get_settings
from ...errors import (
    EmailUnverifiedError,
    InvalidCredentialsError,
    MfaRequiredError,
    RefreshInvalidError,
    RefreshReusedError,
    SessionExpiredError,
    SessionRevokedError,
)
from ...models import AuditEvent, Session
from .. import clock
from ..accounts import services as accounts
from ..mfa import services as mfa
from ..throttling import network
from ..tokens import codec, keys
from . import store

logger = logging.getLogger("spa_auth")
Kind = AuditEvent.Kind


@dataclass(frozen=True)
class Client:
    """Who is calling, for the session record and the audit log."""

    ip: str | None = None
    user_agent: str = ""


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_at: datetime
    user: Any = None  # the user, when the caller has it at hand (login)


def _issue(
    session_id: uuid.UUID,
    user_id: Any,
    generation: int,
    refresh_expires_at: datetime,
    *,
    now: datetime,
    conf: AuthSettings,
    user: Any = None,
    auth_time: datetime | None = None,
    amr: str = "",
) -> IssuedTokens:
    extra = _extra_claims(user_id, user, conf) or {}
    if auth_time is not None:
        # OIDC's auth_time and RFC 8176's amr: when and how the session's user last
        # proved who they are; step-up checks read them (RFC 9470).
        extra = {**extra, "auth_time": int(auth_time.timestamp()), "amr": amr.split()}
    access, _ = codec.encode_access_token(
        user_id=str(user_id),
        session_id=str(session_id),
        now=now,
        key=keys.access_keys(conf)[0],
        conf=conf,
        extra=extra or None,
    )
    return IssuedTokens(
        access_token=access,
        expires_in=int(conf.access_token_lifetime.total_seconds()),
        refresh_token=keys.make_refresh_token(session_id, generation),
        refresh_expires_at=refresh_expires_at,
        user=user,
    )


def _extra_claims(user_id: Any, user: Any, conf: AuthSettings) -> dict[str, Any] | None:
    """``SPA_AUTH["ACCESS_TOKEN_CLAIMS"]``'s claims for the user; a refresh, which has only
    the user's id, reads the user once more when (and only when) a hook is configured."""
    if conf.access_token_claims is None:
        return None
    if user is None:
        user = get_user_model()._default_manager.get(pk=user_id)
    return dict(import_string(conf.access_token_claims)(user))


def _issue_current(
    session: Session, *, now: datetime, conf: AuthSettings, user: Any = None
) -> IssuedTokens:
    return _issue(
        session.pk,
        session.user_id,
        session.generation,
        session_expires_at(session),
        now=now,
        conf=conf,
        user=user,
        auth_time=session.auth_time or session.created_at,
        amr=session.amr or mfa.PASSWORD,
    )


def session_expires_at(session: Session) -> datetime:
    return min(session.idle_expires_at, session.absolute_expires_at)


def is_active(user: Any) -> bool:
    return bool(getattr(user, "is_active", True))


def is_user_unchanged(user: Any, credential_digest: str) -> bool:
    """The session's user is still active and has the password it had at login."""
    return is_active(user) and keys.matches_credential(credential_digest, user.pk, user.password)


def login(request: HttpRequest, username: str, password: str, client: Client) -> IssuedTokens:
    """Check the credentials and open a session; one generic error for every failure.

    ``authenticate()`` runs the throttles and pads every failure to one duration
    (``backends``); Django's ModelBackend hashes the password for unknown users too and
    refuses inactive users only after hashing. The failure's audit event comes from
    Django's ``user_login_failed`` signal, as for every other way in.
    """
    # "deferred": this caller asks for the second factor itself; without it the backend
    # refuses a user with MFA (the admin's and any other password form).
    user = authenticate(request, username=username, password=password, spa_auth_mfa="deferred")
    if user is None:
        throttled = throttled_error(request)
        if throttled is not None:
            raise throttled
        raise InvalidCredentialsError(f"login failed for {username!r}")
    # Said only after the right password: it tells nothing to someone who lacks it.
    if accounts.must_verify(user):
        raise EmailUnverifiedError(f"{username!r} has not confirmed the address")
    if mfa.has_mfa(user):
        raise MfaRequiredError(mfa.start_pending_login(user, [mfa.PASSWORD]), mfa.methods(user))
    return open_session(request, user, client, username=username)


def open_session(
    request: HttpRequest | None,
    user: Any,
    client: Client,
    *,
    username: str = "",
    amr: list[str] | None = None,
) -> IssuedTokens:
    """A new token session for a user whose credentials were just checked (``amr``: how,
    RFC 8176; a password alone by default)."""
    conf = get_settings()
    now = clock.now()
    keys.access_keys(conf)  # no signing key (a KeysetError): fail before any row is written
    methods = " ".join(amr or [mfa.PASSWORD])
    session = store.create_session(
        user, now=now, conf=conf, user_agent=client.user_agent, ip=client.ip, amr=methods
    )
    store.record_event(
        Kind.LOGIN if methods == mfa.PASSWORD else Kind.MFA_LOGIN,
        now=now,
        user=user,
        session_id=session.pk,
        username=username or user.get_username(),
        ip=client.ip,
        user_agent=client.user_agent,
        detail=methods,
    )
    # The session is named so that ``receivers.link_django_session`` opens no second one.
    user_logged_in.send(sender=user.__class__, request=request, user=user, spa_auth_session=session)
    return _issue_current(session, now=now, conf=conf, user=user)


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


def authenticate_access_token(token: str) -> tuple[Any, codec.AccessClaims]:
    """The hot path: verify the JWT, then one indexed query for session and user."""
    conf = get_settings()
    now = clock.now()
    claims = codec.decode_access_token(token, keys=keys.access_keys(conf), now=now, conf=conf)
    found = store.get_live_session_user(uuid.UUID(claims["sid"]), now=now)
    if found is None:
        raise SessionRevokedError(f"session {claims['sid']} is revoked, expired or unknown")
    user, credential = found
    if str(user.pk) != claims["sub"]:
        raise SessionRevokedError(f"session {claims['sid']} is not of user {claims['sub']}")
    if not is_user_unchanged(user, credential):
        # Ended, not paused: reactivating the user must not revive this session.
        store.revoke_session(claims["sid"], reason="user_changed", now=now)
        raise SessionRevokedError(f"session {claims['sid']}: user deactivated or password changed")
    return user, claims


def session_id_of_refresh_token(token: str) -> uuid.UUID:
    return keys.parse_refresh_token(token)[0]


def logout(session_id: uuid.UUID | str, client: Client) -> None:
    """End one session; idempotent."""
    now = clock.now()
    if store.revoke_session(session_id, reason="logout", now=now):
        store.record_event(
            Kind.LOGOUT,
            now=now,
            user_id=store.user_id_of_session(session_id),
            session_id=session_id,
            ip=client.ip,
            user_agent=client.user_agent,
        )


def logout_all(user: Any, client: Client) -> int:
    now = clock.now()
    revoked = store.revoke_user_sessions(user.pk, reason="logout_all", now=now)
    store.record_event(
        Kind.LOGOUT_ALL,
        now=now,
        user=user,
        ip=client.ip,
        user_agent=client.user_agent,
        detail=f"{len(revoked)} sessions",
    )
    return len(revoked)


def revoke_user_session(user: Any, session_id: uuid.UUID | str, client: Client) -> bool:
    """Revoke one of the user's own live sessions; False if there is no such session."""
    now = clock.now()
    owned = store.live_sessions(user.pk, now=now).filter(pk=session_id).exists()
    if not owned or not store.revoke_session(session_id, reason="revoked", now=now):
        return False
    store.record_event(
        Kind.REVOKE,
        now=now,
        user=user,
        session_id=session_id,
        ip=client.ip,
        user_agent=client.user_agent,
    )
    return True


def revoke_all_for_user(user: Any, *, reason: str = "admin") -> int:
    now = clock.now()
    revoked = store.revoke_user_sessions(user.pk, reason=reason, now=now)
    for session_id in revoked:
        store.record_event(Kind.REVOKE, now=now, user=user, session_id=session_id, detail=reason)
    return len(revoked)


def change_password(user: Any, new_password: str, *, client: Client) -> IssuedTokens:
    """Set the password and end every session, the current one included; the device that
    changed it goes on in a new session, so any copy of its old refresh token dies too."""
    conf = get_settings()
    now = clock.now()
    user.set_password(new_password)
    with transaction.atomic():
        user.save(update_fields=["password"])
        revoked = store.revoke_user_sessions(user.pk, reason="password_change", now=now)
        session = store.create_session(
            user, now=now, conf=conf, user_agent=client.user_agent, ip=client.ip
        )
    store.record_event(
        Kind.PASSWORD_CHANGE,
        now=now,
        user=user,
        session_id=session.pk,
        ip=client.ip,
        user_agent=client.user_agent,
        detail=f"{len(revoked)} sessions ended",
    )
    return _issue_current(session, now=now, conf=conf, user=user)


def revoke_for_deactivation(user: Any) -> int:
    """End every session of a user who was deactivated (reactivation revives none)."""
    now = clock.now()
    revoked = store.revoke_user_sessions(user.pk, reason="deactivated", now=now)
    if revoked:
        store.record_event(
            Kind.DEACTIVATED, now=now, user=user, detail=f"{len(revoked)} sessions ended"
        )
    return len(revoked)


def reauthenticate(
    user: Any, session_id: Any, amr: list[str], *, keep: Sequence[str] = ()
) -> IssuedTokens:
    """The signed-in user proved who they are again: the session's ``auth_time`` moves to
    now (kept by every later refresh) and its ``amr`` becomes the methods of this proof,
    so that both describe one event; of the session's earlier methods only those in
    ``keep`` (which describe the session rather than one proof) stay."""
    conf = get_settings()
    now = clock.now()
    session = store.get_session(uuid.UUID(str(session_id))) if session_id else None
    if session is None or session.user_id != user.pk:
        raise SessionRevokedError("no session to re-authenticate")
    kept = [method for method in session.amr.split() if method in keep]
    methods = " ".join(dict.fromkeys([*amr, *kept]))
    if not store.reauthenticated(session.pk, now=now, amr=methods):
        raise SessionRevokedError(f"session {session.pk} ended")
    session.auth_time, session.amr = now, methods
    store.record_event(
        Kind.REAUTHENTICATED, now=now, user=user, session_id=session.pk, detail=" ".join(amr)
    )
    return _issue_current(session, now=now, conf=conf, user=user)
