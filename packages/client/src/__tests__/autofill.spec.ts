import { browserSupportsWebAuthnAutofill, startAuthentication } from '@simplewebauthn/browser'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthClient, type ApiError, type AuthClient } from '../index.js'
import { fakeFetch, flush, user, type Answer, type FetchCall } from './helpers.js'

// The browser's passkey prompts are the other edge of the client, mocked like the network;
// the conditional request itself goes to a fake `navigator.credentials`.
vi.mock('@simplewebauthn/browser', async (original) => ({
  ...(await original<typeof import('@simplewebauthn/browser')>()),
  browserSupportsWebAuthnAutofill: vi.fn(),
  startAuthentication: vi.fn(),
}))

const bytes = (text: string) => new TextEncoder().encode(text).buffer
const loginAnswer = (token = 'jwt'): Answer => ({ status: 200, data: { token, token_type: 'Bearer', expires_in: 300, user } })
const buttonAssertion = { id: 'button', rawId: 'button', type: 'public-key', response: {}, clientExtensionResults: {} }

/** A conditional request the fake browser holds open: what it was asked, and how to end it. */
interface Waiting {
  options: CredentialRequestOptions
  pick(): void
  fail(name: string): void
}

let waiting: Waiting[] = []
let clients: AuthClient[] = []
let challenges = 0

function fakeCredentials() {
  const get = vi.fn(
    (options: CredentialRequestOptions) =>
      new Promise((resolve, reject) => {
        const entry: Waiting = {
          options,
          pick: () =>
            resolve({
              id: 'cred',
              rawId: bytes('cred'),
              type: 'public-key',
              authenticatorAttachment: 'platform',
              response: {
                authenticatorData: bytes('data'),
                clientDataJSON: bytes('client'),
                signature: bytes('sig'),
                userHandle: bytes('handle'),
              },
              getClientExtensionResults: () => ({}),
            }),
          fail: (name) => reject(new DOMException(name, name)),
        }
        waiting.push(entry)
        options.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true })
      }),
  )
  Object.defineProperty(navigator, 'credentials', { value: { get }, configurable: true })
  return get
}

function clientWith(handle: (call: FetchCall) => Answer | null = () => null) {
  const fetch = fakeFetch(
    (call) =>
      handle(call) ??
      (call.url.endsWith('/passkey/login/options/')
        ? { status: 200, data: { options: { challenge: btoa(`c${++challenges}`).replace(/=+$/, ''), timeout: 300_000, userVerification: 'required', rpId: 'localhost' } } }
        : call.url.endsWith('/passkey/login/') || call.url.endsWith('/obtain_token/')
          ? loginAnswer()
          : { status: 204 }),
  )
  const client = createAuthClient({ baseURL: '/api/v1/', fetch, channelName: null })
  clients.push(client)
  const sent = (path: string) => fetch.calls.filter((call) => call.url === `/api/v1/auth/${path}`)
  return { client, sent }
}

