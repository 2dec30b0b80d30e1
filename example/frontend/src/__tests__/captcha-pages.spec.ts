import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import ForgotPasswordView from '../views/ForgotPasswordView.vue'
import LoginView from '../views/LoginView.vue'
import SignupView from '../views/SignupView.vue'
import { fakeApi, testApp, unmountAll, type Answer } from './helpers'
import { routesWith } from './routes'

const SCRIPT = 'https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit'
type Rendered = { sitekey: string; action?: string; callback: (token: string) => void }
const rendered: Rendered[] = []
const globals = window as unknown as Record<string, unknown>

const asked = (action: string): Answer => ({
  status: 400,
  data: { detail: 'Robot?', code: 'captcha_required', captcha: { provider: 'turnstile', site_key: 'site', action } },
})

/** The door answers `first` until a request carries a `captcha`, then `then`. */
function door(suffix: string, first: Answer, then: Answer) {
  return (path: string, body: unknown): Answer | null => {
    if (!path.endsWith(suffix)) return null
    return (body as { captcha?: string }).captcha ? then : first
  }
}

/** The provider's script arrives (once: every page after the first finds it loaded). */
async function scriptArrives(): Promise<void> {
  await flushPromises()
  const script = [...document.head.querySelectorAll('script')].find((found) => found.src === SCRIPT)
  script?.dispatchEvent(new Event('load'))
  await flushPromises()
}

async function pageOf(component: object, path: string, handle: (path: string, body: unknown) => Answer | null) {
  const fetch = fakeApi(false, handle)
  const { pinia, auth } = testApp(fetch)
  await auth.client.restore()
  const router = createRouter({ history: createMemoryHistory(), routes: routesWith(path, component) })
  await router.push(path)
  const page = mount(component, { global: { plugins: [pinia, auth, router] } })
  return { page, fetch }
}

describe('pages that the server may ask for a CAPTCHA', () => {
  beforeEach(() => {
    rendered.length = 0
    globals.turnstile = {
      render: (_element: HTMLElement, options: Rendered) => rendered.push(options),
      reset: () => undefined,
      remove: () => undefined,
    }
  })
  afterEach(unmountAll)

  it('sign-up shows the widget when asked, keeps the password, and retries with the answer', async () => {
    const { page, fetch } = await pageOf(
      SignupView,
      '/signup',
      door('/auth/register/', asked('signup'), { status: 201, data: { detail: 'Sent.', code: 'verification_sent' } }),
    )
    expect(page.find('.captcha').exists()).toBe(false)
    await page.get('#signup-username').setValue('bob')
    await page.get('#signup-email').setValue('b@example.com')
    await page.get('#signup-password').setValue('a-long-passphrase')
    await page.get('form').trigger('submit')
    await scriptArrives()
    expect(page.get('[role="alert"]').text()).toContain('not a robot')
    expect(page.find('.captcha').exists()).toBe(true)
    expect(rendered.at(-1)).toMatchObject({ sitekey: 'site', action: 'signup' })
    rendered.at(-1)!.callback('answer-1')
    await flushPromises()
    const sent = fetch.bodies.filter((body) => body.call === 'POST /api/v1/auth/register/').map((body) => body.body)
    expect(sent).toEqual([
      { username: 'bob', email: 'b@example.com', password: 'a-long-passphrase' },
      { username: 'bob', email: 'b@example.com', password: 'a-long-passphrase', captcha: 'answer-1' },
    ])
    expect(page.get('[role="status"]').text()).toContain('Check your inbox')
  })

  it('the forgot-password page sends the answer with the address', async () => {
    const { page, fetch } = await pageOf(
      ForgotPasswordView,
      '/forgot-password',
      door('/auth/password/reset/', asked('password_reset'), { status: 202, data: { detail: 'Sent.', code: 'reset_sent' } }),
    )
    await page.get('#reset-email').setValue('a@example.com')
    await page.get('form').trigger('submit')
    await scriptArrives()
    rendered.at(-1)!.callback('answer-2')
    await flushPromises()
    const sent = fetch.bodies.filter((body) => body.call === 'POST /api/v1/auth/password/reset/').map((body) => body.body)
    expect(sent).toEqual([{ email: 'a@example.com' }, { email: 'a@example.com', captcha: 'answer-2' }])
    expect(page.get('[role="status"]').text()).toContain('a@example.com')
  })

  it('a refused answer brings a new widget, and the next answer goes with the retry', async () => {
    const invalid: Answer = { status: 400, data: { ...(asked('login').data as object), code: 'captcha_invalid' } }
    let tries = 0
    const { page, fetch } = await pageOf(LoginView, '/login', (path, body) => {
      if (!path.endsWith('/auth/obtain_token/')) return null
      tries += 1
      if (tries === 1) return asked('login')
      if (tries === 2) return invalid
      return (body as { captcha?: string }).captcha === 'answer-4' ? null : invalid
    })
    await page.get('#username').setValue('alice')
    await page.get('#password').setValue('pw')
    await page.get('form').trigger('submit')
    await scriptArrives()
    rendered.at(-1)!.callback('answer-3')
    await flushPromises()
    expect(page.get('[role="alert"]').text()).toContain('expired')
    expect(rendered).toHaveLength(2) // a new widget for a new answer
    rendered.at(-1)!.callback('answer-4')
    await flushPromises()
    const sent = fetch.bodies.filter((body) => body.call === 'POST /api/v1/auth/obtain_token/').map((body) => body.body)
    expect(sent.map((body) => (body as { captcha?: string }).captcha)).toEqual([undefined, 'answer-3', 'answer-4'])
    expect(sent.every((body) => (body as { password: string }).password === 'pw')).toBe(true)
  })
})
