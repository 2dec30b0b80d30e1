/** The shapes of the API's answers and of the client's state (types only). */

import type { ApiError } from './errors.js'

/** The user as django-spa-auth shows it by default (`SPA_AUTH["USER_PAYLOAD"]` changes it). */
export interface User {
  id: number
  username: string
  email: string
  first_name: string
  last_name: string
  is_staff: boolean
  /**
   * This session logged in with a password found in known data breaches (the login answer
   * and `GET user/` say so): ask the user to change it. Absent from servers without the check.
   */
  password_breached?: boolean
}

/** One live session of the signed-in user, as `GET auth/sessions/` lists it. */
export interface SessionInfo {
  id: string
  /** `token` for an API login, `browser` for a Django admin login. */
  kind: 'token' | 'browser' | (string & {})
  created: string
  /** To the minute, never finer. */
  last_used: string
  expires: string
  user_agent: string
  ip: string | null
  /** The session of this browser. */
  current: boolean
  /** The provider it was signed in with (`google`, …; see `providers()`); `''` for none. */
  provider: string
}

/** A browser the user signed in from, as `GET auth/devices/` lists it. */
export interface DeviceInfo {
  id: string
  /** `Firefox 128`; `''` when the browser is unknown. */
  browser: string
  /** `Ubuntu`; `''` when the system is unknown. */
  system: string
  /** To the minute, never finer. */
  first_seen: string
  last_seen: string
  /** The device of this browser. */
  current: boolean
}

/** A page of a limit/offset list. */
export interface Page<T> {
  count: number
  next: string | null
  previous: string | null
  results: T[]
}

export type AuthStatus = 'unknown' | 'signed-in' | 'signed-out'

export interface AuthState<TUser = User> {
  /** `unknown` until `restore()` (or a login) has settled it. */
  status: AuthStatus
  user: TUser | null
  /**
   * Why the last session ended without this tab logging out (`session_revoked`,
   * `refresh_reused`, `session_expired`, …); null after a login or an ordinary logout.
   */
  reason: ApiError | null
}

/**
 * What moved the state: this tab's `login`, `logout` or `restore`, the server ending the
 * session (`session-ended`), or another tab of this browser logging in or out (`other-tab`).
 */
export type AuthCause = 'login' | 'logout' | 'restore' | 'session-ended' | 'other-tab'

export interface AuthChange<TUser = User> {
  state: AuthState<TUser>
  previous: AuthState<TUser>
  cause: AuthCause
}
