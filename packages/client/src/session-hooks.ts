/**
 * What the axios interceptor and the fetch wrapper need from the client, and the one rule
 * they share for a 401: refresh once (shared by every request that failed at the same
 * time) when a fresh token may help, retry once, and otherwise end the session. A step-up
 * 401 (`reauthentication_required`, RFC 9470) is the exception: the session is fine, so it
 * is never refreshed nor ended; the app may have the user confirm, and then it is retried once.
 */

import { ApiError, REAUTHENTICATION_REQUIRED, REFRESHABLE, endsSession, toApiError } from './errors.js'
import type { ApiTarget } from './http.js'

export interface SessionHooks extends ApiTarget {
  /** The access token to send, if any. */
  accessToken(): string | null
  /** `Bearer` (RFC 6750), or the classic `JWT`; the server takes both. */
  scheme: string
  /** A new access token (single flight, across tabs); rejects when the session is over. */
  refresh(): Promise<string>
  /** The server refused the session: sign out locally, with the reason. */
  onSessionEnded(error: ApiError): void
  /**
   * A step-up 401: have the user re-authenticate (one prompt shared by every request that
   * asked at the same time); the token to retry with, or null when the user did not.
   */
  reauthenticate(error: ApiError): Promise<string | null>
}

/** What a request has been through already: each remedy is tried at most once. */
export interface Attempts {
  refreshed: boolean
  reauthenticated: boolean
}

export type Verdict =
  | { retryWith: string; after: keyof Attempts }
  | { give: 'answer' }
  | { give: 'error'; error: ApiError }

/**
 * What to do about a 401 from the API. A lost answer or a server fault during the refresh
 * leaves the session alone (the next call tries again) and is reported as that failure; the
 * server's 401 to the refresh ends it. A step-up 401 is answered as it is unless the user
 * re-authenticates, and a request is never retried twice for the same reason.
 */
export async function decideAfter401(hooks: SessionHooks, error: ApiError, attempts: Attempts): Promise<Verdict> {
  if (error.code === REAUTHENTICATION_REQUIRED) {
    if (attempts.reauthenticated) return { give: 'answer' }
    const token = await hooks.reauthenticate(error)
    return token ? { retryWith: token, after: 'reauthenticated' } : { give: 'answer' }
  }
  if (!REFRESHABLE.has(error.code) || attempts.refreshed) {
    hooks.onSessionEnded(error)
    return { give: 'answer' }
  }
  try {
    return { retryWith: await hooks.refresh(), after: 'refreshed' }
  } catch (refreshError) {
    const refreshApiError = toApiError(refreshError)
    if (!endsSession(refreshApiError)) return { give: 'error', error: refreshApiError }
    hooks.onSessionEnded(refreshApiError)
    return { give: 'answer' }
  }
}
