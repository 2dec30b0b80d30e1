import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import LoginView from '../views/LoginView.vue'
import { fakeApi, testApp, unmountAll, type Answer } from './helpers'
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
async function loginPage(handle: (path: string) => Answer | null) {
  const fetch = fakeApi(false, handle)
  const { pinia, auth } = testApp(fetch)
  await auth.client.restore()
  const router = createRouter({ history: createMemoryHistory(), routes: routesWith('/login', LoginView) })
  await router.push('/login')
  const page = mount(LoginView, { global: { plugins: [pinia, auth, router] } })
  const logIn = async () => {
    await page.get('#username').setValue('alice')
    await page.get('#password').setValue('right-password')
    await page.get('form').trigger('submit')
    await flushPromises()
  }
  return { page, fetch, logIn }
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
