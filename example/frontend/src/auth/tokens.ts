/**
 * The access token, held in memory only: never localStorage, sessionStorage or a
 * readable cookie, so an XSS payload cannot lift it from storage. A reload restores
 * the login from the httpOnly refresh cookie instead.
 */

export interface AccessToken {
  token: string
  /** Epoch milliseconds at which the server stops accepting it. */
  expiresAt: number
}

type Listener = (current: AccessToken | null) => void

let current: AccessToken | null = null
const listeners = new Set<Listener>()

export function getAccessToken(): AccessToken | null {
  return current
}

export function setAccessToken(next: AccessToken | null): void {
  current = next
  listeners.forEach((listener) => listener(current))
}

export function onAccessTokenChange(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export function fromResponse(body: { token: string; expires_in: number }, now = Date.now()): AccessToken {
  return { token: body.token, expiresAt: now + body.expires_in * 1000 }
}
