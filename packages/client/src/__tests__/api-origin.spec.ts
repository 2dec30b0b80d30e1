/**
 * The token and the CSRF header go only to the API's origin (scheme, host and port), the URL
 * resolved exactly as the request will be sent: by axios's rules for baseURL, then by the URL
 * parser against the document's base URL. Each case also states where the request really went.
 */

import axios, { type CreateAxiosDefaults, type InternalAxiosRequestConfig } from 'axios'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAuthClient, type AuthClient } from '../index.js'
import { fakeAdapter, fakeFetch, user, type Answer } from './helpers.js'

/** jsdom's page: a baseURL of `/api/v1/` is on this origin. */
const PAGE = 'http://localhost:3000'
const EVIL = 'http://evil.example'
const expired: Answer = { status: 401, data: { detail: 'expired', code: 'token_expired' } }
let clients: AuthClient[] = []

/** What one request carried, and the origin it went to. */
interface Sent {
  to: string
  authorization: string | null
  csrf: string | null
}

const toAPI = (origin = PAGE): Sent => ({ to: origin, authorization: 'Bearer old', csrf: 'abc' })
const bare = (origin: string): Sent => ({ to: origin, authorization: null, csrf: null })

/** A client signed in (token `old`) on `baseURL`, its app requests answered by `api`. */
async function signedIn(baseURL = '/api/v1/', api: () => Answer = () => ({ status: 200, data: {} })) {
  const fetch = fakeFetch((call) => {
    if (call.url.endsWith('/auth/obtain_token/')) return { status: 200, data: { token: 'old', expires_in: 300, user } }
    if (call.url.endsWith('/auth/refresh_token/')) return { status: 200, data: { token: 'new', expires_in: 300 } }
    return api()
  })
  const client = createAuthClient({ baseURL, fetch, channelName: null })
  clients.push(client)
  await client.login('alice', 'pw')
  const refreshes = () => fetch.calls.filter((call) => call.url.endsWith('/auth/refresh_token/')).length
  return { client, fetch, refreshes }
}

async function postWithFetch(url: string, clientBaseURL?: string): Promise<Sent> {
  const { client, fetch } = await signedIn(clientBaseURL)
  await client.fetch(url, { method: 'POST' })
  const sent = fetch.calls.at(-1)!
  return {
    to: new URL(sent.url, location.href).origin,
    authorization: sent.headers.get('Authorization'),
    csrf: sent.headers.get('X-CSRFToken'),
  }
}

async function postWithAxios(url: string, defaults: CreateAxiosDefaults = {}, clientBaseURL?: string): Promise<Sent> {
  const { client } = await signedIn(clientBaseURL)
  const http = axios.create(defaults)
  client.installInterceptors(http)
  const adapter = fakeAdapter(() => ({ status: 200 }))
  http.defaults.adapter = adapter
  await http.post(url, {})
  const sent = adapter.calls[0]!
  return {
    to: new URL(http.getUri(sent), document.baseURI).origin,
    authorization: headerOf(sent, 'Authorization'),
    csrf: headerOf(sent, 'X-CSRFToken'),
  }
}

function headerOf(config: InternalAxiosRequestConfig, name: string): string | null {
  return (axios.AxiosHeaders.from(config.headers).get(name) as string | undefined) ?? null
}

/** Other origins, however spelled; the same for fetch and for axios without a baseURL. */
const elsewhere: [string, string][] = [
  ['//evil.example/x', EVIL],
  ['https://evil.example/x', 'https://evil.example'],
  ['HTTPS://EVIL.EXAMPLE/x', 'https://evil.example'],
  ['/\\evil.example/x', EVIL],
  ['\\\\evil.example/x', EVIL],
  ['\\/evil.example/x', EVIL],
  [' //evil.example/x', EVIL],
  ['\t//evil.example/x', EVIL],
  ['\u0001//evil.example/x', EVIL],
  ['http://localhost:3000@evil.example/x', EVIL],
  ['https://localhost:3000/api/v1/user/', 'https://localhost:3000'],
  ['http://localhost:3001/api/v1/user/', 'http://localhost:3001'],
  ['http://localhost/api/v1/user/', 'http://localhost'],
]

/** The API's own origin, however spelled. */
const api = ['/api/v1/user/', 'user/', 'http://localhost:3000/api/v1/user/', 'HTTP://LOCALHOST:3000/api/v1/user/']

