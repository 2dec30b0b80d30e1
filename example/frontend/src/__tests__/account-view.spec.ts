import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import App from '../App.vue'
import { createAppRouter } from '../router'
import { fakeApi, flush, testApp, unmountAll, type Answer } from './helpers'

/** The whole app on the account page, signed in; `handle` answers the account calls. */
async function accountPage(handle: (path: string) => Answer | null) {
  const fetch = fakeApi(true, handle)
  const { pinia, auth } = testApp(fetch)
  const router = createAppRouter(auth)
  await router.push('/account')
  const app = mount(App, { global: { plugins: [pinia, auth, router] }, attachTo: document.body })
  await flush()
  return { app, fetch, router, auth }
}

const region = (app: Awaited<ReturnType<typeof accountPage>>['app'], name: string) => {
  const title = app.findAll('.part-title').find((element) => element.text() === name)!
  return app.get(`form[aria-labelledby="${title.attributes('id')}"]`)
}

describe('account page', () => {
  afterEach(() => {
    unmountAll()
    document.body.innerHTML = ''
    history.replaceState(null, '', '/')
  })

  it('offers to set a password to an account made by a provider, by a link mailed to its address', async () => {
    const { app, fetch } = await accountPage((path) =>
      path.endsWith('/auth/account/')
        ? { status: 200, data: { has_password: false } }
        : path.endsWith('/auth/password/reset/')
          ? { status: 202, data: { detail: 'Sent.', code: 'reset_sent' } }
          : null,
    )
    const part = app.get('section[aria-labelledby="set-password-heading"]')
    expect(part.get('#set-password-heading').text()).toBe('Set a password')
    const button = part.get('button')
    expect(button.text()).toBe('Set a password')
    expect(button.attributes('aria-describedby')).toBe('set-password-hint')
    await button.trigger('click')
    await flushPromises()
    expect(fetch.bodies.filter((sent) => sent.call === 'POST /api/v1/auth/password/reset/').map((sent) => sent.body)).toEqual([
      { email: 'a@example.com' },
    ])
    expect(part.get('[role="status"]').text()).toBe('Check your inbox at a@example.com: open the link there to set your password.')
  })

  it('offers no such thing to an account with a password', async () => {
    const { app, fetch } = await accountPage((path) => (path.endsWith('/auth/account/') ? { status: 200, data: { has_password: true } } : null))
    expect(fetch.calls).toContain('GET /api/v1/auth/account/')
    expect(app.find('#set-password-heading').exists()).toBe(false)
  })

  it('asks for an email change and says to check the new inbox', async () => {
    const { app, fetch } = await accountPage((path) =>
      path.endsWith('/auth/email/change/') ? { status: 202, data: { detail: 'Sent.', code: 'email_change_sent' } } : null,
    )
    const form = region(app, 'Change email')
    expect(form.findAll('label').map((label) => label.text())).toEqual(['New email', 'Current password'])
    await form.get('#new-email').setValue('new@example.com')
    await form.get('#change-email-password').setValue('pw')
    await form.trigger('submit')
    await flushPromises()
    expect(fetch.bodies.find((sent) => sent.call === 'POST /api/v1/auth/email/change/')?.body).toEqual({
      new_email: 'new@example.com',
      password: 'pw',
    })
    expect(app.get('[role="status"]').text()).toContain('Check your inbox at new@example.com')
  })

  it('keeps the account and says why when the password is wrong', async () => {
    const { app, router } = await accountPage((path) =>
      path.endsWith('/auth/account/')
        ? { status: 400, data: { detail: 'Some fields are not valid.', code: 'invalid', errors: { password: ['Wrong password.'] } } }
        : null,
    )
    const form = region(app, 'Delete account')
    expect(form.get('button[type="submit"]').attributes('disabled')).toBeDefined()
    await form.get('#delete-password').setValue('wrong')
    await form.get('#delete-confirm').setValue(true)
    await form.trigger('submit')
    await flushPromises()
    expect(form.get('#delete-password-error').text()).toBe('Wrong password.')
    expect(router.currentRoute.value.name).toBe('account')
  })

  it('deletes the account after the confirmation, signs out and says so on the login page', async () => {
    const { app, fetch, router, auth } = await accountPage(() => null)
    const form = region(app, 'Delete account')
    expect(form.findAll('label').map((label) => label.text())).toEqual([
      'Current password',
      'I understand that this permanently deletes my account',
    ])
    await form.get('#delete-password').setValue('pw')
    await form.get('#delete-confirm').setValue(true)
    await form.trigger('submit')
    await flushPromises()
    await flush()
    expect(fetch.bodies.find((sent) => sent.call === 'DELETE /api/v1/auth/account/')?.body).toEqual({ password: 'pw' })
    expect(auth.client.getState().status).toBe('signed-out')
    // The login page is lazy-loaded: on a busy machine it takes longer than one flush.
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('login'))
    await vi.waitFor(() => expect(app.find('[role="status"]').exists()).toBe(true))
    expect(app.get('[role="status"]').text()).toBe('Your account has been deleted, and you have been signed out everywhere.')
    expect(app.find('nav').exists()).toBe(false)
  })
})
