import { createAuthClient } from '@spa-auth/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApp, defineComponent, h, nextTick, type App } from 'vue'
import { createSpaAuth, useAuth, type UseAuth } from '../index.js'
import { appWith, fakeFetch, flush, refused } from './helpers.js'

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

  it('explains what is missing when used outside an app', () => {
    expect(() => useAuth()).toThrow(/app\.use\(createSpaAuth/)
  })
})
