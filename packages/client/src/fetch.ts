/**
 * A `fetch` for the API: the access token as `Authorization`, Django's CSRF header on unsafe
 * methods, the app's language as `Accept-Language`, and after a 401 one shared refresh and one retry (or, for a step-up 401, the app's
 * re-authentication prompt and one retry). It answers like `fetch`: an HTTP
 * error is a `Response` (read it with `errorFromResponse`), and it rejects only when no answer
 * arrived, or when the refresh that a retry needed lost its own answer.
 */

import { errorFromResponse } from './errors.js'
import { addCsrfHeader, addLanguageHeader, isApiURL } from './http.js'
import { decideAfter401, type Attempts, type SessionHooks } from './session-hooks.js'

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
    addLanguageHeader(hooks, headers)
    // A Request's body can be read once: every try sends a copy.
    const sendOnce = () => send(isRequest(input) ? input.clone() : input, { ...init, headers })
    const attempts: Attempts = { refreshed: false, reauthenticated: false }
    let answer = await sendOnce()
    // At most one retry after a refresh and one after a re-authentication, never a loop.
    while (answer.status === 401) {
      const verdict = await decideAfter401(hooks, await errorFromResponse(answer.clone()), attempts)
      if ('give' in verdict) {
        if (verdict.give === 'error') throw verdict.error
        return answer
      }
      attempts[verdict.after] = true
      headers.set('Authorization', `${hooks.scheme} ${verdict.retryWith}`)
      answer = await sendOnce()
    }
    return answer
  }
}
