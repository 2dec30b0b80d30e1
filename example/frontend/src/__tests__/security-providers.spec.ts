import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import App from '../App.vue'
import en from '../locales/en'
import { askToReauthenticate, reauthOutcome, reauthPrompt, rememberProviderReauthentication } from '../reauth'
import { createAppRouter } from '../router'
import { fakeApi, flush, testApp, unmountAll, type Answer } from './helpers'

const offered = [
  { id: 'google', name: 'Google' },
  { id: 'github', name: 'GitHub' },
]
const googleIdentity = {
  id: '0b7c56f6-3a1e-4c55-9d1d-1f0e7f3a9c11',
  provider: 'google',
  name: 'Google',
  email: 'alice@gmail.example',
  created: '2026-01-01T00:00:00Z',
  last_used: null,
}
const stepUp = (methods: string[]): Answer => ({
  status: 401,
  data: { detail: 'Confirm.', code: 'reauthentication_required', max_age: 600, methods },
})

interface Server {
  providers?: typeof offered
  identities?: (typeof googleIdentity)[]
  /** Whether connecting and disconnecting need the step-up (a token from `reauthenticate/`). */
  stepUp?: boolean
  /** How the step-up says the user may confirm; default the password. */
  methods?: string[]
  disconnect?: Answer
}

/**
 * The whole app on the Security page at `url`, signed in, wired as main.ts wires it (the
 * step-up hook opens the dialog); leaving for a provider goes to `navigate`.
 */
