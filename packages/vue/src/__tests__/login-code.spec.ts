import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApp, defineComponent, h, nextTick, type App } from 'vue'
import { createSpaAuth, useAuth, type UseAuth } from '../index.js'
import { fakeFetch, flush, user } from './helpers.js'

let apps: App[] = []

afterEach(() => {
  apps.forEach((app) => app.unmount())
  apps = []
})

describe('sign-in with a mailed code through useAuth', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
  })

  it('asks for a code, signs in with it and its flow, and shows it reactively', async () => {
    const fetch = fakeFetch(
      (path) =>
        path.endsWith('/auth/login/code/request/')
          ? { status: 202, data: { flow: 'f1', detail: 'On its way.', code: 'login_code_sent' } }
          : path.endsWith('/auth/login/code/')
            ? { status: 200, data: { token: 'jwt', expires_in: 300, user } }
            : { status: 204 },
      false,
    )
    let auth!: UseAuth
    const app = createApp(
      defineComponent({
        setup() {
          auth = useAuth()
          return () => h('p', `${auth.status.value}:${auth.user.value?.username ?? '-'}`)
        },
      }),
    )
    app.use(createSpaAuth({ baseURL: '/api/v1/', fetch, channelName: null }))
    const root = document.createElement('div')
    app.mount(root)
    apps.push(app)
    await flush()
    const { flow } = await auth.requestLoginCode('alice@example.com')
    expect(flow).toBe('f1')
    expect(auth.isSignedIn.value).toBe(false)
    expect(await auth.loginWithCode({ flow, code: 'WDJB-MJHT' })).toMatchObject({ username: 'alice' })
    await nextTick()
    expect(root.textContent).toBe('signed-in:alice')
    expect(fetch.calls).toContain('POST /api/v1/auth/login/code/request/')
    expect(fetch.calls).toContain('POST /api/v1/auth/login/code/')
  })
})
