import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { ApiError } from '@spa-auth/client'
import LoginView from '../views/LoginView.vue'
import { alice, fakeApi, testApp, unmountAll, type Answer } from './helpers'
import { routesWith } from './routes'

/** The login page after the server ended the session with `code`, or after a plain logout. */
async function loginPageAfter(code: string | null) {
  const fetch = fakeApi(true, (path) =>
    code && path.endsWith('/auth/sessions/') ? { status: 401, data: { detail: 'Server wording.', code } } : null,
  )
  const { pinia, auth } = testApp(fetch)
  await auth.client.restore()
  if (code) await auth.client.sessions().catch(() => undefined)
  else await auth.client.logout()
  const router = createRouter({ history: createMemoryHistory(), routes: routesWith('/login', LoginView) })
  await router.push('/login')
  return mount(LoginView, { global: { plugins: [pinia, auth, router] } })
}

/** The login page, signed out, with `handle` answering the account calls. */
async function loginPage(
  handle: (path: string, body: unknown) => Answer | null,
  beforeMount: (auth: ReturnType<typeof testApp>['auth']) => void = () => {},
) {
  const fetch = fakeApi(false, handle)
  const { pinia, auth } = testApp(fetch)
  await auth.client.restore()
  beforeMount(auth)
  const router = createRouter({ history: createMemoryHistory(), routes: routesWith('/login', LoginView) })
  await router.push('/login')
  const page = mount(LoginView, { global: { plugins: [pinia, auth, router] } })
  const logIn = async () => {
    await page.get('#username').setValue('alice')
    await page.get('#password').setValue('right-password')
    await page.get('form').trigger('submit')
    await flushPromises()
  }
  return { page, fetch, logIn, auth, router }
}

describe('login page', () => {
  afterEach(unmountAll)

  it.each([
    ['session_revoked', 'Your session has ended (signed out elsewhere or revoked). Please sign in again.'],
    ['refresh_reused', 'Your session was ended for your security. Please sign in again.'],
    ['session_expired', 'Your session expired. Please sign in again.'],
    ['token_invalid', 'Your session has ended. Please sign in again.'],
    ['refresh_missing', 'Your session has ended. Please sign in again.'],
  ])('says in an alert why the session ended after %s', async (code, message) => {
    const page = await loginPageAfter(code)
    expect(page.get('[role="alert"]').text()).toBe(message)
  })

  it('shows no alert after an ordinary sign-out', async () => {
    expect((await loginPageAfter(null)).find('[role="alert"]').exists()).toBe(false)
  })

  it('links to the forgotten-password page and to sign-up', async () => {
    const { page } = await loginPage(() => null)
    const links = page.findAll('a').map((link) => [link.text(), link.attributes('href')])
    expect(links).toEqual([
      ['Forgot password?', '/forgot-password'],
      ['Sign up', '/signup'],
    ])
  })

  it('says when the address is not verified yet, and sends a new link by address', async () => {
    const { page, fetch, logIn } = await loginPage((path) =>
      path.endsWith('/auth/obtain_token/')
        ? { status: 403, data: { detail: 'Server wording.', code: 'email_unverified' } }
        : path.endsWith('/auth/email/verify/resend/')
          ? { status: 202, data: { detail: 'Sent.', code: 'verification_sent' } }
          : null,
    )
    expect(page.find('#login-resend-email').exists()).toBe(false)
    await logIn()
    expect(page.get('[role="alert"]').text()).toBe(
      'Your email address is not verified yet. Open the link we sent you, or send a new one below.',
    )
    expect(page.get('label[for="login-resend-email"]').text()).toBe('Email')
    await page.get('#login-resend-email').setValue('a@example.com')
    const resend = page.findAll('form')[1]!
    expect(resend.get('button').text()).toBe('Resend verification email')
    await resend.trigger('submit')
    await flushPromises()
    expect(fetch.bodies.filter((sent) => sent.call === 'POST /api/v1/auth/email/verify/resend/')).toEqual([
      { call: 'POST /api/v1/auth/email/verify/resend/', body: { email: 'a@example.com' } },
    ])
    expect(page.get('[role="status"]').text()).toContain('Check your inbox')
  })

  it('offers no new link after a plain wrong password', async () => {
    const { page, logIn } = await loginPage((path) =>
      path.endsWith('/auth/obtain_token/') ? { status: 401, data: { detail: 'No.', code: 'invalid_credentials' } } : null,
    )
    await logIn()
    expect(page.get('[role="alert"]').text()).toBe('That username and password do not match an active account.')
    expect(page.find('#login-resend-email').exists()).toBe(false)
  })
})

