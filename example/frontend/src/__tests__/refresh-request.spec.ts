import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fetchCurrentUser, refreshToken } from '../api/auth'
import { http } from '../api/client'
import { fakeAdapter, lostResponse } from './helpers'

const user = { id: 1, username: 'alice', email: '', first_name: '', last_name: '', is_staff: false }
const successor = { status: 200, data: { token: 'successor', token_type: 'Bearer', expires_in: 300 } }

describe('the refresh request', () => {
  const original = http.defaults.adapter
  // No timer ever runs in these tests, so a retry that waited would never happen.
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => {
    vi.useRealTimers()
    http.defaults.adapter = original
  })

  it('times out after 3 s while other calls keep their longer timeout', async () => {
    const adapter = fakeAdapter((config) => (config.url === 'auth/refresh_token/' ? successor : { status: 200, data: user }))
    http.defaults.adapter = adapter
    await refreshToken()
    await fetchCurrentUser()
    expect(adapter.calls.map((config) => [config.url, config.timeout])).toEqual([
      ['auth/refresh_token/', 3_000],
      ['user/', 20_000],
    ])
  })

  it('retries a refresh once when the response is lost', async () => {
    let attempts = 0
    const adapter = fakeAdapter((config) => {
      attempts += 1
      if (attempts === 1) throw lostResponse(config)
      return successor
    })
    http.defaults.adapter = adapter
    expect((await refreshToken()).token).toBe('successor')
    expect(adapter.calls).toHaveLength(2)
  })

  it('retries a timed-out refresh once, at once', async () => {
    let attempts = 0
    const adapter = fakeAdapter((config) => {
      attempts += 1
      if (attempts === 1) throw lostResponse(config, 'ECONNABORTED')
      return successor
    })
    http.defaults.adapter = adapter
    expect((await refreshToken()).token).toBe('successor')
    expect(adapter.calls).toHaveLength(2)
  })

  it('tries a lost refresh at most twice, never in a loop', async () => {
    // A third try would succeed, so a loop would show as a success rather than hang.
    const adapter = fakeAdapter((config) => {
      if (adapter.calls.length <= 2) throw lostResponse(config)
      return successor
    })
    http.defaults.adapter = adapter
    await expect(refreshToken()).rejects.toMatchObject({ status: 0, code: 'network_error' })
    expect(adapter.calls).toHaveLength(2)
  })

  it.each([
    [400, 'invalid'],
    [401, 'refresh_reused'],
    [403, 'csrf_failed'],
    [429, 'throttled'],
  ])('never retries a refresh the server answered with %i', async (status, code) => {
    const adapter = fakeAdapter(() => ({ status, data: { detail: 'no', code } }))
    http.defaults.adapter = adapter
    await expect(refreshToken()).rejects.toMatchObject({ status, code })
    expect(adapter.calls).toHaveLength(1)
  })
})
