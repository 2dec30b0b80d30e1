import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAuthChannel, type AuthMessage } from '../channel.js'
import { createAuthClient, type AuthChange, type AuthClient } from '../index.js'
import { fakeFetch, flush, user, type Answer, type FetchCall } from './helpers.js'

let clients: AuthClient[] = []

function clientWith(handle: (call: FetchCall) => Answer) {
  const fetch = fakeFetch((call) =>
    call.url.endsWith('/auth/obtain_token/')
      ? { status: 200, data: { token: 'jwt', token_type: 'Bearer', expires_in: 300, user } }
      : handle(call),
  )
  const client = createAuthClient({ baseURL: '/api/v1/', fetch })
  clients.push(client)
  const last = () => fetch.calls.at(-1)!
  return { client, fetch, last }
}

const fieldErrors = (errors: Record<string, string[]>): Answer => ({
  status: 400,
  data: { detail: 'Some fields are not valid.', code: 'invalid', errors },
})
const refused = (status: number, code: string, headers: Record<string, string> = {}): Answer => ({
  status,
  data: { detail: 'Server wording.', code },
  headers,
})

describe('account calls', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
  })
  afterEach(() => {
    clients.forEach((client) => client.dispose())
    clients = []
  })

  describe('register', () => {
    it('posts the new account with the CSRF header and no token, and answers with the code', async () => {
      const { client, last } = clientWith(() => ({ status: 201, data: { detail: 'Check your inbox.', code: 'verification_sent' } }))
      await client.login('alice', 'pw')
      const answer = await client.register({ username: 'bob', email: 'b@example.com', password: 'long-passphrase' })
      expect(answer).toEqual({ detail: 'Check your inbox.', code: 'verification_sent' })
      expect(last()).toMatchObject({
        url: '/api/v1/auth/register/',
        method: 'POST',
        credentials: 'include',
        body: { username: 'bob', email: 'b@example.com', password: 'long-passphrase' },
      })
      expect(last().headers.get('X-CSRFToken')).toBe('abc')
      expect(last().headers.get('Authorization')).toBeNull()
    })

    it('fetches the CSRF cookie first when it is missing', async () => {
      document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT'
      const { client, fetch } = clientWith((call) => {
        if (call.url.endsWith('/auth/csrf/')) {
          document.cookie = 'csrftoken=fresh'
          return { status: 204 }
        }
        return { status: 201, data: { detail: '', code: 'registered' } }
      })
      expect(await client.register({ username: 'bob', email: 'b@example.com', password: 'pw' })).toMatchObject({ code: 'registered' })
      expect(fetch.calls.map((call) => call.url)).toEqual(['/api/v1/auth/csrf/', '/api/v1/auth/register/'])
      expect(fetch.calls[1]!.headers.get('X-CSRFToken')).toBe('fresh')
    })

    it('reports the validation messages per field', async () => {
      const { client } = clientWith(() =>
        fieldErrors({ username: ['A user with that username already exists.'], password: ['This password is too common.'] }),
      )
      await expect(client.register({ username: 'alice', email: 'a@example.com', password: 'password' })).rejects.toMatchObject({
        name: 'ApiError',
        status: 400,
        code: 'invalid',
        fields: { username: ['A user with that username already exists.'], password: ['This password is too common.'] },
      })
    })

    it('reports a closed sign-up and a throttle with its wait', async () => {
      const closed = clientWith(() => refused(403, 'signup_disabled'))
      await expect(closed.client.register({ username: 'a', email: 'a@example.com', password: 'p' })).rejects.toMatchObject({
        status: 403,
        code: 'signup_disabled',
      })
      const throttled = clientWith(() => refused(429, 'throttled', { 'Retry-After': '30' }))
      await expect(throttled.client.register({ username: 'a', email: 'a@example.com', password: 'p' })).rejects.toMatchObject({
        status: 429,
        code: 'throttled',
        retryAfter: 30,
      })
    })
  })

  describe('email verification', () => {
    it('posts the key from the link', async () => {
      const { client, last } = clientWith(() => ({ status: 200, data: { detail: 'Verified.', code: 'email_verified' } }))
      expect(await client.verifyEmail('k:1')).toMatchObject({ code: 'email_verified' })
      expect(last()).toMatchObject({ url: '/api/v1/auth/email/verify/', method: 'POST', body: { key: 'k:1' } })
    })

    it('posts the password chosen at sign-up with the key', async () => {
      const { client, last } = clientWith(() => ({ status: 200, data: { detail: 'Verified.', code: 'email_verified' } }))
      await client.verifyEmail('k:1', 'secret pass')
      expect(last()).toMatchObject({ url: '/api/v1/auth/email/verify/', body: { key: 'k:1', password: 'secret pass' } })
    })

    it('names the account a key would create when no password was given', async () => {
      const { client } = clientWith(() => ({
        status: 400,
        data: { detail: 'Confirm.', code: 'confirmation_required', action: 'sign_up', username: 'jdoe', email: 'j@example.com' },
      }))
      await expect(client.verifyEmail('k:1')).rejects.toMatchObject({
        code: 'confirmation_required',
        confirmation: { action: 'sign_up', username: 'jdoe', email: 'j@example.com' },
      })
    })

    it('reads no confirmation from an answer whose members are of the wrong type', async () => {
      const { client } = clientWith(() => ({
        status: 400,
        data: { detail: 'Confirm.', code: 'confirmation_required', action: 'sign_up', username: 7, email: 'j@example.com' },
      }))
      await expect(client.verifyEmail('k:1')).rejects.toMatchObject({ confirmation: null })
    })

    it('rejects a spent or unknown key with key_invalid', async () => {
      const { client } = clientWith(() => refused(400, 'key_invalid'))
      await expect(client.verifyEmail('spent')).rejects.toMatchObject({ status: 400, code: 'key_invalid', fields: {} })
    })

    it('asks for a new link by address', async () => {
      const { client, last } = clientWith(() => ({ status: 202, data: { detail: 'Sent.', code: 'verification_sent' } }))
      expect(await client.resendVerification('a@example.com')).toMatchObject({ code: 'verification_sent' })
      expect(last()).toMatchObject({ url: '/api/v1/auth/email/verify/resend/', body: { email: 'a@example.com' } })
    })
  })

  describe('password reset', () => {
    it('asks for a reset link by address', async () => {
      const { client, last } = clientWith(() => ({ status: 202, data: { detail: 'Sent.', code: 'reset_sent' } }))
      expect(await client.requestPasswordReset('a@example.com')).toMatchObject({ code: 'reset_sent' })
      expect(last()).toMatchObject({ url: '/api/v1/auth/password/reset/', body: { email: 'a@example.com' } })
    })

    it('sets the new password and signs this tab out, since every session ended', async () => {
      const { client, last } = clientWith(() => ({ status: 204 }))
      await client.login('alice', 'pw')
      const changes: AuthChange[] = []
      client.onChange((change) => changes.push(change))
      await client.confirmPasswordReset('k:1', 'new-passphrase')
      expect(last()).toMatchObject({
        url: '/api/v1/auth/password/reset/confirm/',
        method: 'POST',
        body: { key: 'k:1', new_password: 'new-passphrase' },
      })
      expect(client.getState()).toEqual({ status: 'signed-out', user: null, reason: null })
      expect(client.getAccessToken()).toBeNull()
      expect(changes.map((change) => change.cause)).toEqual(['logout'])
    })

    it('keeps the signed-in state when the reset is refused', async () => {
      const { client } = clientWith(() => fieldErrors({ new_password: ['This password is too short.'] }))
      await client.login('alice', 'pw')
      await expect(client.confirmPasswordReset('k:1', 'short')).rejects.toMatchObject({
        status: 400,
        fields: { new_password: ['This password is too short.'] },
      })
      expect(client.getState().status).toBe('signed-in')
    })

    it('rejects an expired key with key_invalid', async () => {
      const { client } = clientWith(() => refused(400, 'key_invalid'))
      await expect(client.confirmPasswordReset('old', 'new-passphrase')).rejects.toMatchObject({ code: 'key_invalid' })
    })
  })

  describe('email change', () => {
    it('asks for the change signed in, with the token', async () => {
      const { client, last } = clientWith(() => ({ status: 202, data: { detail: 'Sent.', code: 'email_change_sent' } }))
      await client.login('alice', 'pw')
      expect(await client.requestEmailChange('new@example.com', 'pw')).toMatchObject({ code: 'email_change_sent' })
      expect(last()).toMatchObject({ url: '/api/v1/auth/email/change/', body: { new_email: 'new@example.com', password: 'pw' } })
      expect(last().headers.get('Authorization')).toBe('Bearer jwt')
      expect(last().headers.get('X-CSRFToken')).toBe('abc')
    })

    it('reports a wrong password on its field', async () => {
      const { client } = clientWith(() => fieldErrors({ password: ['Your password was entered incorrectly.'] }))
      await client.login('alice', 'pw')
      await expect(client.requestEmailChange('new@example.com', 'wrong')).rejects.toMatchObject({
        status: 400,
        fields: { password: ['Your password was entered incorrectly.'] },
      })
      expect(client.getState().status).toBe('signed-in')
    })

    it('confirms with the key and answers the new address', async () => {
      const { client, last } = clientWith(() => ({
        status: 200,
        data: { detail: 'Changed.', code: 'email_changed', email: 'new@example.com' },
      }))
      expect(await client.confirmEmailChange('k:2')).toEqual({ detail: 'Changed.', code: 'email_changed', email: 'new@example.com' })
      expect(last()).toMatchObject({ url: '/api/v1/auth/email/change/confirm/', body: { key: 'k:2' } })
      expect(last().headers.get('Authorization')).toBeNull()
    })
  })

  describe('deleteAccount', () => {
    it('deletes with the password, then signs out here and in the other tabs', async () => {
      const { client, last } = clientWith(() => ({ status: 204 }))
      await client.login('alice', 'pw')
      const otherTab = createAuthChannel()
      const heard: AuthMessage[] = []
      otherTab.subscribe((message) => heard.push(message))
      await client.deleteAccount('pw')
      await flush()
      expect(last()).toMatchObject({ url: '/api/v1/auth/account/', method: 'DELETE', body: { password: 'pw' } })
      expect(last().headers.get('Authorization')).toBe('Bearer jwt')
      expect(last().headers.get('X-CSRFToken')).toBe('abc')
      expect(client.getState()).toEqual({ status: 'signed-out', user: null, reason: null })
      expect(client.getAccessToken()).toBeNull()
      expect(heard).toEqual([{ type: 'logout' }])
      otherTab.close()
    })

    it('stays signed in when the password is wrong or the server is busy', async () => {
      const { client } = clientWith(() => fieldErrors({ password: ['Your password was entered incorrectly.'] }))
      await client.login('alice', 'pw')
      await expect(client.deleteAccount('wrong')).rejects.toMatchObject({
        status: 400,
        fields: { password: ['Your password was entered incorrectly.'] },
      })
      expect(client.getState().status).toBe('signed-in')
      const throttled = clientWith(() => refused(429, 'throttled', { 'Retry-After': '5' }))
      await throttled.client.login('alice', 'pw')
      await expect(throttled.client.deleteAccount('pw')).rejects.toMatchObject({ code: 'throttled', retryAfter: 5 })
      expect(throttled.client.getState().status).toBe('signed-in')
    })
  })

  it('reports an unverified address at login with its code, and stays signed out', async () => {
    const fetch = fakeFetch(() => refused(403, 'email_unverified'))
    const client = createAuthClient({ baseURL: '/api/v1/', fetch, channelName: null })
    clients.push(client)
    await expect(client.login('alice', 'pw')).rejects.toMatchObject({ status: 403, code: 'email_unverified' })
    expect(client.getState().status).toBe('unknown')
  })
})
