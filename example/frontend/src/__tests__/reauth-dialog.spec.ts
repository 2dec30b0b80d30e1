import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import App from '../App.vue'
import { askToReauthenticate, reauthPrompt } from '../reauth'
import { createAppRouter } from '../router'
import { fakeApi, flush, testApp, unmountAll, type Answer } from './helpers'

const laptop = { id: 1, name: 'My laptop', created: '2026-01-01T00:00:00Z', last_used: null }

/**
 * The whole app on the Security page, wired as main.ts wires it (the step-up hook opens the
 * dialog). Removing a passkey needs a token from `reauthenticate/`, as on a server whose
 * last sign-in is too old.
 */
async function securityPage(methods: string[]) {
  let removed = false
  const fetch = fakeApi(true, (path, body, init): Answer | null => {
    const bearer = new Headers(init.headers).get('Authorization')
    if (path.endsWith('/auth/mfa/')) {
      return { status: 200, data: { totp: { enabled: methods.includes('totp') }, recovery_codes: { remaining: 10 }, passkeys: removed ? [] : [laptop] } }
    }
    if (path.endsWith('/auth/reauthenticate/')) {
      const proof = body as { password?: string; code?: string }
      return proof.password === 'right' || proof.code === '123456'
        ? { status: 200, data: { token: 'fresh', token_type: 'Bearer', expires_in: 300 } }
        : { status: 400, data: { detail: 'No.', code: proof.code ? 'code_invalid' : 'password_incorrect' } }
    }
    if (path.endsWith('/auth/mfa/webauthn/1/') && init.method === 'DELETE') {
      if (bearer !== 'Bearer fresh') {
        return { status: 401, data: { detail: 'Confirm.', code: 'reauthentication_required', max_age: 600, methods } }
      }
      removed = true
      return { status: 204 }
    }
    return null
  })
  const { pinia, auth } = testApp(fetch, { onReauthenticationRequired: askToReauthenticate })
  const router = createAppRouter(auth)
  await router.push('/security')
  const app = mount(App, { global: { plugins: [pinia, auth, router] }, attachTo: document.body })
  await flush()
  await app.get('[aria-label="Remove My laptop"]').trigger('click')
  await flushPromises()
  return { app, fetch, auth }
}

const buttonIn = (root: ReturnType<typeof mount>['element'], name: string) =>
  [...root.querySelectorAll('button')].find((button) => button.textContent?.trim() === name)!

describe('the re-authentication dialog', () => {
  afterEach(() => {
    reauthPrompt.value?.settle(false)
    unmountAll()
    document.body.innerHTML = ''
    history.replaceState(null, '', '/')
  })

  it('opens on a step-up, confirms with the password, and the removal goes on by itself', async () => {
    const { app, fetch, auth } = await securityPage(['password'])
    const dialog = app.get('[role="dialog"]')
    expect(dialog.attributes('aria-modal')).toBe('true')
    expect(app.get(`#${dialog.attributes('aria-labelledby')}`).text()).toBe("Confirm it's you")
    expect(dialog.get('label[for="reauth-password"]').text()).toBe('Current password')
    expect(dialog.find('#reauth-code').exists()).toBe(false)
    expect(document.activeElement?.id).toBe('reauth-password')

    await dialog.get('#reauth-password').setValue('wrong')
    buttonIn(dialog.element, 'Confirm').click()
    await flushPromises()
    expect(dialog.get('[role="alert"]').text()).toBe('Your password was entered incorrectly.')

    await dialog.get('#reauth-password').setValue('right')
    buttonIn(dialog.element, 'Confirm').click()
    await flushPromises()
    await flush()
    expect(app.find('[role="dialog"]').exists()).toBe(false)
    expect(fetch.calls.filter((call) => call === 'DELETE /api/v1/auth/mfa/webauthn/1/')).toHaveLength(2)
    expect(app.get('[role="status"]').text()).toBe('Passkey “My laptop” removed.')
    expect(app.text()).toContain('No passkeys yet.')
    expect(auth.client.getState().status).toBe('signed-in')
  })

  it('takes an authentication code when the user has TOTP, and offers a passkey when listed', async () => {
    const { app, fetch } = await securityPage(['password', 'totp', 'webauthn', 'recovery_code'])
    const dialog = app.get('[role="dialog"]')
    expect(dialog.get('label[for="reauth-code"]').text()).toBe('Authentication code')
    expect(buttonIn(dialog.element, 'Use a passkey')).toBeDefined()
    await dialog.get('#reauth-code').setValue('123456')
    buttonIn(dialog.element, 'Confirm').click()
    await flushPromises()
    await flush()
    expect(fetch.bodies.find((sent) => sent.call === 'POST /api/v1/auth/reauthenticate/')?.body).toEqual({ code: '123456' })
    expect(app.find('[role="dialog"]').exists()).toBe(false)
    expect(app.get('[role="status"]').text()).toBe('Passkey “My laptop” removed.')
  })

  it('asks for the password when the server lists no methods, and only then or when it lists password', async () => {
    const { app } = await securityPage([])
    const dialog = app.get('[role="dialog"]')
    expect(dialog.get('label[for="reauth-password"]').text()).toBe('Current password')
    expect(dialog.find('#reauth-code').exists()).toBe(false)
    buttonIn(dialog.element, 'Cancel').click()
    await flushPromises()
    unmountAll()
    document.body.innerHTML = ''

    const { app: other } = await securityPage(['totp', 'recovery_code'])
    const factorOnly = other.get('[role="dialog"]')
    expect(factorOnly.find('#reauth-password').exists()).toBe(false)
    expect(factorOnly.find('#reauth-code').exists()).toBe(true)
  })

  it('closes on Cancel, and the original action says why it did not happen', async () => {
    const { app, fetch, auth } = await securityPage(['password'])
    buttonIn(app.get('[role="dialog"]').element, 'Cancel').click()
    await flushPromises()
    expect(app.find('[role="dialog"]').exists()).toBe(false)
    expect(app.get('[role="alert"]').text()).toBe("Please confirm it's you to do this.")
    expect(fetch.calls.filter((call) => call === 'DELETE /api/v1/auth/mfa/webauthn/1/')).toHaveLength(1)
    // The start-up restore's refresh only: a step-up is not an expired session.
    expect(fetch.calls.filter((call) => call === 'POST /api/v1/auth/refresh_token/')).toHaveLength(1)
    expect(auth.client.getState().status).toBe('signed-in')
  })
})
