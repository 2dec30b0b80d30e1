/**
 * The account calls: sign-up, email verification, password reset, email change, the
 * account's state and its deletion, each one request to django-spa-auth's `auth/` routes through the client's own
 * `call` (CSRF echoed, every failure an `ApiError` with its `code` and per-field `fields`).
 * The two that end every session of the user (a password reset, a deletion) also end this
 * tab's signed-in state. The client wires this in; it imports types only.
 */

import type { Call } from './http.js'

/** What the sign-up form sends; `captcha` when the server asked for one (`captcha_required`). */
export interface Registration {
  username: string
  email: string
  password: string
  captcha?: string
}

/**
 * The widget's answer, for a call the server may guard with a CAPTCHA: send it after a
 * `captcha_required` (or `captcha_invalid`) error, whose `captcha` names the widget.
 */
export interface CaptchaAnswer {
  captcha?: string
}

/**
 * The server's stable codes for a successful account call: `verification_sent`,
 * `registered` (signed up on a server that does not verify addresses), `email_verified`,
 * `reset_sent`, `email_change_sent`, `email_changed`. Open-ended: servers may add codes.
 */
export type AccountCode =
  | 'verification_sent'
  | 'registered'
  | 'email_verified'
  | 'reset_sent'
  | 'email_change_sent'
  | 'email_changed'
  | (string & {})

/** The server's answer to an account call: choose what to show by `code`, never by `detail`. */
export interface AccountAnswer {
  code: AccountCode
  /** The server's text, for logs. */
  detail: string
}

/** `GET auth/account/`: the signed-in user's account as the server sees it. */
export interface AccountInfo {
  /**
   * Whether the account has a password: false for one made by a sign-in with a provider,
   * which may set one through the password reset (`requestPasswordReset` to its address).
   */
  has_password: boolean
}

/** The account members of `AuthClient`; every one rejects with an `ApiError`. */
export interface AccountActions {
  /**
   * `POST auth/register/`: `verification_sent` (a link is on its way) or `registered`; rejects
   * with per-field `fields` (`username`, `email`, `password`), `signup_disabled`, `throttled`,
   * `captcha_required` / `captcha_invalid` (retry with `captcha`), `captcha_unavailable`.
   */
  register(registration: Registration): Promise<AccountAnswer>
  /**
   * `POST auth/email/verify/` with the key from the mailed link and the password chosen for
   * the account: the link proves the mailbox, the password the person who signed up.
   * Without `password` nothing is spent: it rejects with `confirmation_required`, whose
   * `confirmation` names the account, for the page to ask "Create the account … ?".
   * Rejects with `key_invalid` or `password_incorrect` too.
   */
  verifyEmail(key: string, password?: string): Promise<AccountAnswer>
  /**
   * `POST auth/email/verify/resend/`: the same answer whether or not the address is known;
   * may reject with `captcha_required` (retry with `options.captcha`).
   */
  resendVerification(email: string, options?: CaptchaAnswer): Promise<AccountAnswer>
  /**
   * `POST auth/password/reset/`: the same answer whether or not the address is known; may
   * reject with `captcha_required` (retry with `options.captcha`).
   */
  requestPasswordReset(email: string, options?: CaptchaAnswer): Promise<AccountAnswer>
  /**
   * `POST auth/password/reset/confirm/`: the server ends every session of the user, so this
   * tab is signed out too; rejects with `key_invalid` or `fields.new_password`.
   */
  confirmPasswordReset(key: string, newPassword: string): Promise<void>
  /** `POST auth/email/change/`, signed in: a link goes to the new address; `fields.password` when wrong. */
  requestEmailChange(newEmail: string, password: string): Promise<AccountAnswer>
  /**
   * `POST auth/email/change/confirm/` with the key from the link and the account's password
   * (no login needed); resolves with the new address. Without `password` it rejects with
   * `confirmation_required`, spending nothing, as `verifyEmail` does. A signed-in user
   * object is not updated by it.
   */
  confirmEmailChange(key: string, password?: string): Promise<AccountAnswer & { email: string }>
  /** `GET auth/account/`, signed in: whether the account has a password. */
  account(): Promise<AccountInfo>
  /**
   * `DELETE auth/account/`, signed in: the account and every session end, and this tab and
   * the other tabs are signed out as by `logout()`; `fields.password` when it is wrong.
   */
  deleteAccount(password: string): Promise<void>
}

export interface AccountDeps {
  call: Call
  /** A path under django-spa-auth's mount point. */
  auth(path: string): string
  /** Make sure Django's CSRF cookie is there before an unauthenticated POST. */
  ensureCsrfCookie(): Promise<void>
  /** Every session of the user has ended on the server: sign this tab out, and maybe the others. */
  endLocalSession(options: { tellOtherTabs: boolean }): void
}

/** The body with the widget's answer, when there is one. */
function withCaptcha<T extends object>(body: T, captcha: string | undefined): T & CaptchaAnswer {
  return captcha === undefined ? body : { ...body, captcha }
}

function withPassword(key: string, password: string | undefined): { key: string; password?: string } {
  return password === undefined ? { key } : { key, password }
}

export function createAccountActions({ call, auth, ensureCsrfCookie, endLocalSession }: AccountDeps): AccountActions {
  /** An open route: no token (a stale one would only earn a 401), Django's CSRF cookie echoed. */
  async function post<T = AccountAnswer>(path: string, body: unknown): Promise<T> {
    await ensureCsrfCookie()
    return (await call<T>('POST', auth(path), { body, authenticated: false })).data
  }

  return {
    register: ({ username, email, password, captcha }) =>
      post('register/', withCaptcha({ username, email, password }, captcha)),
    verifyEmail: (key, password) => post('email/verify/', withPassword(key, password)),
    resendVerification: (email, options = {}) => post('email/verify/resend/', withCaptcha({ email }, options.captcha)),
    requestPasswordReset: (email, options = {}) => post('password/reset/', withCaptcha({ email }, options.captcha)),
    async confirmPasswordReset(key, newPassword) {
      await post<null>('password/reset/confirm/', { key, new_password: newPassword })
      // The other tabs hear the server's 401 at their next call and say why they were signed out.
      endLocalSession({ tellOtherTabs: false })
    },
    async requestEmailChange(newEmail, password) {
      return (await call<AccountAnswer>('POST', auth('email/change/'), { body: { new_email: newEmail, password } })).data
    },
    confirmEmailChange: (key, password) => post('email/change/confirm/', withPassword(key, password)),
    async account() {
      return (await call<AccountInfo>('GET', auth('account/'))).data
    },
    async deleteAccount(password) {
      await call('DELETE', auth('account/'), { body: { password } })
      endLocalSession({ tellOtherTabs: true })
    },
  }
}
