"""A password login: the first step of every login with a password.

The password is checked by Django's ``authenticate()`` behind the login throttles
(``backends``); an unproven address or a second factor is asked for only after the right
password, so that neither tells anything to someone who lacks it. A session opens
(``sessions``) when nothing more is due; else the login waits for its second step
(``second_step``). A password that logged in is checked against known breaches
(``accounts.breaches``), and the session, or the pending login, carries the verdict.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest

from ...errors import EmailUnverifiedError, InvalidCredentialsError, MfaRequiredError
from ..accounts import breaches
from ..accounts import services as accounts
from ..mfa import services as mfa
from ..sessions.services import PASSWORD, Client, IssuedTokens, open_session
from ..throttling.limits import throttled_error
from . import second_step


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
    # Only now, after the right password and before a session or a pending login is
    # written, so that the verdict is written with it: a bounded wait, which no one who
    # lacks the password can cause.
    breached = breaches.is_breached_at_login(user, password)
    if mfa.has_mfa(user):
        pending = second_step.start_pending_login(user, [PASSWORD], password_breached=breached)
        raise MfaRequiredError(pending, mfa.methods(user))
    return open_session(request, user, client, username=username, password_breached=breached)
