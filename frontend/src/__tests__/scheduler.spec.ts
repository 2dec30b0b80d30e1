import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createScheduler } from '../auth/scheduler'

describe('proactive refresh', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
  })
  afterEach(() => vi.useRealTimers())

  it('refreshes 30 s before a five-minute token expires', () => {
    const refresh = vi.fn(() => Promise.resolve())
    const scheduler = createScheduler({ refresh })
    scheduler.schedule({ token: 't', expiresAt: Date.now() + 300_000 })
    vi.advanceTimersByTime(269_000)
    expect(refresh).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1_000)
    expect(refresh).toHaveBeenCalledTimes(1)
  })

  it('refreshes at 80 % of a short lifetime', () => {
    const refresh = vi.fn(() => Promise.resolve())
    const scheduler = createScheduler({ refresh })
    scheduler.schedule({ token: 't', expiresAt: Date.now() + 10_000 })
    vi.advanceTimersByTime(7_999)
    expect(refresh).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(refresh).toHaveBeenCalledTimes(1)
  })

  it('replaces the timer when a new token arrives and stops on sign-out', () => {
    const refresh = vi.fn(() => Promise.resolve())
    const scheduler = createScheduler({ refresh })
    scheduler.schedule({ token: 'a', expiresAt: Date.now() + 10_000 })
    scheduler.schedule({ token: 'b', expiresAt: Date.now() + 300_000 })
    vi.advanceTimersByTime(60_000)
    expect(refresh).not.toHaveBeenCalled()
    scheduler.schedule(null)
    vi.advanceTimersByTime(600_000)
    expect(refresh).not.toHaveBeenCalled()
  })

  it('refreshes a visible tab whose token expired while hidden, and not a fresh one', () => {
    const refresh = vi.fn(() => Promise.resolve())
    const scheduler = createScheduler({ refresh })
    scheduler.refreshIfStale({ token: 'fresh', expiresAt: Date.now() + 200_000 })
    expect(refresh).not.toHaveBeenCalled()
    scheduler.refreshIfStale({ token: 'old', expiresAt: Date.now() - 1 })
    expect(refresh).toHaveBeenCalledTimes(1)
  })
})
