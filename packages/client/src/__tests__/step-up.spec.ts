import axios from 'axios'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthClient, errorFromResponse, type ApiError, type AuthClient, type AuthClientOptions } from '../index.js'
import { authHeader, fakeAdapter, fakeFetch, tokenAnswer, user, type Answer, type FetchCall } from './helpers.js'

/** The step-up 401 (RFC 9470): the session is fine, its authentication too old for this. */
const stepUp: Answer = {
  status: 401,
  data: { detail: 'Confirm it is you.', code: 'reauthentication_required', max_age: 600, methods: ['password', 'totp'] },
  headers: { 'WWW-Authenticate': 'Bearer realm="api", error="insufficient_user_authentication", max_age=600' },
}
const expired: Answer = { status: 401, data: { detail: 'expired', code: 'token_expired' } }
let clients: AuthClient[] = []

/**
 * A signed-in client (token `old`); `api` answers everything else. `reauthenticate/` answers
 * the token `fresh`, and the refresh the token `new`.
 */
async function setup(api: (call: FetchCall) => Answer, options: Partial<AuthClientOptions> = {}) {
  const fetch = fakeFetch((call) => {
    if (call.url.endsWith('/auth/obtain_token/')) return { status: 200, data: { token: 'old', expires_in: 300, user } }
    if (call.url.endsWith('/auth/refresh_token/')) return tokenAnswer('new')
    if (call.url.endsWith('/auth/reauthenticate/')) return tokenAnswer('fresh')
    return api(call)
  })
  const client = createAuthClient({ baseURL: '/api/v1/', fetch, channelName: null, ...options })
  clients.push(client)
  await client.login('alice', 'pw')
  const refreshes = () => fetch.calls.filter((call) => call.url.endsWith('/auth/refresh_token/')).length
  const callsTo = (path: string) => fetch.calls.filter((call) => call.url === path)
  return { client, fetch, refreshes, callsTo }
}

/** Step-up required until the token is `fresh`. */
const needsFresh = (call: FetchCall): Answer =>
  call.headers.get('Authorization') === 'Bearer fresh' ? { status: 200, data: { ok: true } } : stepUp

