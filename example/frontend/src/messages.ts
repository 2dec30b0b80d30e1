/** What the app tells the user about an `ApiError`: chosen by its `code`, never the server's text. */

import type { ApiError } from '@spa-auth/client'

/** Why a session ended without the user logging out, by the server's code. */
const SESSION_ENDED: Record<string, string> = {
  session_revoked: 'Your session has ended (signed out elsewhere or revoked). Please sign in again.',
  refresh_reused: 'Your session was ended for your security. Please sign in again.',
  session_expired: 'Your session expired. Please sign in again.',
}

const MESSAGES: Record<string, string> = {
  ...SESSION_ENDED,
  invalid_credentials: 'That username and password do not match an active account.',
  network_error: 'The server could not be reached. Check your connection and try again.',
  throttled: 'Too many attempts. Please wait before trying again.',
  permission_denied: 'You do not have access to this page.',
  not_found: 'Not found.',
  service_unavailable: 'The service is temporarily unavailable. Please try again shortly.',
  csrf_failed: 'Your browser refused a security check. Reload the page and try again.',
  email_unverified: 'Your email address is not verified yet. Open the link we sent you, or send a new one below.',
  signup_disabled: 'Sign-up is closed on this site.',
  key_invalid: 'This link is invalid or has expired, or it has been used already.',
  password_incorrect: 'Your password was entered incorrectly.',
  // Multi-factor authentication and step-up.
  code_invalid: 'That code is not valid.',
  mfa_token_invalid: 'Your sign-in took too long or had too many attempts. Please enter your password again.',
  reauthentication_required: "Please confirm it's you to do this.",
  passkey_cancelled: 'The passkey request was cancelled or timed out.',
  passkey_unavailable: 'Passkeys are not available in this browser.',
  passkey_invalid: 'That passkey could not be registered. Please try again.',
  mfa_not_enabled: 'Set up an authenticator app or a passkey first.',
  factor_required: 'This account has a second factor: confirm with your authenticator app, a recovery code or a passkey.',
  mfa_enrolment_required:
    'Staff accounts set up their first second factor from a link sent to their address. Ask for it below, then open it in this browser.',
  email_in_use: 'This address belongs to another account now.',
  username_taken: 'That username was taken in the meantime. Please sign up again.',
}

export function messageFor(error: ApiError): string {
  return MESSAGES[error.code] ?? (error.status >= 500 ? 'Something went wrong on the server.' : error.detail)
}

/**
 * The login page's line for a session that ended on its own: one per known code, and one
 * generic line for the rest (`token_invalid`, `refresh_missing`, …) rather than server text.
 */
export function sessionEndedMessage(reason: ApiError): string {
  return SESSION_ENDED[reason.code] ?? 'Your session has ended. Please sign in again.'
}

/** Whether none of `shown` (the fields a form displays) carries the error's messages. */
export function isFormWide(error: ApiError, shown: readonly string[]): boolean {
  return !shown.some((field) => error.fields[field]?.length)
}

/** Lines the login page shows after another page sent the user there (history state `notice`). */
const NOTICES: Record<string, string> = {
  account_deleted: 'Your account has been deleted, and you have been signed out everywhere.',
}

export function noticeFor(notice: unknown): string | null {
  return typeof notice === 'string' ? (NOTICES[notice] ?? null) : null
}
