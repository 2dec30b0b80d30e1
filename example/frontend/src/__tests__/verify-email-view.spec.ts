import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { createRouter, createWebHistory } from 'vue-router'
import VerifyEmailView from '../views/VerifyEmailView.vue'
import { fakeApi, flush, testApp, unmountAll, type Answer } from './helpers'
import { routesWith } from './routes'

const VERIFY = 'POST /api/v1/auth/email/verify/'
const ASK: Answer = {
  status: 400,
  data: { detail: 'Confirm.', code: 'confirmation_required', action: 'sign_up', username: 'jdoe', email: 'j@example.com' },
}

/** The page as the mailed link opens it; the server answers each post with `answer(body)`. */
async function openLink(url: string, answer: (body: { key: string; password?: string }) => Answer) {
  history.replaceState(null, '', url)
  const fetch = fakeApi(false, (path, body) => (path.endsWith('/auth/email/verify/') ? answer(body as { key: string }) : null))
  const { pinia, auth } = testApp(fetch)
  const router = createRouter({ history: createWebHistory('/'), routes: routesWith('/verify-email', VerifyEmailView) })
  await router.push(location.pathname + location.search + location.hash)
  const page = mount(VerifyEmailView, { global: { plugins: [pinia, auth, router] } })
  await flush()
  const submit = async (password: string) => {
    await page.get('#verify-password').setValue(password)
    await page.get('form').trigger('submit')
    await flushPromises()
  }
  return { page, fetch, submit }
}

describe('verify-email page', () => {
  afterEach(() => {
    unmountAll()
    history.replaceState(null, '', '/')
  })

  it('spends nothing on opening: it posts the key alone and names the account it would create', async () => {
    const { page, fetch } = await openLink('/verify-email#key=k1', () => ASK)
    expect(location.hash).toBe('')
    expect(fetch.bodies.filter((sent) => sent.call === VERIFY).map((sent) => sent.body)).toEqual([{ key: 'k1' }])
    expect(page.text()).toContain('Create the account jdoe for j@example.com?')
    expect(page.get('button[type="submit"]').text()).toBe('Create my account')
    expect(page.find('[role="status"]').exists()).toBe(false)
  })

  it('posts the key with the password on the click, then says the address is verified', async () => {
    const { page, fetch, submit } = await openLink('/verify-email#key=k1', (body) =>
      body.password ? { status: 200, data: { detail: 'Verified.', code: 'email_verified' } } : ASK,
    )
    await submit('the chosen one')
    expect(fetch.bodies.filter((sent) => sent.call === VERIFY).map((sent) => sent.body)).toEqual([
      { key: 'k1' },
      { key: 'k1', password: 'the chosen one' },
    ])
    expect(page.get('[role="status"]').text()).toContain('verified')
  })

  it('keeps the question after a wrong password and says so', async () => {
    const { page, submit } = await openLink('/verify-email#key=k1', (body) =>
      body.password ? { status: 400, data: { detail: 'No.', code: 'password_incorrect' } } : ASK,
    )
    await submit('a guess')
    expect(page.get('[role="alert"]').text()).toBe('Your password was entered incorrectly.')
    expect(page.text()).toContain('Create the account jdoe')
    expect((page.get('#verify-password').element as HTMLInputElement).value).toBe('')
  })

  it('offers a new link for a spent key, and never a password field', async () => {
    const { page } = await openLink('/verify-email#key=spent', () => ({ status: 400, data: { detail: 'No.', code: 'key_invalid' } }))
    expect(page.get('[role="alert"]').text()).toContain('invalid or has expired')
    expect(page.find('#verify-password').exists()).toBe(false)
    expect(page.text()).toContain('Send a new link')
  })
})
