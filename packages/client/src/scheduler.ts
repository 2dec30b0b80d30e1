/**
 * Proactive refresh: shortly before the access token expires, and when a hidden tab
 * comes back with a token that has expired meanwhile. Timers and the jitter's random
 * source are injectable for tests.
 */

import type { AccessToken } from './tokens.js'

/** Up to this share of the margin earlier again, at random. */
const JITTER_SHARE = 0.2

export interface SchedulerOptions {
  refresh(): Promise<unknown>
  /** A background refresh failed; the caller decides whether that ends the session. */
  onError(error: unknown): void
  /** Refresh this long before expiry. */
  marginMs?: number
  /** Uniform in [0, 1), like `Math.random`. */
  random?: () => number
  now?: () => number
  setTimer?: (callback: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

export interface Scheduler {
  schedule(access: AccessToken | null): void
  /** Refresh now if the token is gone or about to expire (tab became visible). */
  refreshIfStale(access: AccessToken | null): void
  stop(): void
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const {
    refresh,
    onError,
    marginMs = 30_000,
    random = Math.random,
    now = Date.now,
    setTimer = (callback, ms) => setTimeout(callback, ms),
    clearTimer = (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  } = options
  let handle: unknown = null

  const run = () => {
    refresh().catch(onError)
  }

  return {
    schedule(access) {
      if (handle !== null) clearTimer(handle)
      handle = null
      if (!access) return
      const lifetime = access.expiresAt - now()
      // `marginMs` before expiry; for short lifetimes (strict deployments), at 80 % of it.
      const margin = Math.min(marginMs, lifetime * 0.2)
      // Someone holding a copy of the refresh cookie must not be able to tell from the
      // token's lifetime when this tab will rotate it.
      const jitter = random() * JITTER_SHARE * margin
      const delay = Math.max(1_000, lifetime - margin - jitter)
      handle = setTimer(run, delay)
    },
    refreshIfStale(access) {
      if (access && access.expiresAt - now() <= marginMs) run()
    },
    stop() {
      if (handle !== null) clearTimer(handle)
      handle = null
    },
  }
}