describe('login page, second factor', () => {
  afterEach(() => {
    unmountAll()
    vi.restoreAllMocks()
  })

  const mfaRequired = (methods: string[]): Answer => ({
    status: 401,
    data: { detail: 'Second factor.', code: 'mfa_required', mfa_token: 'mfa-1', methods },
  })
  const signedIn: Answer = { status: 200, data: { token: 'jwt', token_type: 'Bearer', expires_in: 300, user: alice } }

  it('asks for the code after the password, and signs in with it', async () => {
    const { page, fetch, logIn, router } = await loginPage((path, body) =>
      path.endsWith('/auth/obtain_token/')
        ? mfaRequired(['totp', 'recovery_code'])
        : path.endsWith('/auth/mfa/authenticate/')
          ? (body as { code: string }).code === '123456'
            ? signedIn
            : { status: 401, data: { detail: 'Wrong.', code: 'code_invalid' } }
          : null,
    )
    await logIn()
    expect(page.text()).toContain('Enter the 6-digit code from your authenticator app, or a recovery code')
    expect(page.get('label[for="mfa-code"]').text()).toBe('Code')
    expect(page.find('#password').exists()).toBe(false)
    expect(page.findAll('button').map((button) => button.text())).not.toContain('Use a passkey')
    await page.get('#mfa-code').setValue('000000')
    await page.get('form').trigger('submit')
    await flushPromises()
    expect(page.get('[role="alert"]').text()).toBe('That code is not valid.')
    await page.get('#mfa-code').setValue('123456')
    expect(page.get('form button[type="submit"]').text()).toBe('Verify')
    await page.get('form').trigger('submit')
    await flushPromises()
    expect(fetch.bodies.filter((sent) => sent.call === 'POST /api/v1/auth/mfa/authenticate/').map((sent) => sent.body)).toEqual([
      { mfa_token: 'mfa-1', code: '000000' },
      { mfa_token: 'mfa-1', code: '123456' },
    ])
    expect(router.currentRoute.value.name).toBe('home')
  })

  it('offers a passkey when the user has one, through the client', async () => {
    const { page, logIn, auth, router } = await loginPage((path) => (path.endsWith('/auth/obtain_token/') ? mfaRequired(['totp', 'webauthn']) : null))
    const passkey = vi.spyOn(auth.client, 'completeMfaWithPasskey').mockResolvedValue(alice)
    await logIn()
    const button = page.findAll('button').find((candidate) => candidate.text() === 'Use a passkey')!
    await button.trigger('click')
    await flushPromises()
    expect(passkey).toHaveBeenCalledWith({ mfaToken: 'mfa-1' })
    expect(router.currentRoute.value.name).toBe('home')
  })

  it('goes back to the password step when the second step expired', async () => {
    const { page, logIn } = await loginPage((path) =>
      path.endsWith('/auth/obtain_token/')
        ? mfaRequired(['totp'])
        : path.endsWith('/auth/mfa/authenticate/')
          ? { status: 401, data: { detail: 'Expired.', code: 'mfa_token_invalid' } }
          : null,
    )
    await logIn()
    await page.get('#mfa-code').setValue('123456')
    await page.get('form').trigger('submit')
    await flushPromises()
    expect(page.find('#password').exists()).toBe(true)
    expect(page.get('[role="alert"]').text()).toBe(
      'Your sign-in took too long or had too many attempts. Please enter your password again.',
    )
  })

  it('signs in with a passkey alone, before any password', async () => {
    const { page, auth, router } = await loginPage(() => null)
    const passwordless = vi.spyOn(auth.client, 'loginWithPasskey').mockResolvedValue(alice)
    const button = page.findAll('button').find((candidate) => candidate.text() === 'Sign in with a passkey')!
    expect(button.attributes('disabled')).toBeUndefined()
    await button.trigger('click')
    await flushPromises()
    expect(passwordless).toHaveBeenCalledOnce()
    expect(router.currentRoute.value.name).toBe('home')
  })

  describe('passkeys from the autofill', () => {
    /** The login page with the client's autofill replaced by one the test ends. */
    async function withAutofill() {
      const runs: Array<{ signal: AbortSignal; resolve(user: typeof alice | null): void; reject(error: unknown): void }> = []
      const opened = await loginPage(
        () => null,
        (auth) => {
          vi.spyOn(auth.client, 'startPasskeyAutofill').mockImplementation(
            ({ signal } = {}) =>
              new Promise((resolve, reject) => {
                runs.push({ signal: signal!, resolve, reject })
                signal!.addEventListener('abort', () => resolve(null), { once: true })
              }),
          )
        },
      )
      await flushPromises()
      return { ...opened, runs }
    }

    it('lists passkeys under the username field', async () => {
      const { page } = await loginPage(() => null)
      expect(page.get('#username').attributes('autocomplete')).toBe('username webauthn')
    })

    it('signs in with a passkey picked from the autofill, and goes on', async () => {
      const { runs, router } = await withAutofill()
      expect(runs).toHaveLength(1)
      runs[0]!.resolve(alice)
      await flushPromises()
      expect(router.currentRoute.value.name).toBe('home')
    })

    it('is stopped while a password is typed, and keeps the passkey button', async () => {
      const { page, runs } = await withAutofill()
      await page.get('#password').setValue('h')
      expect(runs[0]!.signal.aborted).toBe(true)
      expect(page.find('[role="alert"]').exists()).toBe(false)
      expect(page.findAll('button').map((button) => button.text())).toContain('Sign in with a passkey')
    })

    it('says so when the server refuses the passkey picked', async () => {
      const { page, runs } = await withAutofill()
      runs[0]!.reject(new ApiError({ status: 401, code: 'code_invalid', detail: 'Server wording.' }))
      await flushPromises()
      expect(page.get('[role="alert"]').text()).toBe('That passkey was not accepted.')
      expect(runs).toHaveLength(2) // and offers the passkeys again
    })
  })
})
