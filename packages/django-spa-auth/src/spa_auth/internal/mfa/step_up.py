"""Step-up (RFC 9470): how recent the request's authentication is, read from its access
token's ``auth_time``, and the 401 challenge when it is not recent enough."""

from __future__ import annotations

import uuid
from typing import Any

from ...conf import get_settings
from ...errors import ReauthenticationRequiredError
from ...models import ProviderIdentity, Session
from .. import clock
from ..sessions import store
from . import services as mfa


def authenticated_at(claims: Any) -> int | None:
    value = claims.get("auth_time") if isinstance(claims, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _step_up_required(user: Any) -> ReauthenticationRequiredError:
    """The challenge, with the ways this user may prove it: an account with a factor, its
    factors only (``reauthenticate/`` refuses its password alone); else its password, and
    "provider" when it has a provider identity (``providers/<id>/reauthenticate/``)."""
    max_age = int(get_settings().reauthentication_max_age.total_seconds())
    return ReauthenticationRequiredError(max_age, methods(user))


def methods(user: Any) -> list[str]:
    factors = mfa.methods(user)
    if factors:
        return factors
    found = ["password"] if user.has_usable_password() else []
    if ProviderIdentity.objects.filter(user=user).exists():
        found.append("provider")
    return found or ["password"]


def require_recent(user: Any, claims: Any) -> None:
    """Sensitive actions: the request's authentication must be at most
    ``REAUTHENTICATION_MAX_AGE`` old (its access token's ``auth_time``)."""
    max_age = int(get_settings().reauthentication_max_age.total_seconds())
    at = authenticated_at(claims)
    if at is not None and clock.now().timestamp() - at <= max_age:
        return
    raise _step_up_required(user)


def require_reauthenticated(user: Any, claims: Any) -> None:
    """Changing a second factor: ``require_recent``, and the authentication must be a
    re-authentication (``reauthenticate/``) made after the session's login, not the login
    itself. A copy of an access token taken in the minutes after a login (a script in the
    page, a log) must not add a passkey, which would outlive a password reset: that takes
    the password, a code or a passkey. The session (one query) says whether its
    ``auth_time`` moved past its creation; the token must carry that ``auth_time``, in
    the whole seconds of the claim (so a re-authentication in the login's own second
    counts, and a token issued before the latest re-authentication does not)."""
    require_recent(user, claims)
    at = authenticated_at(claims)
    session = _session_of(claims)
    if (
        at is not None
        and session is not None
        and session.user_id == user.pk
        and session.auth_time is not None
        and session.auth_time > session.created_at
        and at >= int(session.auth_time.timestamp())
    ):
        return
    raise _step_up_required(user)


def _session_of(claims: Any) -> Session | None:
    try:
        return store.get_session(uuid.UUID(str(claims["sid"])))
    except (KeyError, TypeError, ValueError):  # no usable sid: no session to look at
        return None


def require_sensitive(user: Any, claims: Any) -> None:
    """Password change, email change, deletion, ending another session: ``require_recent``;
    for an account with a second factor, ``require_reauthenticated``, which such an
    account meets only with a factor. Else the password and a copy of a fresh login's
    token (a script in the page, a log) would change the password or move the address,
    and with it every reset, without the factor."""
    if mfa.has_mfa(user):
        require_reauthenticated(user, claims)
    else:
        require_recent(user, claims)