describe('only to the API', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
  })
  afterEach(() => {
    clients.forEach((client) => client.dispose())
    clients = []
    document.head.querySelector('base')?.remove()
  })

  describe('fetch', () => {
    it.each(elsewhere)('sends neither token nor CSRF header to %j', async (url, origin) => {
      expect(await postWithFetch(url)).toEqual(bare(origin))
    })

    it.each(api)('sends both to the API at %j', async (url) => {
      expect(await postWithFetch(url)).toEqual(toAPI())
    })

    it("compares the origin, scheme included: not to the API's host over http", async () => {
      expect(await postWithFetch('http://api.example/v1/user/', 'https://api.example/v1/')).toEqual(
        bare('http://api.example'),
      )
      expect(await postWithFetch('https://api.example/v1/user/', 'https://api.example/v1/')).toEqual(
        toAPI('https://api.example'),
      )
    })

    it("resolves a relative URL against the document's base URL, as the browser sends it", async () => {
      document.head.insertAdjacentHTML('beforeend', '<base href="https://cdn.example/">')
      expect(await postWithFetch('/api/v1/user/', `${PAGE}/api/v1/`)).toEqual(bare('https://cdn.example'))
    })
  })

  describe('axios', () => {
    it.each(elsewhere)('sends neither token nor CSRF header to %j', async (url, origin) => {
      expect(await postWithAxios(url)).toEqual(bare(origin))
    })

    it.each(api)('sends both to the API at %j', async (url) => {
      expect(await postWithAxios(url)).toEqual(toAPI())
    })

    it.each<[string, CreateAxiosDefaults, string]>([
      ['//evil.example/x', { baseURL: '/api/v1/' }, EVIL],
      ['//evil.example/x', { baseURL: `${PAGE}/api/v1` }, EVIL],
      ['https://evil.example/x', { baseURL: '/api/v1/' }, 'https://evil.example'],
      ['user/', { baseURL: 'https://evil.example/' }, 'https://evil.example'],
      ['user/', { baseURL: 'https://localhost:3000/api/v1/' }, 'https://localhost:3000'],
      ['http://localhost:3000/api/v1/user/', { baseURL: 'https://evil.example/', allowAbsoluteUrls: false }, 'https://evil.example'],
    ])('sends neither to %j on %j, which axios sends elsewhere', async (url, defaults, origin) => {
      expect(await postWithAxios(url, defaults)).toEqual(bare(origin))
    })

    it.each<[string, CreateAxiosDefaults]>([
      ['user/', { baseURL: '/api/v1/' }],
      ['/user/', { baseURL: '/api/v1/' }],
      ['user/', { baseURL: `${PAGE}/api/v1` }],
      ['http://localhost:3000/api/v1/user/', { baseURL: '/api/v1/' }],
      ['/\\evil.example/x', { baseURL: '/api/v1/' }],
      ['//evil.example/x', { baseURL: '/api/v1/', allowAbsoluteUrls: false }],
    ])('sends both to %j on %j, which axios sends under the API', async (url, defaults) => {
      expect(await postWithAxios(url, defaults)).toEqual(toAPI())
    })

    it("compares the origin, scheme included: not to the API's host over http", async () => {
      expect(await postWithAxios('user/', { baseURL: 'http://api.example/v1/' }, 'https://api.example/v1/')).toEqual(
        bare('http://api.example'),
      )
      expect(await postWithAxios('user/', { baseURL: 'https://api.example/v1/' }, 'https://api.example/v1/')).toEqual(
        toAPI('https://api.example'),
      )
    })

    it("resolves a relative URL against the document's base URL, as the browser sends it", async () => {
      document.head.insertAdjacentHTML('beforeend', '<base href="https://cdn.example/">')
      expect(await postWithAxios('user/', { baseURL: '/api/v1/' }, `${PAGE}/api/v1/`)).toEqual(
        bare('https://cdn.example'),
      )
    })

    it('neither refreshes nor retries with the token after a 401 from another origin', async () => {
      const { client, refreshes } = await signedIn()
      const http = axios.create({ baseURL: '/api/v1/' })
      client.installInterceptors(http)
      const adapter = fakeAdapter(() => expired)
      http.defaults.adapter = adapter
      await expect(http.get('//evil.example/x')).rejects.toMatchObject({ status: 401 })
      expect(refreshes()).toBe(0)
      expect(adapter.calls.map((call) => headerOf(call, 'Authorization'))).toEqual([null])
    })
  })
})
