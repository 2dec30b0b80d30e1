import { afterEach, describe, expect, it } from 'vitest'
import { http } from '../api/http'
import { listUsers } from '../api/users'
import { authHeader, fakeAdapter, fakeApi, testApp, unmountAll } from './helpers'

describe("the app's axios instance", () => {
  const original = http.defaults.adapter
  afterEach(() => {
    http.defaults.adapter = original
    unmountAll()
  })

  it('carries the access token once the client is installed on it, and retries after a refresh', async () => {
    const fetch = fakeApi(true)
    const { auth } = testApp(fetch)
    const eject = auth.client.installInterceptors(http)
    await auth.client.restore()
    const page = { count: 0, next: null, previous: null, results: [] }
    let first = true
    const adapter = fakeAdapter(() => {
      if (!first) return { status: 200, data: page }
      first = false
      return { status: 401, data: { detail: 'expired', code: 'token_expired' } }
    })
    http.defaults.adapter = adapter
    expect(await listUsers(20, 0)).toEqual(page)
    expect(adapter.calls.map(authHeader)).toEqual(['Bearer restored', 'Bearer restored'])
    expect(fetch.calls.filter((call) => call.endsWith('/auth/refresh_token/'))).toHaveLength(2)
    eject()
  })
})
