import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAuthClient, errorFromResponse, type AuthClient } from '../index.js'
import { fakeFetch, lostAnswer, tokenAnswer, user, type Answer, type FetchCall } from './helpers.js'

const expired: Answer = { status: 401, data: { detail: 'expired', code: 'token_expired' } }
let clients: AuthClient[] = []

/** A signed-in client (token `old`): `api` answers the app's calls, `refresh` the refreshes. */
async function setup(api: (call: FetchCall) => Answer, refresh: (call: FetchCall) => Answer = () => tokenAnswer('new')) {
  const fetch = fakeFetch((call) => {
    if (call.url.endsWith('/auth/obtain_token/')) return { status: 200, data: { token: 'old', expires_in: 300, user } }
    if (call.url.endsWith('/auth/refresh_token/')) return refresh(call)
    return api(call)
  })
  const client = createAuthClient({ baseURL: '/api/v1/', fetch, channelName: null })
  clients.push(client)
  await client.login('alice', 'pw')
  const appCalls = () => fetch.calls.filter((call) => !call.url.includes('/auth/'))
  const refreshes = () => fetch.calls.filter((call) => call.url.endsWith('/auth/refresh_token/')).length
  return { client, fetch, appCalls, refreshes }
}

describe('fetch wrapper', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
  })
  afterEach(() => {
    clients.forEach((client) => client.dispose())
    clients = []
  })

  it('shares one refresh between concurrent 401s and retries each request once', async () => {
    const { client, refreshes } = await setup((call) =>
      call.headers.get('Authorization') === 'Bearer new' ? { status: 200, data: { ok: true } } : expired,
    )
    const answers = await Promise.all(Array.from({ length: 10 }, () => client.fetch('/api/v1/user/')))
    expect(refreshes()).toBe(1)
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200))
    expect(client.getState().status).toBe('signed-in')
  })

  it('answers like fetch: an HTTP error is a response, read with errorFromResponse', async () => {
    const { client } = await setup(() => ({ status: 403, data: { detail: 'no', code: 'permission_denied' } }))
    const answer = await client.fetch('/api/v1/users/')
    expect(answer.status).toBe(403)
    expect((await errorFromResponse(answer)).code).toBe('permission_denied')
    expect(client.getState().status).toBe('signed-in')
  })

  it('never retries a request twice and never loops on refresh', async () => {
    const { client, appCalls, refreshes } = await setup(() => expired)
    expect((await client.fetch('/api/v1/user/')).status).toBe(401)
    expect(refreshes()).toBe(1)
    expect(appCalls()).toHaveLength(2)
    expect(client.getState()).toMatchObject({ status: 'signed-out', reason: { code: 'token_expired' } })
  })

  it('gives the 401 and signs out when the refresh is refused', async () => {
    const { client } = await setup(
      () => expired,
      () => ({ status: 401, data: { detail: 'ended', code: 'session_revoked' } }),
    )
    expect((await client.fetch('/api/v1/user/')).status).toBe(401)
    expect(client.getState()).toMatchObject({ status: 'signed-out', reason: { code: 'session_revoked' } })
  })

  it('rejects, and stays signed in, when the refresh for a retry loses its answer', async () => {
    const { client } = await setup(
      () => expired,
      () => {
        throw lostAnswer()
      },
    )
    await expect(client.fetch('/api/v1/user/')).rejects.toMatchObject({ code: 'network_error' })
    expect(client.getState().status).toBe('signed-in')
  })

  it('signs out at once on a revoked session, without refreshing', async () => {
    const { client, refreshes } = await setup(() => ({ status: 401, data: { code: 'session_revoked', detail: 'x' } }))
    expect((await client.fetch('/api/v1/user/')).status).toBe(401)
    expect(refreshes()).toBe(0)
    expect(client.getState().reason?.code).toBe('session_revoked')
  })

  it('sends the token, and the CSRF cookie on unsafe methods only', async () => {
    const { client, appCalls } = await setup(() => ({ status: 200, data: {} }))
    await client.fetch('/api/v1/user/')
    await client.fetch('/api/v1/things/', { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } })
    const [get, post] = appCalls()
    expect(get!.headers.get('Authorization')).toBe('Bearer old')
    expect(get!.headers.has('X-CSRFToken')).toBe(false)
    expect(post!.headers.get('X-CSRFToken')).toBe('abc')
    expect(post!.headers.get('Content-Type')).toBe('application/json')
  })

  it('keeps a header the caller set, the classic JWT scheme included', async () => {
    const { client, appCalls } = await setup(() => ({ status: 200, data: {} }))
    const token = client.getAccessToken()
    await client.fetch('/api/v1/user/', { headers: { Authorization: `JWT ${token}` } })
    expect(appCalls()[0]!.headers.get('Authorization')).toBe('JWT old')
  })

  it('leaves requests to other origins alone', async () => {
    const { client, fetch, refreshes } = await setup(() => expired)
    expect((await client.fetch('https://elsewhere.example/x', { method: 'POST' })).status).toBe(401)
    const sent = fetch.calls.at(-1)!
    expect(sent.headers.has('Authorization')).toBe(false)
    expect(sent.headers.has('X-CSRFToken')).toBe(false)
    expect(refreshes()).toBe(0)
    expect(client.getState().status).toBe('signed-in')
  })

  it('retries a Request object with its body', async () => {
    const bodies: unknown[] = []
    const fetch = fakeFetch((call) => {
      if (call.url.endsWith('/auth/obtain_token/')) return { status: 200, data: { token: 'old', expires_in: 300, user } }
      if (call.url.endsWith('/auth/refresh_token/')) return tokenAnswer('new')
      return call.headers.get('Authorization') === 'Bearer new' ? { status: 201, data: {} } : expired
    })
    const wrapped = async (input: RequestInfo | URL, init?: RequestInit) => {
      if (input instanceof Request) bodies.push(await input.text())
      return fetch(input instanceof Request ? input.url : input, init)
    }
    const client = createAuthClient({ baseURL: '/api/v1/', fetch: wrapped, channelName: null })
    clients.push(client)
    await client.login('alice', 'pw')
    const request = new Request(new URL('/api/v1/things/', location.href), { method: 'POST', body: '{"a":1}' })
    expect((await client.fetch(request)).status).toBe(201)
    expect(bodies).toEqual(['{"a":1}', '{"a":1}'])
  })
})