describe('step-up (reauthentication_required)', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
  })
  afterEach(() => {
    clients.forEach((client) => client.dispose())
    clients = []
  })

  describe('without a prompt', () => {
    it('fetch gives the 401 as it is: no refresh, no sign-out', async () => {
      const { client, refreshes, callsTo } = await setup(() => stepUp)
      const answer = await client.fetch('/api/v1/things/', { method: 'DELETE' })
      expect(answer.status).toBe(401)
      expect(await errorFromResponse(answer)).toMatchObject({ code: 'reauthentication_required', maxAge: 600, methods: ['password', 'totp'] })
      expect(refreshes()).toBe(0)
      expect(callsTo('/api/v1/things/')).toHaveLength(1)
      expect(client.getState()).toMatchObject({ status: 'signed-in', reason: null })
      expect(client.getAccessToken()).toBe('old')
    })

    it('axios rejects with the ApiError: no refresh, no sign-out', async () => {
      const { client, refreshes } = await setup(() => ({ status: 204 }))
      const http = axios.create({ baseURL: '/api/v1/' })
      client.installInterceptors(http)
      const adapter = fakeAdapter(() => stepUp)
      http.defaults.adapter = adapter
      await expect(http.delete('things/1/')).rejects.toMatchObject({ name: 'ApiError', code: 'reauthentication_required', maxAge: 600 })
      expect(adapter.calls).toHaveLength(1)
      expect(refreshes()).toBe(0)
      expect(client.getState().status).toBe('signed-in')
    })

    it("the client's own calls reject with code, maxAge and methods, and the tab stays signed in", async () => {
      const { client, refreshes } = await setup(() => stepUp)
      await expect(client.removePasskey(3)).rejects.toMatchObject({
        status: 401,
        code: 'reauthentication_required',
        maxAge: 600,
        methods: ['password', 'totp'],
      })
      await expect(client.changePassword('pw', 'new-passphrase')).rejects.toMatchObject({ code: 'reauthentication_required' })
      expect(refreshes()).toBe(0)
      expect(client.getState()).toMatchObject({ status: 'signed-in', reason: null })
    })
  })

  describe('with onReauthenticationRequired', () => {
    it('asks, and after the user confirmed retries the request once with the new token', async () => {
      let client!: AuthClient
      const ask = vi.fn(async (error: ApiError) => {
        expect(error).toMatchObject({ code: 'reauthentication_required', maxAge: 600, methods: ['password', 'totp'] })
        await client.reauthenticate({ password: 'pw' })
        return true
      })
      const made = await setup(needsFresh, { onReauthenticationRequired: ask })
      client = made.client
      const answer = await client.fetch('/api/v1/things/', { method: 'DELETE' })
      expect(answer.status).toBe(200)
      expect(ask).toHaveBeenCalledTimes(1)
      expect(made.callsTo('/api/v1/things/').map((call) => call.headers.get('Authorization'))).toEqual(['Bearer old', 'Bearer fresh'])
      expect(made.refreshes()).toBe(0)
    })

    it("retries the client's own calls too", async () => {
      let client!: AuthClient
      const made = await setup(needsFresh, {
        onReauthenticationRequired: async () => {
          await client.reauthenticate({ code: '123456' })
          return true
        },
      })
      client = made.client
      await client.removePasskey(3)
      expect(made.callsTo('/api/v1/auth/mfa/webauthn/3/').map((call) => call.method)).toEqual(['DELETE', 'DELETE'])
    })

    it('shares one prompt between requests that met the step-up at the same time', async () => {
      let client!: AuthClient
      const ask = vi.fn(async () => {
        await client.reauthenticate({ password: 'pw' })
        return true
      })
      const made = await setup(needsFresh, { onReauthenticationRequired: ask })
      client = made.client
      const answers = await Promise.all(Array.from({ length: 5 }, () => client.fetch('/api/v1/things/')))
      expect(answers.map((answer) => answer.status)).toEqual(Array(5).fill(200))
      expect(ask).toHaveBeenCalledTimes(1)
      expect(made.callsTo('/api/v1/auth/reauthenticate/')).toHaveLength(1)
    })

    it.each([
      ['declines', () => false],
      ['fails', () => Promise.reject(new Error('dialog gone'))],
    ])('rejects with the ApiError when the prompt %s, and stays signed in', async (_name, answer) => {
      const { client, callsTo } = await setup(() => stepUp, { onReauthenticationRequired: answer })
      await expect(client.removePasskey(3)).rejects.toMatchObject({ code: 'reauthentication_required', maxAge: 600 })
      expect(callsTo('/api/v1/auth/mfa/webauthn/3/')).toHaveLength(1)
      expect(client.getState().status).toBe('signed-in')
    })

    it('retries only once: a second step-up is the answer, without a second prompt', async () => {
      const ask = vi.fn(() => true)
      const { client, callsTo } = await setup(() => stepUp, { onReauthenticationRequired: ask })
      expect((await client.fetch('/api/v1/things/')).status).toBe(401)
      expect(ask).toHaveBeenCalledTimes(1)
      expect(callsTo('/api/v1/things/')).toHaveLength(2)
      expect(client.getState().status).toBe('signed-in')
    })

    it('refreshes an expired token first, then asks for the step-up', async () => {
      let client!: AuthClient
      const ask = vi.fn(async () => {
        await client.reauthenticate({ password: 'pw' })
        return true
      })
      const made = await setup(
        (call) => (call.headers.get('Authorization') === 'Bearer old' ? expired : needsFresh(call)),
        { onReauthenticationRequired: ask },
      )
      client = made.client
      expect((await client.fetch('/api/v1/things/')).status).toBe(200)
      expect(made.callsTo('/api/v1/things/').map((call) => call.headers.get('Authorization'))).toEqual([
        'Bearer old',
        'Bearer new',
        'Bearer fresh',
      ])
      expect(made.refreshes()).toBe(1)
      expect(ask).toHaveBeenCalledTimes(1)
    })

    it('axios retries once with the new token after the prompt', async () => {
      let client!: AuthClient
      const made = await setup(() => ({ status: 204 }), {
        onReauthenticationRequired: async () => {
          await client.reauthenticate({ password: 'pw' })
          return true
        },
      })
      client = made.client
      const http = axios.create({ baseURL: '/api/v1/' })
      client.installInterceptors(http)
      const sentWith: Array<string | undefined> = []
      http.defaults.adapter = fakeAdapter((config) => {
        sentWith.push(authHeader(config))
        return authHeader(config) === 'Bearer fresh' ? { status: 200, data: { ok: true } } : stepUp
      })
      expect((await http.delete('things/1/')).data).toEqual({ ok: true })
      expect(sentWith).toEqual(['Bearer old', 'Bearer fresh'])
      expect(made.refreshes()).toBe(0)
    })

    it('axios never loops: a second step-up rejects', async () => {
      const ask = vi.fn(() => true)
      const { client } = await setup(() => ({ status: 204 }), { onReauthenticationRequired: ask })
      const http = axios.create({ baseURL: '/api/v1/' })
      client.installInterceptors(http)
      const adapter = fakeAdapter(() => stepUp)
      http.defaults.adapter = adapter
      await expect(http.post('things/', {})).rejects.toMatchObject({ code: 'reauthentication_required' })
      expect(adapter.calls).toHaveLength(2)
      expect(ask).toHaveBeenCalledTimes(1)
      expect(client.getState().status).toBe('signed-in')
    })
  })
})
