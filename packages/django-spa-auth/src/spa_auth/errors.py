"""Domain errors and the one table that maps them to HTTP.

Codec, store and services raise these; only the DRF edge (views, authentication,
the exception handler) turns them into responses. Public messages stay generic:
the specific reason goes to the ``spa_auth`` logger and the audit log. A message is
translated into the request's language when the answer is written; a code never is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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


class Public(NamedTuple):
    status: int
    code: str
    detail: StrOrPromise  # translated when it is rendered, into the request's language


_TABLE: dict[type[AuthError], Public] = {
    InvalidCredentialsError: Public(
        401, "invalid_credentials", _("Unable to log in with the provided credentials.")
    ),
    TokenExpiredError: Public(401, "token_expired", _("The access token has expired.")),
    TokenInvalidError: Public(401, "token_invalid", _("The access token is not valid.")),
    SessionRevokedError: Public(401, "session_revoked", _("This session has ended.")),
    RefreshMissingError: Public(401, "refresh_missing", _("No refresh token was sent.")),
    RefreshReusedError: Public(401, "refresh_reused", _("This session has ended.")),
    SessionExpiredError: Public(401, "session_expired", _("This session has expired.")),
    RefreshInvalidError: Public(401, "refresh_invalid", _("The refresh token is not valid.")),
    ThrottledError: Public(429, "throttled", _("Too many attempts. Try again later.")),
    MfaRequiredError: Public(401, "mfa_required", _("Enter a code from your second factor.")),
    MfaTokenInvalidError: Public(
        401, "mfa_token_invalid", _("This sign-in has expired. Log in again.")
    ),
    CodeInvalidError: Public(401, "code_invalid", _("That code is not valid.")),
    LoginCodeExpiredError: Public(
        401, "login_code_expired", _("This code has expired or was used. Ask for a new one.")
    ),
    LoginCodeMalformedError: Public(
        400, "login_code_malformed", _("Enter the 8 letters of the code from the mail.")
    ),
    LoginByCodeDisabledError: Public(
        403, "login_by_code_disabled", _("Signing in with a mailed code is turned off.")
    ),
    ReauthenticationRequiredError: Public(
        401, "reauthentication_required", _("Confirm it is you to continue.")
    ),
    EmailUnverifiedError: Public(
        403, "email_unverified", _("Confirm your email address first: we sent you a link.")
    ),
    KeyInvalidError: Public(400, "key_invalid", _("This link is not valid, or was already used.")),
    EmailInUseError: Public(400, "email_in_use", _("This address belongs to another account.")),
    UsernameTakenError: Public(
        400, "username_taken", _("That username was taken in the meantime. Sign up again.")
    ),
    ConfirmationRequiredError: Public(
        400, "confirmation_required", _("Enter the account's password to confirm.")
    ),
    PasswordIncorrectError: Public(
        400, "password_incorrect", _("That is not the password of this account.")
    ),
    EnrolmentRequiredError: Public(
        403,
        "mfa_enrolment_required",
        _("Staff accounts set up a second factor first, from the enrolment link mailed to them."),
    ),
    FactorRequiredError: Public(
        400,
        "factor_required",
        _("Confirm with your second factor: a password alone is not enough."),
    ),
    SignupDisabledError: Public(403, "signup_disabled", _("Sign-up is closed.")),
    MailNotConfiguredError: Public(
        503, "mail_not_configured", _("This server cannot send mail (FRONTEND_URL is not set).")
    ),
    PasskeyInvalidError: Public(400, "passkey_invalid", _("This passkey response is not valid.")),
    NoPasskeyError: Public(400, "no_passkey", _("Add a passkey first.")),
    PasskeysNotConfiguredError: Public(
        503,
        "passkeys_not_configured",
        _("This server is not set up for passkeys (WEBAUTHN_RP_ID or FRONTEND_URL)."),
    ),
    ProviderUnavailableError: Public(
        503, "provider_unavailable", _("The sign-in provider did not answer. Try again later.")
    ),
    ProviderCancelledError: Public(400, "provider_cancelled", _("The sign-in was cancelled.")),
    ProviderStateError: Public(
        400,
        "provider_state_invalid",
        _("This sign-in expired or was begun in another browser. Start it again."),
    ),
    ProviderError: Public(
        400, "provider_error", _("The sign-in provider's answer could not be used.")
    ),
    UnknownProviderError: Public(404, "provider_unknown", _("There is no such sign-in provider.")),
    ProviderAccountExistsError: Public(
        409,
        "provider_account_exists",
        _(
            "An account with this address exists. Sign in to it, then connect this provider "
            "from the account page."
        ),
    ),
    ProviderEmailUnverifiedError: Public(
        400,
        "provider_email_unverified",
        _("The sign-in provider did not confirm an address for this account."),
    ),
    CaptchaInvalidError: Public(
        400, "captcha_invalid", _("The CAPTCHA expired or was not solved.")
    ),
    CaptchaRequiredError: Public(400, "captcha_required", _("Show that you are not a robot.")),
    CaptchaUnavailableError: Public(503, "captcha_unavailable", _("The CAPTCHA did not answer.")),
    AccountInactiveError: Public(403, "account_inactive", _("This account is disabled.")),
    BreachCheckUnavailableError: Public(
        503,
        "breach_check_unavailable",
        _(
            "Your new password could not be checked against known data breaches just now. "
            "Try again in a minute."
        ),
    ),
    IdentityInUseError: Public(
        409, "identity_in_use", _("This sign-in belongs to another account.")
    ),
    IdentityNotConnectedError: Public(
        400, "identity_not_connected", _("This sign-in is not connected to your account.")
    ),
    LastWayInError: Public(
        400,
        "last_way_in",
        _("This is the account's only way to sign in. Set a password or add a passkey first."),
    ),
}


def to_public(error: AuthError) -> Public:
    """The status, code and message a client may see for ``error``."""
    for cls in type(error).__mro__:
        if cls in _TABLE:
            return _TABLE[cls]  # type: ignore[index]
    return Public(401, "authentication_failed", _("Authentication failed."))


def authenticate_header(*, token_failed: bool) -> str:
    """RFC 6750 §3: ``error="invalid_token"`` when a token was sent and refused; none when
    the request carried no credentials at all (§3.1)."""
    return 'Bearer realm="api", error="invalid_token"' if token_failed else 'Bearer realm="api"'
