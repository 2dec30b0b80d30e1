import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { ApiError } from '../api/errors'
import { useSessionStore } from '../stores/session'
import LoginView from '../views/LoginView.vue'

async function loginPageAfter(reason: ApiError | null) {
  const pinia = createPinia()
  setActivePinia(pinia)
  useSessionStore().signOutLocally(reason)
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/login', component: LoginView }] })
  await router.push('/login')
  return mount(LoginView, { global: { plugins: [pinia, router] } })
}

const ended = (code: string) => new ApiError({ status: 401, code, detail: 'Server wording.' })

describe('login page', () => {
  it.each([
    ['session_revoked', 'Your session has ended (signed out elsewhere or revoked). Please sign in again.'],
    ['refresh_reused', 'Your session was ended for your security. Please sign in again.'],
    ['session_expired', 'Your session expired. Please sign in again.'],
    ['token_invalid', 'Your session has ended. Please sign in again.'],
    ['refresh_missing', 'Your session has ended. Please sign in again.'],
  ])('says in an alert why the session ended after %s', async (code, message) => {
    const page = await loginPageAfter(ended(code))
    expect(page.get('[role="alert"]').text()).toBe(message)
  })

  it('shows no alert after an ordinary sign-out', async () => {
    expect((await loginPageAfter(null)).find('[role="alert"]').exists()).toBe(false)
  })
})
