import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthClient, type ApiError, type AuthClient, type AuthClientOptions } from '../index.js'
import { appPath } from '../providers.js'
import { fakeFetch, user, type Answer, type FetchCall } from './helpers.js'

const loginAnswer: Answer = { status: 200, data: { token: 'jwt', token_type: 'Bearer', expires_in: 300, user } }
const refused = (status: number, code: string, extra: Record<string, unknown> = {}): Answer => ({
  status,
  data: { detail: 'Server wording.', code, ...extra },
})
const google = { id: 'google', name: 'Google' }
const identity = {
  id: '0b7c56f6-3a1e-4c55-9d1d-1f0e7f3a9c11',
  provider: 'google',
  name: 'Google',
  email: 'a@example.com',
  created: '2026-01-01T00:00:00Z',
  last_used: null,
}

let clients: AuthClient[] = []

function clientWith(handle: (call: FetchCall) => Answer | null, options: Partial<AuthClientOptions> = {}) {
  const fetch = fakeFetch((call) => handle(call) ?? (call.url.endsWith('/auth/obtain_token/') ? loginAnswer : { status: 204 }))
  const navigate = vi.fn<(url: string) => void>()
  const client = createAuthClient({ baseURL: '/api/v1/', fetch, navigate, channelName: null, ...options })
  clients.push(client)
  const sent = (path: string) => fetch.calls.filter((call) => call.url.split('?')[0] === `/api/v1/auth/${path}`)
  return { client, fetch, navigate, sent }
}

/** The page the server's redirect lands on. */
function landOn(url: string, state: unknown = { router: 'kept' }): void {
  history.replaceState(state, '', url)
}

const here = () => location.pathname + location.search + location.hash

