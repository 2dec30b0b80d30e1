/**
 * The access token, held in memory only: never localStorage, sessionStorage or a
 * readable cookie, so an XSS payload cannot lift it from storage. A reload restores
 * the login from the httpOnly refresh cookie instead. One store per client; imports nothing.
 */

export interface AccessToken {
  token: string
  /** Epoch milliseconds at which the server stops accepting it. */
  expiresAt: number
}

export interface TokenStore {
  get(): AccessToken | null
  set(next: AccessToken | null): void
  subscribe(listener: (current: AccessToken | null) => void): () => void
}

export function createTokenStore(): TokenStore {
  let current: AccessToken | null = null
  const listeners = new Set<(current: AccessToken | null) => void>()
  return {
    get: () => current,
    set(next) {
      current = next
      listeners.forEach((listener) => listener(current))
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}

/** The server's `{token, expires_in}` as a token that knows when it expires. */
export function fromResponse(body: { token: string; expires_in: number }, now = Date.now()): AccessToken {
  return { token: body.token, expiresAt: now + body.expires_in * 1000 }
}
