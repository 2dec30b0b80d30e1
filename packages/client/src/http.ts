/**
 * What every request to the API shares: where the API is, Django's CSRF cookie echoed as a
 * header on unsafe methods, the app's language as `Accept-Language`, the decision which
 * requests may carry the access token (only those to the API's own origin, never a third
 * party's), and the client's own `call`.
 */

import { errorFromResponse, toApiError } from './errors.js'
import type { FetchLike } from './fetch.js'

export interface ApiTarget {
  /** The API root, ending in `/`: absolute, or relative to the page. */
  baseURL: string
  csrfCookieName: string
  csrfHeaderName: string
  /** The language the API should answer in, asked at each request; none: the browser's. */
  language?: () => string | null | undefined
}

/** How the client's own calls go out (see `createCall`). */
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

/**
 * What the browser resolves a relative URL against when it sends it: the document's base URL
 * (fetch and XHR use it, and a `<base href>` moves it off the page's own URL), else a worker's
 * location. Outside both, a host under `.invalid`, which never exists (RFC 6761 §6.4): relative
 * URLs still meet only relative URLs there, and `//host` is still another host.
 */
function baseOfRelativeURLs(): string {
  if (typeof document !== 'undefined') return document.baseURI
  if (typeof location !== 'undefined') return location.href
  return 'http://relative.invalid/'
}

/**
 * The origin (scheme, host, port) of `url`, by the WHATWG URL parser that the request goes
 * through: it drops leading spaces and control characters, reads `\` as `/` (`/\host` is
 * `//host`), and lowercases scheme and host, so no spelling of another origin passes for the
 * API's. Null if it does not parse.
 */
function originOf(url: string): string | null {
  try {
    return new URL(url, baseOfRelativeURLs()).origin
  } catch {
    return null
  }
}

/**
 * Whether a request to `url` goes to the API's origin: the same scheme, host and port
 * (RFC 6454 §5), not merely the same host, so `http:` never gets what `https:` gets. A URL
 * that does not parse goes nowhere the token should.
 */
export function isApiURL(target: ApiTarget, url: string): boolean {
  const api = originOf(target.baseURL)
  return api !== null && api === originOf(url)
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
 * Set `Accept-Language` to the app's language on a request to the API, unless the caller
 * already has: the server's messages (a password validator's, an error's `detail`) then come
 * in the language the app shows, not in the one Django would pick from the browser's own
 * header (RFC 9110 §12.5.4). One tag (`fr`, `de-CH`) stays a CORS-safelisted header.
 */
export function addLanguageHeader(target: ApiTarget, headers: Headers): void {
  if (headers.has('Accept-Language')) return
  const language = target.language?.()
  if (language) headers.set('Accept-Language', language)
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

export interface CallTarget extends ApiTarget {
  /** The default timeout of a call. */
  timeoutMs: number
  /** The token-carrying fetch (one shared refresh and retry after a 401). */
  authFetch: FetchLike
  /** The plain fetch, looked up per call. */
  transport: () => FetchLike
}

/** The client's own `call`: one request to the API; any failure becomes an ApiError. */
export function createCall(target: CallTarget): Call {
  return async function call<T>(method: string, path: string, init: CallOptions = {}): Promise<{ status: number; data: T }> {
    const { body, authenticated = true, headers: extra = {} } = init
    const headers = new Headers({ Accept: 'application/json', ...extra })
    if (body !== undefined) headers.set('Content-Type', 'application/json')
    const timeout = timeoutSignal(init.timeoutMs ?? target.timeoutMs)
    const request: RequestInit = {
      method,
      headers,
      // The refresh cookie rides along, and comes back, also when the API is on another origin.
      credentials: 'include',
      signal: timeout.signal,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }
    const url = joinURL(target.baseURL, path)
    try {
      let response: Response
      if (authenticated) response = await target.authFetch(url, request)
      else {
        addCsrfHeader(target, headers, method)
        addLanguageHeader(target, headers)
        response = await target.transport()(url, request)
      }
      if (!response.ok) throw await errorFromResponse(response)
      const text = await response.text()
      return { status: response.status, data: (text ? JSON.parse(text) : null) as T }
    } catch (error) {
      throw toApiError(error)
    } finally {
      timeout.done()
    }
  }
}
