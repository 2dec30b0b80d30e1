import axios from 'axios'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAuthClient, type AuthClient } from '../index.js'
import { ApiError } from '../errors.js'
import { authHeader, fakeAdapter, fakeFetch, lostAnswer, tokenAnswer, user, type Answer, type FetchCall } from './helpers.js'

const expired: Answer = { status: 401, data: { detail: 'expired', code: 'token_expired' } }
let clients: AuthClient[] = []

/** A signed-in client (token `old`) whose refresh `refresh` answers, and an axios instance on it. */
async function setup(refresh: (call: FetchCall) => Answer = () => tokenAnswer('new')) {
  const fetch = fakeFetch((call) => {
    if (call.url.endsWith('/auth/obtain_token/')) return { status: 200, data: { token: 'old', expires_in: 300, user } }
    if (call.url.endsWith('/auth/refresh_token/')) return refresh(call)
    return { status: 204 }
  })
  const client = createAuthClient({ baseURL: '/api/v1/', fetch, channelName: null })
  clients.push(client)
  await client.login('alice', 'pw')
  const http = axios.create({ baseURL: '/api/v1/' })
  const eject = client.installInterceptors(http)
  const refreshes = () => fetch.calls.filter((call) => call.url.endsWith('/auth/refresh_token/')).length
  return { client, http, fetch, eject, refreshes }
}

describe('axios interceptors', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
  })
  afterEach(() => {
    clients.forEach((client) => client.dispose())
    clients = []
  })

  it('shares one refresh between concurrent 401s and retries each request once', async () => {
    const { http, refreshes, client } = await setup()
    http.defaults.adapter = fakeAdapter((config) =>
      authHeader(config) === 'Bearer new' ? { status: 200, data: { ok: true } } : expired,
    )
    const results = await Promise.all(Array.from({ length: 10 }, () => http.get('user/')))
    expect(refreshes()).toBe(1)
    expect(results.every((r) => r.data.ok)).toBe(true)
    expect(client.getState().status).toBe('signed-in')
  })

  it('never retries a request twice and never loops on refresh', async () => {
    const { http, refreshes, client } = await setup()
    const adapter = fakeAdapter(() => expired)
    http.defaults.adapter = adapter
    await expect(http.get('user/')).rejects.toMatchObject({ code: 'token_expired' })
    expect(refreshes()).toBe(1)
    expect(adapter.calls).toHaveLength(2)
    expect(client.getState()).toMatchObject({ status: 'signed-out', reason: { code: 'token_expired' } })
  })

  it('signs out with the reason when the refresh itself is refused', async () => {
    const { http, client } = await setup(() => ({ status: 401, data: { detail: 'ended', code: 'refresh_reused' } }))
    http.defaults.adapter = fakeAdapter(() => expired)
    await expect(http.get('user/')).rejects.toBeInstanceOf(ApiError)
    expect(client.getState()).toMatchObject({ status: 'signed-out', reason: { code: 'refresh_reused' } })
    expect(client.getAccessToken()).toBeNull()
  })

  it('stays signed in when the refresh for a user action loses its answer', async () => {
    const { http, client } = await setup(() => {
      throw lostAnswer()
    })
    http.defaults.adapter = fakeAdapter(() => expired)
    await expect(http.get('user/')).rejects.toMatchObject({ status: 0, code: 'network_error' })
    expect(client.getState().status).toBe('signed-in')
  })

  it('signs out at once on a revoked session, without refreshing', async () => {
    const { http, refreshes, client } = await setup()
    http.defaults.adapter = fakeAdapter(() => ({ status: 401, data: { detail: 'x', code: 'session_revoked' } }))
    await expect(http.get('user/')).rejects.toMatchObject({ code: 'session_revoked' })
    expect(refreshes()).toBe(0)
    expect(client.getState().reason?.code).toBe('session_revoked')
  })

  it('sends the in-memory token as a Bearer header, and the CSRF cookie on unsafe methods', async () => {
    const { http } = await setup()
    const adapter = fakeAdapter(() => ({ status: 200 }))
    http.defaults.adapter = adapter
    await http.get('user/')
    await http.post('things/', { a: 1 })
    expect(authHeader(adapter.calls[0]!)).toBe('Bearer old')
    expect(headerOf(adapter.calls[0]!, 'X-CSRFToken')).toBeUndefined()
    expect(headerOf(adapter.calls[1]!, 'X-CSRFToken')).toBe('abc')
  })

  it('sends neither token nor CSRF cookie to another origin', async () => {
    const { http, refreshes } = await setup()
    const adapter = fakeAdapter(() => expired)
    http.defaults.adapter = adapter
    await expect(http.post('https://elsewhere.example/hook', {})).rejects.toMatchObject({ status: 401 })
    expect(authHeader(adapter.calls[0]!)).toBeUndefined()
    expect(headerOf(adapter.calls[0]!, 'X-CSRFToken')).toBeUndefined()
    expect(refreshes()).toBe(0)
  })

  it('keeps an Authorization header the caller set', async () => {
    const { http } = await setup()
    const adapter = fakeAdapter(() => ({ status: 200 }))
    http.defaults.adapter = adapter
    await http.get('user/', { headers: { Authorization: 'JWT mine' } })
    expect(authHeader(adapter.calls[0]!)).toBe('JWT mine')
  })

  it('can be removed again', async () => {
    const { http, eject } = await setup()
    const adapter = fakeAdapter(() => ({ status: 200 }))
    http.defaults.adapter = adapter
    eject()
    await http.get('user/')
    expect(authHeader(adapter.calls[0]!)).toBeUndefined()
  })
})

function headerOf(config: { headers: unknown }, name: string): string | undefined {
  return (axios.AxiosHeaders.from(config.headers as never).get(name) as string | undefined) ?? undefined
}
