"""WebAuthn passkeys (py_webauthn): registration, the login's second step, passwordless
login and re-authentication. (Being written.)"""

from __future__ import annotations

from typing import Any

from ..errors import CodeInvalidError


def verify_reauthentication(user: Any, credential: Any) -> list[str]:
    raise CodeInvalidError("passkeys are not available yet")
