import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import LoginView from '../views/LoginView.vue'
import { alice, fakeApi, testApp, unmountAll, type Answer } from './helpers'
import { routesWith } from './routes'

const sent: Answer = { status: 202, data: { flow: 'flow-1', detail: 'Server wording.', code: 'login_code_sent' } }
const refused = (status: number, code: string, extra: Record<string, unknown> = {}): Answer => ({
  status,
  data: { detail: 'Server wording.', code, ...extra },
})

/** The login page, signed out, with `handle` answering the code calls. */
async function loginPage(handle: (path: string, body: unknown) => Answer | null) {
  const fetch = fakeApi(false, handle)
  const { pinia, auth } = testApp(fetch)
  await auth.client.restore()
  const router = createRouter({ history: createMemoryHistory(), routes: routesWith('/login', LoginView) })
  await router.push('/login')
  const page = mount(LoginView, { global: { plugins: [pinia, auth, router] } })
  const askForCode = async () => {
    await page.findAll('button').find((button) => button.text() === 'Email me a code')!.trigger('click')
    await page.get('#login-code-email').setValue('alice@example.com')
    await page.get('form').trigger('submit')
    await flushPromises()
  }
  const typeCode = async (code: string) => {
    await page.get('#login-code').setValue(code)
    await page.get('form').trigger('submit')
    await flushPromises()
  }
  return { page, fetch, router, askForCode, typeCode }
}

describe('sign-in with a mailed code', () => {
  afterEach(unmountAll)

  it('asks for a code, then signs in with it and the flow, and goes on', async () => {
    const { page, fetch, router, askForCode, typeCode } = await loginPage((path) =>
      path.endsWith('/auth/login/code/request/')
        ? sent
        : path.endsWith('/auth/login/code/')
          ? { status: 200, data: { token: 'jwt', token_type: 'Bearer', expires_in: 300, user: alice } }
          : null,
    )
    await askForCode()
    expect(page.get('[role="status"]').text()).toContain('If alice@example.com belongs to an account')
    const field = page.get('#login-code')
    expect(field.attributes('autocomplete')).toBe('one-time-code')
    expect(page.get('label[for="login-code"]').text()).toBe('Code from the email')
    await typeCode('wdjb-mjht')
    expect(fetch.bodies.find(({ call }) => call === 'POST /api/v1/auth/login/code/')?.body).toEqual({
      flow: 'flow-1',
      code: 'wdjb-mjht',
    })
    expect(router.currentRoute.value.name).toBe('home')
  })

  it('says a wrong code and keeps the flow; an expired one asks for a new code', async () => {
    let answer = refused(401, 'code_invalid')
    const { page, askForCode, typeCode } = await loginPage((path) =>
      path.endsWith('/auth/login/code/request/') ? sent : path.endsWith('/auth/login/code/') ? answer : null,
    )
    await askForCode()
    await typeCode('BBBB-BBBB')
    expect(page.get('[role="alert"]').text()).toBe('That code is not valid.')
    expect(page.find('#login-code').exists()).toBe(true)
    answer = refused(401, 'login_code_expired')
    await typeCode('BBBB-BBBB')
    expect(page.get('[role="alert"]').text()).toBe('This code has expired, was used, or had too many tries. Ask for a new one.')
    expect(page.find('#login-code').exists()).toBe(false)
    expect(page.find('#login-code-email').exists()).toBe(true)
  })

  it('asks for the second factor of an account that has one, as after a password', async () => {
    const { page, askForCode, typeCode } = await loginPage((path) =>
      path.endsWith('/auth/login/code/request/')
        ? sent
        : path.endsWith('/auth/login/code/')
          ? refused(401, 'mfa_required', { mfa_token: 'mfa-1', methods: ['totp'] })
          : null,
    )
    await askForCode()
    await typeCode('WDJB-MJHT')
    expect(page.find('#mfa-code').exists()).toBe(true)
    expect(page.find('#login-code').exists()).toBe(false)
  })

  it('goes back to the password', async () => {
    const { page } = await loginPage(() => null)
    await page.findAll('button').find((button) => button.text() === 'Email me a code')!.trigger('click')
    expect(page.find('#password').exists()).toBe(false)
    await page.findAll('button').find((button) => button.text() === 'Use my password')!.trigger('click')
    expect(page.find('#password').exists()).toBe(true)
  })
})
