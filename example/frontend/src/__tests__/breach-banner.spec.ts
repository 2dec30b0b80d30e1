import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import App from '../App.vue'
import { setLocale } from '../i18n'
import { createAppRouter } from '../router'
import { alice, fakeApi, flush, testApp, unmountAll } from './helpers'

/** The whole app, signed in, on `path`; `user/` says whether the password was found in breaches. */
async function appOn(path: string, breached: boolean | undefined) {
  const user = breached === undefined ? alice : { ...alice, password_breached: breached }
  const fetch = fakeApi(true, (url) => {
    if (url.endsWith('/api/v1/user/')) return { status: 200, data: user }
    if (url.endsWith('/auth/password/change/')) {
      return { status: 200, data: { token: 'fresh', token_type: 'Bearer', expires_in: 300 } }
    }
    return null
  })
  const { pinia, auth } = testApp(fetch)
  const router = createAppRouter(auth)
  await router.push(path)
  const app = mount(App, { global: { plugins: [pinia, auth, router] }, attachTo: document.body })
  await flush()
  return { app, router, fetch }
}

const banner = '[data-testid="breach-banner"]'

describe('breached-password banner', () => {
  afterEach(() => {
    unmountAll()
    document.body.innerHTML = ''
    history.replaceState(null, '', '/')
  })

  it('says so on every page and links to the password page', async () => {
    const { app } = await appOn('/', true)
    const shown = app.get(banner)
    expect(shown.text()).toContain('Your password appears in a known data breach')
    expect(shown.get('a').attributes('href')).toBe('/password')
    expect(shown.attributes('role')).toBe('status')
  })

  it('is dismissed on this page only, and back on the next', async () => {
    const { app, router } = await appOn('/', true)
    await app.get(`${banner} button`).trigger('click')
    expect(app.find(banner).exists()).toBe(false)
    await router.push('/sessions')
    await flushPromises()
    expect(app.find(banner).exists()).toBe(true)
  })

  it('goes once the password is changed, and has no link on the password page itself', async () => {
    const { app } = await appOn('/password', true)
    expect(app.get(banner).find('a').exists()).toBe(false)
    await app.get('#old-password').setValue('correct-horse-battery-staple')
    await app.get('#new-password').setValue('a-brand-new-passphrase-42')
    await app.get('form').trigger('submit')
    await flush()
    expect(app.text()).toContain('Your password was changed')
    expect(app.find(banner).exists()).toBe(false)
  })

  it('shows nothing for a clean password, or a server without the check', async () => {
    for (const breached of [false, undefined]) {
      const { app } = await appOn('/', breached)
      expect(app.find('nav').exists()).toBe(true)
      expect(app.find(banner).exists()).toBe(false)
      unmountAll()
      document.body.innerHTML = ''
    }
  })

  it('speaks the language of the app', async () => {
    setLocale('de')
    try {
      const { app } = await appOn('/', true)
      expect(app.get(banner).text()).toContain('Datenleck')
      setLocale('fr')
      await flushPromises()
      expect(app.get(banner).text()).toContain('fuite de données')
    } finally {
      setLocale('en')
    }
  })
})
