import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ApiError, createAuthClient, type AuthClient } from '../index.js'
import { fakeFetch, user, type Answer, type FetchCall } from './helpers.js'

let clients: AuthClient[] = []

function clientWith(handle: (call: FetchCall) => Answer) {
  const fetch = fakeFetch(handle)
  const client = createAuthClient({ baseURL: '/api/v1/', fetch, channelName: null })
  clients.push(client)
  return { client, fetch, last: () => fetch.calls.at(-1)! }
}

const challenge = (code: string, action: string): Answer => ({
  status: 400,
  data: { detail: 'Server wording.', code, captcha: { provider: 'turnstile', site_key: 'site', action } },
})

describe('the CAPTCHA', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
  })
  afterEach(() => {
    clients.forEach((client) => client.dispose())
    clients = []
  })

  it('config() asks the server, unauthenticated, and names the widget', async () => {
    const { client, last } = clientWith(() => ({
      status: 200,
      data: { captcha: { provider: 'hcaptcha', site_key: 'k' }, providers: [{ id: 'g', name: 'G' }], signup: true },
    }))
    expect(await client.config()).toEqual({
      captcha: { provider: 'hcaptcha', siteKey: 'k' },
      providers: [{ id: 'g', name: 'G' }],
      signup: true,
    })
    expect(last()).toMatchObject({ url: '/api/v1/auth/config/', method: 'GET' })
    expect(last().headers.get('Authorization')).toBeNull()
  })

  it('config() says null when no door asks', async () => {
    const { client } = clientWith(() => ({ status: 200, data: { captcha: null, providers: [], signup: false } }))
    expect((await client.config()).captcha).toBeNull()
  })

  it('a captcha_required answer carries the widget to show', async () => {
    const { client } = clientWith(() => challenge('captcha_required', 'signup'))
    const error = await client.register({ username: 'b', email: 'b@example.com', password: 'p' }).catch((e) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error.code).toBe('captcha_required')
    expect(error.captcha).toEqual({ provider: 'turnstile', siteKey: 'site', action: 'signup' })
  })

  it('a captcha_invalid answer too, and a malformed one carries none', async () => {
    const { client } = clientWith(() => challenge('captcha_invalid', 'password_reset'))
    const error = await client.requestPasswordReset('a@example.com').catch((e) => e)
    expect([error.code, error.captcha?.action]).toEqual(['captcha_invalid', 'password_reset'])
    const other = clientWith(() => ({ status: 400, data: { code: 'captcha_required', captcha: { provider: 1 } } }))
    expect((await other.client.resendVerification('a@example.com').catch((e) => e)).captcha).toBeNull()
  })

  it('captcha_unavailable carries its Retry-After', async () => {
    const { client } = clientWith(() => ({
      status: 503,
      data: { detail: 'Down.', code: 'captcha_unavailable' },
      headers: { 'Retry-After': '30' },
    }))
    const error = await client.requestPasswordReset('a@example.com').catch((e) => e)
    expect([error.status, error.code, error.retryAfter]).toEqual([503, 'captcha_unavailable', 30])
  })

  it('each guarded call sends the answer as `captcha`, and only when given', async () => {
    const { client, fetch } = clientWith((call) =>
      call.url.endsWith('/obtain_token/')
        ? { status: 200, data: { token: 'jwt', token_type: 'Bearer', expires_in: 300, user } }
        : { status: 202, data: { detail: 'ok', code: 'reset_sent' } },
    )
    await client.register({ username: 'b', email: 'b@example.com', password: 'p', captcha: 't1' })
    await client.requestPasswordReset('a@example.com', { captcha: 't2' })
    await client.resendVerification('a@example.com', { captcha: 't3' })
    await client.requestPasswordReset('a@example.com')
    await client.login('alice', 'pw', { captcha: 't4' })
    await client.logout().catch(() => undefined)
    await client.login('alice', 'pw')
    const bodies = fetch.calls.filter((call) => call.method === 'POST' && !call.url.includes('logout'))
    expect(bodies.map((call) => (call.body as { captcha?: string }).captcha)).toEqual([
      't1',
      't2',
      't3',
      undefined,
      't4',
      undefined,
    ])
  })
})
