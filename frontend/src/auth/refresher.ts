/**
 * Single-flight refresh, serialised across tabs.
 *
 * Inside one tab, concurrent callers share one request. Across tabs, a Web Lock makes
 * refreshes take turns; a tab that waited for the lock first checks whether another tab
 * already brought a fresh token. The lock wait is bounded, so a stuck tab can never block
 * the others (the server's grace window makes an overlapping refresh harmless).
 */

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

export function createRefresher(options: RefresherOptions): () => Promise<AccessToken> {
  const {
    requestRefresh,
    onRefreshed,
    locks = typeof navigator !== 'undefined' ? (navigator.locks ?? null) : null,
    lockName = 'spa-auth-refresh',
    lockTimeoutMs = 10_000,
    now = Date.now,
    minRemainingMs = 30_000,
  } = options
  let inflight: Promise<AccessToken> | null = null

  async function refreshOnce(startedWith: AccessToken | null): Promise<AccessToken> {
    const current = getAccessToken()
    if (current && current !== startedWith && current.expiresAt - now() > minRemainingMs) {
      return current // another tab refreshed while this one waited
    }
    const access = await requestRefresh()
    setAccessToken(access)
    onRefreshed?.(access)
    return access
  }

  async function withLock(): Promise<AccessToken> {
    const startedWith = getAccessToken()
    if (!locks) return refreshOnce(startedWith)
    try {
      return await locks.request(
        lockName,
        { signal: AbortSignal.timeout(lockTimeoutMs) },
        () => refreshOnce(startedWith),
      )
    } catch (error) {
      if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
        return refreshOnce(startedWith)
      }
      throw error
    }
  }

  return function refresh(): Promise<AccessToken> {
    inflight ??= withLock().finally(() => {
      inflight = null
    })
    return inflight
  }
}
