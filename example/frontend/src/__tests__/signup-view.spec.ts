import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import SignupView from '../views/SignupView.vue'
import { fakeApi, testApp, unmountAll, type Answer } from './helpers'
import { routesWith } from './routes'

async function signupPage(answer: Answer) {
  const fetch = fakeApi(false, (path) => (path.endsWith('/auth/register/') ? answer : null))
  const { pinia, auth } = testApp(fetch)
  await auth.client.restore()
  const router = createRouter({ history: createMemoryHistory(), routes: routesWith('/signup', SignupView) })
  await router.push('/signup')
  const page = mount(SignupView, { global: { plugins: [pinia, auth, router] } })
  const fill = async (username: string, email: string, password: string) => {
    await page.get('#signup-username').setValue(username)
    await page.get('#signup-email').setValue(email)
    await page.get('#signup-password').setValue(password)
    await page.get('form').trigger('submit')
    await flushPromises()
  }
  return { page, fetch, fill }
}

describe('sign-up page', () => {
  afterEach(unmountAll)

  it('labels every field', async () => {
    const { page } = await signupPage({ status: 201 })
    const labels = page.findAll('label').map((label) => [label.text(), label.attributes('for')])
    expect(labels).toEqual([
      ['Username', 'signup-username'],
      ['Email', 'signup-email'],
      ['Password', 'signup-password'],
    ])
    expect(page.get('button[type="submit"]').text()).toBe('Sign up')
  })

  it('shows the server\'s validation messages beside each field', async () => {
    const { page, fetch, fill } = await signupPage({
      status: 400,
      data: {
        detail: 'Some fields are not valid.',
        code: 'invalid',
        errors: { username: ['A user with that username already exists.'], password: ['This password is too common.'] },
      },
    })
    await fill('alice', 'a@example.com', 'password')
    expect(fetch.bodies.find((sent) => sent.call === 'POST /api/v1/auth/register/')?.body).toEqual({
      username: 'alice',
      email: 'a@example.com',
      password: 'password',
    })
    expect(page.get('#signup-username').attributes('aria-invalid')).toBe('true')
    expect(page.get('#signup-username').attributes('aria-describedby')).toBe('signup-username-error')
    expect(page.get('#signup-username-error').attributes('role')).toBe('alert')
    expect(page.get('#signup-username-error').text()).toBe('A user with that username already exists.')
    expect(page.get('#signup-password-error').text()).toBe('This password is too common.')
    expect(page.get('#signup-email').attributes('aria-invalid')).toBe('false')
    expect(page.findAll('[role="alert"]')).toHaveLength(2) // no form-wide alert on top of the fields'
  })

  it('says to check the inbox once the verification mail is sent', async () => {
    const { page, fill } = await signupPage({ status: 201, data: { detail: 'Sent.', code: 'verification_sent' } })
    await fill('bob', 'b@example.com', 'a-long-passphrase')
    expect(page.get('[role="status"]').text()).toContain('Check your inbox')
    expect(page.get('[role="status"]').text()).toContain('b@example.com')
    expect(page.find('form').exists()).toBe(false)
  })

  it('says so in an alert when sign-up is closed', async () => {
    const { page, fill } = await signupPage({ status: 403, data: { detail: 'No.', code: 'signup_disabled' } })
    await fill('bob', 'b@example.com', 'a-long-passphrase')
    expect(page.get('[role="alert"]').text()).toBe('Sign-up is closed on this site.')
  })
})
