/**
 * Multi-factor authentication: the login's second step (a TOTP or recovery code, or a
 * passkey), the passwordless passkey login, the user's factors (authenticator app, recovery
 * codes, passkeys) and the step-up re-authentication. Each call is one or two requests to
 * django-spa-auth's `auth/` routes through the client's own `call`; the passkey ceremonies
 * are `@simplewebauthn/browser`'s. The client wires this in; apart from that library it
 * imports types and the error class only.
 */

import {
  startAuthentication,
  startRegistration,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/browser'
import { createCeremonies, type PasskeyAutofillOptions } from './autofill.js'
import { ApiError } from './errors.js'
import type { Call } from './http.js'

/** A second factor the server may ask for at login; open-ended. */
export type MfaMethod = 'totp' | 'webauthn' | 'recovery_code' | (string & {})

/** One of the user's passkeys, as `GET auth/mfa/` lists it. */
export interface Passkey {
  id: number | string
  name: string
  created: string
  last_used: string | null
}

/** `GET auth/mfa/`: which factors the user has. */
export interface MfaStatus {
  totp: { enabled: boolean }
  recovery_codes: { remaining: number }
  passkeys: Passkey[]
}

/** A TOTP secret waiting for its first code: nothing is on until `confirmTotp`. */
export interface TotpSetup {
  secret: string
  /** The `otpauth://` URI that the QR code holds. */
  otpauth_url: string
  /** The QR code as an inline `<svg>`, drawn by the server from the URI. */
  qr_svg: string
}

/** New recovery codes, shown to the user once; empty when the user has codes already. */
export interface RecoveryCodes {
  recovery_codes: string[]
}

/** How the user confirms it is them: the password, a TOTP or recovery code, or a passkey. */
export type Reauthentication = { password: string } | { code: string } | { passkey: true }

/** The second login step, after `login` rejected with `mfa_required`. */
export interface MfaChallenge {
  /** The error's `mfaToken`. */
  mfaToken: string
}

/** The MFA members of `AuthClient`; every one rejects with an `ApiError`. */
export interface MfaActions<TUser> {
  /**
   * `POST auth/mfa/authenticate/`: finish a login that rejected with `mfa_required`, with a
   * 6-digit code from the authenticator app or a recovery code. Signs in as `login` does.
   * Rejects with `code_invalid` (the token survives a few wrong codes) or `mfa_token_invalid`
   * (expired, spent, too many tries: log in again).
   */
  completeMfa(challenge: MfaChallenge & { code: string }): Promise<TUser>
  /** The same second step with one of the user's passkeys (the browser's prompt). */
  completeMfaWithPasskey(challenge: MfaChallenge): Promise<TUser>
  /** A passwordless login with a passkey kept by the browser or the device. */
  loginWithPasskey(): Promise<TUser>
  /**
   * Passkeys from the browser's autofill (conditional mediation) while a login page is open:
   * the browser lists the user's passkeys under the input with `autocomplete="username webauthn"`,
   * and picking one signs in as `loginWithPasskey` does, with the same endpoints. Resolves with
   * the user then; with null, showing nothing, when the browser has no such autofill, the page no
   * such input, the server no options, or when it ends: `signal` aborted (a password typed, the
   * page left), a login by other means, a newer autofill, the browser's own end. It waits while
   * another passkey prompt of the client is up, and asks for a fresh challenge before its own
   * expires. Rejects with an `ApiError` only when the server refused a passkey the user picked.
   */
  startPasskeyAutofill(options?: PasskeyAutofillOptions): Promise<TUser | null>
  /** `GET auth/mfa/`, signed in. */
  mfaStatus(): Promise<MfaStatus>
  /** `POST auth/mfa/totp/setup/`: a new secret and its QR code; on only after `confirmTotp`. */
  startTotpSetup(): Promise<TotpSetup>
  /** `POST auth/mfa/totp/confirm/` with a code from the app: TOTP is on. Rejects with `code_invalid`. */
  confirmTotp(code: string): Promise<RecoveryCodes>
  /** `DELETE auth/mfa/totp/`. */
  disableTotp(): Promise<void>
  /** `POST auth/mfa/recovery_codes/`: ten new codes, the earlier ones stop working; `mfa_not_enabled` without a factor. */
  regenerateRecoveryCodes(): Promise<RecoveryCodes>
  /** Register a passkey of this device under `name` (the browser's prompt); `passkey_invalid` when refused. */
  addPasskey(name: string): Promise<Passkey & RecoveryCodes>
  renamePasskey(id: Passkey['id'], name: string): Promise<Passkey>
  removePasskey(id: Passkey['id']): Promise<void>
  /**
   * `POST auth/reauthenticate/`: confirm it is the user (step-up), with the password, a code
   * or a passkey. The new access token, with a fresh authentication time, replaces this
   * tab's (and the other tabs'); the session is the same. Rejects with `password_incorrect`
   * or `code_invalid` (400: the session is fine).
   */
  reauthenticate(proof: Reauthentication): Promise<void>
  /**
   * `POST auth/mfa/enrolment/`: under `MFA_POLICY = "required_for_staff"` a staff account's
   * first factor needs an enrolment link (setting one up rejects with
   * `mfa_enrolment_required`); this mails one to the account's address.
   * `enrolment_not_needed` (400) for any other account.
   */
  requestFactorEnrolment(): Promise<{ code: string; detail: string }>
  /** `POST auth/mfa/enrolment/confirm/` with the link's key: this session may set up a factor for 15 minutes. */
  confirmFactorEnrolment(key: string): Promise<{ code: string; detail: string }>
}

/** The server's answer to a login (and to every step that finishes one). */
export interface LoginAnswer<TUser> {
  token: string
  expires_in: number
  user: TUser
}

export interface MfaDeps<TUser> {
  call: Call
  /** A path under django-spa-auth's mount point. */
  auth(path: string): string
  /** Make sure Django's CSRF cookie is there before an unauthenticated POST. */
  ensureCsrfCookie(): Promise<void>
  /** Store the login's token, sign in, tell the other tabs. */
  finishLogin(answer: LoginAnswer<TUser>): TUser
  /** A new access token for the same session: store it and share it. */
  adoptToken(answer: { token: string; expires_in: number }): void
}

/** What a passkey prompt that went wrong means to the app: dismissed, or not possible here. */
function ceremonyError(error: unknown): ApiError {
  const { name, code } = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; code?: unknown }
  // Browsers answer NotAllowedError both when the user dismisses the prompt and when it times out.
  const cancelled = name === 'NotAllowedError' || name === 'AbortError' || code === 'ERROR_CEREMONY_ABORTED'
  return new ApiError({
    status: 0,
    code: cancelled ? 'passkey_cancelled' : 'passkey_unavailable',
    detail: error instanceof Error ? error.message : String(error),
    cause: error,
  })
}

