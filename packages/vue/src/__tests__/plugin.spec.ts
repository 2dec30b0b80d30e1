import { createAuthClient } from '@spa-auth/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApp, defineComponent, h, nextTick, type App } from 'vue'
import { createSpaAuth, useAuth, type UseAuth } from '../index.js'
import { appWith, fakeFetch, flush, refused, type Answer } from './helpers.js'

let apps: App[] = []

function mounted(plugin: ReturnType<typeof createSpaAuth>) {
  let auth!: UseAuth
  const app = createApp(
    defineComponent({
      setup() {
        auth = useAuth()
        return () => h('p', `${auth.status.value}:${auth.user.value?.username ?? '-'}:${auth.reason.value?.code ?? '-'}`)
      },
    }),
  )
  app.use(plugin)
  const root = document.createElement('div')
  app.mount(root)
  apps.push(app)
  return { auth, root }
}

describe('createSpaAuth and useAuth', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
  })
  afterEach(() => {
    apps.forEach((app) => app.unmount())
    apps = []
  })

  it('restores on install and shows the state reactively', async () => {
    const { root } = mounted(createSpaAuth({ baseURL: '/api/v1/', fetch: fakeFetch(), channelName: null }))
    expect(root.textContent).toBe('unknown:-:-')
    await flush()
    expect(root.textContent).toBe('signed-in:alice:-')
  })

  it('logs in and out through the composable', async () => {
    const fetch = fakeFetch(() => ({ status: 204 }), false)
    const { auth, root } = mounted(createSpaAuth({ baseURL: '/api/v1/', fetch, channelName: null }))
    await flush()
    expect(auth.status.value).toBe('signed-out')
    expect(await auth.login('alice', 'pw')).toMatchObject({ username: 'alice' })
    expect(auth.isSignedIn.value).toBe(true)
    await nextTick()
    expect(root.textContent).toBe('signed-in:alice:-')
    await auth.logout()
    expect(auth.isSignedIn.value).toBe(false)
    expect(fetch.calls).toContain('POST /api/v1/auth/logout/')
  })

  it('says why a session ended on its own', async () => {
    const fetch = fakeFetch((path) => (path.endsWith('/auth/sessions/') ? refused('session_revoked') : { status: 204 }))
    const { auth, root } = mounted(createSpaAuth({ baseURL: '/api/v1/', fetch, channelName: null }))
    await flush()
    await expect(auth.sessions()).rejects.toMatchObject({ code: 'session_revoked' })
    expect(auth.reason.value?.code).toBe('session_revoked')
    await nextTick()
    expect(root.textContent).toBe('signed-out:-:session_revoked')
  })

  it('waits for restore when told not to restore on install', async () => {
    const fetch = fakeFetch()
    const { auth } = mounted(createSpaAuth({ baseURL: '/api/v1/', fetch, channelName: null, restoreOnInstall: false }))
    await flush()
    expect(fetch.calls).toEqual([])
    expect(await auth.restore()).toMatchObject({ status: 'signed-in' })
  })

  it('uses a client made elsewhere, and leaves it running when the app unmounts', async () => {
    const client = createAuthClient({ baseURL: '/api/v1/', fetch: fakeFetch(), channelName: null })
    const plugin = createSpaAuth({ client })
    expect(plugin.client).toBe(client)
    const app = appWith(plugin)
    await flush()
    app.unmount()
    expect(client.getState().status).toBe('signed-in')
    await client.logout()
    expect(client.getState().status).toBe('signed-out')
    client.dispose()
  })

  it('follows other tabs', async () => {
    const one = mounted(createSpaAuth({ baseURL: '/api/v1/', fetch: fakeFetch(), channelName: 'test-tabs' }))
    const two = mounted(createSpaAuth({ baseURL: '/api/v1/', fetch: fakeFetch(), channelName: 'test-tabs' }))
    await flush()
    await one.auth.logout()
    await flush()
    expect(two.auth.status.value).toBe('signed-out')
  })

  it('signs up and verifies through the composable, with the server\'s codes and field errors', async () => {
    const fetch = fakeFetch((path, init) => {
      if (path.endsWith('/auth/register/')) {
        const body = JSON.parse(String(init.body)) as { username: string }
        return body.username === 'alice'
          ? { status: 400, data: { detail: 'Some fields are not valid.', code: 'invalid', errors: { username: ['Taken.'] } } }
          : { status: 201, data: { detail: 'Sent.', code: 'verification_sent' } }
      }
      if (path.endsWith('/auth/email/verify/')) return { status: 400, data: { detail: 'No.', code: 'key_invalid' } }
      return { status: 204 }
    }, false)
    const { auth } = mounted(createSpaAuth({ baseURL: '/api/v1/', fetch, channelName: null }))
    await flush()
    expect(await auth.register({ username: 'bob', email: 'b@example.com', password: 'passphrase' })).toMatchObject({
      code: 'verification_sent',
    })
    await expect(auth.register({ username: 'alice', email: 'a@example.com', password: 'passphrase' })).rejects.toMatchObject({
      status: 400,
      fields: { username: ['Taken.'] },
    })
    await expect(auth.verifyEmail('spent')).rejects.toMatchObject({ code: 'key_invalid' })
    expect(fetch.calls).toContain('POST /api/v1/auth/register/')
  })

  it('signs out here and in the other tabs when the account is deleted', async () => {
    const one = mounted(createSpaAuth({ baseURL: '/api/v1/', fetch: fakeFetch(), channelName: 'test-delete' }))
    const two = mounted(createSpaAuth({ baseURL: '/api/v1/', fetch: fakeFetch(), channelName: 'test-delete' }))
    await flush()
    expect(one.auth.isSignedIn.value).toBe(true)
    await one.auth.deleteAccount('pw')
    expect(one.auth.status.value).toBe('signed-out')
    expect(one.auth.reason.value).toBeNull()
    await flush()
    expect(two.auth.status.value).toBe('signed-out')
  })

  it('signs this tab out after a password reset, and keeps it signed in when the reset is refused', async () => {
    let answer: Answer = { status: 400, data: { detail: 'Some fields are not valid.', code: 'invalid', errors: { new_password: ['Too short.'] } } }
    const fetch = fakeFetch((path) => (path.endsWith('/auth/password/reset/confirm/') ? answer : { status: 204 }))
    const { auth } = mounted(createSpaAuth({ baseURL: '/api/v1/', fetch, channelName: null }))
    await flush()
    await expect(auth.confirmPasswordReset('k', 'short')).rejects.toMatchObject({ fields: { new_password: ['Too short.'] } })
    expect(auth.isSignedIn.value).toBe(true)
    answer = { status: 204 }
    await auth.confirmPasswordReset('k', 'a-long-passphrase')
    expect(auth.status.value).toBe('signed-out')
  })

  it('explains what is missing when used outside an app', () => {
    expect(() => useAuth()).toThrow(/app\.use\(createSpaAuth/)
  })
})
