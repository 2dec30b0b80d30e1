import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import LoginView from '../views/LoginView.vue'
import { fakeApi, testApp, unmountAll } from './helpers'

/** The login page after the server ended the session with `code`, or after a plain logout. */
async function loginPageAfter(code: string | null) {
  const fetch = fakeApi(true, (path) =>
    code && path.endsWith('/auth/sessions/') ? { status: 401, data: { detail: 'Server wording.', code } } : null,
  )
  const { pinia, auth } = testApp(fetch)
  await auth.client.restore()
  if (code) await auth.client.sessions().catch(() => undefined)
  else await auth.client.logout()
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/login', component: LoginView }] })
  await router.push('/login')
  return mount(LoginView, { global: { plugins: [pinia, auth, router] } })
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
})
