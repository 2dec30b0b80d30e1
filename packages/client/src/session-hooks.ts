/**
 * What the axios interceptor and the fetch wrapper need from the client, and the one rule
 * they share for a 401: refresh once (shared by every request that failed at the same
 * time) when a fresh token may help, retry once, and otherwise end the session.
 */

import { ApiError, REFRESHABLE, endsSession, toApiError } from './errors.js'
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
}

export type Verdict = { retryWith: string } | { give: 'answer' } | { give: 'error'; error: ApiError }

/**
 * What to do about a 401 from the API on a request that was not a retry already. A lost
 * answer or a server fault during the refresh leaves the session alone (the next call tries
 * again) and is reported as that failure; the server's 401 to the refresh ends it.
 */
export async function decideAfter401(hooks: SessionHooks, error: ApiError, isRetry: boolean): Promise<Verdict> {
  if (!REFRESHABLE.has(error.code) || isRetry) {
    hooks.onSessionEnded(error)
    return { give: 'answer' }
  }
  try {
    return { retryWith: await hooks.refresh() }
  } catch (refreshError) {
    const refreshApiError = toApiError(refreshError)
    if (!endsSession(refreshApiError)) return { give: 'error', error: refreshApiError }
    hooks.onSessionEnded(refreshApiError)
    return { give: 'answer' }
  }
}