async function securityPage(url: string, server: Server = {}) {
  let identities = server.identities ?? [googleIdentity]
  let refreshes = 0
  const fetch = fakeApi(true, (path, _body, init): Answer | null => {
    const fresh = new Headers(init.headers).get('Authorization') === 'Bearer fresh'
    // The restore's refresh; a later one (back from a confirmation at a provider) is recent.
    if (path.endsWith('/auth/refresh_token/')) {
      refreshes += 1
      return { status: 200, data: { token: refreshes === 1 ? 'restored' : 'fresh', token_type: 'Bearer', expires_in: 300 } }
    }
    if (path.endsWith('/auth/mfa/')) return { status: 200, data: { totp: { enabled: false }, recovery_codes: { remaining: 0 }, passkeys: [] } }
    if (path.endsWith('/auth/providers/')) return { status: 200, data: server.providers ?? offered }
    if (path.endsWith('/auth/providers/identities/')) return { status: 200, data: identities }
    if (path.endsWith('/auth/reauthenticate/')) return { status: 200, data: { token: 'fresh', token_type: 'Bearer', expires_in: 300 } }
    if (path.endsWith('/auth/providers/google/reauthenticate/')) {
      return { status: 200, data: { authorization_url: 'https://accounts.google.example/auth?prompt=login' } }
    }
    if (path.endsWith('/connect/')) {
      if (server.stepUp && !fresh) return stepUp(server.methods ?? ['password'])
      return { status: 200, data: { authorization_url: 'https://github.example/login/oauth/authorize?state=s' } }
    }
    if (path.includes('/auth/providers/identities/') && init.method === 'DELETE') {
      if (server.stepUp && !fresh) return stepUp(server.methods ?? ['password'])
      if (server.disconnect) return server.disconnect
      identities = identities.filter((identity) => !path.includes(identity.id))
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
  const region = () => app.get('section[aria-labelledby="providers-heading"]')
  const button = (name: string) => region().findAll('button').find((candidate) => candidate.text() === name)
  return { app, fetch, navigate, router, region, button }
}

async function confirmItsMe(app: Awaited<ReturnType<typeof securityPage>>['app']): Promise<void> {
  const dialog = app.get('[role="dialog"]')
  await dialog.get('#reauth-password').setValue('right')
  await dialog.get('form').trigger('submit')
  await flushPromises()
  await flush()
}

describe('security page, sign-in providers', () => {
  afterEach(() => {
    reauthPrompt.value?.settle(false)
    reauthOutcome.value = null
    sessionStorage.clear()
    unmountAll()
    document.body.innerHTML = ''
    history.replaceState(null, '', '/')
  })

  it('lists the connected identities, and offers to connect the others', async () => {
    const { app, region, button } = await securityPage('/security')
    expect(app.get('#providers-heading').text()).toBe('Sign-in providers')
    const item = region().get(`[data-identity-id="${googleIdentity.id}"]`)
    expect(item.get('strong').text()).toBe('Google')
    expect(item.text()).toContain('alice@gmail.example')
    expect(item.text()).toContain('last used never')
    expect(item.get('button').text()).toBe('Disconnect')
    expect(item.get('button').attributes('aria-label')).toBe('Disconnect Google (alice@gmail.example)')
    expect(button('Connect GitHub')).toBeDefined()
    expect(button('Connect Google')).toBeUndefined()
  })

  it('says when no provider is connected yet', async () => {
    const { region, button } = await securityPage('/security', { identities: [] })
    expect(region().text()).toContain('No provider connected yet.')
    expect(button('Connect Google')).toBeDefined()
  })

  it('has no such part when the server offers no provider and none is connected', async () => {
    const { app } = await securityPage('/security', { providers: [], identities: [] })
    expect(app.find('#providers-heading').exists()).toBe(false)
  })

  it('connects a provider after the step-up: the server gives its URL, and the page goes there', async () => {
    const { app, fetch, navigate, button } = await securityPage('/security', { stepUp: true })
    await button('Connect GitHub')!.trigger('click')
    await flushPromises()
    expect(app.find('[role="dialog"]').exists()).toBe(true)
    expect(navigate).not.toHaveBeenCalled()
    await confirmItsMe(app)
    expect(fetch.bodies.filter((sent) => sent.call === 'POST /api/v1/auth/providers/github/connect/').map((sent) => sent.body)).toEqual([
      { next: '/security' },
      { next: '/security' },
    ])
    expect(navigate).toHaveBeenCalledExactlyOnceWith('https://github.example/login/oauth/authorize?state=s')
    expect(button('Connect GitHub')!.attributes('disabled')).toBeDefined()
  })

  it('has an account without a password confirm a connection with its provider: the page leaves for it', async () => {
    const { app, fetch, navigate, button } = await securityPage('/security', { stepUp: true, methods: ['provider'] })
    await button('Connect GitHub')!.trigger('click')
    await flushPromises()
    await flush()
    const dialog = app.get('[role="dialog"]')
    expect(dialog.find('#reauth-password').exists()).toBe(false)
    await dialog.findAll('button').find((candidate) => candidate.text() === 'Confirm with Google')!.trigger('click')
    await flushPromises()
    expect(fetch.bodies.filter((sent) => sent.call === 'POST /api/v1/auth/providers/google/reauthenticate/').map((sent) => sent.body)).toEqual([
      { next: '/security' },
    ])
    expect(navigate).toHaveBeenCalledExactlyOnceWith('https://accounts.google.example/auth?prompt=login')
    expect(fetch.calls.filter((call) => call === 'POST /api/v1/auth/providers/github/connect/')).toHaveLength(1)
  })

  it('says "Confirmed." and not "Connected." back from a confirmation that began here, and then connects', async () => {
    rememberProviderReauthentication('/security')
    const { app, region, navigate, button } = await securityPage('/security?provider_reauthenticated=1', { stepUp: true, methods: ['provider'] })
    expect(app.get('main > [role="status"]').text()).toBe('Confirmed. You can go on.')
    expect(region().find('[role="status"]').exists()).toBe(false)
    expect(region().find('[role="alert"]').exists()).toBe(false)
    // The refresh after the way back brought a token that the server takes as recent.
    await button('Connect GitHub')!.trigger('click')
    await flushPromises()
    expect(app.find('[role="dialog"]').exists()).toBe(false)
    expect(navigate).toHaveBeenCalledExactlyOnceWith('https://github.example/login/oauth/authorize?state=s')
  })

  it('says why a connection did not start when the step-up is cancelled', async () => {
    const { app, navigate, region, button } = await securityPage('/security', { stepUp: true })
    await button('Connect GitHub')!.trigger('click')
    await flushPromises()
    await app.get('[role="dialog"]').findAll('button').find((candidate) => candidate.text() === 'Cancel')!.trigger('click')
    await flushPromises()
    expect(region().get('[role="alert"]').text()).toBe("Please confirm it's you to do this.")
    expect(navigate).not.toHaveBeenCalled()
    expect(button('Connect GitHub')!.attributes('disabled')).toBeUndefined()
  })

  it('disconnects after the step-up, and says so', async () => {
    const { app, region } = await securityPage('/security', { stepUp: true })
    await region().get('[aria-label="Disconnect Google (alice@gmail.example)"]').trigger('click')
    await flushPromises()
    await confirmItsMe(app)
    expect(region().get('[role="status"]').text()).toBe('Google disconnected.')
    expect(region().find('[data-identity-id]').exists()).toBe(false)
    expect(region().text()).toContain('No provider connected yet.')
  })

  it('says in words that the only way in cannot be disconnected', async () => {
    const { region } = await securityPage('/security', { disconnect: { status: 400, data: { detail: 'No.', code: 'last_way_in' } } })
    await region().get('[aria-label="Disconnect Google (alice@gmail.example)"]').trigger('click')
    await flushPromises()
    await flush()
    expect(region().get('[role="alert"]').text()).toBe(en.errors.last_way_in)
    expect(region().find(`[data-identity-id="${googleIdentity.id}"]`).exists()).toBe(true)
  })

  it('says "Connected." on the way back from a provider, and drops the answer from the URL', async () => {
    const { region, router } = await securityPage('/security?provider_connected=1')
    expect(region().get('[role="status"]').text()).toBe('Connected.')
    expect(location.search).toBe('')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/security'))
  })

  it('says why a connection failed on the way back', async () => {
    const { region } = await securityPage('/security?provider_error=identity_in_use')
    expect(region().get('[role="alert"]').text()).toBe(en.errors.identity_in_use)
    expect(location.search).toBe('')
  })
})
