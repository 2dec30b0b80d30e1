import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthChannel, type AuthMessage } from '../channel.js'
import { createAuthClient, type AuthChange, type AuthClient, type AuthClientOptions } from '../index.js'
import { fakeFetch, flush, lostAnswer, paths, tokenAnswer, user, type Answer, type FetchCall } from './helpers.js'

let clients: AuthClient[] = []

function clientWith(handle: (call: FetchCall) => Answer, options: Partial<AuthClientOptions> = {}) {
  const fetch = fakeFetch(handle)
  const client = createAuthClient({ baseURL: '/api/v1/', fetch, ...options })
  clients.push(client)
  const refreshes = () => fetch.calls.filter((call) => call.url.endsWith('/auth/refresh_token/')).length
  return { client, fetch, refreshes }
}

/** A signed-in client whose login token lives `expiresIn` seconds; `handle` answers the rest. */
async function signedIn(handle: (call: FetchCall) => Answer, expiresIn = 300) {
  const made = clientWith((call) =>
    call.url.endsWith('/auth/obtain_token/')
      ? { status: 200, data: { token: 'jwt', token_type: 'Bearer', expires_in: expiresIn, user } }
      : handle(call),
  )
  await made.client.login('alice', 'pw')
  return made
}

describe('the auth client', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
  })
  afterEach(() => {
    clients.forEach((client) => client.dispose())
    clients = []
    vi.useRealTimers()
  })

  it('starts unknown, logs in, keeps the token in memory only, and logs out on the server', async () => {
    const { client, fetch } = clientWith((call) =>
      call.url.endsWith('/auth/obtain_token/')
        ? { status: 200, data: { token: 'jwt', expires_in: 300, user } }
        : { status: 204 },
    )
    expect(client.getState()).toEqual({ status: 'unknown', user: null, reason: null })
    expect(await client.login('alice', 'pw')).toEqual(user)
    expect(fetch.calls[0]).toMatchObject({ method: 'POST', credentials: 'include', body: { username: 'alice', password: 'pw' } })
    expect(client.getState()).toMatchObject({ status: 'signed-in', user: { username: 'alice' } })
    expect(client.getAccessToken()).toBe('jwt')
    expect(localStorage.length + sessionStorage.length).toBe(0)
    await client.logout()
    const logout = fetch.calls.at(-1)!
    expect(logout.url).toBe('/api/v1/auth/logout/')
    expect(logout.headers.get('Authorization')).toBe('Bearer jwt')
    expect(logout.headers.get('X-CSRFToken')).toBe('abc')
    expect(client.getState()).toEqual({ status: 'signed-out', user: null, reason: null })
    expect(client.getAccessToken()).toBeNull()
  })

  it('rejects a wrong password with its code and stays as it was', async () => {
    const { client } = clientWith(() => ({ status: 401, data: { detail: 'no', code: 'invalid_credentials' } }))
    await expect(client.login('alice', 'nope')).rejects.toMatchObject({ status: 401, code: 'invalid_credentials' })
    expect(client.getState().status).toBe('unknown')
  })

  it('asks whether there is a refresh cookie, which sets the CSRF cookie too, then restores the login', async () => {
    document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT'
    const { client, fetch } = clientWith((call) => {
      if (call.url.endsWith('/auth/refresh_token/present/')) {
        document.cookie = 'csrftoken=fresh'
        return { status: 200, data: { refresh_cookie: true } }
      }
      return call.url.endsWith('/auth/refresh_token/') ? tokenAnswer('restored') : { status: 200, data: user }
    })
    const state = await client.restore()
    expect(paths(fetch.calls)).toEqual(['/api/v1/auth/refresh_token/present/', '/api/v1/auth/refresh_token/', '/api/v1/user/'])
    expect(fetch.calls[0]!.method).toBe('GET')
    expect(fetch.calls[1]!.headers.get('X-CSRFToken')).toBe('fresh')
    expect(fetch.calls[2]!.headers.get('Authorization')).toBe('Bearer restored')
    expect(state).toMatchObject({ status: 'signed-in', user: { username: 'alice' } })
    expect(client.getAccessToken()).toBe('restored')
  })

  it('makes no refresh on a first visit, when the browser holds no refresh cookie', async () => {
    const { client, fetch, refreshes } = clientWith((call) =>
      call.url.endsWith('/auth/refresh_token/present/') ? { status: 200, data: { refresh_cookie: false } } : tokenAnswer('x'),
    )
    expect(await client.restore()).toEqual({ status: 'signed-out', user: null, reason: null })
    expect(refreshes()).toBe(0)
    expect(paths(fetch.calls)).toEqual(['/api/v1/auth/refresh_token/present/'])
  })

  it('fetches the CSRF cookie and tries the refresh when the server cannot say (an older one: 404)', async () => {
    document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT'
    const { client, fetch } = clientWith((call) => {
      if (call.url.endsWith('/auth/refresh_token/present/')) return { status: 404, data: { code: 'not_found', detail: '' } }
      if (call.url.endsWith('/auth/csrf/')) {
        document.cookie = 'csrftoken=fresh'
        return { status: 204 }
      }
      return call.url.endsWith('/auth/refresh_token/') ? tokenAnswer('restored') : { status: 200, data: user }
    })
    expect(await client.restore()).toMatchObject({ status: 'signed-in' })
    expect(paths(fetch.calls)).toEqual([
      '/api/v1/auth/refresh_token/present/',
      '/api/v1/auth/csrf/',
      '/api/v1/auth/refresh_token/',
      '/api/v1/user/',
    ])
  })

  it('restores once, however often it is asked', async () => {
    const { client, refreshes } = clientWith((call) =>
      call.url.endsWith('/auth/refresh_token/') ? tokenAnswer('restored') : { status: 200, data: user },
    )
    await Promise.all([client.restore(), client.restore()])
    await client.restore()
    expect(refreshes()).toBe(1)
  })

  it('restores without a user when told there is no user endpoint', async () => {
    const { client, fetch } = clientWith(() => tokenAnswer('restored'), { userPath: null })
    expect(await client.restore()).toEqual({ status: 'signed-in', user: null, reason: null })
    expect(paths(fetch.calls)).toEqual(['/api/v1/auth/refresh_token/present/', '/api/v1/auth/refresh_token/'])
  })

  it('is signed out when there is no refresh cookie', async () => {
    const { client } = clientWith(() => ({ status: 401, data: { code: 'refresh_missing', detail: '' } }))
    expect(await client.restore()).toEqual({ status: 'signed-out', user: null, reason: null })
  })

  it('tells listeners what changed, from what, and why', async () => {
    const { client } = clientWith((call) =>
      call.url.endsWith('/auth/obtain_token/') ? { status: 200, data: { token: 'jwt', expires_in: 300, user } } : { status: 204 },
    )
    const changes: AuthChange[] = []
    const stop = client.onChange((change) => changes.push(change))
    await client.login('alice', 'pw')
    await client.logout()
    stop()
    await client.login('alice', 'pw')
    expect(changes.map((c) => [c.previous.status, c.state.status, c.cause])).toEqual([
      ['unknown', 'signed-in', 'login'],
      ['signed-in', 'signed-out', 'logout'],
    ])
  })

  it('signs out when another tab logs out, and in when another tab logs in', async () => {
    const { client } = clientWith(() => ({ status: 204 }))
    const otherTab = createAuthChannel()
    otherTab.post({ type: 'login', access: { token: 'shared', expiresAt: Date.now() + 300_000 }, user })
    await flush()
    expect(client.getState()).toMatchObject({ status: 'signed-in', user: { username: 'alice' } })
    expect(client.getAccessToken()).toBe('shared')
    const changes: AuthChange[] = []
    client.onChange((change) => changes.push(change))
    otherTab.post({ type: 'logout' })
    await flush()
    expect(client.getState().status).toBe('signed-out')
    expect(changes.map((c) => c.cause)).toEqual(['other-tab'])
    otherTab.close()
  })

  it('takes a token another tab refreshed', async () => {
    const { client } = clientWith(() => ({ status: 204 }))
    const otherTab = createAuthChannel()
    otherTab.post({ type: 'token', access: { token: 'newer', expiresAt: Date.now() + 300_000 } })
    await flush()
    expect(client.getAccessToken()).toBe('newer')
    otherTab.close()
  })

  it('keeps to itself without a channel', async () => {
    const { client } = clientWith(() => ({ status: 204 }), { channelName: null })
    const otherTab = createAuthChannel()
    otherTab.post({ type: 'token', access: { token: 'newer', expiresAt: Date.now() + 300_000 } })
    await flush()
    expect(client.getAccessToken()).toBeNull()
    otherTab.close()
  })

  it('signs out with the reason when a background refresh is refused', async () => {
    vi.useFakeTimers()
    const { client } = await signedIn(() => ({ status: 401, data: { code: 'session_revoked', detail: 'Session revoked.' } }))
    const changes: AuthChange[] = []
    client.onChange((change) => changes.push(change))
    await vi.advanceTimersByTimeAsync(300_000)
    expect(client.getState()).toMatchObject({ status: 'signed-out', reason: { code: 'session_revoked' } })
    expect(changes.map((c) => c.cause)).toEqual(['session-ended'])
    expect(client.getAccessToken()).toBeNull()
  })

  it('stays signed in when a background refresh loses its answer', async () => {
    vi.useFakeTimers()
    const { client, refreshes } = await signedIn(() => {
      throw lostAnswer()
    })
    await vi.advanceTimersByTimeAsync(300_000)
    expect(refreshes()).toBe(2) // the attempt and its one retry
    expect(client.getState()).toMatchObject({ status: 'signed-in', reason: null })
    expect(client.getAccessToken()).toBe('jwt')
  })

  it('refreshes a tab that comes back into view with a token about to expire', async () => {
    const { client, refreshes } = await signedIn(() => tokenAnswer('fresh'), 20)
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true })
    document.dispatchEvent(new Event('visibilitychange'))
    await flush()
    expect(refreshes()).toBe(1)
    expect(client.getAccessToken()).toBe('fresh')
  })

  it('adopts the token of the new session after a password change and shares it with the other tabs', async () => {
    const { client, fetch } = await signedIn(() => tokenAnswer('new-session'))
    const otherTab = createAuthChannel()
    const heard: AuthMessage[] = []
    otherTab.subscribe((message) => heard.push(message))
    await client.changePassword('old-pw', 'new-pw')
    await flush()
    expect(fetch.calls.at(-1)).toMatchObject({
      url: '/api/v1/auth/password/change/',
      body: { old_password: 'old-pw', new_password: 'new-pw' },
    })
    expect(fetch.calls.at(-1)!.headers.get('Authorization')).toBe('Bearer jwt')
    expect(client.getAccessToken()).toBe('new-session')
    expect(client.getState().status).toBe('signed-in')
    expect(heard).toContainEqual({ type: 'token', access: expect.objectContaining({ token: 'new-session' }) })
    otherTab.close()
  })

  it('reports the validation messages of a refused password change per field', async () => {
    const { client } = await signedIn(() => ({
      status: 400,
      data: { detail: 'Invalid input.', code: 'invalid', errors: { new_password: ['This password is too short.'] } },
    }))
    await expect(client.changePassword('old-pw', 'short')).rejects.toMatchObject({
      status: 400,
      fields: { new_password: ['This password is too short.'] },
    })
    expect(client.getAccessToken()).toBe('jwt')
  })

  it('times the next proactive refresh from the token a password change brings', async () => {
    vi.useFakeTimers()
    const { client, refreshes } = await signedIn(
      (call) => (call.url.endsWith('/auth/password/change/') ? tokenAnswer('new-session') : tokenAnswer('refreshed')),
      60,
    )
    await client.changePassword('old-pw', 'new-pw')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(refreshes()).toBe(0) // the login token's timer is gone
    await vi.advanceTimersByTimeAsync(240_000)
    expect(refreshes()).toBe(1)
    expect(client.getAccessToken()).toBe('refreshed')
  })

  it('keeps the current token when an older server answers a password change with 204', async () => {
    const { client } = await signedIn(() => ({ status: 204 }))
    const otherTab = createAuthChannel()
    const heard: AuthMessage[] = []
    otherTab.subscribe((message) => heard.push(message))
    await client.changePassword('old-pw', 'new-pw')
    await flush()
    expect(client.getAccessToken()).toBe('jwt')
    expect(client.getState().status).toBe('signed-in')
    expect(heard).toEqual([])
    otherTab.close()
  })

  it('lists and revokes sessions, and logs out everywhere', async () => {
    const page = { count: 1, next: null, previous: null, results: [{ id: 's1', current: true }] }
    const { client, fetch } = await signedIn((call) => (call.method === 'GET' ? { status: 200, data: page } : { status: 204 }))
    expect(await client.sessions()).toEqual(page)
    await client.revokeSession('s2')
    await client.logoutAll()
    expect(fetch.calls.slice(1).map((call) => `${call.method} ${call.url}`)).toEqual([
      'GET /api/v1/auth/sessions/?limit=100',
      'DELETE /api/v1/auth/sessions/s2/',
      'POST /api/v1/auth/logout_all/',
      'POST /api/v1/auth/logout/',
    ])
    expect(client.getState().status).toBe('signed-out')
  })

  it('lists and forgets known devices', async () => {
    const listed = [{ id: 'd1', browser: 'Firefox 128', system: 'Ubuntu', first_seen: '', last_seen: '', current: true }]
    const { client, fetch } = await signedIn((call) => (call.method === 'GET' ? { status: 200, data: listed } : { status: 204 }))
    expect(await client.devices()).toEqual(listed)
    await client.forgetDevice('d/2')
    expect(fetch.calls.slice(1).map((call) => `${call.method} ${call.url}`)).toEqual([
      'GET /api/v1/auth/devices/',
      'DELETE /api/v1/auth/devices/d%2F2/',
    ])
  })

  it('stays signed in when logging out everywhere fails', async () => {
    const { client } = await signedIn(() => ({ status: 503, data: { code: 'service_unavailable', detail: 'down' } }))
    await expect(client.logoutAll()).rejects.toMatchObject({ code: 'service_unavailable' })
    expect(client.getState().status).toBe('signed-in')
  })

  it('sends the classic JWT scheme when told to', async () => {
    const { client, fetch } = clientWith(
      (call) => (call.url.endsWith('/auth/obtain_token/') ? { status: 200, data: { token: 'jwt', expires_in: 300, user } } : { status: 200, data: {} }),
      { scheme: 'JWT' },
    )
    await client.login('alice', 'pw')
    await client.fetch('/api/v1/user/')
    expect(fetch.calls.at(-1)!.headers.get('Authorization')).toBe('JWT jwt')
  })

  it('leaves no timer behind once disposed', async () => {
    vi.useFakeTimers()
    const { client, refreshes } = await signedIn(() => tokenAnswer('refreshed'))
    client.dispose()
    await vi.advanceTimersByTimeAsync(600_000)
    expect(refreshes()).toBe(0)
  })
})
