import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createAppRouter, safeNext } from '../router'
import { useSessionStore } from '../stores/session'

describe('route guards', () => {
  beforeEach(() => setActivePinia(createPinia()))

  function withStatus(signedIn: boolean) {
    const store = useSessionStore()
    const restore = vi.spyOn(store, 'restore').mockImplementation(async () => {
      store.status = signedIn ? 'signed-in' : 'signed-out'
    })
    return { store, restore }
  }

  it('waits for the start-up restore, then sends visitors to login with next', async () => {
    const { restore } = withStatus(false)
    const router = createAppRouter()
    await router.push('/sessions')
    expect(restore).toHaveBeenCalled()
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.next).toBe('/sessions')
  })

  it('lets a signed-in user through and away from the login page', async () => {
    withStatus(true)
    const router = createAppRouter()
    await router.push('/password')
    expect(router.currentRoute.value.name).toBe('password')
    await router.push('/login?next=/sessions')
    expect(router.currentRoute.value.name).toBe('sessions')
  })

  it('accepts only same-app paths as next', () => {
    expect(safeNext('/users?offset=20')).toBe('/users?offset=20')
    expect(safeNext('//evil.example')).toBeNull()
    expect(safeNext('https://evil.example')).toBeNull()
    expect(safeNext(undefined)).toBeNull()
  })

  it('shows the not-found page for unknown paths', async () => {
    withStatus(true)
    const router = createAppRouter()
    await router.push('/no/such/page')
    expect(router.currentRoute.value.name).toBe('not-found')
  })
})
