import { afterEach, describe, expect, it } from 'vitest'
import { createAppRouter } from '../router'
import { fakeApi, testApp, unmountAll } from './helpers'

describe('route guards', () => {
  afterEach(unmountAll)

  function routerFor(signedIn: boolean) {
    const fetch = fakeApi(signedIn)
    const { auth } = testApp(fetch)
    return { router: createAppRouter(auth), fetch, auth }
  }

  it('waits for the start-up restore, then sends visitors to login with next', async () => {
    const { router, fetch } = routerFor(false)
    await router.push('/sessions')
    expect(fetch.calls).toContain('POST /api/v1/auth/refresh_token/')
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.next).toBe('/sessions')
  })

  it('lets a signed-in user through and away from the login page', async () => {
    const { router } = routerFor(true)
    await router.push('/password')
    expect(router.currentRoute.value.name).toBe('password')
    await router.push('/login?next=/sessions')
    expect(router.currentRoute.value.name).toBe('sessions')
  })

  it('sends a signed-in user from the login page home when next is another origin', async () => {
    const { router } = routerFor(true)
    await router.push('/login?next=//evil.example')
    expect(router.currentRoute.value.name).toBe('home')
  })

  it.each(['/signup', '/verify-email', '/forgot-password', '/reset-password', '/confirm-email'])(
    'lets a signed-out visitor open %s',
    async (path) => {
      const { router } = routerFor(false)
      await router.push(path)
      expect(router.currentRoute.value.path).toBe(path)
    },
  )

  it('sends a signed-out visitor of the account page to login', async () => {
    const { router } = routerFor(false)
    await router.push('/account')
    expect(router.currentRoute.value.fullPath).toBe('/login?next=/account')
  })

  it('shows the not-found page for unknown paths', async () => {
    const { router } = routerFor(true)
    await router.push('/no/such/page')
    expect(router.currentRoute.value.name).toBe('not-found')
  })

  it('sends an open protected page to login when the session ends', async () => {
    const { router, auth } = routerFor(true)
    await router.push('/sessions')
    await auth.client.logout()
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(router.currentRoute.value.fullPath).toBe('/login?next=/sessions')
  })
})
