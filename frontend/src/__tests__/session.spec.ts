import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { http, setAuthHooks } from '../api/client'
import { createAuthChannel } from '../auth/channel'
import { getAccessToken, setAccessToken } from '../auth/tokens'
import { useSessionStore } from '../stores/session'
import { fakeAdapter } from './helpers'

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
    http.defaults.adapter = original
    setAuthHooks(null)
  })

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
})