/** Let the promises of the client and the fake browser settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await flush()
}

function setVisibility(state: 'visible' | 'hidden'): void {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true })
  document.dispatchEvent(new Event('visibilitychange'))
}

describe('passkey autofill', () => {
  let get: ReturnType<typeof fakeCredentials>

  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
    document.body.innerHTML = '<input id="username" autocomplete="username webauthn">'
    setVisibility('visible')
    waiting = []
    challenges = 0
    get = fakeCredentials()
    vi.mocked(browserSupportsWebAuthnAutofill).mockReset().mockResolvedValue(true)
    vi.mocked(startAuthentication).mockReset().mockResolvedValue(buttonAssertion as never)
    vi.spyOn(console, 'warn').mockImplementation(() => {})
  })
  afterEach(() => {
    clients.forEach((client) => client.dispose())
    clients = []
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  it('signs in with the passkey picked from the autofill, through the passwordless login endpoints', async () => {
    const { client, sent } = clientWith()
    const signedIn = client.startPasskeyAutofill()
    await settle()
    expect(sent('passkey/login/options/')).toHaveLength(1)
    expect(sent('passkey/login/options/')[0]!.headers.get('X-CSRFToken')).toBe('abc')
    const [request] = waiting
    expect(request!.options.mediation).toBe('conditional')
    expect(request!.options.publicKey).toMatchObject({ allowCredentials: [], userVerification: 'required', rpId: 'localhost' })
    expect(new TextDecoder().decode(request!.options.publicKey!.challenge as ArrayBuffer)).toBe('c1')
    request!.pick()
    expect(await signedIn).toEqual(user)
    expect(sent('passkey/login/')[0]!.body).toEqual({
      credential: {
        id: 'cred',
        rawId: 'Y3JlZA',
        type: 'public-key',
        authenticatorAttachment: 'platform',
        clientExtensionResults: {},
        response: { authenticatorData: 'ZGF0YQ', clientDataJSON: 'Y2xpZW50', signature: 'c2ln', userHandle: 'aGFuZGxl' },
      },
    })
    expect(client.getState()).toEqual({ status: 'signed-in', user, reason: null })
    expect(client.getAccessToken()).toBe('jwt')
  })

  it('starts only where the browser offers conditional mediation, and asks for no challenge otherwise', async () => {
    vi.mocked(browserSupportsWebAuthnAutofill).mockResolvedValue(false)
    const { client, sent } = clientWith()
    expect(await client.startPasskeyAutofill()).toBeNull()
    expect(sent('passkey/login/options/')).toHaveLength(0)
    expect(get).not.toHaveBeenCalled()
  })

  it('starts only on a page with an input for it', async () => {
    document.body.innerHTML = '<input id="username" autocomplete="username">'
    const { client, sent } = clientWith()
    expect(await client.startPasskeyAutofill()).toBeNull()
    expect(sent('passkey/login/options/')).toHaveLength(0)
  })

  it('ends quietly when its signal aborts: the request is aborted, nothing is posted', async () => {
    const { client, sent } = clientWith()
    const typing = new AbortController()
    const result = client.startPasskeyAutofill({ signal: typing.signal })
    await settle()
    const [request] = waiting
    typing.abort()
    expect(request!.options.signal!.aborted).toBe(true)
    expect(await result).toBeNull()
    expect(sent('passkey/login/')).toHaveLength(0)
    expect(get).toHaveBeenCalledTimes(1)
    expect(client.getState().status).toBe('unknown')
  })

  it('makes no request when aborted while the options were on their way', async () => {
    const leaving = new AbortController()
    const { client, sent } = clientWith((call) => {
      if (call.url.endsWith('/passkey/login/options/')) leaving.abort() // the user left meanwhile
      return null
    })
    expect(await client.startPasskeyAutofill({ signal: leaving.signal })).toBeNull()
    await settle()
    expect(sent('passkey/login/options/')).toHaveLength(1)
    expect(get).not.toHaveBeenCalled()
  })

  it('ends when the user signs in with the password', async () => {
    const { client } = clientWith()
    const result = client.startPasskeyAutofill()
    await settle()
    await client.login('alice', 'pw')
    expect(await result).toBeNull()
    expect(waiting[0]!.options.signal!.aborted).toBe(true)
  })

  it('ends quietly when the browser ends the request', async () => {
    const { client, sent } = clientWith()
    const result = client.startPasskeyAutofill()
    await settle()
    waiting[0]!.fail('NotAllowedError')
    expect(await result).toBeNull()
    expect(sent('passkey/login/')).toHaveLength(0)
  })

  it('ends quietly when the server has no options for it', async () => {
    const { client, sent } = clientWith((call) =>
      call.url.endsWith('/passkey/login/options/') ? { status: 429, data: { detail: 'Slow down.', code: 'throttled' } } : null,
    )
    expect(await client.startPasskeyAutofill()).toBeNull()
    expect(sent('passkey/login/options/')).toHaveLength(1)
    expect(get).not.toHaveBeenCalled()
  })

  it('rejects with the server’s code when the server refuses the passkey picked', async () => {
    const { client } = clientWith((call) =>
      call.url.endsWith('/passkey/login/') ? { status: 401, data: { detail: 'No.', code: 'code_invalid' } } : null,
    )
    const result = client.startPasskeyAutofill()
    await settle()
    waiting[0]!.pick()
    await expect(result).rejects.toMatchObject({ name: 'ApiError', status: 401, code: 'code_invalid' } satisfies Partial<ApiError>)
    expect(client.getState().status).toBe('unknown')
  })

  it('waits while the passkey button’s prompt is up and comes back on the same challenge', async () => {
    const { client, sent } = clientWith((call) =>
      call.url.endsWith('/passkey/login/') && call.body && (call.body as { credential: { id: string } }).credential.id === 'button'
        ? { status: 401, data: { detail: 'No.', code: 'code_invalid' } }
        : null,
    )
    const result = client.startPasskeyAutofill()
    await settle()
    const first = waiting[0]!
    let release!: () => void
    vi.mocked(startAuthentication).mockImplementation(() => {
      // The autofill's request was ended before the prompt began: one request at a time.
      expect(first.options.signal!.aborted).toBe(true)
      return new Promise((resolve) => (release = () => resolve(buttonAssertion as never)))
    })
    const button = client.loginWithPasskey()
    await settle()
    expect(waiting).toHaveLength(1) // not back while the prompt is up
    release()
    await expect(button).rejects.toMatchObject({ code: 'code_invalid' })
    await settle()
    expect(waiting).toHaveLength(2)
    const again = waiting[1]!
    expect(again.options.publicKey!.challenge).toEqual(first.options.publicKey!.challenge)
    expect(sent('passkey/login/options/')).toHaveLength(2) // the autofill's one, the button's one
    again.pick()
    expect(await result).toEqual(user)
  })

  it('ends when the passkey button signed in', async () => {
    const { client } = clientWith()
    const result = client.startPasskeyAutofill()
    await settle()
    expect(await client.loginWithPasskey()).toEqual(user)
    expect(await result).toBeNull()
    expect(waiting).toHaveLength(1)
  })

  it('asks for a fresh challenge before its challenge expires, and none from a hidden page', async () => {
    vi.useFakeTimers()
    const { client, sent } = clientWith()
    const result = client.startPasskeyAutofill()
    await vi.advanceTimersByTimeAsync(0)
    expect(waiting).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(269_000)
    expect(waiting[0]!.options.signal!.aborted).toBe(false)
    setVisibility('hidden')
    await vi.advanceTimersByTimeAsync(1_000) // 270 s: 30 s before the 5 minutes
    expect(waiting[0]!.options.signal!.aborted).toBe(true)
    await vi.advanceTimersByTimeAsync(3_600_000)
    expect(sent('passkey/login/options/')).toHaveLength(1) // the tab is hidden: no new challenge
    setVisibility('visible')
    await vi.advanceTimersByTimeAsync(0)
    expect(sent('passkey/login/options/')).toHaveLength(2)
    expect(waiting).toHaveLength(2)
    expect(new TextDecoder().decode(waiting[1]!.options.publicKey!.challenge as ArrayBuffer)).toBe('c2')
    waiting[1]!.pick()
    expect(await result).toEqual(user)
    expect(sent('passkey/login/')).toHaveLength(1)
  })

  it('lets a newer autofill end the one before', async () => {
    const { client } = clientWith()
    const older = client.startPasskeyAutofill()
    await settle()
    const newer = client.startPasskeyAutofill()
    expect(await older).toBeNull()
    await settle()
    expect(waiting[0]!.options.signal!.aborted).toBe(true)
    waiting[1]!.pick()
    expect(await newer).toEqual(user)
  })

  it('ends without restarting when the app starts a ceremony of its own with the library', async () => {
    const { client } = clientWith()
    const result = client.startPasskeyAutofill()
    await settle()
    const { WebAuthnAbortService } = await vi.importActual<typeof import('@simplewebauthn/browser')>('@simplewebauthn/browser')
    WebAuthnAbortService.createNewAbortSignal() // what startAuthentication does first
    expect(await result).toBeNull()
    expect(waiting).toHaveLength(1)
  })

  it('drops a challenge that expired while the machine slept, once the page is shown again', async () => {
    vi.useFakeTimers()
    const { client, sent } = clientWith()
    void client.startPasskeyAutofill()
    await vi.advanceTimersByTimeAsync(0)
    expect(waiting).toHaveLength(1)
    // Suspended: the wall clock moves an hour, the page's timers do not run meanwhile.
    setVisibility('hidden')
    vi.setSystemTime(Date.now() + 3_600_000)
    setVisibility('visible')
    await vi.advanceTimersByTimeAsync(0)
    expect(waiting[0]!.options.signal!.aborted).toBe(true)
    expect(sent('passkey/login/options/')).toHaveLength(2)
  })
})