describe('sign-in with a provider', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
  })
  afterEach(() => {
    clients.forEach((client) => client.dispose())
    clients = []
    landOn('/', null)
  })

  describe('providers', () => {
    it('lists the providers without a token, in the app language', async () => {
      const { client, sent } = clientWith((call) => (call.url.endsWith('/auth/providers/') ? { status: 200, data: [google] } : null), {
        language: 'fr',
      })
      await client.login('alice', 'pw')
      expect(await client.providers()).toEqual([google])
      const [call] = sent('providers/')
      expect(call).toMatchObject({ method: 'GET', credentials: 'include' })
      expect(call!.headers.get('Authorization')).toBeNull()
      expect(call!.headers.get('Accept-Language')).toBe('fr')
    })

    it('keeps the code of a failure', async () => {
      const { client } = clientWith(() => refused(503, 'service_unavailable'))
      await expect(client.providers()).rejects.toMatchObject({ name: 'ApiError', status: 503, code: 'service_unavailable' })
    })
  })

  describe('loginWithProvider', () => {
    it('navigates to the login route with next, sending no request', () => {
      const { client, navigate, fetch } = clientWith(() => null)
      client.loginWithProvider('google', { next: '/orders?page=2' })
      expect(navigate).toHaveBeenCalledExactlyOnceWith('/api/v1/auth/providers/google/login/?next=%2Forders%3Fpage%3D2')
      expect(fetch.calls).toEqual([])
    })

    it('starts from an API on another origin and a mount point of its own', () => {
      const { client, navigate } = clientWith(() => null, { baseURL: 'https://api.example.com/api/v1', authPath: 'accounts' })
      client.loginWithProvider('my id')
      expect(navigate).toHaveBeenCalledWith('https://api.example.com/api/v1/accounts/providers/my%20id/login/?next=%2F')
    })

    it.each(['//evil.example', 'https://evil.example', '/\\evil', '\\/evil', 'evil', '/a b', '/a\nb', `/${'a'.repeat(512)}`, ''])(
      'replaces %j, which is no path of the app, by /',
      (next) => {
        const { client, navigate } = clientWith(() => null)
        client.loginWithProvider('google', { next })
        expect(navigate).toHaveBeenCalledWith('/api/v1/auth/providers/google/login/?next=%2F')
      },
    )

    it('uses location.assign when no navigate is given', () => {
      const fetch = fakeFetch(() => ({ status: 204 }))
      const assign = vi.fn()
      vi.stubGlobal('location', { ...location, assign })
      try {
        const client = createAuthClient({ baseURL: '/api/v1/', fetch, channelName: null })
        clients.push(client)
        client.loginWithProvider('github', { next: '/security' })
        expect(assign).toHaveBeenCalledWith('/api/v1/auth/providers/github/login/?next=%2Fsecurity')
      } finally {
        vi.unstubAllGlobals()
      }
    })
  })

  describe('appPath', () => {
    it('keeps a path of the app, query and fragment included', () => {
      expect(appPath('/orders?page=2#top')).toBe('/orders?page=2#top')
      expect(appPath('/')).toBe('/')
    })

    it.each([undefined, null, 42, '//evil.example', 'https://evil.example', '/\\evil', '/ok\u0000', '/ok\u007f', ' /x'])(
      'refuses %j',
      (value) => {
        expect(appPath(value)).toBe('/')
      },
    )
  })

  describe('providerResult', () => {
    it('resolves with nothing to report, leaving the URL and history alone, when the URL has no answer', async () => {
      landOn('/orders?page=2#top')
      const replace = vi.spyOn(history, 'replaceState')
      const { client, fetch } = clientWith(() => null)
      expect(await client.providerResult()).toEqual({ connected: false, reauthenticated: false })
      expect(replace).not.toHaveBeenCalled()
      expect(fetch.calls).toEqual([])
      replace.mockRestore()
    })

    it('says a connection succeeded, and takes it out of the URL, keeping the rest and the history state', async () => {
      landOn('/security?tab=2&provider_connected=1#providers')
      const { client } = clientWith(() => null)
      expect(await client.providerResult()).toEqual({ connected: true, reauthenticated: false })
      expect(here()).toBe('/security?tab=2#providers')
      expect(history.state).toEqual({ router: 'kept' })
    })

    it('keeps the rest of the query exactly as it was written', async () => {
      landOn('/login?next=/orders%3Fa%3D1&x=a+b&provider_error=throttled&provider_error=other&y')
      const { client } = clientWith(() => null)
      await expect(client.providerResult()).rejects.toMatchObject({ code: 'throttled' })
      expect(here()).toBe('/login?next=/orders%3Fa%3D1&x=a+b&y')
    })

    it('rejects with the code of a failure, once: the URL is clean after it', async () => {
      landOn('/login?provider_error=provider_account_exists')
      const { client, fetch } = clientWith(() => null)
      const error = (await client.providerResult().catch((caught: unknown) => caught)) as ApiError
      expect(error).toMatchObject({ name: 'ApiError', status: 0, code: 'provider_account_exists', mfaToken: null })
      expect(here()).toBe('/login')
      expect(await client.providerResult()).toEqual({ connected: false, reauthenticated: false })
      expect(fetch.calls).toEqual([])
    })

    it('reports a connection that failed on the page it began from', async () => {
      landOn('/security?provider_error=identity_in_use')
      const { client } = clientWith(() => null)
      await expect(client.providerResult()).rejects.toMatchObject({ code: 'identity_in_use' })
      expect(here()).toBe('/security')
    })

    it('says a re-authentication succeeded once a refresh brought a token that carries it', async () => {
      landOn('/account?tab=2&provider_reauthenticated=1#email')
      const { client, sent } = clientWith((call) =>
        call.url.endsWith('/auth/refresh_token/') ? { status: 200, data: { token: 'fresh', token_type: 'Bearer', expires_in: 300 } } : null,
      )
      await client.login('alice', 'pw')
      expect(await client.providerResult()).toEqual({ connected: false, reauthenticated: true })
      expect(here()).toBe('/account?tab=2#email')
      expect(history.state).toEqual({ router: 'kept' })
      const [refresh] = sent('refresh_token/')
      expect(refresh).toMatchObject({ method: 'POST', credentials: 'include' })
      expect(client.getAccessToken()).toBe('fresh')
      await client.identities()
      expect(sent('providers/identities/')[0]!.headers.get('Authorization')).toBe('Bearer fresh')
      expect(client.getState().status).toBe('signed-in')
    })

    it('rejects with the refresh failure when no new token could be had, the URL clean', async () => {
      landOn('/account?provider_reauthenticated=1')
      const { client } = clientWith((call) =>
        call.url.endsWith('/auth/refresh_token/') ? refused(401, 'session_revoked') : null,
      )
      await expect(client.providerResult()).rejects.toMatchObject({ name: 'ApiError', status: 401, code: 'session_revoked' })
      expect(here()).toBe('/account')
    })

    it.each(['0', 'yes', ''])('refreshes nothing for provider_reauthenticated=%j', async (value) => {
      landOn(`/account?provider_reauthenticated=${value}`)
      const { client, fetch } = clientWith(() => null)
      expect(await client.providerResult()).toEqual({ connected: false, reauthenticated: false })
      expect(fetch.calls).toEqual([])
      expect(here()).toBe('/account')
    })

    it('puts a failure before a re-authentication when the URL has both, and refreshes nothing', async () => {
      landOn('/security?provider_reauthenticated=1&provider_error=identity_not_connected')
      const { client, fetch } = clientWith(() => null)
      await expect(client.providerResult()).rejects.toMatchObject({ status: 0, code: 'identity_not_connected' })
      expect(fetch.calls).toEqual([])
      expect(here()).toBe('/security')
    })

    it.each(['<script>', 'Provider_Error', '', 'x'.repeat(80)])('reads the malformed code %j as provider_error', async (code) => {
      landOn(`/login?provider_error=${encodeURIComponent(code)}`)
      const { client } = clientWith(() => null)
      await expect(client.providerResult()).rejects.toMatchObject({ code: 'provider_error' })
    })

    it('turns a pending second step into the mfa_required answer of login(), and the second step signs in', async () => {
      landOn('/login?provider_step=mfa&next=%2Forders')
      const { client, sent } = clientWith(
        (call) =>
          call.url.endsWith('/auth/providers/pending/')
            ? refused(401, 'mfa_required', { mfa_token: 'mfa-1', methods: ['totp', 'webauthn'] })
            : call.url.endsWith('/auth/mfa/authenticate/')
              ? loginAnswer
              : null,
        { language: 'de' },
      )
      const error = (await client.providerResult().catch((caught: unknown) => caught)) as ApiError
      expect(error).toMatchObject({ name: 'ApiError', status: 401, code: 'mfa_required', mfaToken: 'mfa-1', methods: ['totp', 'webauthn'] })
      expect(here()).toBe('/login?next=%2Forders')
      const [pending] = sent('providers/pending/')
      expect(pending).toMatchObject({ method: 'POST', credentials: 'include', body: undefined })
      expect(pending!.headers.get('Authorization')).toBeNull()
      expect(pending!.headers.get('Accept-Language')).toBe('de')
      expect(client.getState().status).toBe('unknown')
      expect(await client.completeMfa({ mfaToken: error.mfaToken!, code: '123456' })).toEqual(user)
      expect(client.getState().status).toBe('signed-in')
    })

    it('rejects with mfa_token_invalid when the pending login expired or was read already', async () => {
      landOn('/login?provider_step=mfa')
      const { client } = clientWith((call) => (call.url.endsWith('/auth/providers/pending/') ? refused(401, 'mfa_token_invalid') : null))
      await expect(client.providerResult()).rejects.toMatchObject({ status: 401, code: 'mfa_token_invalid', mfaToken: null })
      expect(client.getState().status).toBe('unknown')
    })

    it('rejects with mfa_token_invalid when the server has no second step to answer', async () => {
      landOn('/login?provider_step=mfa')
      const { client } = clientWith((call) => (call.url.endsWith('/auth/providers/pending/') ? { status: 204 } : null))
      await expect(client.providerResult()).rejects.toMatchObject({ code: 'mfa_token_invalid' })
    })

    it('puts a failure before a second step when the URL has both', async () => {
      landOn('/login?provider_step=mfa&provider_error=throttled')
      const { client, fetch } = clientWith(() => null)
      await expect(client.providerResult()).rejects.toMatchObject({ code: 'throttled' })
      expect(fetch.calls).toEqual([])
      expect(here()).toBe('/login')
    })
  })

  describe('connectProvider', () => {
    it('asks the server for the provider URL, signed in, then navigates to it', async () => {
      const { client, sent, navigate } = clientWith((call) =>
        call.url.endsWith('/connect/') ? { status: 200, data: { authorization_url: 'https://accounts.example.com/auth?x=1' } } : null,
      )
      await client.login('alice', 'pw')
      await client.connectProvider('google', { next: '/security' })
      const [call] = sent('providers/google/connect/')
      expect(call).toMatchObject({ method: 'POST', body: { next: '/security' } })
      expect(call!.headers.get('Authorization')).toBe('Bearer jwt')
      expect(call!.headers.get('X-CSRFToken')).toBe('abc')
      expect(navigate).toHaveBeenCalledExactlyOnceWith('https://accounts.example.com/auth?x=1')
    })

    it('sends / for a next that is no path of the app', async () => {
      const { client, sent } = clientWith((call) =>
        call.url.endsWith('/connect/') ? { status: 200, data: { authorization_url: 'https://accounts.example.com/' } } : null,
      )
      await client.login('alice', 'pw')
      await client.connectProvider('google', { next: '//evil.example' })
      await client.connectProvider('google')
      expect(sent('providers/google/connect/').map((call) => call.body)).toEqual([{ next: '/' }, { next: '/' }])
    })

    it('goes on after the step-up prompt, and stays put when it is declined', async () => {
      const fresh = { status: 200, data: { token: 'fresh', token_type: 'Bearer', expires_in: 300 } }
      const made = clientWith(
        (call) => {
          if (call.url.endsWith('/auth/reauthenticate/')) return fresh
          if (!call.url.endsWith('/connect/')) return null
          return call.headers.get('Authorization') === 'Bearer fresh'
            ? { status: 200, data: { authorization_url: 'https://accounts.example.com/' } }
            : refused(401, 'reauthentication_required', { max_age: 600, methods: ['password'] })
        },
        {
          async onReauthenticationRequired() {
            await made.client.reauthenticate({ password: 'pw' })
            return true
          },
        },
      )
      await made.client.login('alice', 'pw')
      await made.client.connectProvider('google')
      expect(made.navigate).toHaveBeenCalledWith('https://accounts.example.com/')
      expect(made.sent('providers/google/connect/')).toHaveLength(2)

      const declined = clientWith(
        (call) => (call.url.endsWith('/connect/') ? refused(401, 'reauthentication_required', { max_age: 600 }) : null),
        { onReauthenticationRequired: () => false },
      )
      await declined.client.login('alice', 'pw')
      await expect(declined.client.connectProvider('google')).rejects.toMatchObject({ status: 401, code: 'reauthentication_required', maxAge: 600 })
      expect(declined.navigate).not.toHaveBeenCalled()
      expect(declined.client.getState().status).toBe('signed-in')
    })

    it('never navigates to a URL that is no web page', async () => {
      const { client, navigate } = clientWith((call) =>
        call.url.endsWith('/connect/') ? { status: 200, data: { authorization_url: 'javascript:alert(1)' } } : null,
      )
      await client.login('alice', 'pw')
      await expect(client.connectProvider('google')).rejects.toMatchObject({ code: 'client_error' })
      expect(navigate).not.toHaveBeenCalled()
    })

    it('keeps the code of an unknown provider', async () => {
      const { client, navigate } = clientWith((call) => (call.url.endsWith('/connect/') ? refused(404, 'provider_unknown') : null))
      await client.login('alice', 'pw')
      await expect(client.connectProvider('nope')).rejects.toMatchObject({ status: 404, code: 'provider_unknown' })
      expect(navigate).not.toHaveBeenCalled()
    })
  })

  describe('reauthenticateWithProvider', () => {
    const reauthenticate = (call: FetchCall): Answer | null =>
      call.url.endsWith('/reauthenticate/') ? { status: 200, data: { authorization_url: 'https://accounts.example.com/auth?prompt=login' } } : null

    it('asks the server for the provider URL, signed in, then navigates to it', async () => {
      const { client, sent, navigate } = clientWith(reauthenticate)
      await client.login('alice', 'pw')
      await client.reauthenticateWithProvider('google', { next: '/account?tab=2' })
      const [call] = sent('providers/google/reauthenticate/')
      expect(call).toMatchObject({ method: 'POST', credentials: 'include', body: { next: '/account?tab=2' } })
      expect(call!.headers.get('Authorization')).toBe('Bearer jwt')
      expect(call!.headers.get('X-CSRFToken')).toBe('abc')
      expect(navigate).toHaveBeenCalledExactlyOnceWith('https://accounts.example.com/auth?prompt=login')
    })

    it('sends / for a next that is no path of the app, and escapes the id', async () => {
      const { client, fetch } = clientWith((call) =>
        call.url.includes('/reauthenticate/') ? { status: 200, data: { authorization_url: 'https://accounts.example.com/' } } : null,
      )
      await client.login('alice', 'pw')
      await client.reauthenticateWithProvider('my id', { next: 'https://evil.example' })
      await client.reauthenticateWithProvider('google')
      expect(fetch.calls.filter((call) => call.url.endsWith('/reauthenticate/')).map((call) => [call.url, call.body])).toEqual([
        ['/api/v1/auth/providers/my%20id/reauthenticate/', { next: '/' }],
        ['/api/v1/auth/providers/google/reauthenticate/', { next: '/' }],
      ])
    })

    it.each([{ authorization_url: 'javascript:alert(1)' }, {}, null])('never navigates for the answer %j', async (data) => {
      const { client, navigate } = clientWith((call) => (call.url.endsWith('/reauthenticate/') ? { status: 200, data } : null))
      await client.login('alice', 'pw')
      await expect(client.reauthenticateWithProvider('google')).rejects.toMatchObject({ name: 'ApiError', code: 'client_error' })
      expect(navigate).not.toHaveBeenCalled()
    })

    it('keeps the code of a refusal, and stays signed in', async () => {
      const { client, navigate } = clientWith((call) => (call.url.endsWith('/reauthenticate/') ? refused(404, 'provider_unknown') : null))
      await client.login('alice', 'pw')
      await expect(client.reauthenticateWithProvider('nope')).rejects.toMatchObject({ status: 404, code: 'provider_unknown' })
      expect(navigate).not.toHaveBeenCalled()
      expect(client.getState().status).toBe('signed-in')
    })

    it('comes back re-authenticated: the request that met the step-up goes through when made again', async () => {
      let fresh = false
      const { client, navigate, sent } = clientWith((call) => {
        if (call.url.endsWith('/reauthenticate/')) return { status: 200, data: { authorization_url: 'https://accounts.example.com/' } }
        if (call.url.endsWith('/auth/refresh_token/')) {
          fresh = true // the callback moved the session's auth_time: refreshed tokens carry it
          return { status: 200, data: { token: 'fresh', token_type: 'Bearer', expires_in: 300 } }
        }
        if (call.url.includes('/identities/only/')) {
          return call.headers.get('Authorization') === 'Bearer fresh'
            ? { status: 204 }
            : refused(401, 'reauthentication_required', { max_age: 600, methods: ['provider'] })
        }
        return null
      })
      await client.login('alice', 'pw')
      const stepUp = (await client.disconnectProvider('only').catch((caught: unknown) => caught)) as ApiError
      expect(stepUp).toMatchObject({ status: 401, code: 'reauthentication_required', methods: ['provider'] })
      await client.reauthenticateWithProvider('google', { next: '/security' })
      expect(navigate).toHaveBeenCalledOnce()

      landOn('/security?provider_reauthenticated=1')
      expect(fresh).toBe(false)
      expect(await client.providerResult()).toMatchObject({ reauthenticated: true })
      await client.disconnectProvider('only')
      expect(sent('providers/identities/only/').map((call) => call.headers.get('Authorization'))).toEqual(['Bearer jwt', 'Bearer fresh'])
    })
  })

  describe('identities', () => {
    it('lists the connected identities, signed in', async () => {
      const { client, sent } = clientWith((call) => (call.url.endsWith('/providers/identities/') ? { status: 200, data: [identity] } : null))
      await client.login('alice', 'pw')
      expect(await client.identities()).toEqual([identity])
      expect(sent('providers/identities/')[0]!.headers.get('Authorization')).toBe('Bearer jwt')
    })

    it('disconnects one, signed in', async () => {
      const { client, sent } = clientWith(() => null)
      await client.login('alice', 'pw')
      await client.disconnectProvider(identity.id)
      const [call] = sent(`providers/identities/${identity.id}/`)
      expect(call).toMatchObject({ method: 'DELETE' })
      expect(call!.headers.get('Authorization')).toBe('Bearer jwt')
    })

    it('keeps last_way_in and not_found, and stays signed in', async () => {
      const { client } = clientWith((call) =>
        call.url.includes('/identities/only/') ? refused(400, 'last_way_in') : call.url.includes('/identities/') ? refused(404, 'not_found') : null,
      )
      await client.login('alice', 'pw')
      await expect(client.disconnectProvider('only')).rejects.toMatchObject({ status: 400, code: 'last_way_in' })
      await expect(client.disconnectProvider('gone')).rejects.toMatchObject({ status: 404, code: 'not_found' })
      expect(client.getState().status).toBe('signed-in')
    })
  })

  describe('account', () => {
    it('says whether the account has a password', async () => {
      const { client, sent } = clientWith((call) => (call.url.endsWith('/auth/account/') ? { status: 200, data: { has_password: false } } : null))
      await client.login('alice', 'pw')
      expect(await client.account()).toEqual({ has_password: false })
      const [call] = sent('account/')
      expect(call).toMatchObject({ method: 'GET' })
      expect(call!.headers.get('Authorization')).toBe('Bearer jwt')
    })
  })

  it('lists the provider a session was signed in with', async () => {
    const session = {
      id: 's1',
      kind: 'token',
      created: '2026-01-01T00:00:00Z',
      last_used: '2026-01-01T00:00:00Z',
      expires: '2026-02-01T00:00:00Z',
      user_agent: '',
      ip: null,
      current: true,
      provider: 'google',
    }
    const { client } = clientWith((call) =>
      call.url.startsWith('/api/v1/auth/sessions/') ? { status: 200, data: { count: 1, next: null, previous: null, results: [session] } } : null,
    )
    await client.login('alice', 'pw')
    const { results } = await client.sessions()
    expect(results[0]!.provider).toBe('google')
  })
})
