"""The domain errors: what went wrong, in the words of the code that raises it.

Codec, store and services raise these; ``http`` says what a client sees of each.
"""

from __future__ import annotations


class AuthError(Exception):
    """Base of every domain error of the auth app."""

    code = "authentication_failed"

    def extra(self) -> dict[str, object]:
        """Members the response body carries beside ``detail`` and ``code``."""
        return {}


class InvalidCredentialsError(AuthError):
    code = "invalid_credentials"


class TokenInvalidError(AuthError):
    code = "token_invalid"


class TokenExpiredError(TokenInvalidError):
    code = "token_expired"


class SessionRevokedError(AuthError):
    code = "session_revoked"


class RefreshInvalidError(AuthError):
    code = "refresh_invalid"


class RefreshMissingError(RefreshInvalidError):
    code = "refresh_missing"


class RefreshReusedError(RefreshInvalidError):
    code = "refresh_reused"


class SessionExpiredError(RefreshInvalidError):
    code = "session_expired"


class ThrottledError(AuthError):
    code = "throttled"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


class EmailUnverifiedError(AuthError):
    """The password was right, and the account's address is not verified yet."""

    code = "email_unverified"


class KeyInvalidError(AuthError):
    """A mailed key that is unknown, spent, expired, or issued for a state since changed."""

    code = "key_invalid"


class EmailInUseError(AuthError):
    code = "email_in_use"


class UsernameTakenError(AuthError):
    """A sign-up's username was taken while its address was being confirmed."""

    code = "username_taken"


class ConfirmationRequiredError(AuthError):
    """A mailed key that creates or moves an account, posted without the account's
    password: nothing is spent; the answer names what the key would do, so that the page
    can ask the person to confirm it (a mail scanner opening the link does nothing)."""

    code = "confirmation_required"

    def __init__(self, action: str, username: str, email: str) -> None:
        super().__init__(f"{action} needs the account's password")
        self.action, self.username, self.email = action, username, email

    def extra(self) -> dict[str, object]:
        return {"action": self.action, "username": self.username, "email": self.email}


class PasswordIncorrectError(AuthError):
    """A confirmation whose password is not the account's (or the one chosen at sign-up)."""

    code = "password_incorrect"


class EnrolmentRequiredError(AuthError):
    """A staff account's first factor, under ``required_for_staff``, without an enrolment
    link opened in this session."""

    code = "mfa_enrolment_required"


class FactorRequiredError(AuthError):
    """A re-authentication with the password alone by an account that has a factor."""

    code = "factor_required"


class SignupDisabledError(AuthError):
    code = "signup_disabled"


class MailNotConfiguredError(AuthError):
    code = "mail_not_configured"


class MfaRequiredError(InvalidCredentialsError):
    """The password was right; a second factor must follow, with ``mfa_token``."""

    code = "mfa_required"

    def __init__(self, mfa_token: str, methods: list[str]) -> None:
        super().__init__("second factor required")
        self.mfa_token, self.methods = mfa_token, methods

    def extra(self) -> dict[str, object]:
        return {"mfa_token": self.mfa_token, "methods": self.methods}


class MfaTokenInvalidError(InvalidCredentialsError):
    """An ``mfa_token`` that is unknown, expired, spent or out of attempts."""

    code = "mfa_token_invalid"


class CodeInvalidError(InvalidCredentialsError):
    """A TOTP or recovery code (or a passkey assertion) that does not check out."""

    code = "code_invalid"


class LoginCodeExpiredError(InvalidCredentialsError):
    """A sign-in code's flow that is unknown, expired, used, out of attempts, or whose
    account changed its password or address since the code was mailed."""

    code = "login_code_expired"


class LoginCodeMalformedError(AuthError):
    """A typed code that cannot be one (not 8 letters of the code's alphabet): a typo,
    answered without spending an attempt, since it is no guess."""

    code = "login_code_malformed"


class LoginByCodeDisabledError(AuthError):
    code = "login_by_code_disabled"


class ReauthenticationRequiredError(AuthError):
    """A sensitive action, and the last authentication is older than allowed (RFC 9470)."""

    code = "reauthentication_required"

    def __init__(self, max_age: int, methods: list[str]) -> None:
        super().__init__(f"authentication older than {max_age}s")
        self.max_age, self.methods = max_age, methods

    def extra(self) -> dict[str, object]:
        return {"max_age": self.max_age, "methods": self.methods}


class PasskeyInvalidError(AuthError):
    """A WebAuthn response that is malformed, or (registration, re-authentication) that
    does not verify: a 400, since the user's session, if any, is fine."""

    code = "passkey_invalid"


class NoPasskeyError(AuthError):
    """Passkey options asked for by a user who has registered none."""

    code = "no_passkey"


class PasskeysNotConfiguredError(AuthError):
    """No relying party: neither ``WEBAUTHN_RP_ID`` nor ``FRONTEND_URL`` is set."""

    code = "passkeys_not_configured"


class ProviderError(AuthError):
    """A sign-in provider's answer could not be used: an error it reported, a malformed
    answer, or an ID token that fails a check. The detail is logged, never shown."""

    code = "provider_error"


class ProviderUnavailableError(ProviderError):
    """The provider did not answer in time, or not at all."""

    code = "provider_unavailable"


class ProviderCancelledError(ProviderError):
    """The person cancelled at the provider (``access_denied``)."""

    code = "provider_cancelled"


class ProviderStateError(ProviderError):
    """A callback with no live flow of this provider begun by this browser: forged,
    replayed, stale, or opened in another browser (login CSRF)."""

    code = "provider_state_invalid"


class UnknownProviderError(AuthError):
    code = "provider_unknown"


class ProviderAccountExistsError(AuthError):
    """A new identity whose address belongs to an account: nothing is linked by address."""

    code = "provider_account_exists"


class ProviderEmailUnverifiedError(AuthError):
    """A new identity whose provider does not say its address is verified (or gave none)."""

    code = "provider_email_unverified"


class AccountInactiveError(AuthError):
    code = "account_inactive"


class IdentityInUseError(AuthError):
    """Connecting an identity that is linked to another account."""

    code = "identity_in_use"


class IdentityNotConnectedError(AuthError):
    """Re-authenticating with a provider identity that is not the signed-in account's."""

    code = "identity_not_connected"


class LastWayInError(AuthError):
    """Disconnecting the account's only way in."""

    code = "last_way_in"


class CaptchaRequiredError(AuthError):
    """A guarded door and no ``captcha`` answer; the body names the widget to render."""

    code = "captcha_required"

    def __init__(self, provider: str, site_key: str, action: str) -> None:
        super().__init__(f"no captcha at {action}")
        self.widget = {"provider": provider, "site_key": site_key, "action": action}

    def extra(self) -> dict[str, object]:
        return {"captcha": self.widget}


class CaptchaInvalidError(CaptchaRequiredError):
    """An answer the provider refused, or that no provider would accept."""

    code = "captcha_invalid"


class CaptchaUnavailableError(ThrottledError):
    """No usable answer from the CAPTCHA provider in time: fail closed. A ``ThrottledError``
    for its Retry-After; forms and the login backend never verify a CAPTCHA."""

    code = "captcha_unavailable"


class BreachCheckUnavailableError(AuthError):
    """A password being set could not be checked against known breaches, and
    ``PWNED_PASSWORDS["fail_closed"]`` refuses it until it can."""

    code = "breach_check_unavailable"
