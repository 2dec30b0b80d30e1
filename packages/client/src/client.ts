/**
 * `createAuthClient`: one object that owns the session of this tab. It holds the access
 * token in memory, restores the login from the refresh cookie on page load, refreshes
 * shortly before expiry (single flight, taking turns with the other tabs), keeps the tabs
 * of this browser in step, and hands the app an axios interceptor and a `fetch` that carry
 * the token. Framework-agnostic: no Vue, Pinia or router here, and no axios import.
 */

import { createAccountActions, type AccountActions, type CaptchaAnswer } from './accounts.js'
import { createConfig, type AuthConfig } from './config.js'
import { createLoginCodeActions, type LoginCodeActions } from './login-code.js'
import { createMfaActions, type LoginAnswer, type MfaActions } from './mfa.js'
import { createProviderActions, type ProviderActions } from './providers.js'
import { createAuthChannel, type AuthMessage } from './channel.js'
import { installAxiosInterceptors, type AxiosInstanceLike } from './axios.js'
import { ApiError, endsSession, toApiError } from './errors.js'
import { createAuthFetch, type FetchLike } from './fetch.js'
import { createCall, normaliseBaseURL, readCookie, type ApiTarget } from './http.js'
import { createRefreshRequests } from './refresh-request.js'
import { createRefresher } from './refresher.js'
import { createScheduler } from './scheduler.js'
import type { SessionHooks } from './session-hooks.js'
import { createSessionActions, type SessionActions } from './sessions.js'
import { createTokenStore, fromResponse } from './tokens.js'
import type { AuthCause, AuthChange, AuthState, User } from './types.js'

export interface AuthClientOptions {
  /** The API root, e.g. `/api/v1/` (same origin) or `https://api.example.com/api/v1/`. */
  baseURL: string
  /** Where django-spa-auth's URLs are mounted, under `baseURL`. Default `auth/`. */
  authPath?: string
  /**
   * `GET` this path (under `baseURL`) for the signed-in user when a reload restores the
   * login; default `user/`. `null`: restore without a user (`state.user` stays null).
   */
  userPath?: string | null
  /** The `fetch` every request goes through; default the browser's, looked up per call. */
  fetch?: FetchLike
  /** The `Authorization` scheme: `Bearer` (default) or the classic `JWT`. */
  scheme?: 'Bearer' | 'JWT'
  /** Timeout of the client's own calls, except refresh (3 s, tied to the server's grace). Default 20 s. */
  timeoutMs?: number
  /** Django's `CSRF_COOKIE_NAME`; default `csrftoken`. */
  csrfCookieName?: string
  /** The header Django reads it from; default `X-CSRFToken`. */
  csrfHeaderName?: string
  /** The BroadcastChannel the tabs share; `null` keeps this client to itself. Default `spa-auth`. */
  channelName?: string | null
  /** The Web Lock the tabs take turns on; default `spa-auth-refresh`. */
  lockName?: string
  /**
   * The language the API should answer in (its validation messages, an error's `detail`),
   * sent as `Accept-Language` on every request to the API: the client's own, `fetch`'s and
   * the axios instance's. A function is asked at each request, so a switch of language
   * follows. Without it the browser's own header goes, which Django may read differently
   * from the app (a language the app does not ship listed first). Codes never change.
   */
  language?: string | (() => string | null | undefined)
  /**
   * A request was refused with a step-up 401 (`reauthentication_required`: the session is
   * fine, its last authentication too old). Ask the user to confirm it is them and call
   * `reauthenticate`, then resolve true: the request is retried once with the new token.
   * Resolve false (or reject) and the request fails with that `ApiError` (`maxAge`,
   * `methods`). Requests that ask at the same time share one call. Without it, they fail.
   */
  onReauthenticationRequired?: (error: ApiError) => boolean | Promise<boolean>
  /**
   * How the app leaves for a sign-in provider (`loginWithProvider`, `connectProvider`,
   * `reauthenticateWithProvider`): a top-level navigation to the URL. Default
   * `window.location.assign`; tests pass their own.
   */
  navigate?: (url: string) => void
}

/**
 * The session of this tab, the calls on the user's sessions (`sessions`, `changePassword`,
 * …: see `SessionActions`), the account calls (`register`, `deleteAccount`, …: see
 * `AccountActions`), the MFA calls (`completeMfa`, `addPasskey`, …: see `MfaActions`) and
 * the sign-in providers' (`loginWithProvider`, `identities`, …: see `ProviderActions`) and
 * the mailed code's (`requestLoginCode`, `loginWithCode`: see `LoginCodeActions`).
 */
