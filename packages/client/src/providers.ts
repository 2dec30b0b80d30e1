/**
 * Sign-in with a provider (OpenID Connect, GitHub): the list of providers, the sign-in, the
 * connection and the step-up re-authentication, which leave the app by a top-level
 * navigation (the provider's pages are no API), the answer the server leaves in the app's
 * URL when the browser comes back, and the user's connected identities. The requests go
 * through the client's own `call`; the navigations through `navigate`; the new token after
 * a re-authentication through `refresh`. The client wires this in; it imports types, the
 * error class and a URL helper only.
 */

import { ApiError } from './errors.js'
import { joinURL, type Call } from './http.js'

/** A provider the server offers, as `GET auth/providers/` lists it. */
export interface Provider {
  /** The id in the provider's routes, e.g. `google`. */
  id: string
  /** Its display name, e.g. `Google`. */
  name: string
}

/** A provider's account connected to the user's, as `GET auth/providers/identities/` lists it. */
export interface ProviderIdentity {
  id: string
  /** The provider's `id`. */
  provider: string
  /** The provider's display name. */
  name: string
  /** The address the provider gave for it. */
  email: string
  created: string
  last_used: string | null
}

/** Where the app goes on after a sign-in, a connection or a re-authentication: a path of the app. */
export interface ProviderNavigation {
  /** A path of this app (`/orders?page=2`); anything else (another origin) becomes `/`. */
  next?: string
}

/** What the app's URL said on the way back from a provider, when it was no failure. */
export interface ProviderResult {
  /** A connection succeeded (`provider_connected=1`). */
  connected: boolean
  /**
   * A step-up re-authentication succeeded (`provider_reauthenticated=1`); the access token
   * has been refreshed already, so the next request carries the new authentication time.
   */
  reauthenticated: boolean
}

/** The provider members of `AuthClient`; every call rejects with an `ApiError`. */
export interface ProviderActions {
  /** `GET auth/providers/`: the providers offered, for the login page's buttons; no login needed. */
  providers(): Promise<Provider[]>
  /**
   * Leave for the provider: a top-level navigation to `GET auth/providers/{id}/login/?next=…`
   * (the server redirects to the provider, which comes back to the server, which comes back
   * to the app at `next`, signed in by the refresh cookie: `restore()` does the rest).
   */
  loginWithProvider(id: string, options?: ProviderNavigation): void
  /**
   * On the page the browser came back to: read `provider_error`, `provider_step`,
   * `provider_connected` and `provider_reauthenticated` from the URL and take them out of it
   * (`history.replaceState`). Rejects with the server's code as an `ApiError` of status 0
   * (`provider_cancelled`, `provider_account_exists`, `identity_in_use`,
   * `identity_not_connected`, …). A sign-in that needs a second factor (`provider_step=mfa`)
   * rejects exactly as `login()` does: `mfa_required` with `mfaToken` and `methods` (from
   * `POST auth/providers/pending/`), or `mfa_token_invalid`. Otherwise resolves with
   * `connected`, true after a connection, and `reauthenticated`, true after a
   * re-authentication, once a refresh has brought a token with the new authentication time
   * (a refresh that fails rejects with its `ApiError`).
   */
  providerResult(): Promise<ProviderResult>
  /**
   * Signed in (step-up): `POST auth/providers/{id}/connect/`, then a top-level navigation to
   * the provider; the browser comes back to `next` with `provider_connected=1` or
   * `provider_error` (see `providerResult`).
   */
  connectProvider(id: string, options?: ProviderNavigation): Promise<void>
  /**
   * Signed in, for a step-up whose `methods` list `provider` (an account without a second
   * factor that has an identity there): `POST auth/providers/{id}/reauthenticate/`, then a
   * top-level navigation to the provider, which asks the person to sign in again now; the
   * browser comes back to `next` with `provider_reauthenticated=1` or `provider_error`
   * (`identity_not_connected`, `factor_required`, `provider_error` when the provider did
   * not sign the person in again, as GitHub cannot): see `providerResult`. The request that
   * met the step-up is not retried: the page is left, and the user does it again on return.
   */
  reauthenticateWithProvider(id: string, options?: ProviderNavigation): Promise<void>
  /** Signed in: `GET auth/providers/identities/`. */
  identities(): Promise<ProviderIdentity[]>
  /**
   * Signed in (step-up): `DELETE auth/providers/identities/{id}/`; `last_way_in` (400) when
   * it is the account's only way in, `not_found`.
   */
  disconnectProvider(identityId: string): Promise<void>
}

