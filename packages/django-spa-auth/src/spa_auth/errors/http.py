"""The one table that maps each domain error to HTTP: status, stable code, message.

Public messages stay generic: the specific reason goes to the ``spa_auth`` logger and the
audit log. A message is translated into the request's language when the answer is
written; a code never is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from django.utils.translation import gettext_lazy as _

from . import domain

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Public(NamedTuple):
    status: int
    code: str
    detail: StrOrPromise  # translated when it is rendered, into the request's language


_TABLE: dict[type[domain.AuthError], Public] = {
    domain.InvalidCredentialsError: Public(
        401, "invalid_credentials", _("Unable to log in with the provided credentials.")
    ),
    domain.TokenExpiredError: Public(401, "token_expired", _("The access token has expired.")),
    domain.TokenInvalidError: Public(401, "token_invalid", _("The access token is not valid.")),
    domain.SessionRevokedError: Public(401, "session_revoked", _("This session has ended.")),
    domain.RefreshMissingError: Public(401, "refresh_missing", _("No refresh token was sent.")),
    domain.RefreshReusedError: Public(401, "refresh_reused", _("This session has ended.")),
    domain.SessionExpiredError: Public(401, "session_expired", _("This session has expired.")),
    domain.RefreshInvalidError: Public(
        401, "refresh_invalid", _("The refresh token is not valid.")
    ),
    domain.ThrottledError: Public(429, "throttled", _("Too many attempts. Try again later.")),
    domain.MfaRequiredError: Public(
        401, "mfa_required", _("Enter a code from your second factor.")
    ),
    domain.MfaTokenInvalidError: Public(
        401, "mfa_token_invalid", _("This sign-in has expired. Log in again.")
    ),
    domain.CodeInvalidError: Public(401, "code_invalid", _("That code is not valid.")),
    domain.LoginCodeExpiredError: Public(
        401, "login_code_expired", _("This code has expired or was used. Ask for a new one.")
    ),
    domain.LoginCodeMalformedError: Public(
        400, "login_code_malformed", _("Enter the 8 letters of the code from the mail.")
    ),
    domain.LoginByCodeDisabledError: Public(
        403, "login_by_code_disabled", _("Signing in with a mailed code is turned off.")
    ),
    domain.ReauthenticationRequiredError: Public(
        401, "reauthentication_required", _("Confirm it is you to continue.")
    ),
    domain.EmailUnverifiedError: Public(
        403, "email_unverified", _("Confirm your email address first: we sent you a link.")
    ),
    domain.KeyInvalidError: Public(
        400, "key_invalid", _("This link is not valid, or was already used.")
    ),
    domain.EmailInUseError: Public(
        400, "email_in_use", _("This address belongs to another account.")
    ),
    domain.UsernameTakenError: Public(
        400, "username_taken", _("That username was taken in the meantime. Sign up again.")
    ),
    domain.ConfirmationRequiredError: Public(
        400, "confirmation_required", _("Enter the account's password to confirm.")
    ),
    domain.PasswordIncorrectError: Public(
        400, "password_incorrect", _("That is not the password of this account.")
    ),
    domain.EnrolmentRequiredError: Public(
        403,
        "mfa_enrolment_required",
        _("Staff accounts set up a second factor first, from the enrolment link mailed to them."),
    ),
    domain.FactorRequiredError: Public(
        400,
        "factor_required",
        _("Confirm with your second factor: a password alone is not enough."),
    ),
    domain.SignupDisabledError: Public(403, "signup_disabled", _("Sign-up is closed.")),
    domain.MailNotConfiguredError: Public(
        503, "mail_not_configured", _("This server cannot send mail (FRONTEND_URL is not set).")
    ),
    domain.PasskeyInvalidError: Public(
        400, "passkey_invalid", _("This passkey response is not valid.")
    ),
    domain.NoPasskeyError: Public(400, "no_passkey", _("Add a passkey first.")),
    domain.PasskeysNotConfiguredError: Public(
        503,
        "passkeys_not_configured",
        _("This server is not set up for passkeys (WEBAUTHN_RP_ID or FRONTEND_URL)."),
    ),
    domain.ProviderUnavailableError: Public(
        503, "provider_unavailable", _("The sign-in provider did not answer. Try again later.")
    ),
    domain.ProviderCancelledError: Public(
        400, "provider_cancelled", _("The sign-in was cancelled.")
    ),
    domain.ProviderStateError: Public(
        400,
        "provider_state_invalid",
        _("This sign-in expired or was begun in another browser. Start it again."),
    ),
    domain.ProviderError: Public(
        400, "provider_error", _("The sign-in provider's answer could not be used.")
    ),
    domain.UnknownProviderError: Public(
        404, "provider_unknown", _("There is no such sign-in provider.")
    ),
    domain.ProviderAccountExistsError: Public(
        409,
        "provider_account_exists",
        _(
            "An account with this address exists. Sign in to it, then connect this provider "
            "from the account page."
        ),
    ),
    domain.ProviderEmailUnverifiedError: Public(
        400,
        "provider_email_unverified",
        _("The sign-in provider did not confirm an address for this account."),
    ),
    domain.CaptchaInvalidError: Public(
        400, "captcha_invalid", _("The CAPTCHA expired or was not solved.")
    ),
    domain.CaptchaRequiredError: Public(
        400, "captcha_required", _("Show that you are not a robot.")
    ),
    domain.CaptchaUnavailableError: Public(
        503, "captcha_unavailable", _("The CAPTCHA did not answer.")
    ),
    domain.AccountInactiveError: Public(403, "account_inactive", _("This account is disabled.")),
    domain.BreachCheckUnavailableError: Public(
        503,
        "breach_check_unavailable",
        _(
            "Your new password could not be checked against known data breaches just now. "
            "Try again in a minute."
        ),
    ),
    domain.IdentityInUseError: Public(
        409, "identity_in_use", _("This sign-in belongs to another account.")
    ),
    domain.IdentityNotConnectedError: Public(
        400, "identity_not_connected", _("This sign-in is not connected to your account.")
    ),
    domain.LastWayInError: Public(
        400,
        "last_way_in",
        _("This is the account's only way to sign in. Set a password or add a passkey first."),
    ),
}


def to_public(error: domain.AuthError) -> Public:
    """The status, code and message a client may see for ``error``."""
    for cls in type(error).__mro__:
        if cls in _TABLE:
            return _TABLE[cls]  # type: ignore[index]
    return Public(401, "authentication_failed", _("Authentication failed."))


def authenticate_header(*, token_failed: bool) -> str:
    """RFC 6750 §3: ``error="invalid_token"`` when a token was sent and refused; none when
    the request carried no credentials at all (§3.1)."""
    return 'Bearer realm="api", error="invalid_token"' if token_failed else 'Bearer realm="api"'
