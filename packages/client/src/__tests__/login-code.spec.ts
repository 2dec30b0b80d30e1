import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAuthChannel, type AuthMessage } from '../channel.js'
import { createAuthClient, type AuthClient } from '../index.js'
import { fakeFetch, flush, user, type Answer, type FetchCall } from './helpers.js'

const sent202: Answer = {
  status: 202,
  data: { flow: 'flow-1', detail: 'If that address has an account, a sign-in code is on its way.', code: 'login_code_sent' },
}
const loginAnswer: Answer = { status: 200, data: { token: 'by-code', token_type: 'Bearer', expires_in: 300, user } }
const refused = (status: number, code: string, extra: Record<string, unknown> = {}): Answer => ({
  status,
  data: { detail: 'Server wording.', code, ...extra },
})

let clients: AuthClient[] = []

function clientWith(handle: (call: FetchCall) => Answer | null) {
  const fetch = fakeFetch((call) => handle(call) ?? { status: 204 })
  const client = createAuthClient({ baseURL: '/api/v1/', fetch })
  clients.push(client)
  const sent = (path: string) => fetch.calls.filter((call) => call.url === `/api/v1/auth/${path}`)
  return { client, fetch, sent }
}

describe('sign-in with a mailed code', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
  })
  afterEach(() => {
    clients.forEach((client) => client.dispose())
    clients = []
  })

  it('asks for a code without a token, with the CSRF header, and hands back the flow', async () => {
    const { client, sent } = clientWith((call) => (call.url.endsWith('/login/code/request/') ? sent202 : null))
    await expect(client.requestLoginCode('alice@example.com')).resolves.toEqual(sent202.data)
    const [request] = sent('login/code/request/')
    expect(request).toMatchObject({ method: 'POST', body: { email: 'alice@example.com' }, credentials: 'include' })
    expect(request!.headers.get('X-CSRFToken')).toBe('abc')
    expect(request!.headers.get('Authorization')).toBeNull()
    expect(client.getState().status).toBe('unknown')
  })

  it('sends the CAPTCHA answer with the request only when there is one', async () => {
    const { client, sent } = clientWith((call) => (call.url.endsWith('/login/code/request/') ? sent202 : null))
    await client.requestLoginCode('alice@example.com', { captcha: 'solved-1' })
    await client.requestLoginCode('alice@example.com', {})
    expect(sent('login/code/request/').map((call) => call.body)).toEqual([
      { email: 'alice@example.com', captcha: 'solved-1' },
      { email: 'alice@example.com' },
    ])
  })

  it('signs in with the flow and the code like a login: signed in, the other tabs told, the token used', async () => {
    const { client, sent, fetch } = clientWith((call) => (call.url.endsWith('/login/code/') ? loginAnswer : null))
    const channel = createAuthChannel()
    const heard: AuthMessage[] = []
    channel.subscribe((message) => heard.push(message))
    await expect(client.loginWithCode({ flow: 'flow-1', code: 'wdjb-mjht' })).resolves.toEqual(user)
    await flush()
    expect(sent('login/code/')[0]).toMatchObject({ method: 'POST', body: { flow: 'flow-1', code: 'wdjb-mjht' } })
    expect(client.getState()).toEqual({ status: 'signed-in', user, reason: null })
    expect(heard).toEqual([{ type: 'login', access: { token: 'by-code', expiresAt: expect.any(Number) }, user }])
    await client.fetch('/api/v1/things/')
    expect(fetch.calls.at(-1)!.headers.get('Authorization')).toBe('Bearer by-code')
    channel.close()
  })

  it('rejects an account with a second factor with mfa_required and stays signed out', async () => {
    const { client } = clientWith((call) =>
      call.url.endsWith('/login/code/') ? refused(401, 'mfa_required', { mfa_token: 'mfa-1', methods: ['totp'] }) : null,
    )
    await expect(client.loginWithCode({ flow: 'flow-1', code: 'WDJB-MJHT' })).rejects.toMatchObject({
      name: 'ApiError',
      code: 'mfa_required',
      mfaToken: 'mfa-1',
      methods: ['totp'],
    })
    expect(client.getAccessToken()).toBeNull()
    expect(client.getState().status).toBe('unknown')
  })

  it.each([
    [401, 'code_invalid'],
    [401, 'login_code_expired'],
    [400, 'login_code_malformed'],
    [429, 'throttled'],
  ])('rejects a refused code (%i %s) with its code', async (status, code) => {
    const { client } = clientWith((call) => (call.url.endsWith('/login/code/') ? refused(status, code) : null))
    await expect(client.loginWithCode({ flow: 'flow-1', code: 'BBBB-BBBB' })).rejects.toMatchObject({ status, code })
    expect(client.getAccessToken()).toBeNull()
  })
})
