import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApp, defineComponent, h, nextTick, type App } from 'vue'
import { createSpaAuth, useAuth, type SpaAuthOptions, type UseAuth } from '../index.js'
import { fakeFetch, flush, tokenAnswer, user, type Handler } from './helpers.js'

let apps: App[] = []

function mounted(options: Partial<SpaAuthOptions>, handle: Handler, signedIn = true) {
  const fetch = fakeFetch(handle, signedIn)
  let auth!: UseAuth
  const app = createApp(
    defineComponent({
      setup() {
        auth = useAuth()
        return () => h('p', `${auth.status.value}:${auth.user.value?.username ?? '-'}`)
      },
    }),
  )
  app.use(createSpaAuth({ baseURL: '/api/v1/', fetch, channelName: null, ...options }))
  const root = document.createElement('div')
  app.mount(root)
  apps.push(app)
  return { auth, root, fetch }
}

const stepUp = { status: 401, data: { detail: 'Confirm.', code: 'reauthentication_required', max_age: 600, methods: ['password'] } }

describe('MFA through useAuth', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
  })
  afterEach(() => {
    apps.forEach((app) => app.unmount())
    apps = []
  })

  it('finishes a login that asked for a second factor, and shows it reactively', async () => {
    const { auth, root } = mounted({}, (path) =>
      path.endsWith('/auth/obtain_token/')
        ? { status: 401, data: { detail: 'Second factor.', code: 'mfa_required', mfa_token: 'm1', methods: ['totp'] } }
        : path.endsWith('/auth/mfa/authenticate/')
          ? { status: 200, data: { token: 'jwt', expires_in: 300, user } }
          : { status: 204 },
    false)
    await flush()
    await expect(auth.login('alice', 'pw')).rejects.toMatchObject({ code: 'mfa_required', mfaToken: 'm1', methods: ['totp'] })
    expect(auth.isSignedIn.value).toBe(false)
    expect(await auth.completeMfa({ mfaToken: 'm1', code: '123456' })).toMatchObject({ username: 'alice' })
    await nextTick()
    expect(root.textContent).toBe('signed-in:alice')
  })

  it('manages the factors through the composable', async () => {
    const status = { totp: { enabled: true }, recovery_codes: { remaining: 9 }, passkeys: [] }
    const { auth, fetch } = mounted({}, (path) =>
      path.endsWith('/auth/mfa/')
        ? { status: 200, data: status }
        : path.endsWith('/auth/mfa/recovery_codes/')
          ? { status: 200, data: { recovery_codes: ['a1b2c3-d4e5f6'] } }
          : { status: 204 },
    )
    await flush()
    expect(await auth.mfaStatus()).toEqual(status)
    expect(await auth.regenerateRecoveryCodes()).toEqual({ recovery_codes: ['a1b2c3-d4e5f6'] })
    await auth.disableTotp()
    await auth.removePasskey(4)
    expect(fetch.calls).toEqual(expect.arrayContaining([
      'GET /api/v1/auth/mfa/',
      'POST /api/v1/auth/mfa/recovery_codes/',
      'DELETE /api/v1/auth/mfa/totp/',
      'DELETE /api/v1/auth/mfa/webauthn/4/',
    ]))
    for (const name of ['completeMfaWithPasskey', 'startTotpSetup', 'confirmTotp', 'addPasskey', 'renamePasskey'] as const) {
      expect(typeof auth[name]).toBe('function')
    }
  })

  it('reports a passkey login in a browser without WebAuthn as passkey_unavailable', async () => {
    const { auth } = mounted({}, (path) =>
      path.endsWith('/auth/passkey/login/options/') ? { status: 200, data: { options: { challenge: 'c' } } } : { status: 204 },
    false)
    await flush()
    await expect(auth.loginWithPasskey()).rejects.toMatchObject({ code: 'passkey_unavailable' })
    expect(auth.status.value).toBe('signed-out')
  })

  it('passes onReauthenticationRequired to the client: the user confirms, the call goes on', async () => {
    let auth!: UseAuth
    const made = mounted(
      {
        async onReauthenticationRequired(error) {
          expect(error.code).toBe('reauthentication_required')
          await auth.reauthenticate({ password: 'pw' })
          return true
        },
      },
      (path, init) => {
        if (path.endsWith('/auth/reauthenticate/')) return tokenAnswer('fresh')
        if (path.endsWith('/auth/mfa/totp/')) {
          return new Headers(init.headers).get('Authorization') === 'Bearer fresh' ? { status: 204 } : stepUp
        }
        return { status: 204 }
      },
    )
    auth = made.auth
    await flush()
    await auth.disableTotp()
    expect(made.fetch.calls.filter((call) => call === 'DELETE /api/v1/auth/mfa/totp/')).toHaveLength(2)
    expect(auth.isSignedIn.value).toBe(true)
  })
})
