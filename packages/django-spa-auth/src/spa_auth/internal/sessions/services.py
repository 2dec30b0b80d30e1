"""Sessions and their tokens: opening one for a user whose credentials were just
checked (``login`` decides that), authenticating an access token, logout, revocation,
a password change, re-authentication. Refresh rotation is ``rotation``'s.

No HTTP here, and nothing of accounts or second factors. Raises domain errors from
``errors``; never builds a response. Every query goes through ``store``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model, user_logged_in
from django.db import transaction
from django.http import HttpRequest
from django.utils.module_loading import import_string

from ...conf import AuthSettings, get_settings
from ...errors import (
    SessionRevokedError,
)
from ...models import AuditEvent, Session
from .. import clock
from ..tokens import codec, keys
from . import store

logger = logging.getLogger("spa_auth")
Kind = AuditEvent.Kind

# RFC 8176: the method of proof of a session opened by a password alone (the second
# factors' values are ``mfa``'s).
PASSWORD = "pwd"
# A session opened by signing in with a provider (the value Entra ID uses in its own amr).
FEDERATED = "fed"
# A session opened by a code mailed to the account's address (RFC 8176 ``otp``, which Entra
# ID gives an email one-time passcode too).
MAILED_CODE = "otp"


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
    # The session logged in with a password found in known breaches.
    password_breached: bool = False


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
    password_breached: bool = False,
) -> IssuedTokens:
    extra = _extra_claims(user_id, user, conf) or {}
    if auth_time is not None:
        # OIDC's auth_time and RFC 8176's amr: when and how the session's user last
        # proved who they are; step-up checks read them (RFC 9470).
        extra = {**extra, "auth_time": int(auth_time.timestamp()), "amr": amr.split()}
    # The session's mark rides in its tokens, so that reading it costs an authenticated
    # request nothing; the session alone sets it, never a claims hook.
    if password_breached:
        extra = {**extra, codec.PASSWORD_BREACHED_CLAIM: True}
    elif codec.PASSWORD_BREACHED_CLAIM in extra:
        extra = {**extra}
        del extra[codec.PASSWORD_BREACHED_CLAIM]
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
        password_breached=password_breached,
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
        amr=session.amr or PASSWORD,
        password_breached=session.password_breached,
    )


def session_expires_at(session: Session) -> datetime:
    return min(session.idle_expires_at, session.absolute_expires_at)


def is_active(user: Any) -> bool:
    return bool(getattr(user, "is_active", True))


def is_user_unchanged(user: Any, credential_digest: str) -> bool:
    """The session's user is still active and has the password it had at login."""
    return is_active(user) and keys.matches_credential(credential_digest, user.pk, user.password)


def open_session(
    request: HttpRequest | None,
    user: Any,
    client: Client,
    *,
    username: str = "",
    amr: list[str] | None = None,
    provider: str = "",
    password_breached: bool = False,
) -> IssuedTokens:
    """A new token session for a user whose credentials were just checked (``amr``: how,
    RFC 8176; a password alone by default; ``provider``: the provider signed in with;
    ``password_breached``: the password it logged in with is in known breaches)."""
    conf = get_settings()
    now = clock.now()
    keys.access_keys(conf)  # no signing key (a KeysetError): fail before any row is written
    methods = " ".join(amr or [PASSWORD])
    session = store.create_session(
        user,
        now=now,
        conf=conf,
        user_agent=client.user_agent,
        ip=client.ip,
        amr=methods,
        provider=provider,
        password_breached=password_breached,
    )
    store.record_event(
        Kind.LOGIN if methods in (PASSWORD, FEDERATED, MAILED_CODE) else Kind.MFA_LOGIN,
        now=now,
        user=user,
        session_id=session.pk,
        username=username or user.get_username(),
        ip=client.ip,
        user_agent=client.user_agent,
        detail=f"{methods} {provider}".strip(),
    )
    # The session is named so that ``receivers.link_django_session`` opens no second one.
    user_logged_in.send(sender=user.__class__, request=request, user=user, spa_auth_session=session)
    return _issue_current(session, now=now, conf=conf, user=user)


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
