import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import App from '../App.vue'
import { setLocale } from '../i18n'
import en from '../locales/en'
import { askToReauthenticate, reauthOutcome, reauthPrompt, rememberProviderReauthentication } from '../reauth'
import { createAppRouter } from '../router'
import { fakeApi, flush, testApp, unmountAll, type Answer } from './helpers'

const laptop = { id: 1, name: 'My laptop', created: '2026-01-01T00:00:00Z', last_used: null }
const identity = (id: string, provider: string, name: string) => ({
  id,
  provider,
  name,
  email: `alice@${provider}.example`,
  created: '2026-01-01T00:00:00Z',
  last_used: null,
})
const google = identity('0b7c56f6-3a1e-4c55-9d1d-1f0e7f3a9c11', 'google', 'Google')
const github = identity('5d1c3e0a-77b2-4a8e-9f55-2c6a1b0e4d22', 'github', 'GitHub')
const MARK = 'spa-auth-example:provider-reauthentication'

interface Server {
  /** The step-up's `methods`. */
  methods?: string[]
  identities?: (typeof google)[]
  /** The answer to `POST auth/providers/{id}/reauthenticate/`. */
  reauthenticate?: Answer
}

/**
 * The whole app at `url`, signed in, wired as main.ts wires it. Removing a passkey needs a
 * token with a recent authentication: `fresh`, which the second refresh (the one after a
 * confirmation at a provider) brings, or the one `reauthenticate/` gives for the password.
 */
async function page(url: string, server: Server = {}) {
  let refreshes = 0
  let removed = false
  const fetch = fakeApi(true, (path, _body, init): Answer | null => {
    const bearer = new Headers(init.headers).get('Authorization')
    if (path.endsWith('/auth/refresh_token/')) {
      refreshes += 1
      return { status: 200, data: { token: refreshes === 1 ? 'restored' : 'fresh', token_type: 'Bearer', expires_in: 300 } }
    }
    if (path.endsWith('/auth/mfa/')) {
      return { status: 200, data: { totp: { enabled: false }, recovery_codes: { remaining: 0 }, passkeys: removed ? [] : [laptop] } }
    }
    if (path.endsWith('/auth/providers/')) return { status: 200, data: [] }
    if (path.endsWith('/auth/providers/identities/')) return { status: 200, data: server.identities ?? [google] }
    if (path.endsWith('/reauthenticate/') && path.includes('/providers/')) {
      return server.reauthenticate ?? { status: 200, data: { authorization_url: 'https://accounts.google.example/auth?prompt=login' } }
    }
    if (path.endsWith('/auth/mfa/webauthn/1/') && init.method === 'DELETE') {
      if (bearer !== 'Bearer fresh') {
        return { status: 401, data: { detail: 'Confirm.', code: 'reauthentication_required', max_age: 600, methods: server.methods ?? ['provider'] } }
      }
      removed = true
      return { status: 204 }
    }
    return null
  })
  const navigate = vi.fn<(url: string) => void>()
  const { pinia, auth } = testApp(fetch, { navigate, onReauthenticationRequired: askToReauthenticate })
  const router = createAppRouter(auth)
  await router.push(url)
  const app = mount(App, { global: { plugins: [pinia, auth, router] }, attachTo: document.body })
  await flush()
  const removeLaptop = async () => {
    await app.get('[aria-label="Remove My laptop"]').trigger('click')
    await flushPromises()
    await flush()
  }
  const buttons = (root: Pick<typeof app, 'findAll'> = app) => root.findAll('button').map((button) => button.text())
  return { app, fetch, auth, router, navigate, removeLaptop, buttons }
}

