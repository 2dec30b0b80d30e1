/**
 * What every request to the API shares: where the API is, Django's CSRF cookie echoed as a
 * header on unsafe methods, and the decision which requests may carry the access token
 * (only those to the API's own origin, never a third party's).
 */

export interface ApiTarget {
  /** The API root, ending in `/`: absolute, or relative to the page. */
  baseURL: string
  csrfCookieName: string
  csrfHeaderName: string
}

/** How the client's own calls go out (see `createAuthClient`'s `call`). */
export interface CallOptions {
  body?: unknown
  /** Through the token-carrying fetch (the default), or plain (login, refresh, logout). */
  authenticated?: boolean
  timeoutMs?: number
  headers?: Record<string, string>
}

/** One request to the API, answered with its status and JSON body; rejects with an ApiError. */
export type Call = <T>(method: string, path: string, init?: CallOptions) => Promise<{ status: number; data: T }>

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

export function isUnsafe(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase())
}

/** The base URL with exactly one trailing slash, so that paths join under it. */
export function normaliseBaseURL(baseURL: string): string {
  return baseURL.replace(/\/*$/, '/')
}

export function joinURL(baseURL: string, path: string): string {
  return normaliseBaseURL(baseURL) + path.replace(/^\/+/, '')
}

function pageURL(): string | undefined {
  return typeof location !== 'undefined' ? location.href : undefined
}

function originOf(url: string): string | null {
  try {
    return new URL(url, pageURL()).origin
  } catch {
    return null // relative, and no page to resolve it against
  }
}

/** Whether `url` (absolute, or relative to the page) goes to the API's origin. */
export function isApiURL(target: ApiTarget, url: string): boolean {
  const api = originOf(target.baseURL)
  const other = originOf(url)
  if (api === null || other === null) return api === other // both relative, outside a page
  return api === other
}

/** A cookie readable by scripts (Django's `csrftoken` is; the refresh cookie never is). */
export function readCookie(name: string): string | null {
  if (typeof document === 'undefined') return null
  const prefix = `${name}=`
  const found = document.cookie.split('; ').find((cookie) => cookie.startsWith(prefix))
  return found ? decodeURIComponent(found.slice(prefix.length)) : null
}

/** Set the CSRF header on an unsafe request to the API, unless the caller already has. */
export function addCsrfHeader(target: ApiTarget, headers: Headers, method: string): void {
  if (!isUnsafe(method) || headers.has(target.csrfHeaderName)) return
  const token = readCookie(target.csrfCookieName)
  if (token) headers.set(target.csrfHeaderName, token)
}

/**
 * An abort signal that fires after `ms`, with a TimeoutError as its reason (what fetch then
 * rejects with), and follows the caller's own signal too. `done` clears the timer.
 */
export function timeoutSignal(ms: number, outer?: AbortSignal | null): { signal: AbortSignal; done(): void } {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new DOMException(`No answer within ${ms} ms`, 'TimeoutError')), ms)
  const follow = () => controller.abort(outer?.reason)
  if (outer?.aborted) follow()
  else outer?.addEventListener('abort', follow, { once: true })
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer)
      outer?.removeEventListener('abort', follow)
    },
  }
}
