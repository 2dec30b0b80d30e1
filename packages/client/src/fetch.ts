/**
 * A `fetch` for the API: the access token as `Authorization`, Django's CSRF header on unsafe
 * methods, and after a 401 one shared refresh and one retry. It answers like `fetch`: an HTTP
 * error is a `Response` (read it with `errorFromResponse`), and it rejects only when no answer
 * arrived, or when the refresh that a retry needed lost its own answer.
 */

import { errorFromResponse } from './errors.js'
import { addCsrfHeader, isApiURL } from './http.js'
import { decideAfter401, type SessionHooks } from './session-hooks.js'

export type FetchLike = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>

function isRequest(input: RequestInfo | URL): input is Request {
  return typeof Request !== 'undefined' && input instanceof Request
}

function urlOf(input: RequestInfo | URL): string {
  if (typeof input === 'string') return input
  if (input instanceof URL) return input.href
  return input.url
}

export function createAuthFetch(hooks: SessionHooks, transport: () => FetchLike): FetchLike {
  return async function authFetch(input, init = {}) {
    const send = transport()
    if (!isApiURL(hooks, urlOf(input))) return send(input, init)
    const method = (init.method ?? (isRequest(input) ? input.method : 'GET')).toUpperCase()
    // The caller's own headers win; a Request's headers count as the caller's.
    const headers = new Headers(isRequest(input) ? input.headers : undefined)
    new Headers(init.headers).forEach((value, name) => headers.set(name, value))
    const token = hooks.accessToken()
    if (token && !headers.has('Authorization')) headers.set('Authorization', `${hooks.scheme} ${token}`)
    addCsrfHeader(hooks, headers, method)
    // A Request's body can be read once: keep the original for the retry.
    const first = await send(isRequest(input) ? input.clone() : input, { ...init, headers })
    if (first.status !== 401) return first
    const verdict = await decideAfter401(hooks, await errorFromResponse(first.clone()), false)
    if ('give' in verdict) {
      if (verdict.give === 'error') throw verdict.error
      return first
    }
    headers.set('Authorization', `${hooks.scheme} ${verdict.retryWith}`)
    const second = await send(input, { ...init, headers })
    if (second.status === 401) await decideAfter401(hooks, await errorFromResponse(second.clone()), true)
    return second
  }
}
