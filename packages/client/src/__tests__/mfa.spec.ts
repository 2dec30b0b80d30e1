import { startAuthentication, startRegistration } from '@simplewebauthn/browser'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthChannel, type AuthMessage } from '../channel.js'
import { createAuthClient, type ApiError, type AuthChange, type AuthClient } from '../index.js'
import { fakeFetch, flush, user, type Answer, type FetchCall } from './helpers.js'

// The browser's passkey prompt is the other edge of the client, mocked like the network.
vi.mock('@simplewebauthn/browser', () => ({ startAuthentication: vi.fn(), startRegistration: vi.fn() }))

const assertion = { id: 'cred', rawId: 'cred', type: 'public-key', response: {}, clientExtensionResults: {} }
const attestationJSON = { id: 'new', rawId: 'new', type: 'public-key', response: {}, clientExtensionResults: {} }
const loginAnswer = (token = 'jwt'): Answer => ({ status: 200, data: { token, token_type: 'Bearer', expires_in: 300, user } })
const refused = (status: number, code: string, extra: Record<string, unknown> = {}): Answer => ({
  status,
  data: { detail: 'Server wording.', code, ...extra },
})
const mfaRequired = refused(401, 'mfa_required', { mfa_token: 'mfa-1', methods: ['totp', 'webauthn', 'recovery_code'] })

let clients: AuthClient[] = []

function clientWith(handle: (call: FetchCall) => Answer | null) {
  const fetch = fakeFetch((call) => handle(call) ?? (call.url.endsWith('/auth/obtain_token/') ? loginAnswer() : { status: 204 }))
  const client = createAuthClient({ baseURL: '/api/v1/', fetch })
  clients.push(client)
  const sent = (path: string) => fetch.calls.filter((call) => call.url === `/api/v1/auth/${path}`)
  return { client, fetch, sent, last: () => fetch.calls.at(-1)! }
}

function listenOtherTab() {
  const channel = createAuthChannel()
  const heard: AuthMessage[] = []
  channel.subscribe((message) => heard.push(message))
  return { heard, close: () => channel.close() }
}

