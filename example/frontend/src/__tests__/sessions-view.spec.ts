import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import App from '../App.vue'
import { createAppRouter } from '../router'
import { fakeApi, flush, testApp, unmountAll } from './helpers'

const session = (id: string, provider: string, current = false) => ({
  id,
  kind: 'token',
  created: '2026-01-01T00:00:00Z',
  last_used: '2026-01-01T00:00:00Z',
  expires: '2026-02-01T00:00:00Z',
  user_agent: '',
  ip: '203.0.113.7',
  current,
  provider,
})

/** The whole app on the Sessions page, signed in, with these sessions and providers. */
const device = (id: string, browser: string, system: string, current = false) => ({
  id,
  browser,
  system,
  first_seen: '2026-01-01T00:00:00Z',
  last_seen: '2026-01-02T00:00:00Z',
  current,
})

async function sessionsPage(providers: Array<{ id: string; name: string }>) {
  const sessions = [session('s1', 'google', true), session('s2', ''), session('s3', 'retired')]
  let devices = [device('d1', 'Firefox 128', 'Ubuntu', true), device('d2', '', '')]
  const fetch = fakeApi(true, (path, _body, init) => {
    if (path.endsWith('/auth/devices/d2/') && init.method === 'DELETE') {
      devices = devices.filter((known) => known.id !== 'd2')
      return { status: 204 }
    }
    return path.endsWith('/auth/sessions/')
      ? { status: 200, data: { count: sessions.length, next: null, previous: null, results: sessions } }
      : path.endsWith('/auth/devices/')
        ? { status: 200, data: devices }
        : path.endsWith('/auth/providers/')
          ? { status: 200, data: providers }
          : null
  })
  const { pinia, auth } = testApp(fetch)
  const router = createAppRouter(auth)
  await router.push('/sessions')
  const app = mount(App, { global: { plugins: [pinia, auth, router] }, attachTo: document.body })
  await flush()
  const badges = (id: string) => app.get(`[data-session-id="${id}"]`).findAll('.badge').map((badge) => badge.text())
  return { app, badges, fetch }
}

describe('sessions page', () => {
  afterEach(() => {
    unmountAll()
    document.body.innerHTML = ''
    history.replaceState(null, '', '/')
  })

  it('says which provider a session was signed in with, by its name', async () => {
    const { badges } = await sessionsPage([{ id: 'google', name: 'Google' }])
    expect(badges('s1')).toEqual(['This device', 'via Google'])
    expect(badges('s2')).toEqual([])
    // A provider the server no longer offers: its id.
    expect(badges('s3')).toEqual(['via retired'])
  })

  it('lists the known devices, this one marked, and forgets one', async () => {
    const { app } = await sessionsPage([])
    const row = (id: string) => app.find(`[data-device-id="${id}"]`)
    expect(row('d1').find('strong').text()).toBe('Firefox 128 on Ubuntu')
    expect(row('d1').find('.badge').text()).toBe('This device')
    expect(row('d2').find('strong').text()).toBe('Unknown browser')
    await row('d2').get('button').trigger('click')
    await flush()
    expect(row('d2').exists()).toBe(false)
    expect(row('d1').exists()).toBe(true)
  })
})
