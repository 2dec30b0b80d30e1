"""Password validators for ``AUTH_PASSWORD_VALIDATORS``.

``PwnedPasswordValidator`` refuses a password found in known data breaches, asking Have I
Been Pwned's range API (or the server ``SPA_AUTH["PWNED_PASSWORDS"]["url"]`` names) with
the first five hex digits of the password's SHA-1 only. Listed, it also checks each
password login after its hash matched, and marks the session (``password_breached``).
"""

from .internal.accounts.breaches import PwnedPasswordValidator

__all__ = ["PwnedPasswordValidator"]
