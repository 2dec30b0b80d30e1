import axios, { AxiosHeaders } from 'axios'
import { afterEach, describe, expect, it } from 'vitest'
import { createAuthClient, type AuthClient, type AuthClientOptions } from '../index.js'
import { fakeAdapter, fakeFetch, user, type FetchCall } from './helpers.js'

let clients: AuthClient[] = []

function setup(language: AuthClientOptions['language']) {
  const fetch = fakeFetch((call: FetchCall) => {
    if (call.url.endsWith('/auth/obtain_token/')) return { status: 200, data: { token: 'old', expires_in: 300, user } }
    if (call.url.endsWith('/auth/register/')) return { status: 400, data: { detail: 'Ce mot de passe est trop court.', code: 'invalid' } }
    return { status: 200, data: {} }
  })
  const client = createAuthClient({ baseURL: '/api/v1/', fetch, channelName: null, language })
  clients.push(client)
  const sent = () => fetch.calls.map((call) => call.headers.get('Accept-Language'))
  return { client, fetch, sent }
}

describe('language', () => {
  afterEach(() => {
    clients.forEach((client) => client.dispose())
    clients = []
  })

  it("sends the app's language as Accept-Language on the client's own calls", async () => {
    const { client, fetch } = setup('fr')
    await client.login('alice', 'pw')
    await expect(client.register({ username: 'bob', email: 'b@example.com', password: 'x' })).rejects.toMatchObject({
      status: 400,
    })
    expect(fetch.calls.map((call) => [call.url, call.headers.get('Accept-Language')])).toEqual([
      ['/api/v1/auth/obtain_token/', 'fr'],
      ['/api/v1/auth/csrf/', 'fr'],
      ['/api/v1/auth/register/', 'fr'],
    ])
  })

  it('asks a function at each request, so a switch of language follows', async () => {
    let current = 'fr'
    const { client, sent } = setup(() => current)
    await client.login('alice', 'pw')
    current = 'de'
    await client.sessions()
    expect(sent()).toEqual(['fr', 'de'])
  })

  it('adds it to fetch and the axios instance on requests to the API only', async () => {
    const { client, fetch } = setup('de')
    await client.login('alice', 'pw')
    await client.fetch('/api/v1/user/')
    await client.fetch('https://elsewhere.example/')
    expect(fetch.calls.slice(1).map((call) => call.headers.get('Accept-Language'))).toEqual(['de', null])

    const http = axios.create({ baseURL: '/api/v1/' })
    client.installInterceptors(http)
    const adapter = fakeAdapter(() => ({ status: 200 }))
    http.defaults.adapter = adapter
    await http.get('users/')
    await http.get('https://elsewhere.example/')
    expect(adapter.calls.map((config) => AxiosHeaders.from(config.headers).get('Accept-Language') ?? null)).toEqual([
      'de',
      null,
    ])
  })

  it('leaves a header the caller set, and sends none without the option', async () => {
    const { client, fetch } = setup('fr')
    await client.fetch('/api/v1/user/', { headers: { 'Accept-Language': 'de' } })
    expect(fetch.calls[0]!.headers.get('Accept-Language')).toBe('de')

    const plain = setup(undefined)
    await plain.client.login('alice', 'pw')
    const nothing = setup(() => null)
    await nothing.client.login('alice', 'pw')
    expect([...plain.sent(), ...nothing.sent()]).toEqual([null, null])
  })
})
