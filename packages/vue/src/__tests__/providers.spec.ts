import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, defineComponent, h, nextTick, type App } from 'vue'
import { createSpaAuth, useAuth, type SpaAuthOptions, type UseAuth } from '../index.js'
import { fakeFetch, flush, tokenAnswer, user, type Handler } from './helpers.js'

let apps: App[] = []

function mounted(options: Partial<SpaAuthOptions>, handle: Handler, signedIn = true) {
  const fetch = fakeFetch(handle, signedIn)
  const navigate = vi.fn<(url: string) => void>()
  let auth!: UseAuth
  const app = createApp(
    defineComponent({
      setup() {
        auth = useAuth()
        return () => h('p', `${auth.status.value}:${auth.user.value?.username ?? '-'}`)
      },
    }),
  )
  app.use(createSpaAuth({ baseURL: '/api/v1/', fetch, navigate, channelName: null, ...options }))
  const root = document.createElement('div')
  app.mount(root)
  apps.push(app)
  return { auth, root, fetch, navigate }
}

const identity = {
  id: '0b7c56f6-3a1e-4c55-9d1d-1f0e7f3a9c11',
  provider: 'google',
  name: 'Google',
  email: 'a@example.com',
  created: '2026-01-01T00:00:00Z',
  last_used: null,
}

describe('sign-in providers through useAuth', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
  })
  afterEach(() => {
    apps.forEach((app) => app.unmount())
    apps = []
    history.replaceState(null, '', '/')
  })

  it('lists the providers and leaves for one through the navigate option', async () => {
    const { auth, navigate } = mounted(
      {},
      (path) => (path.endsWith('/auth/providers/') ? { status: 200, data: [{ id: 'google', name: 'Google' }] } : { status: 204 }),
      false,
    )
    await flush()
    expect(await auth.providers()).toEqual([{ id: 'google', name: 'Google' }])
    auth.loginWithProvider('google', { next: '//evil.example' })
    expect(navigate).toHaveBeenCalledWith('/api/v1/auth/providers/google/login/?next=%2F')
  })

  it('finishes a provider sign-in that asked for a second factor, and shows it reactively', async () => {
    history.replaceState(null, '', '/login?provider_step=mfa&next=%2Forders')
    const { auth, root } = mounted(
      {},
      (path) =>
        path.endsWith('/auth/providers/pending/')
          ? { status: 401, data: { detail: 'Second factor.', code: 'mfa_required', mfa_token: 'm1', methods: ['totp'] } }
          : path.endsWith('/auth/mfa/authenticate/')
            ? { status: 200, data: { token: 'jwt', expires_in: 300, user } }
            : { status: 204 },
      false,
    )
    await flush()
    await expect(auth.providerResult()).rejects.toMatchObject({ code: 'mfa_required', mfaToken: 'm1', methods: ['totp'] })
    expect(location.search).toBe('?next=%2Forders')
    expect(await auth.completeMfa({ mfaToken: 'm1', code: '123456' })).toMatchObject({ username: 'alice' })
    await nextTick()
    expect(root.textContent).toBe('signed-in:alice')
  })

  it('connects, lists and disconnects identities, and reads the account state', async () => {
    const { auth, fetch, navigate } = mounted({}, (path) =>
      path.endsWith('/auth/providers/google/connect/')
        ? { status: 200, data: { authorization_url: 'https://accounts.example.com/auth' } }
        : path.endsWith('/auth/providers/identities/')
          ? { status: 200, data: [identity] }
          : path.endsWith('/auth/account/')
            ? { status: 200, data: { has_password: false } }
            : { status: 204 },
    )
    await flush()
    await auth.connectProvider('google', { next: '/security' })
    expect(navigate).toHaveBeenCalledWith('https://accounts.example.com/auth')
    expect(await auth.identities()).toEqual([identity])
    await auth.disconnectProvider(identity.id)
    expect(await auth.account()).toEqual({ has_password: false })
    history.replaceState(null, '', '/security?provider_connected=1')
    expect(await auth.providerResult()).toEqual({ connected: true, reauthenticated: false })
    expect(fetch.calls).toEqual(
      expect.arrayContaining([
        'POST /api/v1/auth/providers/google/connect/',
        'GET /api/v1/auth/providers/identities/',
        `DELETE /api/v1/auth/providers/identities/${identity.id}/`,
        'GET /api/v1/auth/account/',
      ]),
    )
  })

  it('lists and forgets known devices', async () => {
    const device = { id: 'd1', browser: 'Firefox 128', system: 'Ubuntu', first_seen: '', last_seen: '', current: true }
    const { auth, fetch } = mounted({}, (path) =>
      path.endsWith('/auth/devices/') ? { status: 200, data: [device] } : { status: 204 },
    )
    await flush()
    expect(await auth.devices()).toEqual([device])
    await auth.forgetDevice('d1')
    expect(fetch.calls).toEqual(
      expect.arrayContaining(['GET /api/v1/auth/devices/', 'DELETE /api/v1/auth/devices/d1/']),
    )
  })

  it('re-authenticates at a provider, and comes back with a token that carries it', async () => {
    let refreshes = 0
    const { auth, fetch, navigate } = mounted({}, (path) => {
      if (path.endsWith('/auth/providers/google/reauthenticate/')) {
        return { status: 200, data: { authorization_url: 'https://accounts.example.com/auth?prompt=login' } }
      }
      if (path.endsWith('/auth/refresh_token/')) return tokenAnswer(`token-${++refreshes}`)
      return { status: 204 }
    })
    await flush()
    expect(auth.client.getAccessToken()).toBe('token-1')
    await auth.reauthenticateWithProvider('google', { next: '/account' })
    expect(navigate).toHaveBeenCalledWith('https://accounts.example.com/auth?prompt=login')
    history.replaceState(null, '', '/account?provider_reauthenticated=1')
    expect(await auth.providerResult()).toEqual({ connected: false, reauthenticated: true })
    expect(location.search).toBe('')
    expect(auth.client.getAccessToken()).toBe('token-2')
    expect(auth.isSignedIn.value).toBe(true)
    expect(fetch.calls).toContain('POST /api/v1/auth/providers/google/reauthenticate/')
  })

  it('gives every action of the client', async () => {
    const { auth } = mounted({}, () => ({ status: 204 }))
    const ownOfTheClient = ['getState', 'onChange', 'refresh', 'getAccessToken', 'fetch', 'installInterceptors', 'dispose']
    const actions = Object.entries(auth.client)
      .filter(([name, value]) => typeof value === 'function' && !ownOfTheClient.includes(name))
      .map(([name]) => name)
    expect(actions.filter((name) => typeof (auth as unknown as Record<string, unknown>)[name] !== 'function')).toEqual([])
  })
})
