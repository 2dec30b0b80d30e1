/**
 * Passkeys from the browser's autofill (WebAuthn conditional mediation, WebAuthn L3 §5.1.4):
 * while a login page is open, the browser lists the user's passkeys under an input with
 * `autocomplete="username webauthn"`, and picking one signs in without a button.
 *
 * One conditional request waits at a time per client, on the passwordless login's own
 * options and single-use challenge (`passkey/login/options/`, `passkey/login/`). It yields to
 * every other passkey prompt of the client (the "Sign in with a passkey" button, a second
 * step, a registration) and comes back after it; it asks for fresh options shortly before
 * its challenge expires, and only while the page is visible, so a page left open neither
 * fails when a passkey is finally picked nor keeps writing challenges from a background tab.
 * An abort (the caller's signal, a login by other means, a newer autofill) or a browser that
 * ends the request resolves with null: nothing to show the user.
 *
 * The request is made here rather than through `startAuthentication({ useBrowserAutofill })`
 * so that it carries its own abort signal: that call only gives `WebAuthnAbortService`'s
 * shared one, which cannot be aborted for this request alone before it has been created.
 * The service's signal is joined to it all the same, so that a ceremony the app starts with
 * `@simplewebauthn/browser` itself ends this one, as the library's ceremonies end each other.
 */

import {
  base64URLStringToBuffer,
  browserSupportsWebAuthnAutofill,
  bufferToBase64URLString,
  WebAuthnAbortService,
  type AuthenticationResponseJSON,
  type AuthenticatorAttachment,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser'

export interface PasskeyAutofillOptions {
  /** Abort it: the user typed a password, left the page. It then resolves with null. */
  signal?: AbortSignal
}

export interface AutofillDeps<TUser> {
  /** `POST passkey/login/options/`: the request options with a new challenge. */
  requestOptions(): Promise<PublicKeyCredentialRequestOptionsJSON>
  /** `POST passkey/login/` with the assertion, and sign in with its answer. */
  signIn(credential: AuthenticationResponseJSON): Promise<TUser>
  /** Milliseconds now; `Date.now` unless a test moves its own clock. */
  now?(): number
}

/** The client's passkey prompts: the autofill, and the prompts it yields to. */
export interface Ceremonies<TUser> {
  startPasskeyAutofill(options?: PasskeyAutofillOptions): Promise<TUser | null>
  /** Run another passkey prompt: the autofill waits while it is up, then comes back. */
  prompt<T>(ceremony: () => Promise<T>): Promise<T>
  /** End the autofill: a login by other means. */
  stopAutofill(): void
}

/** The server's challenge lifetime when the options name none (its default, 5 minutes). */
const DEFAULT_TIMEOUT_MS = 300_000
/** Fresh options this long before the challenge expires: room to pick a passkey and post it. */
const MARGIN_MS = 30_000
/** However short the server's lifetime, no faster than this: one options request a round. */
const SHORTEST_ROUND_MS = 10_000

/** An abort signal that follows either of two. */
function either(first: AbortSignal, second: AbortSignal): AbortSignal {
  const joined = new AbortController()
  const abort = () => joined.abort()
  if (first.aborted || second.aborted) abort()
  first.addEventListener('abort', abort, { once: true })
  second.addEventListener('abort', abort, { once: true })
  return joined.signal
}

/** Resolves when `ready()` holds, checked on `event` of `target`, or when `signal` aborts. */
function until(target: EventTarget, event: string, ready: () => boolean, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!ready() && !signal.aborted) return
      target.removeEventListener(event, check)
      signal.removeEventListener('abort', check)
      resolve()
    }
    target.addEventListener(event, check)
    signal.addEventListener('abort', check)
    check()
  })
}

/** `navigator.credentials.get` with conditional mediation, in `@simplewebauthn/browser`'s JSON. */
async function conditionalAssertion(
  optionsJSON: PublicKeyCredentialRequestOptionsJSON,
  signal: AbortSignal,
): Promise<AuthenticationResponseJSON> {
  const publicKey = {
    ...optionsJSON,
    challenge: base64URLStringToBuffer(optionsJSON.challenge),
    // Conditional mediation offers the discoverable passkeys of this site: no allow list.
    allowCredentials: [],
  } as PublicKeyCredentialRequestOptions
  const credential = (await navigator.credentials.get({
    mediation: 'conditional',
    publicKey,
    signal: either(WebAuthnAbortService.createNewAbortSignal(), signal),
  })) as PublicKeyCredential | null
  if (!credential) throw new DOMException('no credential', 'NotAllowedError')
  const response = credential.response as AuthenticatorAssertionResponse
  return {
    id: credential.id,
    rawId: bufferToBase64URLString(credential.rawId),
    response: {
      authenticatorData: bufferToBase64URLString(response.authenticatorData),
      clientDataJSON: bufferToBase64URLString(response.clientDataJSON),
      signature: bufferToBase64URLString(response.signature),
      userHandle: response.userHandle ? bufferToBase64URLString(response.userHandle) : undefined,
    },
    type: 'public-key',
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: (credential.authenticatorAttachment ?? undefined) as AuthenticatorAttachment | undefined,
  }
}

