import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { http, setAuthHooks } from '../api/client'
import { createAuthChannel, type AuthMessage } from '../auth/channel'
import { getAccessToken, setAccessToken } from '../auth/tokens'
import { useSessionStore } from '../stores/session'
import { fakeAdapter, lostResponse, type Handler } from './helpers'

const user = { id: 1, username: 'alice', email: 'a@example.com', first_name: '', last_name: '', is_staff: false }

function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20))
}

describe('session store and tab sync', () => {
  const original = http.defaults.adapter
  beforeEach(() => {
    setActivePinia(createPinia())
    setAccessToken(null)
    document.cookie = 'csrftoken=abc'
  })
  afterEach(() => {
    useSessionStore().$dispose()
    vi.useRealTimers()
    http.defaults.adapter = original
    setAuthHooks(null)
  })

  /** A signed-in store whose login token lives `expiresIn` seconds; `handle` answers the rest. */
  async function signedIn(handle: Handler, expiresIn = 300) {
    const adapter = fakeAdapter((config) =>
      config.url === 'auth/obtain_token/' ? { status: 200, data: { token: 'jwt', expires_in: expiresIn, user } } : handle(config),
    )
    http.defaults.adapter = adapter
    const store = useSessionStore()
    store.start()
    await store.login('alice', 'pw')
    return { store, adapter }
  }

  const refreshes = (adapter: ReturnType<typeof fakeAdapter>) =>
    adapter.calls.filter((config) => config.url === 'auth/refresh_token/').length

  it('logs in, keeps the token in memory only, and logs out on the server', async () => {
    const adapter = fakeAdapter((config) => {
      if (config.url === 'auth/obtain_token/') return { status: 200, data: { token: 'jwt', expires_in: 300, user } }
      return { status: 204 }
    })
    http.defaults.adapter = adapter
    const store = useSessionStore()
    store.start()
    await store.login('alice', 'pw')
    expect(store.isSignedIn).toBe(true)
    expect(getAccessToken()?.token).toBe('jwt')
    expect(localStorage.length + sessionStorage.length).toBe(0)
    await store.logout()
    expect(adapter.calls.at(-1)?.url).toBe('auth/logout/')
    expect(store.status).toBe('signed-out')
    expect(getAccessToken()).toBeNull()
  })

  it('restores the login from the refresh cookie on start', async () => {
    http.defaults.adapter = fakeAdapter((config) =>
      config.url === 'auth/refresh_token/'
        ? { status: 200, data: { token: 'restored', expires_in: 300 } }
        : { status: 200, data: user },
    )
    const store = useSessionStore()
    store.start()
    await store.restore()
    expect(store.user?.username).toBe('alice')
    expect(getAccessToken()?.token).toBe('restored')
  })

  it('is signed out when there is no refresh cookie', async () => {
    http.defaults.adapter = fakeAdapter(() => ({ status: 401, data: { code: 'refresh_missing', detail: '' } }))
    const store = useSessionStore()
    store.start()
    await store.restore()
    expect(store.status).toBe('signed-out')
  })

  it('signs out when another tab logs out, and in when another tab logs in', async () => {
    const store = useSessionStore()
    store.start()
    const otherTab = createAuthChannel()
    otherTab.post({ type: 'login', access: { token: 'shared', expiresAt: Date.now() + 300_000 }, user })
    await flush()
    expect(store.user?.username).toBe('alice')
    expect(getAccessToken()?.token).toBe('shared')
    const signedOut = vi.fn()
    store.onSignedOut(signedOut)
    otherTab.post({ type: 'logout' })
    await flush()
    expect(store.status).toBe('signed-out')
    expect(signedOut).toHaveBeenCalledTimes(1)
    otherTab.close()
  })

  it('takes a token another tab refreshed', async () => {
    const store = useSessionStore()
    store.start()
    const otherTab = createAuthChannel()
    otherTab.post({ type: 'token', access: { token: 'newer', expiresAt: Date.now() + 300_000 } })
    await flush()
    expect(getAccessToken()?.token).toBe('newer')
    otherTab.close()
  })

  it('signs out with the reason when a background refresh is refused', async () => {
    vi.useFakeTimers()
    const { store } = await signedIn(() => ({ status: 401, data: { code: 'session_revoked', detail: 'Session revoked.' } }))
    const signedOut = vi.fn()
    store.onSignedOut(signedOut)
    await vi.advanceTimersByTimeAsync(300_000)
    expect(store.status).toBe('signed-out')
    expect(store.endedReason?.code).toBe('session_revoked')
    expect(signedOut).toHaveBeenCalledTimes(1)
    expect(getAccessToken()).toBeNull()
  })

  it('stays signed in when a background refresh loses its answer', async () => {
    vi.useFakeTimers()
    const { store, adapter } = await signedIn((config) => {
      throw lostResponse(config)
    })
    await vi.advanceTimersByTimeAsync(300_000)
    expect(refreshes(adapter)).toBe(2) // the attempt and its one retry
    expect(store.status).toBe('signed-in')
    expect(store.endedReason).toBeNull()
    expect(getAccessToken()?.token).toBe('jwt')
  })

  it('adopts the token of the new session after a password change and shares it with the other tabs', async () => {
    const { store, adapter } = await signedIn(() => ({
      status: 200,
      data: { token: 'new-session', token_type: 'Bearer', expires_in: 300 },
    }))
    const otherTab = createAuthChannel()
    const heard: AuthMessage[] = []
    otherTab.subscribe((message) => heard.push(message))
    await store.changePassword('old-pw', 'new-pw')
    await flush()
    expect(adapter.calls.at(-1)?.url).toBe('auth/password/change/')
    expect(getAccessToken()?.token).toBe('new-session')
    expect(store.isSignedIn).toBe(true)
    expect(heard).toContainEqual({ type: 'token', access: expect.objectContaining({ token: 'new-session' }) })
    otherTab.close()
  })

  it('times the next proactive refresh from the token a password change brings', async () => {
    vi.useFakeTimers()
    const { store, adapter } = await signedIn(
      (config) =>
        config.url === 'auth/password/change/'
          ? { status: 200, data: { token: 'new-session', token_type: 'Bearer', expires_in: 300 } }
          : { status: 200, data: { token: 'refreshed', token_type: 'Bearer', expires_in: 300 } },
      60,
    )
    await store.changePassword('old-pw', 'new-pw')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(refreshes(adapter)).toBe(0) // the login token's timer is gone
    await vi.advanceTimersByTimeAsync(240_000)
    expect(refreshes(adapter)).toBe(1)
    expect(getAccessToken()?.token).toBe('refreshed')
  })

  it('keeps the current token when an older server answers a password change with 204', async () => {
    const { store } = await signedIn(() => ({ status: 204, data: '' }))
    const otherTab = createAuthChannel()
    const heard: AuthMessage[] = []
    otherTab.subscribe((message) => heard.push(message))
    await store.changePassword('old-pw', 'new-pw')
    await flush()
    expect(getAccessToken()?.token).toBe('jwt')
    expect(store.isSignedIn).toBe(true)
    expect(heard).toEqual([])
    otherTab.close()
  })
})
