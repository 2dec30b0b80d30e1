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

import { REFRESH_LOCK_WAIT_MS } from './timing.js'
import type { AccessToken, TokenStore } from './tokens.js'

export type LockManagerLike = Pick<LockManager, 'request'>

export interface RefresherOptions {
  /** Where the current token lives; a refreshed one is stored there. */
  tokens: TokenStore
  /** POST auth/refresh_token/ and return the new token. */
  requestRefresh(): Promise<AccessToken>
  /** Told about every new token (to share it with other tabs). */
  onRefreshed?(access: AccessToken): void
  locks?: LockManagerLike | null
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

/** The browser's Web Locks, where there are any. */
export function browserLocks(): LockManagerLike | null {
  return typeof navigator !== 'undefined' ? (navigator.locks ?? null) : null
}

/** A lock wait that ran out, by name: a DOMException from another realm fails `instanceof`. */
function isLockTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name
  return name === 'TimeoutError' || name === 'AbortError'
}

export function createRefresher(options: RefresherOptions): Refresher {
  const {
    tokens,
    requestRefresh,
    onRefreshed,
    locks = browserLocks(),
    lockName = 'spa-auth-refresh',
    lockTimeoutMs = REFRESH_LOCK_WAIT_MS,
    now = Date.now,
    minRemainingMs = 30_000,
  } = options
  let inflight: Promise<AccessToken> | null = null

  function adopt(access: AccessToken): AccessToken {
    tokens.set(access)
    onRefreshed?.(access)
    return access
  }

  async function refreshOnce(startedWith: AccessToken | null): Promise<AccessToken> {
    const current = tokens.get()
    if (current && current !== startedWith && current.expiresAt - now() > minRemainingMs) {
      return current // another tab refreshed while this one waited
    }
    return adopt(await requestRefresh())
  }

  function refreshTakingTurns(): Promise<AccessToken> {
    const startedWith = tokens.get()
    return withLock(() => refreshOnce(startedWith))
  }

  async function withLock<T>(task: () => Promise<T>): Promise<T> {
    if (!locks) return task()
    let started = false
    const run = () => {
      started = true
      return task()
    }
    try {
      return await locks.request(lockName, { signal: AbortSignal.timeout(lockTimeoutMs) }, run)
    } catch (error) {
      // Only a wait that ran out goes ahead unlocked; a failure of the task itself is final.
      if (!started && isLockTimeout(error)) return task()
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
