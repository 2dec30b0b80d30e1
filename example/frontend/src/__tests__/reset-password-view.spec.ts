import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { createRouter, createWebHistory } from 'vue-router'
import { keyFromFragment } from '../fragment'
import ResetPasswordView from '../views/ResetPasswordView.vue'
import { fakeApi, flush, testApp, unmountAll, type Answer } from './helpers'
import { routesWith } from './routes'

const CONFIRM = 'POST /api/v1/auth/password/reset/confirm/'

/** The page as the mailed link opens it: the address bar holds `url`, the router is the app's kind. */
async function openLink(url: string, answer: Answer = { status: 204 }) {
  history.replaceState(null, '', url)
  const fetch = fakeApi(true, (path) => (path.endsWith('/auth/password/reset/confirm/') ? answer : null))
  const { pinia, auth } = testApp(fetch)
  await auth.client.restore()
  const router = createRouter({ history: createWebHistory('/'), routes: routesWith('/reset-password', ResetPasswordView) })
  await router.push(location.pathname + location.search + location.hash)
  const page = mount(ResetPasswordView, { global: { plugins: [pinia, auth, router] } })
  await flush()
  const submit = async (password: string) => {
    await page.get('#reset-new-password').setValue(password)
    await page.get('form').trigger('submit')
    await flushPromises()
  }
  return { page, fetch, auth, router, submit }
}

describe('reset-password page', () => {
  afterEach(() => {
    unmountAll()
    history.replaceState(null, '', '/')
  })

  it('reads the key from the fragment and takes it out of the address bar, posting nothing yet', async () => {
    const { page, fetch, router } = await openLink('/reset-password#key=MQ%3A1u2v3w%3Aabc-_')
    expect(location.pathname).toBe('/reset-password')
    expect(location.hash).toBe('')
    expect(router.currentRoute.value.hash).toBe('')
    expect(fetch.calls).not.toContain(CONFIRM)
    expect(page.get('label[for="reset-new-password"]').text()).toBe('New password')
    expect(page.get('button[type="submit"]').text()).toBe('Set new password')
  })

  it('posts the key with the new password on submit, then confirms with a link to log in', async () => {
    const { page, fetch, auth, submit } = await openLink('/reset-password#key=MQ%3A1u2v3w%3Aabc-_')
    expect(auth.client.getState().status).toBe('signed-in')
    await submit('a-long-new-passphrase')
    expect(fetch.bodies.find((sent) => sent.call === CONFIRM)?.body).toEqual({
      key: 'MQ:1u2v3w:abc-_',
      new_password: 'a-long-new-passphrase',
    })
    expect(page.get('[role="status"]').text()).toContain('Your new password is set')
    expect(page.get('a').text()).toBe('Go to Log in')
    expect(page.get('a').attributes('href')).toBe('/login')
    expect(auth.client.getState().status).toBe('signed-out') // every session ended, this one too
  })

  it('shows the password validators\' messages on the field', async () => {
    const { page, submit } = await openLink('/reset-password#key=k', {
      status: 400,
      data: { detail: 'Some fields are not valid.', code: 'invalid', errors: { new_password: ['This password is too short.'] } },
    })
    await submit('short')
    expect(page.get('#reset-new-password').attributes('aria-invalid')).toBe('true')
    expect(page.get('#reset-new-password-error').text()).toBe('This password is too short.')
    expect(page.get('#reset-new-password-error').attributes('role')).toBe('alert')
  })

  it('says in an alert when the link is spent or expired, and offers a new one', async () => {
    const { page, submit } = await openLink('/reset-password#key=old', { status: 400, data: { detail: 'No.', code: 'key_invalid' } })
    await submit('a-long-new-passphrase')
    expect(page.get('[role="alert"]').text()).toBe('This link is invalid or has expired, or it has been used already.')
    expect(page.get('a[href="/forgot-password"]').text()).toBe('Ask for a new link')
  })

  it('says the link is needed when the page is opened without a key', async () => {
    const { page, fetch } = await openLink('/reset-password')
    expect(page.get('[role="alert"]').text()).toContain('needs the link')
    expect(page.find('form').exists()).toBe(false)
    expect(fetch.calls).not.toContain(CONFIRM)
  })
})

describe('keyFromFragment', () => {
  it('reads the key among other parameters, once decoded, and nothing from a mangled link', () => {
    expect(keyFromFragment('#key=a%3Ab')).toBe('a:b')
    expect(keyFromFragment('#x=1&key=abc')).toBe('abc')
    expect(keyFromFragment('#key=a+b')).toBe('a+b')
    expect(keyFromFragment('#key=%E0%A4%A')).toBeNull()
    expect(keyFromFragment('')).toBeNull()
    expect(keyFromFragment('#key=')).toBeNull()
  })
})
