import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createScheduler, type SchedulerOptions } from '../scheduler.js'

const FIVE_MINUTES = 300_000

/** A scheduler without jitter unless a test asks for it. */
function scheduler(options: Partial<SchedulerOptions> = {}) {
  const refresh = vi.fn(() => Promise.resolve())
  const onError = vi.fn()
  return { refresh, onError, scheduler: createScheduler({ refresh, onError, random: () => 0, ...options }) }
}

describe('proactive refresh', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  it('refreshes 30 s before a five-minute token expires', () => {
    const { refresh, scheduler: s } = scheduler()
    s.schedule({ token: 't', expiresAt: Date.now() + FIVE_MINUTES })
    vi.advanceTimersByTime(269_999)
    expect(refresh).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(refresh).toHaveBeenCalledTimes(1)
  })

  it('refreshes at 80 % of a short lifetime', () => {
    const { refresh, scheduler: s } = scheduler()
    s.schedule({ token: 't', expiresAt: Date.now() + 10_000 })
    vi.advanceTimersByTime(7_999)
    expect(refresh).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(refresh).toHaveBeenCalledTimes(1)
  })

  it.each([
    { value: 0.5, at: 267_000 },
    { value: 0.75, at: 265_500 },
  ])('refreshes up to a fifth of the margin earlier again, at random (draw $value: at $at ms)', ({ value, at }) => {
    const { refresh, scheduler: s } = scheduler({ random: () => value })
    s.schedule({ token: 't', expiresAt: Date.now() + FIVE_MINUTES })
    vi.advanceTimersByTime(at - 1)
    expect(refresh).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(refresh).toHaveBeenCalledTimes(1)
  })

  it('draws the jitter from Math.random unless told otherwise', () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5)
    const refresh = vi.fn(() => Promise.resolve())
    createScheduler({ refresh, onError: vi.fn() }).schedule({ token: 't', expiresAt: Date.now() + FIVE_MINUTES })
    expect(random).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(267_000)
    expect(refresh).toHaveBeenCalledTimes(1)
  })

  it('replaces the timer when a new token arrives and stops on sign-out', () => {
    const { refresh, scheduler: s } = scheduler()
    s.schedule({ token: 'a', expiresAt: Date.now() + 10_000 })
    s.schedule({ token: 'b', expiresAt: Date.now() + FIVE_MINUTES })
    vi.advanceTimersByTime(60_000)
    expect(refresh).not.toHaveBeenCalled()
    s.schedule(null)
    vi.advanceTimersByTime(600_000)
    expect(refresh).not.toHaveBeenCalled()
  })

  it('refreshes a visible tab whose token expired while hidden, and not a fresh one', () => {
    const { refresh, scheduler: s } = scheduler()
    s.refreshIfStale({ token: 'fresh', expiresAt: Date.now() + 200_000 })
    expect(refresh).not.toHaveBeenCalled()
    s.refreshIfStale({ token: 'old', expiresAt: Date.now() - 1 })
    expect(refresh).toHaveBeenCalledTimes(1)
  })

  it('reports a failed background refresh instead of swallowing it', async () => {
    const failure = new Error('refused')
    const { onError, scheduler: s } = scheduler({ refresh: () => Promise.reject(failure) })
    s.schedule({ token: 't', expiresAt: Date.now() + FIVE_MINUTES })
    await vi.advanceTimersByTimeAsync(FIVE_MINUTES)
    s.refreshIfStale({ token: 'old', expiresAt: Date.now() - 1 })
    await vi.advanceTimersByTimeAsync(0)
    expect(onError.mock.calls).toEqual([[failure], [failure]])
  })
})