describe('MFA', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
    vi.mocked(startAuthentication).mockReset().mockResolvedValue(assertion as never)
    vi.mocked(startRegistration).mockReset().mockResolvedValue(attestationJSON as never)
  })
  afterEach(() => {
    clients.forEach((client) => client.dispose())
    clients = []
  })

  describe('login with a second factor', () => {
    it('rejects the password step with mfa_required, its token and methods, and stays signed out', async () => {
      const { client } = clientWith((call) => (call.url.endsWith('/obtain_token/') ? mfaRequired : null))
      await expect(client.login('alice', 'pw')).rejects.toMatchObject({
        name: 'ApiError',
        status: 401,
        code: 'mfa_required',
        mfaToken: 'mfa-1',
        methods: ['totp', 'webauthn', 'recovery_code'],
      })
      expect(client.getState().status).toBe('unknown')
      expect(client.getAccessToken()).toBeNull()
    })

    it('finishes the login with a code like a login: signed in, the other tabs told, the token used', async () => {
      const { client, sent, fetch } = clientWith((call) =>
        call.url.endsWith('/obtain_token/') ? mfaRequired : call.url.endsWith('/mfa/authenticate/') ? loginAnswer('after-mfa') : null,
      )
      const otherTab = listenOtherTab()
      const changes: AuthChange[] = []
      client.onChange((change) => changes.push(change))
      const error = (await client.login('alice', 'pw').catch((caught: unknown) => caught)) as ApiError
      expect(await client.completeMfa({ mfaToken: error.mfaToken!, code: '123456' })).toEqual(user)
      await flush()
      const [step] = sent('mfa/authenticate/')
      expect(step).toMatchObject({ method: 'POST', body: { mfa_token: 'mfa-1', code: '123456' }, credentials: 'include' })
      expect(step!.headers.get('X-CSRFToken')).toBe('abc')
      expect(step!.headers.get('Authorization')).toBeNull()
      expect(client.getState()).toEqual({ status: 'signed-in', user, reason: null })
      expect(changes.map((change) => change.cause)).toEqual(['login'])
      expect(otherTab.heard).toEqual([{ type: 'login', access: { token: 'after-mfa', expiresAt: expect.any(Number) }, user }])
      await client.fetch('/api/v1/things/')
      expect(fetch.calls.at(-1)!.headers.get('Authorization')).toBe('Bearer after-mfa')
      otherTab.close()
    })

    it('schedules the refresh of the token a second step brought', async () => {
      vi.useFakeTimers()
      try {
        const { client, sent } = clientWith((call) =>
          call.url.endsWith('/mfa/authenticate/')
            ? { status: 200, data: { token: 'short', expires_in: 40, user } }
            : call.url.endsWith('/refresh_token/')
              ? { status: 200, data: { token: 'next', expires_in: 300 } }
              : null,
        )
        await client.completeMfa({ mfaToken: 'mfa-1', code: '123456' })
        await vi.advanceTimersByTimeAsync(39_000) // before expiry, at about 80 % of a short lifetime
        expect(sent('refresh_token/')).toHaveLength(1)
        expect(client.getAccessToken()).toBe('next')
      } finally {
        vi.useRealTimers()
      }
    })

    it('keeps the tab signed out on a wrong code or a spent token', async () => {
      const wrong = clientWith((call) => (call.url.endsWith('/mfa/authenticate/') ? refused(401, 'code_invalid') : null))
      await expect(wrong.client.completeMfa({ mfaToken: 'mfa-1', code: '000000' })).rejects.toMatchObject({ status: 401, code: 'code_invalid' })
      expect(wrong.client.getState().status).toBe('unknown')
      const spent = clientWith((call) => (call.url.endsWith('/mfa/authenticate/') ? refused(401, 'mfa_token_invalid') : null))
      await expect(spent.client.completeMfa({ mfaToken: 'old', code: '123456' })).rejects.toMatchObject({ code: 'mfa_token_invalid' })
    })

    it('finishes the login with a passkey: options, the browser prompt, then the assertion', async () => {
      const options = { challenge: 'c1', allowCredentials: [{ id: 'cred', type: 'public-key' }] }
      const { client, sent } = clientWith((call) =>
        call.url.endsWith('/mfa/webauthn/authenticate/options/')
          ? { status: 200, data: { options } }
          : call.url.endsWith('/mfa/webauthn/authenticate/')
            ? loginAnswer('after-passkey')
            : null,
      )
      expect(await client.completeMfaWithPasskey({ mfaToken: 'mfa-1' })).toEqual(user)
      expect(sent('mfa/webauthn/authenticate/options/')[0]!.body).toEqual({ mfa_token: 'mfa-1' })
      expect(startAuthentication).toHaveBeenCalledWith({ optionsJSON: options })
      expect(sent('mfa/webauthn/authenticate/')[0]!.body).toEqual({ mfa_token: 'mfa-1', credential: assertion })
      expect(client.getState().status).toBe('signed-in')
      expect(client.getAccessToken()).toBe('after-passkey')
    })

    it('reports a dismissed passkey prompt as passkey_cancelled and sends nothing more', async () => {
      vi.mocked(startAuthentication).mockRejectedValue(Object.assign(new Error('The operation either timed out or was not allowed.'), { name: 'NotAllowedError' }))
      const { client, sent } = clientWith((call) =>
        call.url.endsWith('/options/') ? { status: 200, data: { options: { challenge: 'c' } } } : null,
      )
      await expect(client.completeMfaWithPasskey({ mfaToken: 'mfa-1' })).rejects.toMatchObject({ status: 0, code: 'passkey_cancelled' })
      expect(sent('mfa/webauthn/authenticate/')).toEqual([])
      vi.mocked(startAuthentication).mockRejectedValue(new Error('WebAuthn is not supported in this browser'))
      await expect(client.loginWithPasskey()).rejects.toMatchObject({ code: 'passkey_unavailable' })
      expect(client.getState().status).toBe('unknown')
    })
  })

  describe('loginWithPasskey', () => {
    it('signs in without a password: discoverable options, the prompt, passkey/login/', async () => {
      const options = { challenge: 'c2', allowCredentials: [], userVerification: 'required' }
      const { client, sent, last } = clientWith((call) =>
        call.url.endsWith('/passkey/login/options/')
          ? { status: 200, data: { options } }
          : call.url.endsWith('/passkey/login/')
            ? loginAnswer('passwordless')
            : null,
      )
      expect(await client.loginWithPasskey()).toEqual(user)
      expect(sent('passkey/login/options/')[0]).toMatchObject({ method: 'POST', body: {} })
      expect(startAuthentication).toHaveBeenCalledWith({ optionsJSON: options })
      expect(last()).toMatchObject({ url: '/api/v1/auth/passkey/login/', body: { credential: assertion } })
      expect(client.getAccessToken()).toBe('passwordless')
      expect(client.getState().status).toBe('signed-in')
    })

    it('reports an unverified address as a password login does', async () => {
      const { client } = clientWith((call) =>
        call.url.endsWith('/passkey/login/options/')
          ? { status: 200, data: { options: { challenge: 'c' } } }
          : call.url.endsWith('/passkey/login/')
            ? refused(403, 'email_unverified')
            : null,
      )
      await expect(client.loginWithPasskey()).rejects.toMatchObject({ status: 403, code: 'email_unverified' })
    })
  })

  describe('factors', () => {
    async function signedInWith(handle: (call: FetchCall) => Answer | null) {
      const made = clientWith(handle)
      await made.client.login('alice', 'pw')
      return made
    }

    it('reads the status with the token', async () => {
      const status = { totp: { enabled: false }, recovery_codes: { remaining: 0 }, passkeys: [] }
      const { client, last } = await signedInWith((call) => (call.url.endsWith('/auth/mfa/') ? { status: 200, data: status } : null))
      expect(await client.mfaStatus()).toEqual(status)
      expect(last()).toMatchObject({ url: '/api/v1/auth/mfa/', method: 'GET' })
      expect(last().headers.get('Authorization')).toBe('Bearer jwt')
    })

    it('sets up TOTP: the secret and QR code, then the first code, which brings recovery codes', async () => {
      const setup = { secret: 'JBSWY3DP', otpauth_url: 'otpauth://totp/x', qr_svg: '<svg></svg>' }
      const codes = Array.from({ length: 10 }, (_, i) => `code-${i}`)
      const { client, sent } = await signedInWith((call) =>
        call.url.endsWith('/mfa/totp/setup/')
          ? { status: 200, data: setup }
          : call.url.endsWith('/mfa/totp/confirm/')
            ? { status: 200, data: { recovery_codes: codes } }
            : null,
      )
      expect(await client.startTotpSetup()).toEqual(setup)
      expect(await client.confirmTotp('123456')).toEqual({ recovery_codes: codes })
      expect(sent('mfa/totp/setup/')[0]).toMatchObject({ method: 'POST', body: {} })
      expect(sent('mfa/totp/confirm/')[0]!.body).toEqual({ code: '123456' })
      expect(sent('mfa/totp/confirm/')[0]!.headers.get('X-CSRFToken')).toBe('abc')
    })

    it('reports a wrong first code as code_invalid and stays signed in', async () => {
      const { client } = await signedInWith((call) => (call.url.endsWith('/mfa/totp/confirm/') ? refused(400, 'code_invalid') : null))
      await expect(client.confirmTotp('000000')).rejects.toMatchObject({ status: 400, code: 'code_invalid' })
      expect(client.getState().status).toBe('signed-in')
    })

    it('turns TOTP off and makes new recovery codes', async () => {
      const { client, sent } = await signedInWith((call) =>
        call.url.endsWith('/mfa/recovery_codes/') ? { status: 200, data: { recovery_codes: ['a1b2c3-d4e5f6'] } } : null,
      )
      await client.disableTotp()
      expect(sent('mfa/totp/')[0]!.method).toBe('DELETE')
      expect(await client.regenerateRecoveryCodes()).toEqual({ recovery_codes: ['a1b2c3-d4e5f6'] })
      expect(sent('mfa/recovery_codes/')[0]).toMatchObject({ method: 'POST', body: {} })
    })

    it('adds a passkey: creation options, the browser prompt, then the credential and its name', async () => {
      const options = { challenge: 'r1', rp: { name: 'x' }, user: { id: 'u', name: 'alice', displayName: 'alice' }, pubKeyCredParams: [] }
      const created = { id: 7, name: 'My laptop', created: '2026-01-01T00:00:00Z', last_used: null, recovery_codes: [] }
      const { client, sent } = await signedInWith((call) =>
        call.url.endsWith('/mfa/webauthn/register/options/')
          ? { status: 200, data: { options } }
          : call.url.endsWith('/mfa/webauthn/register/')
            ? { status: 201, data: created }
            : null,
      )
      expect(await client.addPasskey('My laptop')).toEqual(created)
      expect(startRegistration).toHaveBeenCalledWith({ optionsJSON: options })
      expect(sent('mfa/webauthn/register/')[0]!.body).toEqual({ credential: attestationJSON, name: 'My laptop' })
    })

    it('reports a refused registration as passkey_invalid', async () => {
      const { client } = await signedInWith((call) =>
        call.url.endsWith('/register/options/')
          ? { status: 200, data: { options: { challenge: 'r' } } }
          : call.url.endsWith('/register/')
            ? refused(400, 'passkey_invalid')
            : null,
      )
      await expect(client.addPasskey('Key')).rejects.toMatchObject({ status: 400, code: 'passkey_invalid' })
    })

    it('renames and removes a passkey by id', async () => {
      const renamed = { id: 7, name: 'Work laptop', created: '2026-01-01T00:00:00Z', last_used: null }
      const { client, sent } = await signedInWith((call) =>
        call.url.endsWith('/mfa/webauthn/7/') && call.method === 'PATCH' ? { status: 200, data: renamed } : null,
      )
      expect(await client.renamePasskey(7, 'Work laptop')).toEqual(renamed)
      await client.removePasskey(7)
      expect(sent('mfa/webauthn/7/').map((call) => [call.method, call.body])).toEqual([
        ['PATCH', { name: 'Work laptop' }],
        ['DELETE', undefined],
      ])
    })
  })

  describe('reauthenticate', () => {
    it.each([
      [{ password: 'pw' }, { password: 'pw' }],
      [{ code: '123456' }, { code: '123456' }],
    ])('confirms with %o, and the new token replaces the old here and in the other tabs', async (proof, body) => {
      const { client, sent, fetch } = clientWith((call) =>
        call.url.endsWith('/auth/reauthenticate/') ? { status: 200, data: { token: 'fresh', token_type: 'Bearer', expires_in: 300 } } : null,
      )
      await client.login('alice', 'pw')
      const otherTab = listenOtherTab()
      await client.reauthenticate(proof)
      await flush()
      expect(sent('reauthenticate/')[0]!.body).toEqual(body)
      expect(sent('reauthenticate/')[0]!.headers.get('Authorization')).toBe('Bearer jwt')
      expect(client.getAccessToken()).toBe('fresh')
      expect(otherTab.heard).toEqual([{ type: 'token', access: { token: 'fresh', expiresAt: expect.any(Number) } }])
      await client.fetch('/api/v1/things/')
      expect(fetch.calls.at(-1)!.headers.get('Authorization')).toBe('Bearer fresh')
      otherTab.close()
    })

    it('confirms with a passkey: options, the prompt, then the assertion as credential', async () => {
      const options = { challenge: 'c3' }
      const { client, sent } = clientWith((call) =>
        call.url.endsWith('/reauthenticate/options/')
          ? { status: 200, data: { options } }
          : call.url.endsWith('/reauthenticate/')
            ? { status: 200, data: { token: 'fresh', expires_in: 300 } }
            : null,
      )
      await client.login('alice', 'pw')
      await client.reauthenticate({ passkey: true })
      expect(startAuthentication).toHaveBeenCalledWith({ optionsJSON: options })
      expect(sent('reauthenticate/')[0]!.body).toEqual({ credential: assertion })
      expect(client.getAccessToken()).toBe('fresh')
    })

    it('keeps the session and the token when the password is wrong', async () => {
      const { client } = clientWith((call) => (call.url.endsWith('/reauthenticate/') ? refused(400, 'password_incorrect') : null))
      await client.login('alice', 'pw')
      await expect(client.reauthenticate({ password: 'wrong' })).rejects.toMatchObject({ status: 400, code: 'password_incorrect' })
      expect(client.getAccessToken()).toBe('jwt')
      expect(client.getState().status).toBe('signed-in')
    })
  })
})
