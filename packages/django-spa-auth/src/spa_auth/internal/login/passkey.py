"""A passwordless login with a discoverable passkey.

The assertion is checked by ``mfa.passkeys`` behind the login budget of the client's
address: a failure counts against it, a success gives its place back, as for a password.
A passkey proves two factors at once (RFC 8176 ``hwk`` and ``mfa``): nothing more is due,
and the session opens (``sessions``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ...conf import get_settings
from ...errors import CodeInvalidError, PasskeyInvalidError
from ..mfa import passkeys
from ..sessions.services import Client, IssuedTokens, open_session
from ..throttling import limits as throttling
from ..throttling import network


def login(request: HttpRequest, credential: Any, client: Client) -> IssuedTokens:
    conf = get_settings()
    ip = network.client_ip(request, conf)
    # Failures count against the address's login budget; a success gives its place back.
    reservation = throttling.reserve((throttling.login_ip_limit(conf), throttling.ip_key(ip)))
    try:
        login = passkeys.authenticate(credential)
    except (CodeInvalidError, PasskeyInvalidError):
        reservation.failed()
        raise
    except BaseException:
        reservation.succeeded()
        raise
    reservation.succeeded()
    return open_session(request, login.user, client, amr=login.amr)
