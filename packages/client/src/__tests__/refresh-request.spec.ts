import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthClient, type AuthClient } from '../index.js'
import { HANG, fakeFetch, lostAnswer, tokenAnswer, type FetchHandler } from './helpers.js'

const isRefresh = (url: string) => url.endsWith('/auth/refresh_token/')

describe('the refresh request', () => {
  let client: AuthClient | null = null
  // No timer runs unless a test advances them, so a retry that waited would never happen.
  beforeEach(() => {
    vi.useFakeTimers()
    document.cookie = 'csrftoken=abc'
  })
  afterEach(() => {
    client?.dispose()
    client = null
    vi.useRealTimers()
  })

  function clientWith(handler: FetchHandler) {
    const fetch = fakeFetch(handler)
    client = createAuthClient({ baseURL: '/api/v1/', fetch, channelName: null })
    const refreshes = () => fetch.calls.filter((call) => isRefresh(call.url))
    return { client, fetch, refreshes }
  }

  it('presents the cookie with the CSRF header, and no access token', async () => {
    const { client, refreshes } = clientWith(() => tokenAnswer('successor'))
    expect(await client.refresh()).toBe('successor')
    const [sent] = refreshes()
    expect(sent).toMatchObject({ method: 'POST', credentials: 'include', body: {} })
    expect(sent!.headers.get('X-CSRFToken')).toBe('abc')
    expect(sent!.headers.has('Authorization')).toBe(false)
  })

  it('times out after 3 s, and is asked once more at once', async () => {
    const { client, refreshes } = clientWith(() => HANG)
    const outcome = client.refresh().catch((error: unknown) => error)
    await vi.advanceTimersByTimeAsync(2_999)
    expect(refreshes()).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(refreshes()).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(3_000)
    expect(await outcome).toMatchObject({ status: 0, code: 'network_error' })
    expect(refreshes()).toHaveLength(2)
  })

  it('lets other calls keep their longer timeout (20 s)', async () => {
    const { client } = clientWith(() => HANG)
    let settled = false
    const outcome = client.sessions().catch((error: unknown) => error).finally(() => {
      settled = true
    })
    await vi.advanceTimersByTimeAsync(19_999)
    expect(settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(await outcome).toMatchObject({ code: 'network_error' })
  })

  it('retries a refresh once when the response is lost', async () => {
    let attempts = 0
    const { client, refreshes } = clientWith(() => {
      attempts += 1
      if (attempts === 1) throw lostAnswer()
      return tokenAnswer('successor')
    })
    expect(await client.refresh()).toBe('successor')
    expect(refreshes()).toHaveLength(2)
  })

  it('tries a lost refresh at most twice, never in a loop', async () => {
    // A third try would succeed, so a loop would show as a success rather than hang.
    let attempts = 0
    const { client, refreshes } = clientWith(() => {
      attempts += 1
      if (attempts <= 2) throw lostAnswer()
      return tokenAnswer('successor')
    })
    await expect(client.refresh()).rejects.toMatchObject({ status: 0, code: 'network_error' })
    expect(refreshes()).toHaveLength(2)
  })

  it.each([
    [400, 'invalid'],
    [401, 'refresh_reused'],
    [403, 'csrf_failed'],
    [429, 'throttled'],
  ])('never retries a refresh the server answered with %i', async (status, code) => {
    const { client, refreshes } = clientWith(() => ({ status, data: { detail: 'no', code } }))
    await expect(client.refresh()).rejects.toMatchObject({ status, code })
    expect(refreshes()).toHaveLength(1)
  })
})
