import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createHttp, setAuthHooks } from '../api/client'
import { ApiError } from '../api/errors'
import { createRefresher } from '../auth/refresher'
import { setAccessToken } from '../auth/tokens'
import { authHeader, fakeAdapter } from './helpers'

const expired = { status: 401, data: { detail: 'expired', code: 'token_expired' } }

describe('refresh', () => {
  beforeEach(() => setAccessToken({ token: 'old', expiresAt: Date.now() + 60_000 }))
  afterEach(() => setAuthHooks(null))

  it('shares one request between concurrent 401s', async () => {
    const http = createHttp('/api/v1/')
    http.defaults.adapter = fakeAdapter((config) =>
      authHeader(config) === 'Bearer new' ? { status: 200, data: { ok: true } } : expired,
    )
    const requestRefresh = vi.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      return { token: 'new', expiresAt: Date.now() + 300_000 }
    })
    const { refresh } = createRefresher({ requestRefresh, locks: null })
    const ended = vi.fn()
    setAuthHooks({ refresh: async () => (await refresh()).token, onSessionEnded: ended })

    const results = await Promise.all(Array.from({ length: 10 }, () => http.get('user/')))

    expect(requestRefresh).toHaveBeenCalledTimes(1)
    expect(results.every((r) => r.data.ok)).toBe(true)
    expect(ended).not.toHaveBeenCalled()
  })

  it('never retries a request twice and never loops on refresh', async () => {
    const http = createHttp('/api/v1/')
    const adapter = fakeAdapter(() => expired)
    http.defaults.adapter = adapter
    const requestRefresh = vi.fn(async () => ({ token: 'new', expiresAt: Date.now() + 300_000 }))
    const { refresh } = createRefresher({ requestRefresh, locks: null })
    const ended = vi.fn()
    setAuthHooks({ refresh: async () => (await refresh()).token, onSessionEnded: ended })

    await expect(http.get('user/')).rejects.toMatchObject({ code: 'token_expired' })
    expect(requestRefresh).toHaveBeenCalledTimes(1)
    expect(adapter.calls).toHaveLength(2)
    expect(ended).toHaveBeenCalledTimes(1)
  })

  it('signs out when the refresh itself fails', async () => {
    const http = createHttp('/api/v1/')
    http.defaults.adapter = fakeAdapter(() => expired)
    const failure = new ApiError({ status: 401, code: 'refresh_reused', detail: 'ended' })
    const ended = vi.fn()
    setAuthHooks({ refresh: () => Promise.reject(failure), onSessionEnded: ended })

    await expect(http.get('user/')).rejects.toBeInstanceOf(ApiError)
    expect(ended).toHaveBeenCalledWith(failure)
  })

  it('stays signed in when the refresh for a user action loses its answer', async () => {
    const http = createHttp('/api/v1/')
    http.defaults.adapter = fakeAdapter(() => expired)
    const lost = new ApiError({ status: 0, code: 'network_error', detail: 'Network Error' })
    const ended = vi.fn()
    setAuthHooks({ refresh: () => Promise.reject(lost), onSessionEnded: ended })

    await expect(http.get('user/')).rejects.toBe(lost)
    expect(ended).not.toHaveBeenCalled()
  })

  it('signs out at once on a revoked session, without refreshing', async () => {
    const http = createHttp('/api/v1/')
    http.defaults.adapter = fakeAdapter(() => ({ status: 401, data: { detail: 'x', code: 'session_revoked' } }))
    const refresh = vi.fn()
    const ended = vi.fn()
    setAuthHooks({ refresh, onSessionEnded: ended })

    await expect(http.get('user/')).rejects.toMatchObject({ code: 'session_revoked' })
    expect(refresh).not.toHaveBeenCalled()
    expect(ended).toHaveBeenCalledTimes(1)
  })

  it('sends the in-memory token as a Bearer header and Django CSRF settings', async () => {
    const http = createHttp('/api/v1/')
    const adapter = fakeAdapter(() => ({ status: 200 }))
    http.defaults.adapter = adapter
    await http.get('user/')
    expect(authHeader(adapter.calls[0]!)).toBe('Bearer old')
    expect(adapter.calls[0]!.xsrfCookieName).toBe('csrftoken')
    expect(adapter.calls[0]!.xsrfHeaderName).toBe('X-CSRFToken')
    expect(adapter.calls[0]!.withCredentials).toBe(true)
  })

  it('sends no token on calls marked skipAuth', async () => {
    const http = createHttp('/api/v1/')
    const adapter = fakeAdapter(() => ({ status: 200 }))
    http.defaults.adapter = adapter
    await http.post('auth/refresh_token/', {}, { skipAuth: true })
    expect(authHeader(adapter.calls[0]!)).toBeUndefined()
  })
})
