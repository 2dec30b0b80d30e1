/**
 * Signing in with a code mailed to the account's address: ask for a code, then sign in
 * with it and the `flow` that the request answered. The code alone signs nobody in, so the
 * flow stays in the tab that asked. Requests go through the client's own `call`; this module
 * imports types only.
 */

import type { CaptchaAnswer } from './accounts.js'
import type { Call } from './http.js'
import type { LoginAnswer } from './mfa.js'

/** `POST auth/login/code/request/`'s answer: the same for every address. */
export interface LoginCodeFlow {
  /** Send it back with the code (`loginWithCode`); keep it in the tab that asked. */
  flow: string
  detail: string
  code: 'login_code_sent'
}

/** The mailed-code members of `AuthClient`; every one rejects with an `ApiError`. */
export interface LoginCodeActions<TUser> {
  /**
   * `POST auth/login/code/request/`: mail a sign-in code to `email` if it is an account's
   * proven address. The answer is the same for any address; keep its `flow`.
   * Rejects with `throttled`, `login_by_code_disabled` or `mail_not_configured`; with the
   * server's CAPTCHA on, with `captcha_required` (retry with `options.captcha`).
   */
  requestLoginCode(email: string, options?: CaptchaAnswer): Promise<LoginCodeFlow>
  /**
   * `POST auth/login/code/`: sign in with the mailed code (`WDJB-MJHT`; case, spaces and
   * dashes do not matter) and the flow of its request. Signs in as `login` does; an account
   * with a second factor rejects with `mfa_required`, as its password would. Rejects with
   * `code_invalid` (a wrong code: a few tries), `login_code_malformed` (not 8 letters: no
   * try spent) or `login_code_expired` (ask for a new code).
   */
  loginWithCode(answer: { flow: string; code: string }): Promise<TUser>
}

export interface LoginCodeDeps<TUser> {
  call: Call
  auth(path: string): string
  ensureCsrfCookie(): Promise<void>
  finishLogin(answer: LoginAnswer<TUser>): TUser
}

export function createLoginCodeActions<TUser>(deps: LoginCodeDeps<TUser>): LoginCodeActions<TUser> {
  const { call, auth, ensureCsrfCookie, finishLogin } = deps

  async function open<T>(path: string, body: unknown): Promise<T> {
    await ensureCsrfCookie()
    return (await call<T>('POST', auth(path), { body, authenticated: false })).data
  }

  return {
    requestLoginCode: (email, options = {}) =>
      open<LoginCodeFlow>(
        'login/code/request/',
        options.captcha === undefined ? { email } : { email, captcha: options.captcha },
      ),
    async loginWithCode({ flow, code }) {
      return finishLogin(await open<LoginAnswer<TUser>>('login/code/', { flow, code }))
    },
  }
}
