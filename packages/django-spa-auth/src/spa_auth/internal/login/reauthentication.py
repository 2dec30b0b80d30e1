"""Re-authentication: the signed-in user proves who they are again (step-up, RFC 9470).

One proof, of the kind the user chose: the password (only for an account without a
second factor, else whoever has the password and a copy of a session could remove every
factor, or add their own), a TOTP or recovery code, or a passkey assertion, each behind
the login throttles. The session's ``auth_time`` then moves to now (``sessions``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ...conf import get_settings
from ...errors import CodeInvalidError, FactorRequiredError
from ..mfa import passkeys
from ..mfa import services as mfa
from ..sessions import services
from ..sessions.services import PASSWORD, IssuedTokens
from ..throttling import limits as throttling

PROOFS = ("password", "code", "credential")


class ProofRefusedError(Exception):
    """A wrong password or code from a signed-in user, by its ``code``
    (``password_incorrect``, ``code_invalid``): answered 400, since a 401 would read to the
    app as the end of its session."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def reauthenticate(
    request: HttpRequest, user: Any, session_id: Any, kind: str, value: Any
) -> IssuedTokens:
    """Check the proof of ``kind`` (one of ``PROOFS``) and renew the session's
    authentication time."""
    amr = _proof(request, user, kind, value)
    # The token's amr describes this proof, made at its auth_time; "mfa" stays only in a
    # session whose login passed two factors, since an account with a factor proves
    # itself again with one (NIST SP 800-63B §7.2: at the level the session has).
    return services.reauthenticate(user, session_id, amr, keep=[mfa.MULTIPLE])


def _proof(request: HttpRequest, user: Any, kind: str, value: Any) -> list[str]:
    if kind == "password":
        if mfa.has_mfa(user):
            # Else whoever has the password and a copy of a session could remove
            # every factor, or add their own.
            raise FactorRequiredError("password re-authentication with a factor on")
        if not throttling.check_password(user, value, get_settings()):
            raise ProofRefusedError("password_incorrect")
        return [PASSWORD]
    if kind == "code":
        try:
            return mfa.check_code_throttled(request, user, value)
        except CodeInvalidError:
            raise ProofRefusedError("code_invalid") from None
    return passkeys.verify_reauthentication(user, value)