describe('confirming at a provider', () => {
  afterEach(() => {
    reauthPrompt.value?.settle(false)
    reauthOutcome.value = null
    unmountAll()
    document.body.innerHTML = ''
    sessionStorage.clear()
    history.replaceState(null, '', '/')
  })

  describe('the dialog', () => {
    it('offers a button per connected provider, and no password field, when the server lists only provider', async () => {
      const second = { ...google, id: 'a1f0c1de-0000-4000-8000-000000000001', email: 'work@google.example' }
      const { app, fetch, removeLaptop, buttons } = await page('/security', { identities: [google, second, github] })
      const listed = () => fetch.calls.filter((call) => call === 'GET /api/v1/auth/providers/identities/').length
      const byThePage = listed()
      await removeLaptop()
      const dialog = app.get('[role="dialog"]')
      expect(buttons(dialog)).toEqual(['Confirm with Google', 'Confirm with GitHub', 'Cancel'])
      expect(dialog.find('form').exists()).toBe(false)
      expect(dialog.find('#reauth-password').exists()).toBe(false)
      expect(document.activeElement?.textContent?.trim()).toBe('Confirm with Google')
      expect(listed()).toBe(byThePage + 1)
    })

    it('offers the password and the providers when the server lists both', async () => {
      const { app, removeLaptop, buttons } = await page('/security', { methods: ['password', 'provider'] })
      await removeLaptop()
      const dialog = app.get('[role="dialog"]')
      expect(dialog.find('#reauth-password').exists()).toBe(true)
      expect(document.activeElement?.id).toBe('reauth-password')
      expect(buttons(dialog)).toEqual(['Confirm', 'Confirm with Google', 'Cancel'])
    })

    it('asks for no identities when the server does not list provider', async () => {
      const { app, fetch, removeLaptop, buttons } = await page('/security', { methods: ['password'] })
      const listed = () => fetch.calls.filter((call) => call === 'GET /api/v1/auth/providers/identities/').length
      const byThePage = listed()
      await removeLaptop()
      expect(buttons(app.get('[role="dialog"]'))).toEqual(['Confirm', 'Cancel'])
      expect(listed()).toBe(byThePage)
    })

    it('leaves for the provider, coming back to this page, and stays busy until the browser has gone', async () => {
      const { app, fetch, navigate, router, removeLaptop } = await page('/security')
      await router.replace('/security?tab=passkeys')
      await removeLaptop()
      await app.get('[data-provider="google"]').trigger('click')
      await flushPromises()
      expect(fetch.bodies.filter((sent) => sent.call === 'POST /api/v1/auth/providers/google/reauthenticate/').map((sent) => sent.body)).toEqual([
        { next: '/security?tab=passkeys' },
      ])
      expect(navigate).toHaveBeenCalledExactlyOnceWith('https://accounts.google.example/auth?prompt=login')
      expect(app.get('[data-provider="google"]').attributes('disabled')).toBeDefined()
      expect(sessionStorage.getItem(MARK)).toBe('/security')
    })

    it('says why it could not leave, and lets the user try again', async () => {
      const { app, navigate, removeLaptop } = await page('/security', {
        reauthenticate: { status: 404, data: { detail: 'Unknown.', code: 'provider_unknown' } },
      })
      await removeLaptop()
      await app.get('[data-provider="google"]').trigger('click')
      await flushPromises()
      expect(app.get('[role="dialog"] [role="alert"]').text()).toBe(en.errors.provider_unknown)
      expect(app.get('[data-provider="google"]').attributes('disabled')).toBeUndefined()
      expect(navigate).not.toHaveBeenCalled()
      expect(sessionStorage.getItem(MARK)).toBeNull()
    })

    it('offers the buttons in French', async () => {
      const { app, removeLaptop, buttons } = await page('/security')
      await removeLaptop()
      setLocale('fr')
      await nextTick()
      expect(buttons(app.get('[role="dialog"]'))).toEqual(['Confirmer avec Google', 'Annuler'])
    })
  })

  describe('the way back', () => {
    it('refreshes the token, says so, and the action goes through when done again', async () => {
      rememberProviderReauthentication('/security')
      const { app, fetch, router, removeLaptop } = await page('/security?provider_reauthenticated=1')
      expect(app.get('main > [role="status"]').text()).toBe('Confirmed. You can go on.')
      expect(location.search).toBe('')
      await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/security'))
      expect(fetch.calls.filter((call) => call === 'POST /api/v1/auth/refresh_token/')).toHaveLength(2)
      expect(sessionStorage.getItem(MARK)).toBeNull()
      // The Security page's own reading of the URL (a connection) is not asked.
      expect(app.text()).not.toContain(en.security.connected)

      await removeLaptop()
      expect(app.find('[role="dialog"]').exists()).toBe(false)
      expect(app.text()).toContain('Passkey “My laptop” removed.')
    })

    it('says it in German, and not on the next page', async () => {
      setLocale('de')
      rememberProviderReauthentication('/account')
      const { app, router } = await page('/account?provider_reauthenticated=1')
      expect(app.get('main > [role="status"]').text()).toBe('Bestätigt. Sie können fortfahren.')
      await router.push('/sessions')
      await flush()
      expect(app.find('.reauth-outcome').exists()).toBe(false)
    })

    it.each([
      ['identity_not_connected', en.errors.identity_not_connected],
      ['factor_required', en.errors.factor_required],
      ['navigation_required', en.errors.navigation_required],
      ['provider_error', en.reauth.providerRefused],
      ['<made up>', en.reauth.providerRefused],
    ])('says in words why the provider did not confirm: %s', async (code, text) => {
      rememberProviderReauthentication('/account')
      const { app, fetch } = await page(`/account?provider_error=${encodeURIComponent(code)}`)
      expect(app.get('main > [role="alert"]').text()).toBe(text)
      expect(location.search).toBe('')
      expect(fetch.calls.filter((call) => call === 'POST /api/v1/auth/refresh_token/')).toHaveLength(1)
    })

    it('leaves the URL to the page when the confirmation left from another one, and forgets it', async () => {
      rememberProviderReauthentication('/account')
      const { app } = await page('/security?provider_connected=1')
      expect(app.get('section[aria-labelledby="providers-heading"] [role="status"]').text()).toBe(en.security.connected)
      expect(app.find('.reauth-outcome').exists()).toBe(false)
      expect(sessionStorage.getItem(MARK)).toBeNull()
    })
  })
})