async function assertion(optionsJSON: PublicKeyCredentialRequestOptionsJSON): Promise<AuthenticationResponseJSON> {
  try {
    return await startAuthentication({ optionsJSON })
  } catch (error) {
    throw ceremonyError(error)
  }
}

async function attestation(optionsJSON: PublicKeyCredentialCreationOptionsJSON): Promise<RegistrationResponseJSON> {
  try {
    return await startRegistration({ optionsJSON })
  } catch (error) {
    throw ceremonyError(error)
  }
}

export function createMfaActions<TUser>(deps: MfaDeps<TUser>): MfaActions<TUser> & { stopAutofill(): void } {
  const { call, auth, ensureCsrfCookie, finishLogin, adoptToken } = deps

  /** A login step: no token (there is none yet), Django's CSRF cookie echoed. */
  async function open<T>(path: string, body: unknown): Promise<T> {
    await ensureCsrfCookie()
    return (await call<T>('POST', auth(path), { body, authenticated: false })).data
  }

  /** Signed in: the token, and after a step-up 401 the app's prompt (see `onReauthenticationRequired`). */
  async function signedIn<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await call<T>(method, auth(path), body === undefined ? {} : { body })).data
  }

  const options = <T>(answer: { options: T }) => answer.options

  const passwordless = {
    options: async () =>
      options(await open<{ options: PublicKeyCredentialRequestOptionsJSON }>('passkey/login/options/', {})),
    signIn: async (credential: AuthenticationResponseJSON) =>
      finishLogin(await open<LoginAnswer<TUser>>('passkey/login/', { credential })),
  }
  const ceremonies = createCeremonies<TUser>({ requestOptions: passwordless.options, signIn: passwordless.signIn })
  // Each action with a passkey prompt, from its options to its answer: the autofill waits
  // meanwhile, and does not come back between the prompt and a login it made.
  const { prompt } = ceremonies

  return {
    async completeMfa({ mfaToken, code }) {
      return finishLogin(await open<LoginAnswer<TUser>>('mfa/authenticate/', { mfa_token: mfaToken, code }))
    },
    completeMfaWithPasskey: ({ mfaToken }) =>
      prompt(async () => {
        const request = options(await open<{ options: PublicKeyCredentialRequestOptionsJSON }>(
          'mfa/webauthn/authenticate/options/',
          { mfa_token: mfaToken },
        ))
        const credential = await assertion(request)
        return finishLogin(await open<LoginAnswer<TUser>>('mfa/webauthn/authenticate/', { mfa_token: mfaToken, credential }))
      }),
    loginWithPasskey: () => prompt(async () => passwordless.signIn(await assertion(await passwordless.options()))),
    startPasskeyAutofill: (autofillOptions) => ceremonies.startPasskeyAutofill(autofillOptions),
    stopAutofill: () => ceremonies.stopAutofill(),
    mfaStatus: () => signedIn<MfaStatus>('GET', 'mfa/'),
    startTotpSetup: () => signedIn<TotpSetup>('POST', 'mfa/totp/setup/', {}),
    confirmTotp: (code) => signedIn<RecoveryCodes>('POST', 'mfa/totp/confirm/', { code }),
    async disableTotp() {
      await signedIn('DELETE', 'mfa/totp/')
    },
    regenerateRecoveryCodes: () => signedIn<RecoveryCodes>('POST', 'mfa/recovery_codes/', {}),
    addPasskey: (name) =>
      prompt(async () => {
        const creation = options(
          await signedIn<{ options: PublicKeyCredentialCreationOptionsJSON }>('POST', 'mfa/webauthn/register/options/', {}),
        )
        const credential = await attestation(creation)
        return signedIn<Passkey & RecoveryCodes>('POST', 'mfa/webauthn/register/', { credential, name })
      }),
    renamePasskey: (id, name) => signedIn<Passkey>('PATCH', `mfa/webauthn/${encodeURIComponent(id)}/`, { name }),
    async removePasskey(id) {
      await signedIn('DELETE', `mfa/webauthn/${encodeURIComponent(id)}/`)
    },
    async reauthenticate(proof) {
      let body: unknown = proof
      if ('passkey' in proof) {
        body = await prompt(async () => {
          const request = options(await signedIn<{ options: PublicKeyCredentialRequestOptionsJSON }>('POST', 'reauthenticate/options/', {}))
          return { credential: await assertion(request) }
        })
      }
      adoptToken(await signedIn<{ token: string; expires_in: number }>('POST', 'reauthenticate/', body))
    },
    requestFactorEnrolment: () => signedIn('POST', 'mfa/enrolment/', {}),
    confirmFactorEnrolment: (key) => signedIn('POST', 'mfa/enrolment/confirm/', { key }),
  }
}