export function createCeremonies<TUser>(deps: AutofillDeps<TUser>): Ceremonies<TUser> {
  const now = deps.now ?? Date.now
  let prompts = 0
  const promptEnded = new EventTarget()
  let autofill: AbortController | null = null // the running autofill
  let round: AbortController | null = null // its conditional request now waiting

  /** Fresh options, and until when their challenge is worth offering. */
  async function freshRequest(): Promise<{ options: PublicKeyCredentialRequestOptionsJSON; until: number }> {
    const asked = now()
    const options = await deps.requestOptions()
    const lifetime = options.timeout ?? DEFAULT_TIMEOUT_MS
    return { options, until: asked + Math.max(lifetime - Math.min(MARGIN_MS, lifetime / 10), SHORTEST_ROUND_MS) }
  }

  async function run(stopped: AbortSignal): Promise<TUser | null> {
    let request: Awaited<ReturnType<typeof freshRequest>> | null = null
    while (!stopped.aborted) {
      if (prompts > 0) {
        await until(promptEnded, 'ended', () => prompts === 0, stopped)
        continue
      }
      if (request === null || now() >= request.until) {
        // A background tab asks for no challenge: it waits until the user is back.
        await until(document, 'visibilitychange', () => document.visibilityState !== 'hidden', stopped)
        if (stopped.aborted) break
        try {
          request = await freshRequest()
        } catch (error) {
          // No options (throttled, passkeys not configured, offline): no autofill, and the
          // button still says why if the user presses it.
          console.warn('passkey autofill: no options', error)
          return null
        }
        continue // a prompt may have begun, or the signal aborted, while they came
      }
      const current = new AbortController()
      round = current
      const expiry = setTimeout(() => current.abort(), request.until - now())
      // Timers stop while the machine sleeps, the wall clock does not: on coming back, a
      // challenge already past its time is dropped before a passkey can be picked for it.
      const deadline = request.until
      const stale = () => {
        if (now() >= deadline) current.abort()
      }
      document.addEventListener('visibilitychange', stale)
      let credential: AuthenticationResponseJSON
      try {
        credential = await conditionalAssertion(request.options, either(stopped, current.signal))
      } catch (error) {
        // Ended by us (the challenge's expiry, another prompt of the client): go round again,
        // unless the autofill itself was stopped. Ended by anything else (a ceremony the app
        // began with `@simplewebauthn/browser`, the browser's NotAllowedError): over, quietly;
        // starting again would end that other ceremony in turn.
        if (current.signal.aborted) continue
        return null
      } finally {
        clearTimeout(expiry)
        document.removeEventListener('visibilitychange', stale)
        if (round === current) round = null
      }
      request = null // the challenge is spent by the answer, whatever it is
      return await deps.signIn(credential)
    }
    return null
  }

  return {
    async startPasskeyAutofill({ signal } = {}) {
      if (signal?.aborted) return null
      // One autofill at a time: a newer one ends the one before.
      autofill?.abort()
      const stop = new AbortController()
      autofill = stop
      const forward = () => stop.abort()
      signal?.addEventListener('abort', forward, { once: true })
      try {
        if (!(await browserSupportsWebAuthnAutofill())) return null
        if (!document.querySelector("input[autocomplete$='webauthn']")) {
          console.warn('passkey autofill: no <input autocomplete="username webauthn"> on the page')
          return null
        }
        return await run(stop.signal)
      } finally {
        signal?.removeEventListener('abort', forward)
        if (autofill === stop) autofill = null
      }
    },
    async prompt(ceremony) {
      prompts += 1
      // Before the prompt starts: one WebAuthn request at a time in a browser.
      round?.abort()
      try {
        return await ceremony()
      } finally {
        prompts -= 1
        promptEnded.dispatchEvent(new Event('ended'))
      }
    },
    stopAutofill() {
      autofill?.abort()
    },
  }
}
