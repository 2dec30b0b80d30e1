/**
 * Proactive refresh: shortly before the access token expires, and when a hidden tab
 * comes back with a token that has expired meanwhile. Timers are injectable for tests.
 */

import type { AccessToken } from './tokens'

export interface SchedulerOptions {
  refresh(): Promise<unknown>
  /** Refresh this long before expiry. */
  marginMs?: number
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
    marginMs = 30_000,
    now = Date.now,
    setTimer = (callback, ms) => setTimeout(callback, ms),
    clearTimer = (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  } = options
  let handle: unknown = null

  const run = () => {
    refresh().catch(() => {
      /* the session store signs the user out */
    })
  }

  return {
    schedule(access) {
      if (handle !== null) clearTimer(handle)
      handle = null
      if (!access) return
      const lifetime = access.expiresAt - now()
      // `marginMs` before expiry; for short lifetimes (strict deployments), at 80 % of it.
      const delay = Math.max(1_000, lifetime - Math.min(marginMs, lifetime * 0.2))
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
