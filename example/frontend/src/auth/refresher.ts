/**
 * Single-flight refresh, serialised across tabs.
 *
 * Inside one tab, concurrent callers share one request. Across tabs, a Web Lock makes
 * refreshes take turns; a tab that waited for the lock first checks whether another tab
 * already brought a fresh token. The lock wait is bounded well inside the server's grace
 * window (see `timing`), so a stuck tab can never block the others and a tab that goes
 * ahead still presents a just-rotated cookie in time. Other requests that replace the
 * refresh cookie (a password change) take the same turns.
 */

import { REFRESH_LOCK_WAIT_MS } from './timing'
import { getAccessToken, setAccessToken, type AccessToken } from './tokens'

export interface RefresherOptions {
  /** POST auth/refresh_token/ and return the new token. */
  requestRefresh(): Promise<AccessToken>
  /** Told about every new token (to share it with other tabs). */
  onRefreshed?(access: AccessToken): void
  locks?: Pick<LockManager, 'request'> | null
  lockName?: string
  lockTimeoutMs?: number
  now?: () => number
  /** A token this close to expiry is not worth reusing. */
  minRemainingMs?: number
}

export interface Refresher {
  /** A new access token; rejects when the session is over. */
  refresh(): Promise<AccessToken>
  /**
   * Run a request that moves this browser onto a new refresh cookie, holding the refresh
   * lock so that no refresh (here or in another tab) presents the old cookie meanwhile;
   * the access token it returns, if any, is stored and shared like a refreshed one.
   */
  replaceSession(request: () => Promise<AccessToken | null>): Promise<AccessToken | null>
}

export function createRefresher(options: RefresherOptions): Refresher {
  const {
    requestRefresh,
    onRefreshed,
    locks = typeof navigator !== 'undefined' ? (navigator.locks ?? null) : null,
    lockName = 'spa-auth-refresh',
    lockTimeoutMs = REFRESH_LOCK_WAIT_MS,
    now = Date.now,
    minRemainingMs = 30_000,
  } = options
  let inflight: Promise<AccessToken> | null = null

  function adopt(access: AccessToken): AccessToken {
    setAccessToken(access)
    onRefreshed?.(access)
    return access
  }

  async function refreshOnce(startedWith: AccessToken | null): Promise<AccessToken> {
    const current = getAccessToken()
    if (current && current !== startedWith && current.expiresAt - now() > minRemainingMs) {
      return current // another tab refreshed while this one waited
    }
    return adopt(await requestRefresh())
  }

  function refreshTakingTurns(): Promise<AccessToken> {
    const startedWith = getAccessToken()
    return withLock(() => refreshOnce(startedWith))
  }

  async function withLock<T>(task: () => Promise<T>): Promise<T> {
    if (!locks) return task()
    try {
      return await locks.request(lockName, { signal: AbortSignal.timeout(lockTimeoutMs) }, task)
    } catch (error) {
      if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
        return task()
      }
      throw error
    }
  }

  return {
    refresh() {
      inflight ??= refreshTakingTurns().finally(() => {
        inflight = null
      })
      return inflight
    },
    replaceSession(request) {
      return withLock(async () => {
        const access = await request()
        return access && adopt(access)
      })
    },
  }
}