export interface AuthClient<TUser = User>
  extends SessionActions,
    AccountActions,
    MfaActions<TUser>,
    ProviderActions,
    LoginCodeActions<TUser> {
  /** The current status, user and reason; a new object after every change. */
  getState(): AuthState<TUser>
  /** Called after every change of the state; returns the function that unsubscribes. */
  onChange(listener: (change: AuthChange<TUser>) => void): () => void
  /**
   * On page load: restore the login from the refresh cookie (`unknown` becomes
   * `signed-in` or `signed-out`). Runs once; later calls wait for the same result.
   */
  restore(): Promise<AuthState<TUser>>
  /**
   * Log in; rejects with an `ApiError` (`invalid_credentials`, `throttled`, …). A user with a
   * second factor gets `mfa_required`, whose `mfaToken` and `methods` lead to `completeMfa`
   * or `completeMfaWithPasskey`; until then the tab stays signed out. After a failed login
   * of the name or from this address, a server with a CAPTCHA rejects with
   * `captcha_required`: retry with the widget's answer as `options.captcha`.
   */
  login(username: string, password: string, options?: CaptchaAnswer): Promise<TUser>
  /**
   * `GET auth/config/`: the CAPTCHA widget the doors may ask for (or null), the sign-in
   * providers and whether sign-up is open; no login needed.
   */
  config(): Promise<AuthConfig>
  /** End this session on the server and sign out here and in the other tabs. */
  logout(): Promise<void>
  /** A new access token now (shared with any refresh already under way). */
  refresh(): Promise<string>
  /** The access token in memory, to attach by hand; null when signed out. */
  getAccessToken(): string | null
  /** `fetch` with the token, CSRF, and one shared refresh and retry after a 401. */
  fetch: FetchLike
  /** Interceptors for an axios instance that calls the API; returns the function removing them. */
  installInterceptors(instance: AxiosInstanceLike): () => void
  /** Stop timers, listeners and the channel (tests, hot reload). */
  dispose(): void
}