export interface ProviderDeps {
  call: Call
  /** A path under django-spa-auth's mount point. */
  auth(path: string): string
  /** The API root, which the navigations' URLs start from. */
  baseURL: string
  /** A top-level navigation (`location.assign`). */
  navigate(url: string): void
  /** A new access token from the refresh cookie (the client's single-flight refresh). */
  refresh(): Promise<unknown>
}

/** The query members the server's redirects add to the app's URL. */
const RESULT_PARAMS = ['provider_error', 'provider_step', 'provider_connected', 'provider_reauthenticated'] as const

/**
 * `value` if it is a path of this app, else `/`: by the server's own rule, so that what the
 * server would refuse never leaves. A path starts with one `/`; `//host` and `/\host` are
 * another origin to a browser, and no control character, space or `\` rides along.
 */
export function appPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 512 || !value.startsWith('/')) return '/'
  if (value.startsWith('//') || /[\u0000-\u0020\\\u007f]/.test(value)) return '/'
  return value
}

/** A code read from the URL, which anyone can write: a well-formed one, else the generic one. */
function codeFrom(value: string): string {
  return /^[a-z][a-z0-9_]{0,63}$/.test(value) ? value : 'provider_error'
}

/** The provider's page, from the server's answer: an `https:` (or `http:`) URL, nothing else. */
function providerURL(value: unknown): string {
  try {
    const url = new URL(String(value))
    if (url.protocol === 'https:' || url.protocol === 'http:') return url.href
  } catch {
    // not a URL: refused below
  }
  return ''
}

export function createProviderActions({ call, auth, baseURL, navigate, refresh }: ProviderDeps): ProviderActions {
  /**
   * Take the server's members out of the address bar (and so out of the history) once read;
   * the rest of the query stays exactly as it was written.
   */
  function readResult(): URLSearchParams | null {
    if (typeof location === 'undefined' || typeof history === 'undefined') return null // no page: no URL to read
    const found = new URLSearchParams()
    let any = false
    const kept = location.search
      .replace(/^\?/, '')
      .split('&')
      .filter((part) => {
        const [name = '', value = ''] = [...new URLSearchParams(part)][0] ?? []
        if (!(RESULT_PARAMS as readonly string[]).includes(name)) return part !== ''
        if (!found.has(name)) found.set(name, value)
        any = true
        return false
      })
    if (!any) return null
    history.replaceState(history.state, '', location.pathname + (kept.length ? `?${kept.join('&')}` : '') + location.hash)
    return found
  }

  /** Signed in: ask the server for the provider's page (`{next}` → `{authorization_url}`), then go there. */
  async function leaveFor(id: string, action: string, { next }: ProviderNavigation = {}): Promise<void> {
    const { data } = await call<{ authorization_url: string }>(
      'POST',
      auth(`providers/${encodeURIComponent(id)}/${action}`),
      { body: { next: appPath(next) } },
    )
    const url = providerURL(data?.authorization_url)
    if (!url) throw new ApiError({ status: 0, code: 'client_error', detail: 'The server gave no provider URL.' })
    navigate(url)
  }

  return {
    async providers() {
      return (await call<Provider[]>('GET', auth('providers/'), { authenticated: false })).data
    },
    loginWithProvider(id, { next } = {}) {
      const query = new URLSearchParams({ next: appPath(next) })
      navigate(`${joinURL(baseURL, auth(`providers/${encodeURIComponent(id)}/login/`))}?${query}`)
    },
    async providerResult() {
      const found = readResult()
      const error = found?.get('provider_error')
      if (error != null) {
        const code = codeFrom(error)
        throw new ApiError({ status: 0, code, detail: `The sign-in with the provider failed: ${code}.` })
      }
      if (found?.get('provider_step') === 'mfa') {
        // The pending login is in an httpOnly cookie, read once: the answer is login()'s
        // second-factor 401 (mfa_required, or mfa_token_invalid), which `call` rejects with.
        await call('POST', auth('providers/pending/'), { authenticated: false })
        throw new ApiError({ status: 0, code: 'mfa_token_invalid', detail: 'No second step is pending.' })
      }
      const reauthenticated = found?.get('provider_reauthenticated') === '1'
      // The server moved the session's authentication time; the token in memory (this tab's,
      // or one another tab shared) still carries the old one until a refresh (RFC 9470).
      if (reauthenticated) await refresh()
      return { connected: found?.get('provider_connected') === '1', reauthenticated }
    },
    connectProvider: (id, navigation) => leaveFor(id, 'connect/', navigation),
    reauthenticateWithProvider: (id, navigation) => leaveFor(id, 'reauthenticate/', navigation),
    async identities() {
      return (await call<ProviderIdentity[]>('GET', auth('providers/identities/'))).data
    },
    async disconnectProvider(identityId) {
      await call('DELETE', auth(`providers/identities/${encodeURIComponent(identityId)}/`))
    },
  }
}
