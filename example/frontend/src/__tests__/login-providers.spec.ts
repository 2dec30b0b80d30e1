import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createRouter, createWebHistory } from 'vue-router'
import { setLocale } from '../i18n'
import en from '../locales/en'
import LoginView from '../views/LoginView.vue'
import { alice, fakeApi, flush, testApp, unmountAll, type Answer } from './helpers'
import { routesWith } from './routes'

const offered = [
  { id: 'google', name: 'Google' },
  { id: 'github', name: 'GitHub' },
]

/**
 * The login page at `url` (where a provider's way back lands), signed out; the server offers
 * `providers`, and `handle` answers the rest. Leaving for a provider goes to `navigate`.
 */
async function loginPageAt(url: string, handle: (path: string, body: unknown) => Answer | null = () => null, providers = offered) {
  const fetch = fakeApi(false, (path, body) => handle(path, body) ?? (path.endsWith('/auth/providers/') ? { status: 200, data: providers } : null))
  const navigate = vi.fn<(url: string) => void>()
  const { pinia, auth } = testApp(fetch, { navigate })
  await auth.client.restore()
  const router = createRouter({ history: createWebHistory('/'), routes: routesWith('/login', LoginView) })
  await router.push(url)
  const page = mount(LoginView, { global: { plugins: [pinia, auth, router] }, attachTo: document.body })
  await flush()
  const buttons = () => page.findAll('ul.providers button')
  return { page, fetch, navigate, router, buttons }
}

describe('login page, sign-in with a provider', () => {
  afterEach(() => {
    unmountAll()
    document.body.innerHTML = ''
    history.replaceState(null, '', '/')
  })

  it('offers a named list of buttons under the form, and leaves for the one chosen with next', async () => {
    const { page, navigate, buttons } = await loginPageAt('/login?next=/account')
    const list = page.get('ul.providers')
    expect(list.attributes('aria-label')).toBe('Other ways to sign in')
    expect(list.findAll('li')).toHaveLength(2)
    expect(buttons().map((button) => button.text())).toEqual(['Continue with Google', 'Continue with GitHub'])
    expect(buttons().every((button) => button.attributes('type') === 'button')).toBe(true)
    // Under the form, after the password's submit button.
    expect(page.get('form').element.compareDocumentPosition(list.element) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy()
    await buttons()[0]!.trigger('click')
    expect(navigate).toHaveBeenCalledExactlyOnceWith('/api/v1/auth/providers/google/login/?next=%2Faccount')
    expect(buttons().every((button) => button.attributes('disabled') !== undefined)).toBe(true)
    await buttons()[1]!.trigger('click')
    expect(navigate).toHaveBeenCalledOnce()
  })

  it('sends the visitor back to / when next is another site', async () => {
    const { navigate, buttons } = await loginPageAt('/login?next=//evil.example')
    await buttons()[1]!.trigger('click')
    expect(navigate).toHaveBeenCalledWith('/api/v1/auth/providers/github/login/?next=%2F')
  })

  it('shows no list when the server offers no provider, or the list cannot be had', async () => {
    const none = await loginPageAt('/login', () => null, [])
    expect(none.page.find('ul.providers').exists()).toBe(false)
    unmountAll()
    const failing = await loginPageAt('/login', (path) =>
      path.endsWith('/auth/providers/') ? { status: 503, data: { detail: 'Down.', code: 'service_unavailable' } } : null,
    )
    expect(failing.page.find('ul.providers').exists()).toBe(false)
    expect(failing.page.find('[role="alert"]').exists()).toBe(false)
  })

  it('asks the server nothing more when the URL brings no answer', async () => {
    const { fetch, page } = await loginPageAt('/login')
    expect(fetch.calls.filter((call) => call.includes('/providers/pending/'))).toEqual([])
    expect(page.find('[role="alert"]').exists()).toBe(false)
  })

  it.each([
    'provider_error',
    'provider_unavailable',
    'provider_cancelled',
    'provider_state_invalid',
    'provider_unknown',
    'provider_account_exists',
    'provider_email_unverified',
    'signup_disabled',
    'account_inactive',
    'email_unverified',
    'throttled',
    'identity_in_use',
  ] as const)('says in an alert what provider_error=%s means, and drops it from the URL', async (code) => {
    const { page, router } = await loginPageAt(`/login?provider_error=${code}&next=/account`)
    expect(page.get('[role="alert"]').text()).toBe(en.errors[code])
    expect(new URLSearchParams(location.search).get('provider_error')).toBeNull()
    expect(new URLSearchParams(location.search).get('next')).toBe('/account')
    await vi.waitFor(() => expect(router.currentRoute.value.query).toEqual({ next: '/account' }))
    expect(page.find('#password').exists()).toBe(true)
  })

  it('offers a new verification link after provider_error=email_unverified, as after a password', async () => {
    const { page } = await loginPageAt('/login?provider_error=email_unverified')
    expect(page.find('#login-resend-email').exists()).toBe(true)
  })

  it('says something generic for a code it does not know, never the URL text', async () => {
    const { page } = await loginPageAt('/login?provider_error=session_revoked_x')
    expect(page.get('[role="alert"]').text()).toBe(en.errors.provider_error)
  })

  it('goes straight to the second step after provider_step=mfa, and signs in with the code', async () => {
    const { page, fetch, router } = await loginPageAt('/login?provider_step=mfa&next=/account', (path, body) =>
      path.endsWith('/auth/providers/pending/')
        ? { status: 401, data: { detail: 'Second factor.', code: 'mfa_required', mfa_token: 'mfa-p', methods: ['totp'] } }
        : path.endsWith('/auth/mfa/authenticate/') && (body as { code: string }).code === '123456'
          ? { status: 200, data: { token: 'jwt', token_type: 'Bearer', expires_in: 300, user: alice } }
          : null,
    )
    expect(fetch.calls).toContain('POST /api/v1/auth/providers/pending/')
    expect(page.find('#password').exists()).toBe(false)
    expect(page.get('label[for="mfa-code"]').text()).toBe('Code')
    expect(document.activeElement?.id).toBe('mfa-code')
    expect(page.find('[role="alert"]').exists()).toBe(false)
    expect(location.search).toBe('?next=/account')
    await page.get('#mfa-code').setValue('123456')
    await page.get('form').trigger('submit')
    await flushPromises()
    expect(fetch.bodies.find((sent) => sent.call === 'POST /api/v1/auth/mfa/authenticate/')?.body).toEqual({
      mfa_token: 'mfa-p',
      code: '123456',
    })
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('account'))
  })

  it('asks to sign in with the provider again when its second step expired', async () => {
    const { page } = await loginPageAt('/login?provider_step=mfa', (path) =>
      path.endsWith('/auth/providers/pending/') ? { status: 401, data: { detail: 'Expired.', code: 'mfa_token_invalid' } } : null,
    )
    expect(page.find('#password').exists()).toBe(true)
    expect(page.get('[role="alert"]').text()).toBe(en.errors.provider_state_invalid)
  })

  it('speaks French', async () => {
    setLocale('fr')
    const { page, buttons } = await loginPageAt('/login?provider_error=provider_cancelled')
    expect(page.get('ul.providers').attributes('aria-label')).toBe('Autres moyens de se connecter')
    expect(buttons()[0]!.text()).toBe('Continuer avec Google')
    expect(page.get('[role="alert"]').text()).toBe('La connexion avec le fournisseur a été annulée.')
  })
})