export function createAuthClient<TUser = User>(options: AuthClientOptions): AuthClient<TUser> {
  const baseURL = normaliseBaseURL(options.baseURL)
  const authPath = normaliseBaseURL(options.authPath ?? 'auth/')
  const userPath = options.userPath === undefined ? 'user/' : options.userPath
  const scheme = options.scheme ?? 'Bearer'
  const timeoutMs = options.timeoutMs ?? 20_000
  const language = options.language
  const target: ApiTarget = {
    baseURL,
    csrfCookieName: options.csrfCookieName ?? 'csrftoken',
    csrfHeaderName: options.csrfHeaderName ?? 'X-CSRFToken',
    language: typeof language === 'function' ? language : () => language,
  }
  const transport = (): FetchLike => options.fetch ?? globalThis.fetch

  const tokens = createTokenStore()
  const channelName = options.channelName === undefined ? 'spa-auth' : options.channelName
  const channel = channelName === null ? null : createAuthChannel<TUser>(channelName)
  let state: AuthState<TUser> = { status: 'unknown', user: null, reason: null }
  const listeners = new Set<(change: AuthChange<TUser>) => void>()
  let restoring: Promise<void> | null = null

  const refresher = createRefresher({
    tokens,
    requestRefresh: () => refreshRequests.requestRefresh(),
    onRefreshed: (access) => channel?.post({ type: 'token', access }),
    ...(options.lockName ? { lockName: options.lockName } : {}),
  })
  const scheduler = createScheduler({ refresh: refresher.refresh, onError: endIfRefused })
  const stopScheduling = tokens.subscribe((access) => scheduler.schedule(access))
  const stopListening = channel?.subscribe(handleMessage)
  if (typeof document !== 'undefined') document.addEventListener('visibilitychange', refreshOnReturn)

  const hooks: SessionHooks = {
    ...target,
    scheme,
    accessToken: () => tokens.get()?.token ?? null,
    refresh: async () => (await refresher.refresh()).token,
    onSessionEnded: (error) => signOutLocally(error, 'session-ended'),
    reauthenticate: askToReauthenticate,
  }
  let reauthenticating: Promise<boolean> | null = null

  /** The app's prompt, once for every request that met the step-up at the same time. */
  async function askToReauthenticate(error: ApiError): Promise<string | null> {
    const ask = options.onReauthenticationRequired
    if (!ask) return null
    reauthenticating ??= (async () => {
      try {
        return (await ask(error)) === true
      } catch {
        return false // a prompt that failed is a prompt declined: the request fails with the 401
      } finally {
        reauthenticating = null
      }
    })()
    return (await reauthenticating) ? (tokens.get()?.token ?? null) : null
  }
  const authFetch = createAuthFetch(hooks, transport)

  function setState(next: AuthState<TUser>, cause: AuthCause): void {
    const previous = state
    state = next
    for (const listener of [...listeners]) {
      try {
        listener({ state, previous, cause })
      } catch (error) {
        queueMicrotask(() => {
          throw error // reported like any uncaught error, without stopping the other listeners
        })
      }
    }
  }

  function signIn(user: TUser | null, cause: AuthCause): void {
    // Signed in, here or in another tab: the login page's passkey autofill has done its part.
    stopAutofill()
    setState({ status: 'signed-in', user, reason: null }, cause)
  }

  function signOutLocally(reason: ApiError | null, cause: AuthCause): void {
    tokens.set(null)
    setState({ status: 'signed-out', user: null, reason }, cause)
  }

  /**
   * A background refresh failed. The server's 401 (logged out everywhere, revoked, reuse)
   * ends the session now rather than at the user's next click; a lost answer or a server
   * fault does not, and the next call or the tab's return tries again.
   */
  function endIfRefused(error: unknown): void {
    const apiError = toApiError(error)
    if (endsSession(apiError)) signOutLocally(apiError, 'session-ended')
  }

  function handleMessage(message: AuthMessage<TUser>): void {
    if (message.type === 'token') tokens.set(message.access)
    else if (message.type === 'login') {
      tokens.set(message.access)
      signIn(message.user, 'other-tab')
    } else if (message.type === 'logout') signOutLocally(null, 'other-tab')
  }

  function refreshOnReturn(): void {
    if (document.visibilityState === 'visible' && state.status === 'signed-in') scheduler.refreshIfStale(tokens.get())
  }

  const call = createCall({ ...target, timeoutMs, authFetch, transport })
  const auth = (path: string) => authPath + path
  const refreshRequests = createRefreshRequests({ call, auth })

  async function ensureCsrfCookie(): Promise<void> {
    if (!readCookie(target.csrfCookieName)) await call('GET', auth('csrf/'), { authenticated: false })
  }

  async function fetchUser(): Promise<TUser | null> {
    return userPath === null ? null : (await call<TUser>('GET', userPath)).data
  }

  async function logout(): Promise<void> {
    const access = tokens.get()
    try {
      await call('POST', auth('logout/'), {
        body: {},
        authenticated: false,
        headers: access ? { Authorization: `${scheme} ${access.token}` } : {},
      })
    } catch (error) {
      // Signed out locally either way; the server session ends at its expiry at worst.
      console.warn('logout request failed', toApiError(error).code)
    } finally {
      signOutLocally(null, 'logout')
      channel?.post({ type: 'logout' })
    }
  }

  /** A login answer (a password, a second factor or a passkey): signed in here and in the other tabs. */
  function finishLogin(data: LoginAnswer<TUser>): TUser {
    const access = fromResponse(data)
    tokens.set(access)
    signIn(data.user, 'login')
    channel?.post({ type: 'login', access, user: data.user })
    return data.user
  }

  const { stopAutofill, ...mfa } = createMfaActions<TUser>({
    call,
    auth,
    ensureCsrfCookie,
    finishLogin,
    adoptToken(data) {
      // The same session with a fresher authentication time: the other tabs use it too.
      const access = fromResponse(data)
      tokens.set(access)
      channel?.post({ type: 'token', access })
    },
  })

  const accounts = createAccountActions({
    call,
    auth,
    ensureCsrfCookie,
    endLocalSession({ tellOtherTabs }) {
      if (state.status !== 'signed-out') signOutLocally(null, 'logout')
      if (tellOtherTabs) channel?.post({ type: 'logout' })
    },
  })

  const loginCode = createLoginCodeActions<TUser>({ call, auth, ensureCsrfCookie, finishLogin })

  const sessionActions = createSessionActions({ call, auth, refresher, logout })

  const providers = createProviderActions({
    call,
    auth,
    baseURL,
    navigate: options.navigate ?? ((url) => location.assign(url)),
    refresh: () => refresher.refresh(),
  })

  return {
    ...accounts,
    ...mfa,
    ...providers,
    ...loginCode,
    ...sessionActions,
    getState: () => state,
    onChange(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    restore() {
      restoring ??= (async () => {
        try {
          if (!(await refreshRequests.holdsRefreshCookie())) {
            signOutLocally(null, 'restore')
            return
          }
          await ensureCsrfCookie()
          await refresher.refresh()
          signIn(await fetchUser(), 'restore')
        } catch {
          signOutLocally(null, 'restore')
        }
      })()
      return restoring.then(() => state)
    },
    async login(username, password, { captcha } = {}) {
      const body = captcha === undefined ? { username, password } : { username, password, captcha }
      const { data } = await call<LoginAnswer<TUser>>('POST', auth('obtain_token/'), { body, authenticated: false })
      return finishLogin(data)
    },
    config: createConfig(call, auth),
    logout,
    refresh: async () => (await refresher.refresh()).token,
    getAccessToken: () => tokens.get()?.token ?? null,
    fetch: authFetch,
    installInterceptors: (instance) => installAxiosInterceptors(instance, hooks),
    dispose() {
      stopScheduling()
      scheduler.stop()
      stopListening?.()
      channel?.close()
      listeners.clear()
      if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', refreshOnReturn)
    },
  }
}
